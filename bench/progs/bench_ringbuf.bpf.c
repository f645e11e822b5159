// SPDX-License-Identifier: GPL-2.0
/*
 * What one event's kernel primitives cost on this machine, run by tests/tools/rbcost through
 * BPF_PROG_TEST_RUN, each program bench_count times in one bpf_loop: a ring-buffer record the
 * size of tsntrace's event (reserve, every byte written, submit without wakeup), a clock read,
 * a 16-byte probe read, or nothing (the loop itself).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tsnkit.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* set by the tool */
} bench_rb SEC(".maps");

__u32 bench_count;
__u32 bench_failed;	/* reservations the ring refused (it was full) */
__u64 bench_sink;
char bench_buf[16];

static long bench_record(__u64 i, void *ctx)
{
	struct tsn_trace_event *e = bpf_ringbuf_reserve(&bench_rb, sizeof(*e), 0);

	if (!e) {
		bench_failed++;
		return 1;
	}
	__builtin_memset(e, (int)i, sizeof(*e));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static long bench_ktime(__u64 i, void *ctx)
{
	bench_sink += bpf_ktime_get_ns();
	return 0;
}

static long bench_probe_read(__u64 i, void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	bpf_probe_read_kernel(bench_buf, sizeof(bench_buf), t->comm);
	return 0;
}

static long bench_nothing(__u64 i, void *ctx)
{
	return 0;
}

/* a program that runs fn bench_count times */
#define BENCH_RB_PROG(name, fn)                              \
	SEC("syscall")                                       \
	int name(void *ctx)                                  \
	{                                                    \
		bpf_loop(bench_count, fn, NULL, 0);          \
		return 0;                                    \
	}

BENCH_RB_PROG(bench_rb_record, bench_record)
BENCH_RB_PROG(bench_rb_ktime, bench_ktime)
BENCH_RB_PROG(bench_rb_probe_read, bench_probe_read)
BENCH_RB_PROG(bench_rb_loop, bench_nothing)
