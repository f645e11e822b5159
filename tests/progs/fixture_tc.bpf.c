// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture only: the software stand-in for taprio's traffic-class selection on nic0 when the
 * kernel has no taprio. Attached as a direct-action cls_bpf filter on an HTB root 1: whose
 * classes 1:1..1:4 are traffic classes 0..3, so the per-class packet counters show which class
 * each packet was scheduled in, like taprio's leaves 100:1..100:4.
 *
 * The mapping is the one of "taprio num_tc 4 map 0 1 2 3": tc = map[priority & TC_BITMASK]
 * (netdev_get_prio_tc_map), where the unlisted map entries 4..15 are 0.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tsn_net.h"

#define TC_BITMASK	15
#define FIXTURE_NUM_TC	4
#define FIXTURE_MAJOR	1	/* HTB root handle 1: */

char LICENSE[] SEC("license") = "GPL";

static __always_inline __u32 prio_to_tc(__u32 priority)
{
	__u32 prio = priority & TC_BITMASK;

	/* map 0 1 2 3: the identity for 0..3, everything not listed goes to TC0 */
	return prio < FIXTURE_NUM_TC ? prio : 0;
}

SEC("tc")
int tk_fixture_tc(struct __sk_buff *skb)
{
	__u32 tc = prio_to_tc(skb->priority);

	/*
	 * qdisc_skb_cb's tc_classid is 16 bits wide: the kernel keeps the minor written here and
	 * takes the major from the filter's "classid 1:", so the filter must be added with it.
	 */
	skb->tc_classid = (FIXTURE_MAJOR << 16) | (tc + 1);
	return TC_ACT_OK;
}
