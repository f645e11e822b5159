// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test program for tunnel recognition (tsn_tunnel.bpf.h), run by tests/unit/test_tunnel.c
 * through BPF_PROG_TEST_RUN on crafted frames: where the inner packet starts, and its
 * fingerprint there, which must equal the fingerprint of the same packet sent unencapsulated.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tsn_track.bpf.h"
#include "tsn_tunnel.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* set by the test: a VXLAN port besides 4789 */
__u16 vxlan_port;
/*
 * results: tunnel found (0) or not (-1), inner offset and EtherType, fingerprint; and the
 * restore's pre-check, which must say "maybe" for every tunnel packet found
 */
int rc_tunnel, rc_fp;
bool maybe;
__u32 inner_off;
__u16 inner_proto;
__u64 fp;

SEC("tc")
int test_tunnel(struct __sk_buff *ctx)
{
	struct tsn_tunnel_inner in = {};

	maybe = tsn_tunnel_maybe(ctx, vxlan_port);
	rc_tunnel = tsn_tunnel_inner(ctx, TSN_SRC_TC, ETH_HLEN, bpf_ntohs(ctx->protocol),
				     vxlan_port, &in);
	inner_off = in.off;
	inner_proto = in.l3proto;
	if (!rc_tunnel)
		rc_fp = tsn_fp_l3(ctx, TSN_SRC_TC, in.off, in.l3proto, ctx->len, &fp);
	else
		rc_fp = tsn_fp_tc(ctx, &fp);
	return TC_ACT_UNSPEC;
}
