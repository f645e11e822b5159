// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/trace_backend.c on this kernel: the loader's first lap through the ring buffer. After
 * tt_bpf_open() the ring's producer has written every page once and the ring is empty
 * (consumer == producer == the ring's size), so that no event pays for a page's first write.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "test.h"
#include "trace_backend.h"

TEST(ring_buffer_lapped_at_load)
{
	const unsigned int size = 1U << 20;
	struct tt_bpf_opts o = {
		.ringbuf_size = size,
		.capacity = 1024,
		/* selects nothing (no netns has inode 1): no event moves the producer meanwhile */
		.filter = { .flags = TSN_FILT_NETNS, .n_netns = 1, .netns = { 1 } },
	};
	long page = sysconf(_SC_PAGESIZE);
	volatile uint64_t *cons = MAP_FAILED, *prod = MAP_FAILED;
	struct tt_bpf *t = NULL;
	char err[256] = "";
	int rc, fd;

	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_loop, NULL) != 1) {
		test_skip("kernel without syscall programs or bpf_loop");
		return;
	}
	rc = tt_bpf_open(&t, &o, TT_BACKEND_TRACEPOINT, err, sizeof(err));
	if (!ASSERT_OK(rc, err))
		return;
	fd = tt_bpf_ringbuf_fd(t);
	cons = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	prod = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	if (!ASSERT_TRUE(cons != MAP_FAILED && prod != MAP_FAILED, "map the ring's positions"))
		goto out;
	ASSERT_EQ(*prod, (uint64_t)size, "producer one lap on: every page written once");
	ASSERT_EQ(*cons, *prod, "the lap consumed: the ring is empty");
out:
	if (cons != MAP_FAILED)
		munmap((void *)cons, page);
	if (prod != MAP_FAILED)
		munmap((void *)prod, page);
	tt_bpf_close(t);
}
