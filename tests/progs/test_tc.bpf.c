// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test programs for lib/tc.c (tests/unit/test_tc.c). "ours" behaves like a tsnkit tc
 * program: it counts and returns TC_ACT_UNSPEC (tcx: TCX_NEXT) so the next program on the hook
 * still runs. "foreign" stands in for a primary CNI's program: it counts and returns TC_ACT_OK,
 * which ends the chain. Counting only IPv4/UDP to the test port keeps stray traffic (IPv6 ND,
 * ARP) out of the numbers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tsn_net.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u16 test_port = 0;	/* host order, set before load */

__u64 ours_count = 0;
__u64 ours2_count = 0;
__u64 foreign_count = 0;

static __always_inline bool is_test_pkt(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return false;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return false;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return false;
	return udp->dest == bpf_htons(test_port);
}

SEC("tc")
int tk_tc_ours(struct __sk_buff *skb)
{
	if (is_test_pkt(skb))
		__sync_fetch_and_add(&ours_count, 1);
	return TC_ACT_UNSPEC;
}

/* a second "ours" to re-attach with, so an update is visible in the counters */
SEC("tc")
int tk_tc_ours2(struct __sk_buff *skb)
{
	if (is_test_pkt(skb))
		__sync_fetch_and_add(&ours2_count, 1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tk_tc_foreign(struct __sk_buff *skb)
{
	if (is_test_pkt(skb))
		__sync_fetch_and_add(&foreign_count, 1);
	return TC_ACT_OK;
}
