// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/counters.c sums the per-CPU counters map (one struct tsn_cpu_counters per CPU) that
 * tsnproxy status and tsntrace read. A real per-CPU map with different values on every CPU:
 * each counter's sum, the one counter reported per CPU, and a map of the wrong shape refused.
 */
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "test.h"

TEST(counters_sum_over_cpus)
{
	int ncpus = libbpf_num_possible_cpus(), fd, cpu;
	struct tsn_cpu_counters *vals = NULL;
	__u64 sum[TSN_CNT__MAX], *per_cpu = NULL, want;
	__u32 zero = 0, i;

	ASSERT_GE(ncpus, 1, "possible CPUs");
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "tk_counters", sizeof(__u32),
			    sizeof(struct tsn_cpu_counters), 1, NULL);
	ASSERT_GE(fd, 0, "create a per-CPU array");
	if (fd < 0)
		return;
	vals = calloc(ncpus, sizeof(*vals));
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	ASSERT_TRUE(vals && per_cpu, "allocation");
	if (!vals || !per_cpu)
		goto out;
	/* counter i on CPU c: (i + 1) * 1000 + c, and the unused word, which nobody may add up */
	for (cpu = 0; cpu < ncpus; cpu++) {
		for (i = 0; i < TSN_CNT__MAX; i++)
			vals[cpu].cnt[i] = (i + 1) * 1000ULL + (__u64)cpu;
		vals[cpu]._unused = ~0ULL;
	}
	ASSERT_OK(bpf_map_update_elem(fd, &zero, vals, BPF_ANY), "write per-CPU values");
	ASSERT_OK(tsn_counters_sum(fd, ncpus, sum, TSN_CNT_MISS, per_cpu), "sum");
	for (i = 0; i < TSN_CNT__MAX; i++) {
		want = (i + 1) * 1000ULL * (__u64)ncpus + (__u64)ncpus * (ncpus - 1) / 2;
		ASSERT_EQ(sum[i], want, "counter summed over CPUs");
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		ASSERT_EQ(per_cpu[cpu], (TSN_CNT_MISS + 1) * 1000ULL + (__u64)cpu,
			  "the counter asked for, per CPU");
	ASSERT_ERR(tsn_counters_sum(fd, 0, sum, 0, NULL), "no CPUs");
out:
	free(vals);
	free(per_cpu);
	close(fd);
}

TEST(counters_refuse_a_map_without_key_zero)
{
	__u64 sum[TSN_CNT__MAX];
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tk_counters_h", sizeof(__u32),
				sizeof(struct tsn_cpu_counters), 1, NULL);

	ASSERT_GE(fd, 0, "create a hash map");
	if (fd < 0)
		return;
	/* an empty hash map has no key 0: an error, and the sums stay 0 */
	sum[0] = 42;
	ASSERT_ERR(tsn_counters_sum(fd, libbpf_num_possible_cpus(), sum, 0, NULL), "no value");
	ASSERT_EQ(sum[0], 0ULL, "sums cleared");
	close(fd);
}
