/* SPDX-License-Identifier: GPL-2.0-only */
/* tsntrace backends: choice and the BPF object's lifecycle. */
#ifndef TSNTRACE_BACKEND_H
#define TSNTRACE_BACKEND_H

#include <stddef.h>
#include <linux/types.h>

#include "tsntrace.h"

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
int tt_bpf_open(struct tt_bpf **out, const struct tt_opts *o, enum tt_backend backend,
		char *err, size_t errlen);
/* Stop new events (links and tc hooks gone), keep maps readable. Idempotent. */
void tt_bpf_detach(struct tt_bpf *t);
/* NULL-safe */
void tt_bpf_close(struct tt_bpf *t);

int tt_bpf_ringbuf_fd(const struct tt_bpf *t);
double tt_bpf_attach_ms(const struct tt_bpf *t);
size_t tt_bpf_kprobe_count(const struct tt_bpf *t);
size_t tt_bpf_prog_count(const struct tt_bpf *t);
/* sum[TSN_CNT__MAX] over CPUs; lost_per_cpu[ncpus] (may be NULL) */
int tt_bpf_counters(const struct tt_bpf *t, __u64 *sum, __u64 *lost_per_cpu, int ncpus);

/* Aggregate mode: the flow and (flow, hop) hash maps, and sum[TSN_AGG__MAX] over CPUs. */
int tt_bpf_agg_flows_fd(const struct tt_bpf *t);
int tt_bpf_agg_hops_fd(const struct tt_bpf *t);
int tt_bpf_agg_stats(const struct tt_bpf *t, __u64 *sum, int ncpus);

#endif /* TSNTRACE_BACKEND_H */
