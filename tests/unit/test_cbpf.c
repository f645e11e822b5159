// SPDX-License-Identifier: GPL-2.0-only
/*
 * The classic BPF -> eBPF translator (lib/cbpf.c), differentially: libpcap's own interpreter
 * (pcap_offline_filter, through tsn_pcap_run) is the oracle. Each pcap-filter expression is
 * compiled by libpcap for Ethernet and for raw IP, with and without libpcap's optimizer,
 * translated in both load modes, called as a subprogram from a tc program built here, loaded
 * into this kernel and run with BPF_PROG_TEST_RUN over generated frames (IPv4 with and without
 * options, fragments, IPv6 with and without a fragment header, VLAN, QinQ, ARP, other
 * ethertypes, truncated captures): every result must equal libpcap's. Hand-written classic
 * programs cover what libpcap's compiler rarely emits (division by X == 0, shifts by X >= 32,
 * scratch memory, X-operand jumps).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/filter.h>
#include <linux/pkt_cls.h>

#include "cbpf.h"
#include "pcap_expr.h"
#include "test.h"

#define FRAME_MAX 1600
#define NFRAMES 260
/* BPF_PROG_TEST_RUN needs an Ethernet header to build the skb: each frame is run behind one */
#define SHIM_LEN 14

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t caplen, wirelen;
};

static struct frame frames[NFRAMES];
static int nframes;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11) % n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static const uint8_t macs[][6] = {
    {0x02, 0, 0, 0, 0, 0x01},
    {0x02, 0, 0, 0, 0, 0x02},
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb},
    {0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
};
static const uint8_t ip4s[][4] = {
    {10, 0, 0, 1},   {10, 0, 0, 2},    {10, 1, 2, 3},	     {192, 168, 1, 10},
    {198, 18, 0, 7}, {224, 0, 0, 251}, {255, 255, 255, 255},
};
static const uint8_t ip6s[][16] = {
    {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
    {0x20, 0x01, 0x0d, 0xb8, [15] = 2},
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5},
    {0xfe, 0x80, [15] = 1},
    {0xff, 0x02, [15] = 1},
};
static const uint16_t ports[] = {22, 53, 80, 443, 1024, 1027, 1030, 5001, 40000};
static const uint8_t ttls[] = {0, 1, 2, 31, 32, 64, 128, 255};

#define PICK(arr) (arr[rnd(sizeof(arr) / sizeof(arr[0]))])

/* an L4 header and payload at p for proto; returns its length */
static size_t put_l4(uint8_t *p, uint8_t proto)
{
	size_t payload = rnd(4) ? rnd(64) : 1000 + rnd(400), hl;

	switch (proto) {
	case 6: /* TCP, sometimes with options, sometimes an HTTP GET */
		hl = 20 + 4 * rnd(3);
		put16(p, PICK(ports));
		put16(p + 2, PICK(ports));
		p[12] = (uint8_t)(hl / 4) << 4;
		p[13] = (uint8_t)rnd(256);
		if (rnd(3) == 0 && payload >= 4)
			memcpy(p + hl, "GET ", 4);
		return hl + payload;
	case 17:
		put16(p, PICK(ports));
		put16(p + 2, PICK(ports));
		put16(p + 4, (uint16_t)(8 + payload));
		if (rnd(4) == 0 && payload >= 4)
			memcpy(p + 8, "\xde\xad\xbe\xef", 4);
		return 8 + payload;
	case 1:
	case 58: /* ICMP, ICMPv6: a type from the usual ones */
		p[0] = proto == 1 ? (uint8_t[]){0, 3, 8, 11, 13}[rnd(5)]
				  : (uint8_t[]){1, 128, 129, 133, 135}[rnd(5)];
		p[1] = (uint8_t)rnd(4);
		return 8 + payload;
	}
	return payload;
}

