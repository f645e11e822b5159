// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test program for tsn_kernel_ptr() (tsn_track.bpf.h), run by tests/unit/test_kptr.c
 * through BPF_PROG_TEST_RUN: the predicate as the BPF compiler builds it, on the words the test
 * wrote into word[1..], and on word[0], a kernel heap address the program puts there (its
 * task_struct).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tsn_track.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TEST_WORDS 8

__u64 word[TEST_WORDS];
int is_kernel_ptr[TEST_WORDS];

SEC("syscall")
int test_kptr(void *ctx)
{
	word[0] = bpf_get_current_task();
	for (int i = 0; i < TEST_WORDS; i++)
		is_kernel_ptr[i] = tsn_kernel_ptr((const void *)word[i]);
	return 0;
}
