/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tsntop's model: flows and their hop paths as the kernel aggregated them (struct tsn_agg_*),
 * rates between samples, sort order, the text filter, verdicts, traffic classes, and the
 * header/proxy data the view shows. No curses and no BPF here: the unit tests feed it
 * synthetic records, main.c feeds it the maps.
 *
 * A sample is top_model_begin(), then top_model_flow()/top_model_hop() for every record, then
 * top_model_end(), which orders the hops, judges every flow and recomputes the visible list.
 */
#ifndef TSNTOP_MODEL_H
#define TSNTOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <json-c/json.h>

#include "tc.h"
#include "tsnkit.h"

#define TOP_MAX_HOPS 32
#define TOP_MAX_NICS TSN_MAX_NICS
#define TOP_MAX_TC 16
#define TOP_NAME_LEN 80	/* long enough for most pods' NS/NAME */
#define TOP_MAX_POLICY 16
#define TOP_FILTER_LEN 64

enum top_verdict {
	TOP_V_NONE = 0,		/* no hop with metadata to judge at yet */
	TOP_V_OK,		/* every watched field reached the judged hop unchanged */
	TOP_V_RESTORED,		/* a field was lost on the way and is back at the judged hop */
	TOP_V_LOST,		/* a field set by the app differs at the judged hop */
};

enum top_sort {
	TOP_SORT_PPS = 0,
	TOP_SORT_PACKETS,
	TOP_SORT_VERDICT,
	TOP_SORT_LAST_SEEN,
	TOP_SORT_FLOW,
	TOP_SORT__MAX,
};

/* Fields the verdict watches; bit (1 << field) in the masks below. */
enum top_field {
	TOP_F_PRIORITY = 0,
	TOP_F_TSTAMP,		/* its clock (none/mono/tai/real), not its per-packet value */
	TOP_F_MARK,
	TOP_F__MAX,
};

/* A watched NIC: where the verdict is judged and the class is looked up. */
struct top_nic {
	__u32 netns;
	__u32 ifindex;
	char ifname[TSN_IFNAMSIZ];
	char netns_name[TOP_NAME_LEN];
	struct tsn_qdisc_info qdisc;
	bool map_from_user;		/* prio_tc_map came from --tc-map, not from the qdisc */
};

struct top_hop {
	struct tsn_agg_hop_key key;
	struct tsn_agg_hop val;
	char hook_name[24];
	char netns_name[TOP_NAME_LEN];
	int nic;			/* index into the model's NICs, -1 */
	unsigned int changed;		/* fields that differ from the previous hop with metadata */
};

struct top_flow {
	struct tsn_agg_flow_key key;
	struct tsn_agg_flow val;
	char netns_name[TOP_NAME_LEN];
	struct top_hop hops[TOP_MAX_HOPS];	/* in path order after top_model_end() */
	int nhops;
	int hops_dropped;		/* more hops than TOP_MAX_HOPS */
	double pps;
	__u64 prev_packets;
	bool have_prev;
	bool seen;			/* in the current sample */
	/* judgement */
	int judged;			/* hop index, -1 */
	enum top_verdict verdict;
	int lost_hop;			/* hop where the first lost field changed, -1 */
	unsigned int lost, restored;	/* field masks */
	int tc;				/* traffic class at the judged hop, -1 unknown */
	/*
	 * Every packet at a judged NIC (tsn_agg_flow.nic_*) since the previous sample, and of
	 * those, per field, how many did not carry the app's value: the verdict's exact part.
	 */
	__u64 nic_packets_interval;
	__u64 nic_lost_interval[TOP_F__MAX];
	__u64 prev_nic_packets;
	__u64 prev_nic_differ[TOP_F__MAX];
};

struct top_proxy {
	bool running;
	char policy[16];		/* "registered" / "all" */
	char restore[40];		/* "priority,tstamp" */
	__u64 counters[TSN_CNT__MAX];
	double rates[TSN_CNT__MAX];
	bool have_prev;
	double at_s;			/* sample time of counters[] */
	__u32 map_capacity, map_used;
	int npolicy;
	struct {
		char netns[TOP_NAME_LEN];
		char priorities[40];
		char on_disallowed[8];
	} policy_rows[TOP_MAX_POLICY];
};

