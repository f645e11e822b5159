// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsn_kernel_ptr() (progs/tsn_track.bpf.h), compiled for BPF by tests/progs/test_kptr.bpf.c and
 * run through BPF_PROG_TEST_RUN: addresses of this kernel (a task_struct, a function from
 * /proc/kallsyms) pass;
 * what skb->dev holds at the free of a delivered UDP datagram (dev_scratch), NULL, a user-space
 * address and the list poison do not. tsntrace's free hops read the device only through it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "test_kptr.skel.h"

/* include/net/udp.h: struct udp_dev_scratch, the word UDP writes over skb->dev */
static uint64_t udp_dev_scratch(uint32_t truesize, uint16_t len, bool linear, bool csum_ok)
{
	return (uint64_t)truesize | (uint64_t)len << 32 | (uint64_t)linear << 48 |
	       (uint64_t)csum_ok << 56;
}

/* the address of a symbol of the running kernel, 0 when kallsyms hides it */
static uint64_t kallsyms_addr(const char *want)
{
	char line[256], name[128];
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");
	char type;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3 && !strcmp(name, want))
			found = addr;
	fclose(f);
	return found;
}

TEST(kernel_ptr_rejects_dev_scratch)
{
	static const struct {
		const char *what;
		bool kernel;
	} cases[] = {
		{ "the current task_struct", true },
		{ "consume_skb (kallsyms)", true },
		{ "dev_scratch, linear, checksum verified", false },
		{ "dev_scratch, paged, checksum to verify", false },
		{ "NULL", false },
		{ "a user-space address", false },
		{ "LIST_POISON1", false },
		{ "a non-canonical address", false },
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_kptr_bpf *skel = test_kptr_bpf__open_and_load();
	__u64 *w;

	if (!ASSERT_TRUE(skel, "load test_kptr"))
		return;
	w = skel->bss->word;
	w[1] = kallsyms_addr("consume_skb");
	w[2] = udp_dev_scratch(2304, 1472, true, true);
	w[3] = udp_dev_scratch(768, 64, false, false);
	w[4] = 0;
	w[5] = 0x00007f0000001000ULL;
	w[6] = 0xdead000000000100ULL;
	w[7] = 0x8000000000000000ULL;
	ASSERT_TRUE(w[1], "kallsyms gives root the kernel's addresses");
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_kptr), &opts),
		       "run test_kptr"))
		goto out;
	ASSERT_TRUE(w[0], "bpf_get_current_task");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(skel->bss->is_kernel_ptr[i], cases[i].kernel, cases[i].what);
out:
	test_kptr_bpf__destroy(skel);
}
