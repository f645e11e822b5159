/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer's loader: backend choice and the lifecycle of tsntrace.bpf.o (events for tsntrace,
 * aggregate maps for tsntop).
 */
#ifndef TSN_TRACE_BACKEND_H
#define TSN_TRACE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "tsnkit.h"

#define TT_MAX_TC_OBSERVE 8

enum tt_backend {
	TT_BACKEND_AUTO = 0,
	TT_BACKEND_TRACEPOINT,
	TT_BACKEND_KPROBE_MULTI,
	TT_BACKEND_FENTRY,
};

/* What the BPF object is loaded with. */
struct tt_pcap;

struct tt_bpf_opts {
	struct tsn_filter filter;
	struct tt_pcap *pcap;		/* pcap-filter expression (lib/trace_pcap.h), or NULL */
	const char *filter_func;	/* kprobe-multi: glob of functions to attach to */
	__u32 tp_hooks;			/* tracepoints to attach (TT_TP_HOOKS_ALL bits), 0 all */
	unsigned int ringbuf_size;	/* bytes, a power of 2 and a multiple of the page size */
	unsigned int capacity;		/* tracking table slots, a power of 2 */
	const char *tc_observe[TT_MAX_TC_OBSERVE];	/* IF[@NETNS] */
	int n_tc_observe;
	/* enum tsn_event_extra_flags: stacks (--stack), packet bytes (--write); events only */
	unsigned int event_extra;
	/* aggregate mode (tsntop): per-flow/per-hop maps of these sizes instead of events */
	bool aggregate;
	unsigned int max_flows;
	unsigned int max_hops;
};

const char *tt_backend_name(enum tt_backend b);
int tt_backend_parse(const char *s, enum tt_backend *b);

/*
 * Resolve --backend. msg gets the one line to print: for auto why the richer backends were
 * skipped and which one is used; for a named backend that cannot work, the reason.
 * 0 or -EOPNOTSUPP.
 */
int tt_backend_choose(enum tt_backend want, enum tt_backend *got, char *msg, size_t len);

struct tt_bpf;

/* open -> autoload -> rodata -> load -> attach; on error nothing stays loaded. */
int tt_bpf_open(struct tt_bpf **out, const struct tt_bpf_opts *o, enum tt_backend backend,
		char *err, size_t errlen);
/* Stop new events (links and tc hooks gone), keep maps readable. Idempotent. */
void tt_bpf_detach(struct tt_bpf *t);
/* NULL-safe */
void tt_bpf_close(struct tt_bpf *t);

int tt_bpf_ringbuf_fd(const struct tt_bpf *t);
/* before each wait on the ring buffer: the next full batch wakes the reader (TSN_RB_*) */
void tt_bpf_reader_waits(struct tt_bpf *t);
double tt_bpf_attach_ms(const struct tt_bpf *t);
size_t tt_bpf_kprobe_count(const struct tt_bpf *t);
size_t tt_bpf_prog_count(const struct tt_bpf *t);
/* sum[TSN_CNT__MAX] over CPUs; lost_per_cpu[ncpus] (may be NULL) */
int tt_bpf_counters(const struct tt_bpf *t, __u64 *sum, __u64 *lost_per_cpu, int ncpus);

/* Aggregate mode: the flow and (flow, hop) hash maps, and sum[TSN_AGG__MAX] over CPUs. */
int tt_bpf_agg_flows_fd(const struct tt_bpf *t);
int tt_bpf_agg_hops_fd(const struct tt_bpf *t);
int tt_bpf_agg_stats(const struct tt_bpf *t, __u64 *sum, int ncpus);
/* The NICs whose transmits judge every packet (tsn_agg_flow.nic_*): replaces the set. */
int tt_bpf_agg_set_judged(struct tt_bpf *t, const struct tsn_agg_nic *nics, int n);

#endif /* TSN_TRACE_BACKEND_H */
