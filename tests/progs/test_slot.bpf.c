// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test program for the tracking slot's release (tsn_slot_release in tsn_track.bpf.h), run
 * by tests/unit/test_slot.c through BPF_PROG_TEST_RUN. The restore copies its entry, judges the
 * copy, and then releases the slot; another CPU's save may have written the slot in between (an
 * skb whose address maps to it). The release must clear only the entry the copy was taken from.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tsn_track.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define OLD_SKB 0x1000ULL
#define NEW_SKB 0x2000ULL
#define NOW 1001ULL

/* results */
int newer_kept, released;

SEC("syscall")
int test_slot_release(void *ctx)
{
	struct tsn_meta old = { .priority = 1 }, newer = { .priority = 2 };
	struct tsn_track_slot *s = tsn_slot_at(0), copy;

	if (!s)
		return 1;
	tsn_slot_write(s, OLD_SKB, 11, 7, &old, 42, NOW);
	__builtin_memcpy(&copy, s, sizeof(copy));	/* the restore's copy of its entry */
	tsn_slot_write(s, NEW_SKB, 22, 8, &newer, 43, NOW);	/* a save on another CPU */
	tsn_slot_release(s, &copy);
	newer_kept = s->skb == NEW_SKB && s->saved_at == NOW && s->check == tsn_slot_check(s);

	__builtin_memcpy(&copy, s, sizeof(copy));	/* the newer entry's own restore */
	tsn_slot_release(s, &copy);
	released = !s->skb && !s->saved_at && !s->check;
	return 0;
}
