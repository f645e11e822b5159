/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcap-filter expressions in the tracer (`tsntrace EXPRESSION`, `tsntop EXPRESSION`): where a
 * hop's frame starts, and the two landing places of the expression, which libpcap compiles and
 * lib/cbpf.c translates (probe-read mode: r0 = filter(r1 = kernel address of the frame,
 * r2 = bytes readable there, r3 = wire length)). lib/trace_pcap.c replaces the bodies of
 * TSN_PCAP_STUB_L2 and TSN_PCAP_STUB_L3 with the translations when it loads the object.
 *
 * The L2 variant (compiled for Ethernet) runs where the skb has a MAC header in front of its
 * network header, the L3 variant (compiled for raw IP) where it has none (a locally generated
 * packet before the neighbour layer, a device without link-layer header). Only the linear part
 * of the skb is readable: a load beyond it fails the expression, as a load beyond a capture's
 * snap length does in libpcap.
 */
#ifndef TSN_PCAP_BPF_H
#define TSN_PCAP_BPF_H

#include "tsnkit.h"
#include "tsn_net.h"
#include "tsn_track.bpf.h"

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

/* Set by the loader together with the translated bodies; 0 leaves the stubs uncalled. */
const volatile __u32 tsn_pcap_on = 0;

/* The frame a hop's expression sees. */
struct tsn_pcap_frame {
	__u64 addr;    /* kernel address of its first byte */
	__u32 caplen;  /* bytes readable there: up to the end of the skb's linear part */
	__u32 wirelen; /* what `len` compares: the bytes from addr to the end of the packet */
	__u32 l2;      /* starts at the Ethernet header (else at the network header) */
	__u32 _pad;
};

/*
 * The landing places: static, so that the verifier checks them with the caller's registers,
 * and never inlined, so that they stay functions of their own the loader can find by their BTF
 * name. As compiled, the result is opaque to the compiler (a call site must not be folded with
 * a known result); the loader replaces the body before the verifier sees it.
 */
static __noinline __u32 TSN_PCAP_STUB_L2(__u64 frame, __u64 caplen, __u64 wirelen)
{
	__u32 ret = (__u32)(frame ^ caplen ^ wirelen);

	asm volatile("" : "+r"(ret));
	return ret;
}

static __noinline __u32 TSN_PCAP_STUB_L3(__u64 frame, __u64 caplen, __u64 wirelen)
{
	__u32 ret = (__u32)(frame + caplen + wirelen);

	asm volatile("" : "+r"(ret));
	return ret;
}

/*
 * Locate the frame: offsets from the skb's head; data at doff, the network header at l3off,
 * the MAC header at mac (TSN_SKB_HDR_UNSET: none); the linear part ends at doff + len - data_len.
 * An L2 frame needs a whole Ethernet header before the network header.
 */
static __always_inline void tsn_pcap_locate(struct tsn_pcap_frame *f, __u64 head, __u32 doff,
					    __u32 l3off, __u16 mac, __u32 len, __u32 data_len)
{
	__u32 lin_end = doff + len - data_len, end = doff + len, off;

	f->l2 = mac != TSN_SKB_HDR_UNSET && (__u32)mac + ETH_HLEN <= l3off;
	off = f->l2 ? mac : l3off;
	f->addr = head + off;
	f->caplen = lin_end > off ? lin_end - off : 0;
	f->wirelen = end > off ? end - off : 0;
}

/* Does the expression select this frame? Always, when no expression was given. */
static __always_inline bool tsn_pcap_select(const struct tsn_pcap_frame *f)
{
	if (!tsn_pcap_on)
		return true;
	if (!f->addr)
		return false;
	if (f->l2)
		return TSN_PCAP_STUB_L2(f->addr, f->caplen, f->wirelen) != 0;
	return TSN_PCAP_STUB_L3(f->addr, f->caplen, f->wirelen) != 0;
}

#endif /* TSN_PCAP_BPF_H */