static size_t put_ipv4(uint8_t *p, bool fragment)
{
	uint8_t proto = (uint8_t[]){6, 17, 1, 47}[rnd(4)];
	size_t hl = rnd(4) ? 20 : 24 + 4 * rnd(3), len;

	p[0] = (uint8_t)(0x40 | hl / 4);
	p[8] = PICK(ttls);
	p[9] = proto;
	memcpy(p + 12, PICK(ip4s), 4);
	memcpy(p + 16, PICK(ip4s), 4);
	if (fragment)
		put16(p + 6, (uint16_t)((rnd(2) ? 0x2000 : 0) | rnd(3) * 185));
	else if (rnd(2))
		put16(p + 6, 0x4000); /* DF */
	len = hl + put_l4(p + hl, proto);
	put16(p + 2, (uint16_t)len);
	return len;
}

static size_t put_ipv6(uint8_t *p, bool fragment)
{
	uint8_t proto = (uint8_t[]){6, 17, 58, 59}[rnd(4)];
	size_t hl = 40, len;

	p[0] = 0x60;
	p[7] = PICK(ttls);
	memcpy(p + 8, PICK(ip6s), 16);
	memcpy(p + 24, PICK(ip6s), 16);
	if (fragment) {
		p[6] = 44;
		p[40] = proto;
		put16(p + 42, (uint16_t)(rnd(3) * 8 | rnd(2)));
		hl += 8;
	} else {
		p[6] = proto;
	}
	len = hl + put_l4(p + hl, proto);
	put16(p + 4, (uint16_t)(len - 40));
	return len;
}

static size_t put_arp(uint8_t *p)
{
	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, (uint16_t)(1 + rnd(2)));
	memcpy(p + 8, PICK(macs), 6);
	memcpy(p + 14, PICK(ip4s), 4);
	memcpy(p + 24, PICK(ip4s), 4);
	return 28;
}

/* one random frame: Ethernet, up to two VLAN tags, then IPv4/IPv6/ARP/another ethertype */
static void gen_frame(struct frame *f)
{
	uint8_t *p = f->b;
	size_t len = 12, l3;
	unsigned int tags = rnd(5) == 0 ? 1 + rnd(2) : 0, kind = rnd(8), i;

	memset(f, 0, sizeof(*f));
	memcpy(p, PICK(macs), 6);
	memcpy(p + 6, PICK(macs), 6);
	for (i = 0; i < tags; i++) {
		put16(p + len, i == 0 && tags == 2 ? 0x88a8 : 0x8100);
		put16(p + len + 2, (uint16_t)(rnd(8) << 13 | (uint16_t[]){1, 100, 200}[rnd(3)]));
		len += 4;
	}
	put16(p + len,
	      (uint16_t[]){0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x0806, 0x0806, 0x88f7}[kind]);
	l3 = len + 2;
	switch (kind) {
	case 0:
	case 1:
	case 2:
		len = l3 + put_ipv4(p + l3, kind == 2);
		break;
	case 3:
	case 4:
		len = l3 + put_ipv6(p + l3, kind == 4);
		break;
	case 5:
	case 6:
		len = l3 + put_arp(p + l3);
		break;
	default:
		len = l3 + 20 + rnd(40);
		for (i = l3; i < len; i++)
			p[i] = (uint8_t)rnd(256);
	}
	f->caplen = f->wirelen = (uint32_t)len;
	/* a capture cut short: fewer bytes than the frame had on the wire */
	if (rnd(6) == 0)
		f->caplen = rnd(f->caplen);
}

static void gen_frames(void)
{
	static const uint32_t tiny[] = {0, 1, 13, 14};
	size_t i;

	if (nframes)
		return;

	for (i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
		gen_frame(&frames[nframes]);
		frames[nframes++].caplen = tiny[i];
	}
	while (nframes < NFRAMES)
		gen_frame(&frames[nframes++]);
}

