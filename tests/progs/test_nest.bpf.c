// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test programs for TSN_NEST_SCRATCH (tsn_nest.bpf.h), run by tests/unit/test_nest.c
 * through BPF_PROG_TEST_RUN: what a hop interrupted or preempted by hops of the same scratch
 * sees. Each program plays the hops' enters and exits in one order on one CPU and reports what
 * the copies hold afterwards.
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
__u32 refused_at;		/* 1 + the level at which enter returned NULL, 0 if none */
__u64 reorder_owner_after;	/* the second hop's copy's owner after the third wrote its own */
__u32 reorder_distinct;		/* 1: the third hop did not get the second's copy */
__u32 held_after;		/* copies still claimed once every hop left (both programs) */

static __always_inline __u32 copies_held(void)
{
	__u32 zero = 0, i, n = 0;
	struct test_nest_view_copies *s = bpf_map_lookup_elem(&test_nest_view, &zero);

	if (!s)
		return ~0U;
	for (i = 0; i < TSN_NEST_LEVELS; i++)
		n += s->busy[i] != 0;
	return n;
}

/* Interrupts: each hop interrupts the one before and leaves before it resumes (a stack). */
SEC("syscall")
int test_nest(void *ctx)
{
	struct test_scratch *v[TSN_NEST_LEVELS + 1];
	__u64 *claim[TSN_NEST_LEVELS + 1];
	int i, n = 0;

	distinct = 1;
	for (i = 0; i < TSN_NEST_LEVELS + 1; i++) {
		v[i] = test_nest_view_enter(&claim[i]);
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
		test_nest_view_exit(claim[i]);
	held_after = copies_held();
	return 0;
}

/*
 * Preemption (fentry on PREEMPT and PREEMPT_RT): hop 1 is preempted by a task whose hop 2 is
 * preempted in turn; hop 1 resumes and leaves first, then a third hop starts while hop 2 still
 * holds its copy.
 */
SEC("syscall")
int test_nest_reorder(void *ctx)
{
	struct test_scratch *a, *b, *c;
	__u64 *ca, *cb, *cc;

	a = test_nest_view_enter(&ca);
	if (!a)
		return 1;
	a->owner = 1;
	b = test_nest_view_enter(&cb);
	if (!b) {
		test_nest_view_exit(ca);
		return 1;
	}
	b->owner = 2;
	test_nest_view_exit(ca);
	c = test_nest_view_enter(&cc);
	if (c) {
		c->owner = 3;
		reorder_distinct = c != b;
	}
	reorder_owner_after = b->owner;
	if (c)
		test_nest_view_exit(cc);
	test_nest_view_exit(cb);
	held_after = copies_held();
	return 0;
}
