// SPDX-License-Identifier: GPL-2.0-only
/* libpcap's compiler and interpreter behind lib/pcap_expr.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcap_expr.h"

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct tsn_cbpf_insn), "cBPF insn size");
_Static_assert(offsetof(struct bpf_insn, k) == offsetof(struct tsn_cbpf_insn, k), "cBPF k");
_Static_assert(offsetof(struct bpf_insn, jf) == offsetof(struct tsn_cbpf_insn, jf), "cBPF jf");

/* what tcpdump uses; the expressions' `ret #snaplen` carries it */
#define TSN_PCAP_SNAPLEN 262144

int tsn_pcap_compile(const char *expr, enum tsn_pcap_link link, bool optimize,
		     struct tsn_cbpf_insn **insns, size_t *cnt, char *err, size_t errlen)
{
	struct bpf_program prog = {};
	pcap_t *p;
	int ret = 0;

	p = pcap_open_dead(link == TSN_PCAP_L3 ? DLT_RAW : DLT_EN10MB, TSN_PCAP_SNAPLEN);
	if (!p) {
		snprintf(err, errlen, "pcap-filter: cannot open a libpcap handle");
		return -ENOMEM;
	}
	if (pcap_compile(p, &prog, expr, optimize, PCAP_NETMASK_UNKNOWN) < 0) {
		/* libpcap's messages are one line already, without a trailing newline */
		snprintf(err, errlen, "pcap-filter '%s': %s", expr, pcap_geterr(p));
		ret = -EINVAL;
		goto cleanup;
	}
	*cnt = prog.bf_len;
	*insns = calloc(prog.bf_len ? prog.bf_len : 1, sizeof(**insns));
	if (!*insns) {
		snprintf(err, errlen, "pcap-filter: out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	memcpy(*insns, prog.bf_insns, prog.bf_len * sizeof(**insns));
cleanup:
	pcap_freecode(&prog);
	pcap_close(p);
	return ret;
}

__u32 tsn_pcap_run(const struct tsn_cbpf_insn *insns, size_t cnt, const void *pkt, __u32 caplen,
		   __u32 wirelen)
{
	struct bpf_program prog = {
	    .bf_len = (u_int)cnt,
	    .bf_insns = (struct bpf_insn *)insns,
	};
	struct pcap_pkthdr h = {.caplen = caplen, .len = wirelen};

	return (__u32)pcap_offline_filter(&prog, &h, pkt);
}