/* The same frame seen from its network header (raw IP): the 14-byte Ethernet header stripped. */
static bool frame_l3(const struct frame *f, struct frame *out)
{
	if (f->caplen < 14)
		return false;
	memcpy(out->b, f->b + 14, f->caplen - 14);
	out->caplen = f->caplen - 14;
	out->wirelen = f->wirelen - 14;
	return true;
}

static const char *const exprs[] = {
    "",
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "host 10.0.0.1",
    "src host 10.0.0.1",
    "dst host 10.0.0.2",
    "net 10.0.0.0/8",
    "src net 10.1.0.0/16",
    "dst net 192.168.1.0 mask 255.255.255.0",
    "port 53",
    "src port 5001",
    "dst port 80",
    "tcp port 443",
    "udp and dst port 5001",
    "portrange 1024-1030",
    "tcp portrange 1-1023",
    "vlan",
    "vlan 100",
    "vlan and ip",
    "vlan 100 and udp port 53",
    "vlan and vlan",
    "ip6 and tcp",
    "ip6 host 2001:db8::1",
    "ip6 net 2001:db8::/32",
    "ip6 and udp port 53",
    "ip6 multicast",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[13] = 0x12",
    "ip[8] > 1",
    "ip[8] < 64",
    "len > 100",
    "len <= 60",
    "greater 200",
    "less 80",
    "len - 14 > 50",
    "ether host 02:00:00:00:00:01",
    "ether src 02:00:00:00:00:02",
    "ether dst ff:ff:ff:ff:ff:ff and arp",
    "ether broadcast",
    "ether multicast",
    "ether proto 0x88f7",
    "ether[12:2] = 0x0806",
    "ip multicast",
    "not ip",
    "not tcp and not udp",
    "host 10.0.0.1 or host 10.0.0.2",
    "(tcp or udp) and not port 22",
    "src host 10.0.0.1 and (dst port 80 or dst port 443)",
    "net 10.0.0.0/8 and not host 10.0.0.1",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "icmp6 and ip6[40] == 128",
    "icmp or icmp6",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "ip and ip[6:2] & 0x3fff != 0",
    "ip6 and ip6[6] == 44",
    "udp[8:4] = 0xdeadbeef",
    "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420",
    "ip proto 17",
    "ip6 proto 6",
    "proto 47",
    "arp host 10.0.0.1",
    "ip[2:2] / ip[8] > 3",
    "ip[2:2] % ip[8] = 1",
    "(ip[0] & 0xf) * 4 > 20",
    "ip[1] ^ 0xff = 0xff",
    "ip[8] << 1 > 100",
    "ip[8] >> 2 = 16",
    "ip[2:2] << ip[8] > 0",
    "ip[2:2] >> ip[8] > 1",
    "-ip[8] < 100",
    "ip[ip[0] & 0xf] = 0",
    "ip[ip[8]] > 0",
    "ip[8] > 1 and len > 60 or vlan",
    "ip[12:4] - ip[16:4] > 0",
    "tcp and tcp[2:2] > 1000",
    "ip6[7] == 255 or ip[8] == 255",
};
#define NEXPRS (sizeof(exprs) / sizeof(exprs[0]))

static int run_filter(int fd, const struct frame *f, __u32 *ret)
{
	/* a local experimental ethertype in the shim: with IPv4's the test run refuses frames
	 * shorter than an IPv4 header */
	uint8_t buf[SHIM_LEN + FRAME_MAX] = {[12] = 0x88, [13] = 0xb5};
	struct __sk_buff ctx = {.cb = {f->wirelen}};
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = buf, .data_size_in = SHIM_LEN + f->caplen,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int e;

	memcpy(buf + SHIM_LEN, f->b, f->caplen);
	e = bpf_prog_test_run_opts(fd, &run);
	*ret = run.retval;
	return e ? -errno : 0;
}

struct diff_stats {
	int programs, runs, mismatches, matched_exprs;
};

