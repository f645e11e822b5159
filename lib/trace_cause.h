/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer's tables, shared by tsntrace and tsntop so both judge a hop alike: watched fields,
 * hook names and kinds, tstamp clock names, and the cause of a lost field. Pure functions, no
 * I/O.
 */
#ifndef TSN_TRACE_CAUSE_H
#define TSN_TRACE_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "tsnkit.h"

/* Watched fields. */
enum tt_field {
	TT_F_PRIORITY = 0,
	TT_F_TSTAMP,
	TT_F_TSTAMP_TYPE,
	TT_F_MARK,
	TT_F_SK,
	TT_F__MAX,
};

/* Cause classes of a lost field. */
enum tt_cause {
	TT_CAUSE_UNKNOWN = 0,
	TT_CAUSE_NETNS_SCRUB,
	TT_CAUSE_VETH_PRIORITY_RESET,
	TT_CAUSE_IP_FORWARD_TOS,
	TT_CAUSE_QDISC,
	TT_CAUSE_BPF_PROGRAM,
	TT_CAUSE_SK_ORPHAN,
	TT_CAUSE_NETKIT_SCRUB,
	TT_CAUSE__MAX,
};

/* One hop as the classification sees it (decoded from struct tsn_trace_event). */
struct tt_hop {
	__u32 hook;
	__u32 netns;
	__u32 ifindex;
	char ifname[TSN_IFNAMSIZ];
	char kind[8];
	const char *func;		/* resolved function (kprobe/fentry), or NULL */
	bool freed;			/* the skb is freed here (TSN_HOPF_FREE) */
	struct tsn_meta meta;
};

const char *tt_field_name(enum tt_field f);
/* "priority,tstamp" -> bit per enum tt_field; 0 or -1 */
int tt_field_parse_list(const char *s, unsigned int *mask);
__u64 tt_field_value(const struct tsn_meta *m, enum tt_field f);
const char *tt_cause_name(enum tt_cause c);
const char *tt_hook_name(__u32 hook);
/* skb->tstamp_type alone: "mono", "tai", else "none" (REALTIME carries no clock label) */
const char *tt_tstamp_type_name(__u8 type);
/* the clock of a stamp: "none" when tstamp is 0, "real" for a REALTIME one, else by type */
const char *tt_tstamp_clock_name(const struct tsn_meta *m);
bool tt_hook_is_rx(__u32 hook);
bool tt_hook_is_egress(__u32 hook);
/* false where the event carries no metadata (the skb may be gone) */
bool tt_hook_has_meta(__u32 hook);
/*
 * Why did field f change between prev and cur? detail gets a human explanation
 * ("netns crossing: tk1-pod1 → tk1-node via veth") from the netns names given.
 */
enum tt_cause tt_classify(enum tt_field f, const struct tt_hop *prev, const struct tt_hop *cur,
			  const char *prev_ns, const char *cur_ns, char *detail, size_t len);

#endif /* TSN_TRACE_CAUSE_H */
