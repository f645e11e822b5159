// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: a NIC egress filter that puts one fixed priority on every IPv4 UDP packet, as a
 * static "restore" that is right for some of a flow's packets and wrong for the others. Attached
 * as a direct-action cls_bpf filter on clsact egress, which runs before the NIC's qdisc and its
 * net_dev_start_xmit. Returns TC_ACT_UNSPEC so that whatever follows on the hook still runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tsn_net.h"

char LICENSE[] SEC("license") = "GPL";

#define TK_NIC_PRIORITY 1

SEC("tc")
int tk_nic_priority(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) &&
	    ip->protocol == IPPROTO_UDP)
		skb->priority = TK_NIC_PRIORITY;
	return TC_ACT_UNSPEC;
}
