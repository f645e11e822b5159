// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tunnel recognition (progs/tsn_tunnel.bpf.h), run in the kernel by progs/test_tunnel.bpf.c
 * through BPF_PROG_TEST_RUN on crafted frames: VXLAN (4789 and a configured port), Geneve with
 * options, IPIP, IPv6 in IPv4, GRE with and without checksum, key and sequence number and with
 * an Ethernet frame inside, over IPv4 and IPv6 outer headers. For each, the inner L3 offset and
 * EtherType, and the fingerprint there equal to that of the same packet sent unencapsulated;
 * frames that are not tunnels (or a tunnel kind it must not parse) are left alone.
 */
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "test_tunnel.skel.h"

#define TUN_FRAME_MAX 512

struct tun_frame {
	uint8_t b[TUN_FRAME_MAX];
	size_t len;
};

static void put(struct tun_frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put16(struct tun_frame *f, uint16_t v)
{
	put(f, (uint8_t[]){ (uint8_t)(v >> 8), (uint8_t)v }, 2);
}

static void eth(struct tun_frame *f, uint16_t ethertype)
{
	put(f, (uint8_t[]){ 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4 }, 12);
	put16(f, ethertype);
}

/* IPv4 header of protocol proto with payload_len bytes after it */
static void ip4(struct tun_frame *f, uint8_t proto, uint16_t id, size_t payload_len)
{
	put(f, (uint8_t[]){ 0x45, 0 }, 2);
	put16(f, (uint16_t)(20 + payload_len));
	put16(f, id);
	put(f, (uint8_t[]){ 0x40, 0, 64, proto, 0, 0, 198, 19, 1, 1, 198, 19, 1, 2 }, 14);
}

static void ip6(struct tun_frame *f, uint8_t nexthdr, size_t payload_len)
{
	static const uint8_t addrs[32] = { 0xfd, 0x54, 0x53, 0x4e, [15] = 1,
					   0xfd, 0x54, 0x53, 0x4e, [31] = 2 };

	put(f, (uint8_t[]){ 0x60, 0x01, 0x23, 0x45 }, 4);
	put16(f, (uint16_t)payload_len);
	put(f, (uint8_t[]){ nexthdr, 64 }, 2);
	put(f, addrs, sizeof(addrs));
}

static void udp(struct tun_frame *f, uint16_t dport, size_t payload_len)
{
	put16(f, 40000);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload_len));
	put16(f, 0);
}

static const char pod_payload[] = "talker-00000001-seq-0000000042";

/* The pod's packet, L3 header first: IPv4 or IPv6 UDP to 5001 */
static void pod_l3(struct tun_frame *f, bool v6)
{
	size_t n = sizeof(pod_payload) - 1;

	if (v6)
		ip6(f, 17, 8 + n);
	else
		ip4(f, 17, 0x1234, 8 + n);
	udp(f, 5001, n);
	put(f, pod_payload, n);
}

static size_t pod_l3_len(bool v6)
{
	return (v6 ? 40 : 20) + 8 + sizeof(pod_payload) - 1;
}

/* outer Ethernet + IPv4 or IPv6 header of protocol proto, for payload_len bytes */
static void outer(struct tun_frame *f, bool outer6, uint8_t proto, size_t payload_len)
{
	memset(f, 0, sizeof(*f));
	eth(f, outer6 ? 0x86dd : 0x0800);
	if (outer6)
		ip6(f, proto, payload_len);
	else
		ip4(f, proto, 0x7777, payload_len);
}

struct tun_result {
	bool maybe;
	int rc, rc_fp;
	uint32_t off;
	uint16_t proto;
	uint64_t fp;
};

static int tun_run(struct test_tunnel_bpf *skel, const struct tun_frame *f, uint16_t vxlan_port,
		   struct tun_result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len);
	int e;

	skel->bss->vxlan_port = vxlan_port;
	skel->bss->rc_tunnel = -2;
	e = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_tunnel), &o);
	*r = (struct tun_result){ skel->bss->maybe, skel->bss->rc_tunnel, skel->bss->rc_fp, skel->bss->inner_off,
				  skel->bss->inner_proto, skel->bss->fp };
	return e ? -errno : 0;
}

