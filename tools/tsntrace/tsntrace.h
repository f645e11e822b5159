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

/* --time: what the text mode's TIME column counts */
enum tt_time_mode {
	TT_TIME_REL = 0,	/* seconds since the tracer started */
	TT_TIME_ABS,		/* wall clock, local time */
	TT_TIME_DELTA,		/* seconds since the previous hop line */
};

/* The command line: what to load (bpf) and how to report. */
struct tt_opts {
	enum tt_backend backend;	/* requested; tt_backend_choose() resolves auto */
	struct tt_bpf_opts bpf;
	bool json;
	bool summary;
	bool summary_only;		/* no hop records, only the packet summaries and counters */
	bool stack;			/* --stack: the kernel stack under each hop */
	bool wide;			/* -o wide: every column, whatever the terminal's width */
	enum tt_time_mode time_mode;
	const char *write;		/* --write FILE.pcapng, "-": stdout */
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
/* x: the stack and packet bytes, NULL when the loader did not ask for them */
void tt_report_event(struct tt_report *r, const struct tsn_trace_event *e,
		     const struct tsn_trace_extra *x);
/* packets seen so far (first hops), for --count */
unsigned long long tt_report_packets(const struct tt_report *r);
unsigned long long tt_report_seen(const struct tt_report *r);
/* Final output: summaries (with --summary) and counters; returns the exit status (tt_exit). */
int tt_report_finish(struct tt_report *r, const __u64 *counters, const __u64 *lost_per_cpu,
		     int ncpus);
void tt_report_free(struct tt_report *r);
void tt_report_set_start(struct tt_report *r, __u64 mono_ns);
/* --write: hops with packet bytes also go there (owned by the caller) */
struct tt_pcap;
void tt_report_set_pcap(struct tt_report *r, struct tt_pcap *pc);

/* pcap_out.c: --write, the traced packets as pcapng */
struct tt_pcap *tt_pcap_open(FILE *f);
/* one enhanced packet block; hop is the hop's JSON object (its comment says what it holds) */
int tt_pcap_hop(struct tt_pcap *pc, json_object *hop, const struct tsn_trace_extra *x,
		__u64 wall_ns);
/* 0, or -errno of the first failed write */
int tt_pcap_close(struct tt_pcap *pc);

/* text.c: the text mode's hop lines, fitted to the terminal */
struct tt_text;
/* the columns of the terminal f writes to, 0 when it is not a terminal */
unsigned int tt_text_width(FILE *f);
/* width: the terminal's columns, 0: no limit (not a terminal, or -o wide) */
struct tt_text *tt_text_new(FILE *out, unsigned int width, enum tt_time_mode time_mode);
/* hop is the hop's JSON object; the line says what it holds, nothing more */
void tt_text_hop(struct tt_text *t, json_object *hop, const char *time_col);
/* a line of the summaries, wrapped at the width under indent columns */
void tt_text_wrapped(struct tt_text *t, int indent, const char *line);
void tt_text_free(struct tt_text *t);

#endif /* TSNTRACE_H */
