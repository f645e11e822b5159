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
	TT_CAUSE_TSNPROXY_RESTORE,	/* tsnproxy's restore put the saved value back */
	TT_CAUSE_TSNPROXY_POLICY,	/* ... the value its pod's policy allows instead */
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
	bool restore_nic;		/* on a NIC where tsnproxy's restore is attached */
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
 * The tracepoints a tracer attaches (--hooks), as bits (1U << enum tsn_hook): each tracepoint
 * hook is named as its tracepoint, net_dev_queue .. consume_skb. The other backends' functions
 * and the tc observers are not in the set: they have flags of their own.
 */
#define TT_TP_HOOK(h) (1U << (h))
#define TT_TP_HOOKS_ALL ((TT_TP_HOOK(TSN_HOOK_CONSUME_SKB + 1) - 1) & ~TT_TP_HOOK(TSN_HOOK_UNKNOWN))
/* A tracepoint's name -> its hook; TSN_HOOK_UNKNOWN for any other name. */
__u32 tt_hook_tracepoint(const char *name);
/* "all", or tracepoint names separated by commas -> *mask; 0, or -1 for an empty list or a
 * name that is not a tracepoint hook */
int tt_hook_parse_list(const char *s, __u32 *mask);
/* The names in mask, comma-separated, in hook order; buf. */
char *tt_hook_list_str(__u32 mask, char *buf, size_t len);
/*
 * Hop numbers, the same in tsntrace (`hop`, the HOP column, "LOST at hop N") and tsntop (the
 * detail pane's #, `hop` in its JSON: struct tsn_agg_hop.seq counted in the kernel) when both
 * attach the same hooks (--hooks): a packet's hops in the order they happened, from 0, every
 * attached hook counted (net_dev_xmit and the free included) except a net_dev_xmit that does
 * not follow the packet's own net_dev_start_xmit on the same device (a recycled skb address:
 * not the packet's hop at all). tt_hop_numbered() says whether a hop gets a number.
 */
bool tt_hop_numbered(__u32 hook, bool xmit_follows_start);

/*
 * Where a packet was first seen is its origin when that hop is an egress hop and the skb still
 * has its sending socket (or is a non-IP frame the kernel sends itself, e.g. ARP): the app's
 * metadata is what it set. A packet a filter picked after that (at a receive hop, or at an
 * egress hop without a socket: forwarded, or past the netns crossing) was selected mid-path;
 * its first values are not the app's, so it is not judged.
 */
bool tt_hop_is_origin(const struct tt_hop *first, bool ip);

/*
 * tsnproxy's restore (tc egress of a NIC it enforces, cur->restore_nic) when field f changed to
 * the packet's first value there (restore), or, for priority, to what the pod's policy makes
 * of it (policy: allowed mask and enum tsn_on_disallowed; NULL when the pod has none). Returns
 * TT_CAUSE_UNKNOWN when the change is not the proxy's (then tt_classify() decides).
 */
struct tt_pod_policy {
	__u32 allowed;
	__u8 on_disallowed;
	const char *netns_name;
};
enum tt_cause tt_classify_proxy(enum tt_field f, const struct tt_hop *prev,
				const struct tt_hop *cur, __u64 first, __u64 now,
				const struct tt_pod_policy *pol, char *detail, size_t len);
/* What tsnproxy's restore writes for an app priority under a policy (tsnproxy.bpf.c). */
__u32 tt_policy_priority(const struct tt_pod_policy *pol, __u32 prio);

/*
 * Why did field f change between prev and cur? detail gets a human explanation
 * ("netns crossing: tk1-pod1 → tk1-node via veth") from the netns names given.
 */
enum tt_cause tt_classify(enum tt_field f, const struct tt_hop *prev, const struct tt_hop *cur,
			  const char *prev_ns, const char *cur_ns, char *detail, size_t len);

#endif /* TSN_TRACE_CAUSE_H */
