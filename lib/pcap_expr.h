/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcap-filter(7) expressions through libpcap: compile to classic BPF on a pcap_open_dead()
 * handle (Ethernet or raw IP), and evaluate classic BPF with libpcap's own interpreter.
 *
 * This is the only file that includes <pcap.h>: libpcap's struct bpf_insn (classic) and the
 * kernel's struct bpf_insn (eBPF, lib/cbpf.h) share a name, so no translation unit sees both.
 * struct tsn_cbpf_insn is the classic instruction with the layout both libpcap and the kernel
 * (struct sock_filter) use.
 */
#ifndef TSN_PCAP_EXPR_H
#define TSN_PCAP_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct tsn_cbpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

/* Where the frame the expression sees starts. */
enum tsn_pcap_link {
	TSN_PCAP_L2 = 0, /* at the Ethernet header (DLT_EN10MB) */
	TSN_PCAP_L3 = 1, /* at the IPv4/IPv6 header (DLT_RAW) */
};

/*
 * Compile expr (may be empty: match all) for link, with libpcap's optimizer unless !optimize.
 * 0 with a malloc()ed program in *insns and *cnt, or -EINVAL with libpcap's message on one line in
 * err ("pcap-filter 'udp prot 1': syntax error"), -ENOMEM.
 */
int tsn_pcap_compile(const char *expr, enum tsn_pcap_link link, bool optimize,
		     struct tsn_cbpf_insn **insns, size_t *cnt, char *err, size_t errlen);

/*
 * Run a classic program over a frame with libpcap's interpreter (pcap_offline_filter):
 * caplen bytes at pkt are present, wirelen is what `len` compares. Returns the program's result.
 */
__u32 tsn_pcap_run(const struct tsn_cbpf_insn *insns, size_t cnt, const void *pkt, __u32 caplen,
		   __u32 wirelen);

#endif /* TSN_PCAP_EXPR_H */