/* Translate prog in mode, load it, run it over the frames; compare with libpcap's result. */
static void diff_program(const char *what, const struct tsn_cbpf_insn *prog, size_t n,
			 enum tsn_cbpf_mode mode, const struct frame *fs, int nfs,
			 struct diff_stats *st)
{
	static char log[1 << 20];
	struct bpf_insn *ebpf = NULL;
	size_t ne = 0;
	char err[256];
	int fd, i, matches = 0;

	if (!ASSERT_OK(tsn_cbpf_translate(prog, n, mode, &ebpf, &ne, err, sizeof(err)), what)) {
		printf("    %s\n", err);
		return;
	}
	fd = tsn_cbpf_load_test_prog(ebpf, ne, mode, SHIM_LEN, log, sizeof(log));
	free(ebpf);
	if (!ASSERT_GE(fd, 0, what)) {
		size_t len = strlen(log);

		printf("    mode %d, verifier: %s\n", mode, len > 2000 ? log + len - 2000 : log);
		return;
	}
	st->programs++;
	for (i = 0; i < nfs; i++) {
		__u32 want = tsn_pcap_run(prog, n, fs[i].b, fs[i].caplen, fs[i].wirelen), got = 0;
		int e = run_filter(fd, &fs[i], &got);

		st->runs++;
		if (e || got != want) {
			if (st->mismatches++ < 10)
				printf(
				    "  %s mode %d frame %d (caplen %u len %u): kernel %u (run %d), "
				    "libpcap %u\n",
				    what, mode, i, fs[i].caplen, fs[i].wirelen, got, e, want);
		}
		matches += want != 0;
	}
	if (matches && matches < nfs)
		st->matched_exprs++;
	close(fd);
}

TEST(cbpf_pcap_differential)
{
	static struct frame l3[NFRAMES];
	struct diff_stats st = {};
	int nl3 = 0, link, opt, mode, l3_compiled = 0, i;
	size_t e;

	gen_frames();
	for (i = 0; i < nframes; i++)
		if (frame_l3(&frames[i], &l3[nl3]))
			nl3++;
	for (e = 0; e < NEXPRS; e++) {
		for (link = TSN_PCAP_L2; link <= TSN_PCAP_L3; link++) {
			for (opt = 1; opt >= 0; opt--) {
				struct tsn_cbpf_insn *prog = NULL;
				char err[512], what[160];
				size_t n = 0;
				int rc = tsn_pcap_compile(exprs[e], link, opt, &prog, &n, err,
							  sizeof(err));

				snprintf(what, sizeof(what), "'%s' %s%s", exprs[e],
					 link == TSN_PCAP_L2 ? "ether" : "raw", opt ? "" : " -O0");
				/* Ethernet-only expressions do not compile for raw IP */
				if (link == TSN_PCAP_L2)
					ASSERT_OK(rc, what);
				if (rc) {
					free(prog);
					continue;
				}
				l3_compiled += link == TSN_PCAP_L3;
				for (mode = TSN_CBPF_DIRECT; mode <= TSN_CBPF_PROBE; mode++)
					diff_program(what, prog, n, mode,
						     link == TSN_PCAP_L2 ? frames : l3,
						     link == TSN_PCAP_L2 ? nframes : nl3, &st);
				free(prog);
			}
		}
	}
	printf("  %zu expressions, %d programs loaded, %d runs over %d + %d frames, %d "
	       "mismatches, %d raw-IP compiles, %d with both verdicts\n",
	       NEXPRS, st.programs, st.runs, nframes, nl3, st.mismatches, l3_compiled,
	       st.matched_exprs);
	ASSERT_GE(NEXPRS, 50, "expressions");
	ASSERT_GE(nframes, 200, "frames");
	ASSERT_EQ(st.mismatches, 0, "kernel results equal libpcap's");
	/* every compiled expression, in both modes, got loaded */
	ASSERT_EQ(st.programs, (int)(NEXPRS * 2 + l3_compiled) * 2, "programs loaded");
	/* the frames exercise the expressions: most select some frames and not others */
	ASSERT_GE(st.matched_exprs, st.programs * 3 / 4, "expressions with both verdicts");
}

