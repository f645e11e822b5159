/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-CPU counters map shared by tsntrace and tsnproxy (progs/tsn_track.bpf.h): one
 * struct tsn_cpu_counters per CPU, summed here.
 */
#ifndef TSN_COUNTERS_H
#define TSN_COUNTERS_H

#include <linux/types.h>

#include "tsnkit.h"

/*
 * Sum the counters map fd over its ncpus CPUs into sum; per_cpu (ncpus entries, may be NULL)
 * gets counter per_cpu_id of each CPU. 0 or -errno.
 */
int tsn_counters_sum(int fd, int ncpus, __u64 sum[TSN_CNT__MAX], __u32 per_cpu_id, __u64 *per_cpu);

#endif /* TSN_COUNTERS_H */
