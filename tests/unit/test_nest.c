// SPDX-License-Identifier: GPL-2.0-only
/*
 * TSN_NEST_SCRATCH (progs/tsn_nest.bpf.h), compiled for BPF by tests/progs/test_nest.bpf.c and
 * run through BPF_PROG_TEST_RUN: hops nested on one CPU each get their own copy of the per-CPU
 * scratch, so an interrupted hop's fields survive (tsntrace's hop view, where one copy per CPU
 * let a softirq's hop overwrite a process-context hop's); a level beyond the copies is refused,
 * not overwritten; a copy stays its hop's while a hop that took one after it leaves first (a
 * preempted fentry program), where a depth counter handed it to the next hop; every copy is
 * free once all have left.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "test_nest.skel.h"

#define LEVELS 4	/* TSN_NEST_LEVELS */

static struct test_nest_bpf *nest_run(struct bpf_program *(*pick)(struct test_nest_bpf *),
				      const char *name)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_nest_bpf *skel = test_nest_bpf__open_and_load();

	if (!ASSERT_TRUE(skel, "load test_nest"))
		return NULL;
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(pick(skel)), &opts), name) ||
	    !ASSERT_EQ(opts.retval, 0, name)) {
		test_nest_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct bpf_program *prog_stack(struct test_nest_bpf *skel)
{
	return skel->progs.test_nest;
}

static struct bpf_program *prog_reorder(struct test_nest_bpf *skel)
{
	return skel->progs.test_nest_reorder;
}

TEST(nested_scratch_keeps_interrupted_copy)
{
	struct test_nest_bpf *skel = nest_run(prog_stack, "run test_nest");

	if (!skel)
		return;
	ASSERT_EQ(skel->bss->distinct, 1, "each nesting level its own copy");
	ASSERT_EQ(skel->bss->outer_owner_after, 100, "the interrupted hop's copy intact");
	ASSERT_EQ(skel->bss->refused_at, LEVELS + 1, "the level past the last refused");
	ASSERT_EQ(skel->bss->held_after, 0, "every copy free after");
	test_nest_bpf__destroy(skel);
}

TEST(nested_scratch_keeps_preempted_copy)
{
	struct test_nest_bpf *skel = nest_run(prog_reorder, "run test_nest_reorder");

	if (!skel)
		return;
	ASSERT_EQ(skel->bss->reorder_distinct, 1, "a later hop does not get a held copy");
	ASSERT_EQ(skel->bss->reorder_owner_after, 2, "the preempting hop's copy intact");
	ASSERT_EQ(skel->bss->held_after, 0, "every copy free after");
	test_nest_bpf__destroy(skel);
}
