// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the hooks enforce mode uses, for bench/: their bpf_stats run time is the
 * fixed cost of being attached at all, subtracted from tsnproxy's to get the cost of its logic.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tsn_net.h"

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tk_empty_xmit, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(tk_empty_kfree, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(tk_empty_cons, struct sk_buff *skb)
{
	return 0;
}

SEC("tc")
int tk_empty_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
