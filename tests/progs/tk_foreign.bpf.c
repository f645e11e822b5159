// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only stand-in for a primary CNI's direct-action tc program: counts every IPv4 packet and
 * returns TC_ACT_OK, which ends the tc chain. Coexistence tests check that it still sees every
 * packet while tsnproxy's restore program runs on the same hook.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tsn_net.h"

__u64 tk_foreign_pkts = 0;

SEC("tc")
int tk_foreign(struct __sk_buff *skb)
{
	if (skb->protocol == bpf_htons(ETH_P_IP))
		__sync_fetch_and_add(&tk_foreign_pkts, 1);
	return TC_ACT_OK;
}

SEC("xdp")
int tk_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