/* f must be recognised, its inner packet at off with EtherType proto and the pod's fingerprint */
static void expect_inner(struct test_tunnel_bpf *skel, const struct tun_frame *f,
			 uint16_t vxlan_port, uint32_t off, bool v6, const char *what)
{
	struct tun_frame plain = { 0 };
	struct tun_result r, p;
	char name[128];

	eth(&plain, v6 ? 0x86dd : 0x0800);
	pod_l3(&plain, v6);
	if (!ASSERT_OK(tun_run(skel, &plain, 0, &p), what) ||
	    !ASSERT_EQ(p.rc, -1, "the plain packet is no tunnel") ||
	    !ASSERT_FALSE(p.maybe, "the plain packet skips the parse (tsn_tunnel_maybe)"))
		return;
	if (!ASSERT_OK(tun_run(skel, f, vxlan_port, &r), what))
		return;
	snprintf(name, sizeof(name), "%s: recognised", what);
	ASSERT_EQ(r.rc, 0, name);
	snprintf(name, sizeof(name), "%s: tsn_tunnel_maybe lets it through", what);
	ASSERT_TRUE(r.maybe, name);
	snprintf(name, sizeof(name), "%s: inner offset", what);
	ASSERT_EQ(r.off, off, name);
	snprintf(name, sizeof(name), "%s: inner EtherType", what);
	ASSERT_EQ(r.proto, v6 ? 0x86dd : 0x0800, name);
	snprintf(name, sizeof(name), "%s: inner fingerprint = the pod's", what);
	ASSERT_EQ(r.rc_fp, 0, name);
	ASSERT_EQ(r.fp, p.fp, name);
}

static void expect_none(struct test_tunnel_bpf *skel, const struct tun_frame *f,
			uint16_t vxlan_port, const char *what)
{
	struct tun_result r;

	if (ASSERT_OK(tun_run(skel, f, vxlan_port, &r), what))
		ASSERT_EQ(r.rc, -1, what);
}

/* Ethernet + the pod's packet: what VXLAN, Geneve and GRE 0x6558 carry */
static void inner_eth(struct tun_frame *f, bool v6)
{
	eth(f, v6 ? 0x86dd : 0x0800);
	pod_l3(f, v6);
}

static void vxlan(struct tun_frame *f, bool outer6, uint16_t port, uint8_t flags, bool v6)
{
	size_t inner = 14 + pod_l3_len(v6);

	outer(f, outer6, 17, 8 + 8 + inner);
	udp(f, port, 8 + inner);
	put(f, (uint8_t[]){ flags, 0, 0, 0, 0, 0, 42, 0 }, 8);
	inner_eth(f, v6);
}

/* Geneve with optlen_words of options, protocol proto (0x6558: Ethernet inside) */
static void geneve(struct tun_frame *f, bool outer6, uint8_t optlen_words, uint16_t proto, bool v6)
{
	size_t inner = (proto == 0x6558 ? 14 : 0) + pod_l3_len(v6), opts = optlen_words * 4u;
	uint8_t zero[64] = { 0 };

	outer(f, outer6, 17, 8 + 8 + opts + inner);
	udp(f, 6081, 8 + opts + inner);
	put(f, (uint8_t[]){ optlen_words, 0 }, 2);
	put16(f, proto);
	put(f, (uint8_t[]){ 0, 0, 42, 0 }, 4);
	put(f, zero, opts);
	if (proto == 0x6558)
		inner_eth(f, v6);
	else
		pod_l3(f, v6);
}

static void gre(struct tun_frame *f, bool outer6, uint16_t flags, uint16_t proto, bool v6)
{
	size_t hlen = 4 + 4 * (!!(flags & 0x8000) + !!(flags & 0x2000) + !!(flags & 0x1000));
	size_t inner = (proto == 0x6558 ? 14 : 0) + pod_l3_len(v6);
	uint8_t opts[12] = { 0xbe, 0xef, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7 };

	outer(f, outer6, 47, hlen + inner);
	put16(f, flags);
	put16(f, proto);
	put(f, opts, hlen - 4);
	if (proto == 0x6558)
		inner_eth(f, v6);
	else
		pod_l3(f, v6);
}

