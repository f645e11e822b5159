// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test programs for the proxy's packet fingerprint (tsn_fp_l3 in tsn_track.bpf.h), run by
 * tests/unit/test_fp.c through BPF_PROG_TEST_RUN. The save and restore compute it from
 * different places (a tc program's skb, a kernel address by probe read, the same by plain
 * loads), so each flavour gets a program; the kernel-address ones read the frame the test wrote
 * into frame[].
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tsn_track.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TEST_FRAME_MAX 256

/* written by the test before a kernel-address run: an Ethernet frame and its length */
__u8 frame[TEST_FRAME_MAX];
__u32 frame_len;

/* results: return code and fingerprint of each flavour */
int rc_tc, rc_kern, rc_btf;
__u64 fp_tc, fp_kern, fp_btf;

SEC("tc")
int test_fp_tc(struct __sk_buff *ctx)
{
	rc_tc = tsn_fp_tc(ctx, &fp_tc);
	return TC_ACT_UNSPEC;
}

static __always_inline int fp_of_frame(enum tsn_src how, __u64 *fp)
{
	__u32 len = frame_len;
	__u16 l3proto = ((__u16)frame[12] << 8) | frame[13];

	if (len > TEST_FRAME_MAX)
		return -1;
	return tsn_fp_l3(frame, how, ETH_HLEN, l3proto, len, fp);
}

SEC("syscall")
int test_fp_kern(void *ctx)
{
	rc_kern = fp_of_frame(TSN_SRC_KERN, &fp_kern);
	return 0;
}

SEC("syscall")
int test_fp_btf(void *ctx)
{
	rc_btf = fp_of_frame(TSN_SRC_BTF, &fp_btf);
	return 0;
}
