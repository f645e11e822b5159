/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tsntop's data source: tsntrace's BPF programs in aggregate mode (loaded and attached through
 * lib/trace_backend), the watched NICs' qdiscs, and the enforce-mode state read through
 * lib/proxy. top_source_sample() turns all of it into one model sample.
 */
#ifndef TSNTOP_SOURCE_H
#define TSNTOP_SOURCE_H

#include <stddef.h>

#include "model.h"
#include "trace_backend.h"

#define TOP_MAX_NIC_SPECS TOP_MAX_NICS

struct top_source_opts {
	enum tt_backend backend;	/* requested; auto is resolved at open */
	struct tt_bpf_opts bpf;		/* filter, capacity; aggregate is forced on */
	const char *pin_dir;
	const char *nic_specs[TOP_MAX_NIC_SPECS];	/* IF[@NETNS] */
	int n_nic_specs;
	double idle_s;			/* --idle: forget flows idle this long; 0: never */
	bool tc_map_set;		/* --tc-map for qdiscs that have no priority map */
	__u8 tc_map[TSN_TC_MAX_PRIO];
	__u8 tc_map_num;
};

struct top_source;

/*
 * Resolve the NICs, choose the backend, load and attach. err gets one line. On error nothing
 * is left attached. hdr gets node, backend and why.
 */
int top_source_open(struct top_source **out, const struct top_source_opts *o,
		    struct top_header *hdr, char *err, size_t errlen);
/* Detach and free; NULL-safe. */
void top_source_close(struct top_source *s);

/*
 * One sample into m (top_model_begin .. top_model_end), with NICs, proxy and loss counters.
 * Flows idle for longer than idle_s leave the kernel's maps here, and so the model.
 */
int top_source_sample(struct top_source *s, struct top_model *m, double now_s);

/* Empty the kernel's flow and hop maps (key r). */
void top_source_reset(struct top_source *s);

/* "0,1,2,3" or "0 1 2 3" -> map; 0 or -EINVAL. */
int top_parse_tc_map(const char *s, __u8 map[TSN_TC_MAX_PRIO], __u8 *num_tc);

#endif /* TSNTOP_SOURCE_H */
