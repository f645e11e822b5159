/* SPDX-License-Identifier: GPL-2.0-only */
/* tsntrace internals shared by its source files. */
#ifndef TSNTRACE_H
#define TSNTRACE_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "json.h"
#include "tsnkit.h"

#define TT_MAX_TC_OBSERVE 8
#define TT_PATH_MAX 32

enum tt_backend {
	TT_BACKEND_AUTO = 0,
	TT_BACKEND_TRACEPOINT,
	TT_BACKEND_KPROBE_MULTI,
	TT_BACKEND_FENTRY,
};

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
};

struct tt_opts {
	enum tt_backend backend;
	struct tsn_filter filter;
	bool json;
	bool summary;
	unsigned int expect;		/* bit per enum tt_field */
	double duration;		/* seconds, 0: until signal */
	unsigned long long count;	/* packets, 0: unlimited */
	const char *output;
	const char *ready_file;
	const char *filter_func;
	unsigned int ringbuf_size;
	unsigned int capacity;
	const char *tc_observe[TT_MAX_TC_OBSERVE];
	int n_tc_observe;
	/* aggregate mode (tsntop): per-flow/per-hop maps of these sizes instead of events */
	bool aggregate;
	unsigned int max_flows;
	unsigned int max_hops;
};

/* One hop as the report logic sees it (decoded from struct tsn_trace_event). */
struct tt_hop {
	__u32 hook;
	__u32 netns;
	__u32 ifindex;
	char ifname[TSN_IFNAMSIZ];
	char kind[8];
	const char *func;		/* resolved function (kprobe/fentry), or NULL */
	struct tsn_meta meta;
};

/* cause.c: pure functions, unit-tested */
const char *tt_field_name(enum tt_field f);
int tt_field_parse_list(const char *s, unsigned int *mask);	/* "priority,tstamp" */
__u64 tt_field_value(const struct tsn_meta *m, enum tt_field f);
const char *tt_cause_name(enum tt_cause c);
const char *tt_hook_name(__u32 hook);
const char *tt_tstamp_type_name(__u8 type);
bool tt_hook_is_rx(__u32 hook);
bool tt_hook_is_egress(__u32 hook);
bool tt_hook_has_meta(__u32 hook);
/*
 * Why did field f change between prev and cur? detail gets a human explanation
 * ("netns crossing: tk1-pod1 → tk1-node via veth") from the netns names given.
 */
enum tt_cause tt_classify(enum tt_field f, const struct tt_hop *prev, const struct tt_hop *cur,
			  const char *prev_ns, const char *cur_ns, char *detail, size_t len);

/* report.c */
struct tt_report;
struct tt_report *tt_report_new(const struct tt_opts *o, FILE *out);
void tt_report_event(struct tt_report *r, const struct tsn_trace_event *e);
/* packets seen so far (first hops), for --count */
unsigned long long tt_report_packets(const struct tt_report *r);
unsigned long long tt_report_seen(const struct tt_report *r);
/* Final output: summaries (with --summary) and counters; returns the --expect exit code. */
int tt_report_finish(struct tt_report *r, const __u64 *counters, const __u64 *lost_per_cpu,
		     int ncpus);
void tt_report_free(struct tt_report *r);
void tt_report_set_start(struct tt_report *r, __u64 mono_ns);

/* names.c: netns names, drop reasons, kernel symbols */
const char *tt_netns_name(__u32 inode);
const char *tt_drop_reason_name(__u32 reason);
const char *tt_ksym_name(__u64 addr, char *buf, size_t len, bool with_offset);
void tt_names_free(void);

#endif /* TSNTRACE_H */
