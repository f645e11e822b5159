/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flow filter match of tsntrace (and later tsntop), shared verbatim by the BPF programs and
 * userspace so that the unit tests exercise the exact semantics the kernel side applies.
 * Pure functions of their arguments: no helpers, bounded loops only.
 */
#ifndef TSN_FILTER_H
#define TSN_FILTER_H

#include "tsnkit.h"
#include "tsn_net.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* A mask of the first bits (0..64) of an 8-byte word, as a load of the word's bytes reads it. */
static __always_inline __u64 tsn_prefix_mask64(__u32 bits)
{
	__u64 m = bits >= 64 ? ~0ULL : bits ? ~(~0ULL >> bits) : 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	m = __builtin_bswap64(m);
#endif
	return m;
}

/*
 * First plen bits of a and b equal (plen 0..128)? Two words, not sixteen bytes: the filter
 * runs at every hook where a packet may first appear. b must be 8-byte aligned (struct
 * tsn_filter's src and dst are); a may be anywhere.
 */
static __always_inline int tsn_prefix_eq(const __u8 *a, const volatile __u8 *b, __u32 plen)
{
	const volatile __u64 *bw = (const volatile __u64 *)b;
	__u64 a0, a1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	if ((a0 ^ bw[0]) & tsn_prefix_mask64(plen))
		return 0;
	return !((a1 ^ bw[1]) & tsn_prefix_mask64(plen > 64 ? plen - 64 : 0));
}

/* Are t's sport and dport ports (TCP, UDP or SCTP over IP)? */
static __always_inline int tsn_tuple_has_ports(const struct tsn_tuple *t)
{
	if (t->l3proto != ETH_P_IP && t->l3proto != ETH_P_IPV6)
		return 0;
	return t->l4proto == 6 || t->l4proto == 17 || t->l4proto == 132;	/* TCP UDP SCTP */
}

static __always_inline int tsn_ifname_eq(const volatile char *a, const char *b)
{
	__u32 i;

	for (i = 0; i < TSN_IFNAMSIZ; i++) {
		if (a[i] != b[i])
			return 0;
		if (!a[i])
			break;
	}
	return 1;
}

/*
 * Does a packet seen at a hop (netns inode, device name, tuple, metadata) pass the filter?
 * An unset filter matches everything; set filters all have to match (AND), several --netns
 * are alternatives (OR). t == NULL skips the tuple filters: BPF evaluates the cheap ones before
 * it parses the packet. f is volatile because in BPF it is rodata the loader fills in: the
 * compiler must not fold the ELF's zero initialiser into the code.
 */
static __always_inline int tsn_filter_match(const volatile struct tsn_filter *f, __u32 netns,
					    const char *ifname, const struct tsn_tuple *t,
					    const struct tsn_meta *m)
{
	__u32 flags = f->flags, i;

	if (!flags)
		return 1;
	if (flags & TSN_FILT_NETNS) {
		int hit = 0;

		for (i = 0; i < TSN_FILTER_MAX_NETNS; i++)
			if (i < f->n_netns && f->netns[i] == netns)
				hit = 1;
		if (!hit)
			return 0;
	}
	if ((flags & TSN_FILT_IFNAME) && !tsn_ifname_eq(f->ifname, ifname))
		return 0;
	if (!t)
		goto meta;
	if ((flags & TSN_FILT_PROTO) && t->l4proto != f->l4proto)
		return 0;
	if ((flags & (TSN_FILT_SRC | TSN_FILT_DST)) && t->l3proto != ETH_P_IP &&
	    t->l3proto != ETH_P_IPV6)
		return 0;	/* an address filter never matches a non-IP frame */
	if ((flags & (TSN_FILT_SRC_V6 | TSN_FILT_DST_V6)) && t->l3proto != ETH_P_IPV6)
		return 0;	/* ::/0 is every IPv6 address, not the IPv4-mapped ones */
	if ((flags & TSN_FILT_SRC) && !tsn_prefix_eq(t->saddr, f->src, f->src_plen))
		return 0;
	if ((flags & TSN_FILT_DST) && !tsn_prefix_eq(t->daddr, f->dst, f->dst_plen))
		return 0;
	if ((flags & (TSN_FILT_SPORT | TSN_FILT_DPORT)) && !tsn_tuple_has_ports(t))
		return 0;	/* ICMP's type and ARP's opcode share those bytes: never a port */
	if ((flags & TSN_FILT_SPORT) && t->sport != f->sport)
		return 0;
	if ((flags & TSN_FILT_DPORT) && t->dport != f->dport)
		return 0;
meta:
	if ((flags & TSN_FILT_PRIORITY) && m->priority != f->priority)
		return 0;
	if ((flags & TSN_FILT_MARK) && (m->mark & f->mark_mask) != f->mark)
		return 0;
	return 1;
}

#endif /* TSN_FILTER_H */