/* What the header shows that the model does not compute. */
struct top_header {
	char node[64];
	char backend[24];
	char backend_why[200];		/* short: "kprobe-multi, fentry unavailable" */
	char backend_detail[512];	/* the reasons in full */
	char pin_dir[128];
	__u32 tp_hooks;			/* the tracepoints attached (TT_TP_HOOKS_ALL bits) */
	double interval_s;
	bool paused;
	/* loss accounting: never hidden */
	__u64 events_lost;		/* ring buffer: 0 in aggregate mode, shown anyway */
	__u64 track_overflow;
	__u64 agg[TSN_AGG__MAX];
};

struct top_model {
	struct top_flow *flows;
	int nflows, cap;
	int *visible;			/* indices into flows after filter + sort */
	int nvisible;
	enum top_sort sort;
	char filter[TOP_FILTER_LEN];
	struct top_nic nics[TOP_MAX_NICS];
	int nnics;
	double now_s, prev_s;
	bool have_prev;
	/* totals of the visible flows */
	double pps_total;
	double pps_tc[TOP_MAX_TC];
	double pps_tc_unknown;
	struct top_proxy proxy;
	struct top_header hdr;
};

struct top_model *top_model_new(void);
void top_model_free(struct top_model *m);
/* Forget every flow and rate baseline (key r); NICs, sort, filter and header stay. */
void top_model_reset(struct top_model *m);

/* NICs are set before samples; 0 or -E2BIG. */
int top_model_add_nic(struct top_model *m, const struct top_nic *nic);

void top_model_begin(struct top_model *m, double now_s);
/* Find or add the flow of key and update it; NULL when out of memory. */
struct top_flow *top_model_flow(struct top_model *m, const struct tsn_agg_flow_key *key,
				const struct tsn_agg_flow *val, const char *netns_name);
/* The flow of key in this model, or NULL (binary search: hops look their flow up). */
struct top_flow *top_model_find(struct top_model *m, const struct tsn_agg_flow_key *key);
/* Add a hop to a flow of this sample. 0 or -E2BIG (counted in hops_dropped). */
int top_model_hop(struct top_model *m, struct top_flow *f, const struct tsn_agg_hop_key *key,
		  const struct tsn_agg_hop *val, const char *hook_name, const char *netns_name);
/* Order hops, judge flows, compute rates, totals and the visible list. */
void top_model_end(struct top_model *m);

/* Proxy counters of this sample (rates from the previous call). */
void top_model_set_proxy(struct top_model *m, const struct top_proxy *p);

void top_model_set_sort(struct top_model *m, enum top_sort s);
void top_model_set_filter(struct top_model *m, const char *text);
/* Re-apply sort and filter without a new sample. */
void top_model_refresh_view(struct top_model *m);

const struct top_flow *top_model_visible(const struct top_model *m, int i);

/* Names and formatting shared by the view and the JSON snapshot. */
const char *top_sort_name(enum top_sort s);
const char *top_field_name(enum top_field f);
/* "ok", "restored", "LOST at vethpod1", "-" */
const char *top_verdict_str(const struct top_flow *f, char *buf, size_t len);
/* "LOST", "kept", "restored" for one field */
const char *top_field_state(const struct top_flow *f, enum top_field field);
/* Metadata at the first hop (the app's) and at the judged hop (NULL when none). */
const struct tsn_meta *top_flow_app_meta(const struct top_flow *f);
const struct tsn_meta *top_flow_nic_meta(const struct top_flow *f);
/* "udp 198.18.1.11:40000 > 198.19.1.2:5001" */
const char *top_flow_str(const struct top_flow *f, char *buf, size_t len);
/* "tk1-node/nic0 htb map 0 1 2 3 (--tc-map)" */
const char *top_nic_str(const struct top_nic *n, char *buf, size_t len);
/* Seconds from the flow's last packet to the sample (both CLOCK_MONOTONIC). */
double top_flow_age(const struct top_model *m, const struct top_flow *f);

/* The model as JSON: header, totals, proxy, every visible flow with its hops. */
json_object *top_model_json(const struct top_model *m);

#endif /* TSNTOP_MODEL_H */
