// SPDX-License-Identifier: GPL-2.0-only
/*
 * TSN_NEST_SCRATCH (progs/tsn_nest.bpf.h), compiled for BPF by tests/progs/test_nest.bpf.c and
 * run through BPF_PROG_TEST_RUN: hops nested on one CPU each get their own copy of the per-CPU
 * scratch, so the interrupted hop's fields survive (tsntrace's hop view, where one copy per
 * CPU let a softirq's hop overwrite a process-context hop's); a depth beyond the levels is
 * refused, not overwritten; the depth is back at 0 once all have left.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "test_nest.skel.h"

#define LEVELS 4	/* TSN_NEST_LEVELS */

TEST(nested_scratch_keeps_interrupted_copy)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_nest_bpf *skel = test_nest_bpf__open_and_load();

	if (!ASSERT_TRUE(skel, "load test_nest"))
		return;
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_nest), &opts),
		       "run test_nest"))
		goto out;
	ASSERT_EQ(skel->bss->distinct, 1, "each nesting level its own copy");
	ASSERT_EQ(skel->bss->outer_owner_after, 100, "the interrupted hop's copy intact");
	ASSERT_EQ(skel->bss->refused_at, LEVELS + 1, "the level past the last refused");
	ASSERT_EQ(skel->bss->depth_after, 0, "depth back at 0");
out:
	test_nest_bpf__destroy(skel);
}
