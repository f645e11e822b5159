/* SPDX-License-Identifier: GPL-2.0-only */
/* tsntrace internals shared by its source files. */
#ifndef TSNTRACE_H
#define TSNTRACE_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "json.h"
#include "trace_backend.h"
#include "trace_cause.h"
#include "trace_names.h"
#include "tsnkit.h"

#define TT_PATH_MAX 32

/* The command line: what to load (bpf) and how to report. */
struct tt_opts {
	enum tt_backend backend;	/* requested; tt_backend_choose() resolves auto */
	struct tt_bpf_opts bpf;
	bool json;
	bool summary;
	unsigned int expect;		/* bit per enum tt_field */
	double duration;		/* seconds, 0: until signal */
	unsigned long long count;	/* packets, 0: unlimited */
	const char *output;
	const char *ready_file;
	const char *pin_dir;		/* tsnproxy's state, read to name its restores */
};

/* Exit status. */
enum tt_exit {
	TT_EXIT_OK = 0,
	TT_EXIT_EXPECT_FAILED = 1,	/* --expect: a field lost, or no packet judged */
	TT_EXIT_USAGE = 2,		/* usage or setup error: nothing stays attached */
	TT_EXIT_INCOMPLETE = 3,		/* --expect: events or packets lost, no loss seen */
};

/* report.c */
struct tt_report;
struct tt_report *tt_report_new(const struct tt_opts *o, FILE *out);
void tt_report_event(struct tt_report *r, const struct tsn_trace_event *e);
/* packets seen so far (first hops), for --count */
unsigned long long tt_report_packets(const struct tt_report *r);
unsigned long long tt_report_seen(const struct tt_report *r);
/* Final output: summaries (with --summary) and counters; returns the exit status (tt_exit). */
int tt_report_finish(struct tt_report *r, const __u64 *counters, const __u64 *lost_per_cpu,
		     int ncpus);
void tt_report_free(struct tt_report *r);
void tt_report_set_start(struct tt_report *r, __u64 mono_ns);

#endif /* TSNTRACE_H */
