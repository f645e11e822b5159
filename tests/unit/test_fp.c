// SPDX-License-Identifier: GPL-2.0-only
/*
 * The proxy's packet fingerprint (progs/tsn_track.bpf.h: tsn_fp_l3), computed in the kernel by
 * tests/progs/test_fp.bpf.c through BPF_PROG_TEST_RUN in each of its flavours: a tc program's skb
 * (the restore, the tc save hook), a kernel address by probe read (the tracepoint save hook
 * before 6.2) and by plain loads (since 6.2). Every flavour must give the fingerprint the
 * definition in docs/enforce.md gives (ref_fp below, computed field by field), on the fast path
 * (IPv4 without options) and the general one (options, short packets, IPv6, non-IP), must not
 * change under NAT, and must change with the IP id or the payload word.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kfeatures.h"
#include "tsnkit.h"
#include "test.h"
#include "test_fp.skel.h"

#define FRAME_MAX 256

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

/* bytes as the datapath's little-endian loads see them */
static uint64_t raw(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

/*
 * The definition: IPv4 id, total length, protocol (IPv6 payload length, next header, flow
 * label; other frames ethertype and L3 length), then the 8 bytes at the UDP payload, the TCP
 * sequence number or the L4 header, when the packet has them.
 */
static uint64_t ref_fp(const struct frame *f)
{
	const uint8_t *l3 = f->b + 14;
	uint16_t ethertype = (uint16_t)(f->b[12] << 8 | f->b[13]);
	uint64_t h, word = 0;
	size_t l4, end;
	uint8_t proto;

	if (ethertype == 0x0800) {
		proto = l3[9];
		h = raw(l3 + 4, 2) << 32 | raw(l3 + 2, 2) << 16 | proto;
		l4 = 14 + (size_t)(l3[0] & 0xf) * 4;
		end = 14 + ntohs((uint16_t)raw(l3 + 2, 2));
	} else if (ethertype == 0x86dd) {
		proto = l3[6];
		h = raw(l3 + 4, 2) << 32 | (uint64_t)proto << 24 | (uint64_t)(l3[1] & 0xf) << 16 |
		    (uint64_t)l3[2] << 8 | l3[3];
		l4 = 14 + 40;
		end = l4 + ntohs((uint16_t)raw(l3 + 4, 2));
	} else {
		h = (uint64_t)ethertype << 32 | (f->len - 14);
		if (14 + 8 <= f->len)
			word = raw(l3, 8);
		return tsn_fp_mix(h, word);
	}
	l4 += proto == 17 ? 8 : proto == 6 ? 4 : 0;
	if (l4 + 8 <= end)
		word = raw(f->b + l4, 8);
	return tsn_fp_mix(h, word);
}

/* Ethernet + IPv4 (ihl words of header, options NOPs) + L4 bytes l4[0..l4len) */
static void ipv4(struct frame *f, uint8_t proto, unsigned int ihl, uint16_t id, const uint8_t *l4,
		 size_t l4len)
{
	uint8_t *ip = f->b + 14;
	uint16_t tot = (uint16_t)(ihl * 4 + l4len);

	memset(f, 0, sizeof(*f));
	memset(f->b, 0x02, 6);
	memset(f->b + 6, 0x04, 6);
	f->b[12] = 0x08;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, (uint8_t[]){ 198, 18, 0, 11, 198, 19, 0, 2 }, 8);
	memset(ip + 20, 1, ihl * 4 - 20);	/* NOP options */
	memcpy(ip + ihl * 4, l4, l4len);
	f->len = 14 + tot;
}

/* UDP header (ports 40000 -> 5001) + payload */
static void udp4(struct frame *f, unsigned int ihl, uint16_t id, const char *payload)
{
	uint8_t l4[128] = { 0x9c, 0x40, 0x13, 0x89 };
	size_t n = strlen(payload);

	l4[4] = (uint8_t)((8 + n) >> 8);
	l4[5] = (uint8_t)(8 + n);
	memcpy(l4 + 8, payload, n);
	ipv4(f, 17, ihl, id, l4, 8 + n);
}

/* NAT as a node does it: addresses, ports, TTL and both checksums rewritten */
static void nat(struct frame *f)
{
	uint8_t *ip = f->b + 14, *l4 = ip + (ip[0] & 0xf) * 4;

	memcpy(ip + 12, (uint8_t[]){ 203, 0, 113, 7, 100, 64, 9, 9 }, 8);
	ip[8] = 63;
	ip[10] = 0xbe;
	ip[11] = 0xef;
	memcpy(l4, (uint8_t[]){ 0xc3, 0x51, 0x00, 0x35 }, 4);
	l4[6] = 0x12;
	l4[7] = 0x34;
}

struct result {
	int rc;
	uint64_t fp;
};

/* The fingerprint of f in each flavour: [0] tc, [1] probe read, [2] plain loads. */
static int run(struct test_fp_bpf *skel, const struct frame *f, struct result r[3])
{
	LIBBPF_OPTS(bpf_test_run_opts, tc, .data_in = f->b, .data_size_in = (__u32)f->len);
	LIBBPF_OPTS(bpf_test_run_opts, sys);
	int e;

	memset(skel->bss->frame, 0, sizeof(skel->bss->frame));
	memcpy(skel->bss->frame, f->b, f->len);
	skel->bss->frame_len = (__u32)f->len;
	skel->bss->rc_btf = -1;
	e = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_fp_tc), &tc);
	if (!e)
		e = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_fp_kern), &sys);
	if (!e && bpf_program__fd(skel->progs.test_fp_btf) >= 0)
		e = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_fp_btf), &sys);
	r[0] = (struct result){ skel->bss->rc_tc, skel->bss->fp_tc };
	r[1] = (struct result){ skel->bss->rc_kern, skel->bss->fp_kern };
	r[2] = (struct result){ skel->bss->rc_btf, skel->bss->fp_btf };
	return e ? -errno : 0;
}