#define STMT(c, k)                                                                                 \
	{                                                                                          \
		(__u16)(c), 0, 0, (__u32)(k)                                                       \
	}
#define JUMP(c, k, t, f)                                                                           \
	{                                                                                          \
		(__u16)(c), t, f, (__u32)(k)                                                       \
	}

/* Programs with the opcodes libpcap's compiler rarely emits, run like the expressions. */
TEST(cbpf_handwritten)
{
	static const struct tsn_cbpf_insn div_by_x[] = {
	    STMT(BPF_LDX | BPF_W | BPF_IMM, 0),
	    STMT(BPF_LD | BPF_B | BPF_ABS, 15), /* X = a byte that is often 0 */
	    STMT(BPF_MISC | BPF_TAX, 0),
	    STMT(BPF_LD | BPF_W | BPF_IMM, 100000),
	    STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
	    STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
	    STMT(BPF_RET | BPF_A, 0),
	};
	static const struct tsn_cbpf_insn mod_by_x[] = {
	    STMT(BPF_LD | BPF_B | BPF_ABS, 22),	   STMT(BPF_MISC | BPF_TAX, 0),
	    STMT(BPF_LD | BPF_H | BPF_ABS, 16),	   STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
	    STMT(BPF_ALU | BPF_OR | BPF_K, 0x100), STMT(BPF_RET | BPF_A, 0),
	};
	static const struct tsn_cbpf_insn shifts[] = {
	    STMT(BPF_LD | BPF_B | BPF_ABS, 22), /* IPv4 TTL: 0..255 */
	    STMT(BPF_MISC | BPF_TAX, 0),	STMT(BPF_LD | BPF_W | BPF_ABS, 26),
	    STMT(BPF_ALU | BPF_LSH | BPF_X, 0), STMT(BPF_ST, 0),
	    STMT(BPF_LD | BPF_W | BPF_ABS, 30), STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
	    STMT(BPF_LDX | BPF_W | BPF_MEM, 0), STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	    STMT(BPF_ALU | BPF_NEG, 0),		STMT(BPF_RET | BPF_A, 0),
	};
	static const struct tsn_cbpf_insn memory_and_x_jumps[] = {
	    STMT(BPF_LDX | BPF_B | BPF_MSH, 14), /* X = IPv4 header length */
	    STMT(BPF_LD | BPF_H | BPF_IND, 14),	 /* A = L4 source port */
	    STMT(BPF_STX, 15),
	    STMT(BPF_ST, 7),
	    STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
	    STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	    STMT(BPF_ALU | BPF_SUB | BPF_X, 0), /* A = 0 */
	    STMT(BPF_LD | BPF_W | BPF_MEM, 7),
	    STMT(BPF_LDX | BPF_W | BPF_MEM, 15),
	    JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 3),
	    STMT(BPF_LD | BPF_B | BPF_IND, 30), /* a byte 16 into L4, often beyond */
	    JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0),
	    STMT(BPF_RET | BPF_K, 7),
	    JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 2),
	    STMT(BPF_MISC | BPF_TXA, 0),
	    STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
	    JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),
	    STMT(BPF_JMP | BPF_JA, 1),
	    STMT(BPF_RET | BPF_K, 0),		    /* only reached through the JEQ */
	    STMT(BPF_LD | BPF_W | BPF_IND, 0xffff), /* always out of the frame */
	    STMT(BPF_RET | BPF_A, 0),
	};
	static const struct tsn_cbpf_insn dead_code[] = {
	    STMT(BPF_JMP | BPF_JA, 1),
	    STMT(BPF_LD | BPF_W | BPF_ABS, 0),	     /* no path reaches it */
	    STMT(BPF_LD | BPF_W | BPF_ABS, 0x10000), /* ends the filter */
	    STMT(BPF_RET | BPF_K, 1),
	};
	static const struct {
		const char *name;
		const struct tsn_cbpf_insn *insns;
		size_t n;
	} progs[] = {
#define PROG(p) {#p, p, sizeof(p) / sizeof(p[0])}
	    PROG(div_by_x), PROG(mod_by_x), PROG(shifts), PROG(memory_and_x_jumps), PROG(dead_code),
#undef PROG
	};
	struct diff_stats st = {};
	size_t i;
	int mode;

	gen_frames();
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		for (mode = TSN_CBPF_DIRECT; mode <= TSN_CBPF_PROBE; mode++)
			diff_program(progs[i].name, progs[i].insns, progs[i].n, mode, frames,
				     nframes, &st);
	ASSERT_EQ(st.programs, (int)(sizeof(progs) / sizeof(progs[0])) * 2, "programs loaded");
	ASSERT_EQ(st.mismatches, 0, "kernel results equal libpcap's");
}

