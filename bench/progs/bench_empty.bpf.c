// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the hooks enforce mode and tsntrace/tsntop use, for bench/: their bpf_stats
 * run time is the fixed cost of being attached at all, subtracted from a tool's to get the cost
 * of its logic. bpfstats attaches them by tracepoint name (--empty, --empty-tp).
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

/* the other tracepoints of tsntrace's tracepoint backend */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(tk_empty_queue, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(tk_empty_dxmit, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(tk_empty_rx, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tk_empty_recv, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(tk_empty_gro, struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(tk_empty_enq, struct Qdisc *q)
{
	return 0;
}

SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(tk_empty_deq, struct Qdisc *q)
{
	return 0;
}

SEC("tc")
int tk_empty_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
