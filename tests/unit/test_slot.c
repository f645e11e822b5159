// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracking slot's release (progs/tsn_track.bpf.h: tsn_slot_release), run in the kernel by
 * tests/progs/test_slot.bpf.c through BPF_PROG_TEST_RUN: a restore that used its copy of an
 * entry leaves a save written into the slot after the copy was taken (it clears only the entry
 * it copied), and the newer entry's own release clears the slot.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "test_slot.skel.h"

TEST(slot_release_keeps_a_newer_save)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_slot_bpf *skel = test_slot_bpf__open_and_load();

	if (!ASSERT_TRUE(skel, "load test_slot"))
		return;
	if (ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_slot_release),
					     &opts), "run test_slot_release") &&
	    ASSERT_EQ(opts.retval, 0, "the program found its slot")) {
		ASSERT_EQ(skel->bss->newer_kept, 1, "the save written after the copy stays intact");
		ASSERT_EQ(skel->bss->released, 1, "its own release clears the slot");
	}
	test_slot_bpf__destroy(skel);
}