/* What the translator refuses, and libpcap's message for a bad expression on one line. */
TEST(cbpf_rejects)
{
	static const struct tsn_cbpf_insn falls_off[] = {STMT(BPF_LD | BPF_W | BPF_IMM, 1)};
	static const struct tsn_cbpf_insn jumps_out[] = {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
							 STMT(BPF_RET | BPF_K, 0)};
	static const struct tsn_cbpf_insn ret_x[] = {STMT(BPF_RET | BPF_X, 0)};
	/* classic BPF loads packet bytes into A only (X: the MSH form) */
	static const struct tsn_cbpf_insn ldx_abs[] = {STMT(BPF_LDX | BPF_B | BPF_ABS, 0),
						       STMT(BPF_RET | BPF_K, 0)};
	static const struct tsn_cbpf_insn mem_k[] = {STMT(BPF_ST, 16), STMT(BPF_RET | BPF_K, 0)};
	static const struct tsn_cbpf_insn div_0[] = {STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
						     STMT(BPF_RET | BPF_K, 0)};
	static const struct tsn_cbpf_insn lsh_32[] = {STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
						      STMT(BPF_RET | BPF_K, 0)};
	struct tsn_cbpf_insn *prog = NULL;
	struct bpf_insn *out = NULL;
	char err[512];
	size_t n;

#define REJECT(p, what)                                                                            \
	ASSERT_EQ(tsn_cbpf_translate(p, sizeof(p) / sizeof(p[0]), TSN_CBPF_DIRECT, &out, &n, err,  \
				     sizeof(err)),                                                 \
		  -EINVAL, what)
	REJECT(falls_off, "falls off the end");
	REJECT(jumps_out, "jumps out");
	REJECT(ret_x, "ret x");
	REJECT(ldx_abs, "ldx abs");
	REJECT(mem_k, "M[16]");
	REJECT(div_0, "div by constant 0");
	REJECT(lsh_32, "lsh by 32");
#undef REJECT
	ASSERT_EQ(tsn_pcap_compile("udp prot 53", TSN_PCAP_L2, true, &prog, &n, err, sizeof(err)),
		  -EINVAL, "bad expression");
	ASSERT_STREQ(err, "pcap-filter 'udp prot 53': can't parse filter expression: syntax error",
		     "libpcap's message");
	ASSERT_EQ(tsn_pcap_compile("ether host 02:00:00:00:00:01", TSN_PCAP_L3, true, &prog, &n,
				   err, sizeof(err)),
		  -EINVAL, "ether on raw IP");
	ASSERT_TRUE(strstr(err, "pcap-filter 'ether host") && !strchr(err, '\n'), err);
	ASSERT_EQ(
	    tsn_pcap_filter("port 99999", TSN_PCAP_L2, TSN_CBPF_PROBE, &out, &n, err, sizeof(err)),
	    -EINVAL, "bad index through tsn_pcap_filter");
	ASSERT_TRUE(!strchr(err, '\n'), "one line");
}