TEST(tunnel_inner_packet_found)
{
	struct test_tunnel_bpf *skel = test_tunnel_bpf__open_and_load();
	struct tun_frame f;

	if (!ASSERT_TRUE(skel, "load test_tunnel"))
		return;
	vxlan(&f, false, 4789, 0x08, false);
	expect_inner(skel, &f, 0, 14 + 20 + 8 + 8 + 14, false, "VXLAN 4789 over IPv4");
	vxlan(&f, true, 4789, 0x08, true);
	expect_inner(skel, &f, 0, 14 + 40 + 8 + 8 + 14, true, "VXLAN 4789 over IPv6, inner IPv6");
	vxlan(&f, false, 8472, 0x08, false);
	expect_inner(skel, &f, 8472, 14 + 20 + 8 + 8 + 14, false, "VXLAN on the configured port");
	geneve(&f, false, 0, 0x6558, false);
	expect_inner(skel, &f, 0, 14 + 20 + 8 + 8 + 14, false, "Geneve over IPv4");
	geneve(&f, true, 3, 0x6558, true);
	expect_inner(skel, &f, 0, 14 + 40 + 8 + 8 + 12 + 14, true, "Geneve with options over IPv6");
	geneve(&f, false, 0, 0x0800, false);
	expect_inner(skel, &f, 0, 14 + 20 + 8 + 8, false, "Geneve carrying IPv4 directly");

	outer(&f, false, 4, pod_l3_len(false));
	pod_l3(&f, false);
	expect_inner(skel, &f, 0, 14 + 20, false, "IPIP");
	outer(&f, false, 41, pod_l3_len(true));
	pod_l3(&f, true);
	expect_inner(skel, &f, 0, 14 + 20, true, "IPv6 in IPv4 (SIT)");
	outer(&f, true, 4, pod_l3_len(false));
	pod_l3(&f, false);
	expect_inner(skel, &f, 0, 14 + 40, false, "IPv4 in IPv6");

	gre(&f, false, 0, 0x0800, false);
	expect_inner(skel, &f, 0, 14 + 20 + 4, false, "GRE");
	gre(&f, false, 0x2000, 0x0800, false);
	expect_inner(skel, &f, 0, 14 + 20 + 8, false, "GRE with key");
	gre(&f, true, 0xb000, 0x86dd, true);
	expect_inner(skel, &f, 0, 14 + 40 + 16, true, "GRE with checksum, key, seq over IPv6");
	gre(&f, false, 0x2000, 0x6558, false);
	expect_inner(skel, &f, 0, 14 + 20 + 8 + 14, false, "GRE TEB (gretap) with key");
	test_tunnel_bpf__destroy(skel);
}

TEST(tunnel_others_left_alone)
{
	struct test_tunnel_bpf *skel = test_tunnel_bpf__open_and_load();
	struct tun_frame f = { 0 };

	if (!ASSERT_TRUE(skel, "load test_tunnel"))
		return;
	inner_eth(&f, false);
	expect_none(skel, &f, 0, "plain IPv4 UDP");
	memset(&f, 0, sizeof(f));
	inner_eth(&f, true);
	expect_none(skel, &f, 0, "plain IPv6 UDP");
	vxlan(&f, false, 8472, 0x08, false);
	expect_none(skel, &f, 0, "VXLAN on a port not configured");
	vxlan(&f, false, 4789, 0x00, false);
	expect_none(skel, &f, 0, "UDP 4789 without the VXLAN I flag");
	gre(&f, false, 0x0001, 0x880b, false);
	expect_none(skel, &f, 0, "GRE version 1 (PPTP)");
	gre(&f, false, 0x4000, 0x0800, false);
	expect_none(skel, &f, 0, "GRE with routing");
	geneve(&f, false, 0, 0x88f7, false);
	expect_none(skel, &f, 0, "Geneve carrying neither IP nor Ethernet");
	/* a later fragment of a VXLAN datagram: its payload is no VXLAN header */
	vxlan(&f, false, 4789, 0x08, false);
	f.b[14 + 7] = 0x10;
	expect_none(skel, &f, 0, "IPv4 fragment");
	test_tunnel_bpf__destroy(skel);
}
