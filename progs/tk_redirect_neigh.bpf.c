// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only stand-in for Cilium's legacy veth datapath (the fixture's "redirect" shape): on the
 * tc ingress of a pod's host-side veth, look the packet's destination up in the FIB and hand it
 * straight to the egress device with bpf_redirect_neigh(), which resolves the next hop and
 * calls dev_queue_xmit() there: the node's IP forwarding never sees the packet. Anything the
 * FIB cannot forward (local delivery, no route) goes on through the stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_UNSPEC (-1) /* let the stack (and the next program) carry on */
#define TK_AF_INET 2
#define TK_AF_INET6 10
#define TK_ETH_HLEN 14

SEC("tc")
int tk_redirect_neigh(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup p = {};
	int rc;

	if (ctx->protocol == bpf_htons(0x0800)) {
		struct iphdr *ip = data + TK_ETH_HLEN;

		if ((void *)(ip + 1) > end)
			return TC_ACT_UNSPEC;
		p.family = TK_AF_INET;
		p.tos = ip->tos;
		p.l4_protocol = ip->protocol;
		p.tot_len = bpf_ntohs(ip->tot_len);
		p.ipv4_src = ip->saddr;
		p.ipv4_dst = ip->daddr;
	} else if (ctx->protocol == bpf_htons(0x86DD)) {
		struct ipv6hdr *ip6 = data + TK_ETH_HLEN;

		if ((void *)(ip6 + 1) > end)
			return TC_ACT_UNSPEC;
		p.family = TK_AF_INET6;
		p.l4_protocol = ip6->nexthdr;
		p.tot_len = bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(p.ipv6_src, &ip6->saddr, sizeof(p.ipv6_src));
		__builtin_memcpy(p.ipv6_dst, &ip6->daddr, sizeof(p.ipv6_dst));
	} else {
		return TC_ACT_UNSPEC;
	}
	p.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	/* NO_NEIGH: bpf_redirect_neigh() resolves the neighbour itself */
	if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) ||
	    p.ifindex == ctx->ingress_ifindex)
		return TC_ACT_UNSPEC;
	return bpf_redirect_neigh(p.ifindex, NULL, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