/* Every flavour computes ref_fp(f); returns that fingerprint (0 after a failure). */
static uint64_t check(struct test_fp_bpf *skel, const struct frame *f, const char *what)
{
	static const char *const flavour[] = { "tc", "probe read", "plain loads" };
	bool btf = bpf_program__fd(skel->progs.test_fp_btf) >= 0;
	uint64_t want = ref_fp(f);
	struct result r[3];
	char name[128];
	int i;

	if (!ASSERT_OK(run(skel, f, r), what))
		return 0;
	for (i = 0; i < (btf ? 3 : 2); i++) {
		snprintf(name, sizeof(name), "%s: %s: rc", what, flavour[i]);
		ASSERT_EQ(r[i].rc, 0, name);
		snprintf(name, sizeof(name), "%s: %s: fingerprint", what, flavour[i]);
		ASSERT_EQ(r[i].fp, want, name);
	}
	return want;
}

static struct test_fp_bpf *load(void)
{
	struct test_fp_bpf *skel = test_fp_bpf__open();

	if (!ASSERT_TRUE(skel, "open test_fp"))
		return NULL;
	/* plain loads through bpf_rdonly_cast need 6.2; the other flavours are tested anyway */
	bpf_program__set_autoload(skel->progs.test_fp_btf, tsn_feature_has(TSN_FEAT_KERN_CTX));
	if (!ASSERT_OK(test_fp_bpf__load(skel), "load test_fp")) {
		test_fp_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

TEST(fp_flavours_agree_with_definition)
{
	static const uint8_t tcp[20] = { 0x9c, 0x40, 0x13, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 0x50 };
	static const uint8_t icmp[16] = { 8, 0, 0xf7, 0xff, 0, 1, 0, 1, 'p', 'i', 'n', 'g' };
	struct test_fp_bpf *skel = load();
	struct frame f;

	if (!skel)
		return;
	udp4(&f, 5, 0x1234, "talker-00000001-seq-0000000042");
	check(skel, &f, "IPv4 UDP (fast path)");
	udp4(&f, 6, 0x1234, "talker-00000001-seq-0000000042");
	check(skel, &f, "IPv4 UDP with options");
	udp4(&f, 5, 0x1234, "abcd");
	check(skel, &f, "IPv4 UDP, 4-byte payload (no word)");
	ipv4(&f, 6, 5, 0x1234, tcp, sizeof(tcp));
	check(skel, &f, "IPv4 TCP");
	ipv4(&f, 1, 5, 0x1234, icmp, sizeof(icmp));
	check(skel, &f, "IPv4 ICMP");

	/* IPv6 UDP: flow label 0x12345, payload length 8 + 16 */
	memset(&f, 0, sizeof(f));
	f.b[12] = 0x86;
	f.b[13] = 0xdd;
	memcpy(f.b + 14, (uint8_t[]){ 0x60, 0x01, 0x23, 0x45, 0, 24, 17, 64 }, 8);
	f.b[14 + 8 + 15] = 1;
	f.b[14 + 24 + 15] = 2;
	memcpy(f.b + 54, (uint8_t[]){ 0x9c, 0x40, 0x13, 0x89, 0, 24, 0, 0 }, 8);
	memcpy(f.b + 62, "ipv6-payload-16b", 16);
	f.len = 78;
	check(skel, &f, "IPv6 UDP");

	/* ARP request: ethertype, length and the first 8 bytes */
	memset(&f, 0, sizeof(f));
	f.b[12] = 0x08;
	f.b[13] = 0x06;
	memcpy(f.b + 14, (uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, 1 }, 8);
	f.len = 42;
	check(skel, &f, "ARP");
	test_fp_bpf__destroy(skel);
}

TEST(fp_survives_nat_and_tells_packets_apart)
{
	struct test_fp_bpf *skel = load();
	uint64_t a, b;
	struct frame f;

	if (!skel)
		return;
	udp4(&f, 5, 0x1234, "talker-00000001-seq-0000000042");
	a = check(skel, &f, "original");
	nat(&f);
	b = check(skel, &f, "after NAT");
	ASSERT_EQ(b, a, "NAT keeps the fingerprint");

	udp4(&f, 5, 0x1235, "talker-00000001-seq-0000000042");
	b = check(skel, &f, "next IP id");
	ASSERT_NEQ(b, a, "another IP id, another fingerprint");
	/* only the first 8 payload bytes count: make them differ */
	udp4(&f, 5, 0x1234, "talkes-00000001-seq-0000000042");
	b = check(skel, &f, "other payload");
	ASSERT_NEQ(b, a, "another payload word, another fingerprint");

	udp4(&f, 6, 0x1234, "talker-00000001-seq-0000000042");
	a = check(skel, &f, "with options");
	nat(&f);
	b = check(skel, &f, "with options, after NAT");
	ASSERT_EQ(b, a, "NAT keeps the fingerprint (general path)");
	test_fp_bpf__destroy(skel);
}
