// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test program for TSN_NEST_SCRATCH (tsn_nest.bpf.h), run by tests/unit/test_nest.c through
 * BPF_PROG_TEST_RUN: what a hop interrupted by hops of the same scratch sees. The program
 * enters as the interrupted hop would, writes its copy, enters again as each interrupting hop
 * (which writes its own), leaves in reverse order, and reports what the first copy still holds.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tsn_nest.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct test_scratch {
	__u64 owner;
	char pad[56];
};

TSN_NEST_SCRATCH(test_nest_view, struct test_scratch)

__u64 outer_owner_after;	/* the outer copy's owner after the nested ones left */
__u32 distinct;			/* 1: each level got its own copy */
__u32 depth_after;		/* the depth once all left */
__u32 refused_at;		/* 1 + the level at which enter returned NULL, 0 if none */

SEC("syscall")
int test_nest(void *ctx)
{
	struct test_nest_view_stack *st[TSN_NEST_LEVELS + 1];
	struct test_scratch *v[TSN_NEST_LEVELS + 1];
	int i, n = 0;

	distinct = 1;
	for (i = 0; i < TSN_NEST_LEVELS + 1; i++) {
		v[i] = test_nest_view_enter(&st[i]);
		if (!v[i]) {
			refused_at = i + 1;
			break;
		}
		v[i]->owner = 100 + i;	/* each hop writes its own fields */
		if (i && v[i] == v[i - 1])
			distinct = 0;
		n++;
	}
	outer_owner_after = n ? v[0]->owner : 0;
	for (i = n - 1; i >= 0; i--)
		test_nest_view_exit(st[i]);
	if (n)
		depth_after = st[0]->depth;
	return 0;
}
