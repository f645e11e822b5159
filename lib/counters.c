// SPDX-License-Identifier: GPL-2.0-only
/* Reading the per-CPU counters map, see counters.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "counters.h"

int tsn_counters_sum(int fd, int ncpus, __u64 sum[TSN_CNT__MAX], __u32 per_cpu_id, __u64 *per_cpu)
{
	/* a per-CPU value comes as one 8-byte-aligned copy per possible CPU */
	struct tsn_cpu_counters *vals;
	__u32 zero = 0, i;
	int cpu, e = 0;

	memset(sum, 0, sizeof(__u64) * TSN_CNT__MAX);
	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, vals)) {
		e = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		for (i = 0; i < TSN_CNT__MAX; i++)
			sum[i] += vals[cpu].cnt[i];
		if (per_cpu && per_cpu_id < TSN_CNT__MAX)
			per_cpu[cpu] = vals[cpu].cnt[per_cpu_id];
	}
out:
	free(vals);
	return e;
}
