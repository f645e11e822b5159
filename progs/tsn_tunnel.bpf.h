/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tunnel recognition: where an overlay (VXLAN, Geneve, IPIP, IPv6 in IPv4, GRE) encapsulated a
 * pod's packet, find the inner L3 header. The restore at a TSN NIC's tc egress fingerprints the
 * packet the pod sent there (tsn_fp_l3 at the returned offset) instead of the outer headers,
 * which the tunnel device wrote after the save; tsntrace follows the pod's packet past the
 * tunnel device the same way (the device encapsulates the same skb in place).
 *
 * Pure: reads the packet with tsn_load_words() (a tc program's skb, or a tracing program's
 * skb->head) and nothing else, writes only *in. Outer headers: IPv4 (no fragments) or IPv6
 * (tunnel protocol as the first next header: no extension headers). Inner headers: IPv4 or
 * IPv6, directly (IPIP, SIT, GRE protocol 0x0800/0x86DD) or behind an inner Ethernet header
 * (VXLAN, Geneve or GRE protocol 0x6558, transparent Ethernet bridging). Options the header
 * announces (GRE checksum, key and sequence number; Geneve options) are skipped, never
 * interpreted.
 */
#ifndef TSN_TUNNEL_BPF_H
#define TSN_TUNNEL_BPF_H

#define TSN_TUN_ETH_HLEN 14
#define TSN_TUN_ETH_P_IP 0x0800
#define TSN_TUN_ETH_P_IPV6 0x86DD
#define TSN_TUN_ETH_P_TEB 0x6558	/* transparent Ethernet bridging: an Ethernet frame inside */
#define TSN_TUN_PROTO_IPIP 4
#define TSN_TUN_PROTO_IPV6 41
#define TSN_TUN_PROTO_UDP 17
#define TSN_TUN_PROTO_GRE 47
#define TSN_TUN_VXLAN_PORT 4789	/* IANA */
#define TSN_TUN_GENEVE_PORT 6081	/* IANA */
/* VXLAN's port in Linux before IANA's (the kernel's default), Flannel's and Cilium's */
#define TSN_TUN_VXLAN_LINUX_PORT 8472
#define TSN_TUN_VXLAN_HLEN 8
#define TSN_TUN_VXLAN_FLAG_I 0x08	/* the VNI is valid: a VXLAN header, RFC 7348 */
#define TSN_TUN_GENEVE_HLEN 8
#define TSN_TUN_GRE_CSUM 0x8000
#define TSN_TUN_GRE_ROUTING 0x4000
#define TSN_TUN_GRE_KEY 0x2000
#define TSN_TUN_GRE_SEQ 0x1000
#define TSN_TUN_GRE_VERSION 0x0007

/* The inner packet: where its L3 header starts in the frame, and its EtherType. */
struct tsn_tunnel_inner {
	__u32 off;
	__u16 l3proto;
	__u16 _pad;
};

/* An inner Ethernet header at off: its EtherType, the L3 header 14 bytes on; IP only. */
static __always_inline int tsn_tunnel_inner_eth(void *src, enum tsn_src how, __u32 off,
						struct tsn_tunnel_inner *in)
{
	__u64 w = 0;
	__u16 proto;

	/* the EtherType and the 2 bytes after it: tsn_load_words() reads 4-byte multiples */
	if (tsn_load_words(src, how, off + 12, &w, 4))
		return -1;
	proto = bpf_ntohs((__u16)tsn_hdr_field(&w, 0, 2));
	if (proto != TSN_TUN_ETH_P_IP && proto != TSN_TUN_ETH_P_IPV6)
		return -1;
	in->off = off + TSN_TUN_ETH_HLEN;
	in->l3proto = proto;
	return 0;
}

/* An inner packet of EtherType proto at off (GRE, Geneve): IP directly, or Ethernet. */
static __always_inline int tsn_tunnel_inner_proto(void *src, enum tsn_src how, __u32 off,
						  __u16 proto, struct tsn_tunnel_inner *in)
{
	if (proto == TSN_TUN_ETH_P_TEB)
		return tsn_tunnel_inner_eth(src, how, off, in);
	if (proto != TSN_TUN_ETH_P_IP && proto != TSN_TUN_ETH_P_IPV6)
		return -1;
	in->off = off;
	in->l3proto = proto;
	return 0;
}

/* Is dport one of the UDP tunnels above: VXLAN (4789 or vxlan_port, when not 0) or Geneve? */
static __always_inline bool tsn_tunnel_udp_port(__u16 dport, __u16 vxlan_port)
{
	return dport == TSN_TUN_VXLAN_PORT || dport == TSN_TUN_GENEVE_PORT ||
	       (vxlan_port && dport == vxlan_port);
}

/*
 * Could skb be a tunnel packet that tsn_tunnel_inner() recognises: an IPIP, IPv6-in-IP or GRE
 * packet, or UDP to a tunnel port? Direct loads from the linear header and a few compares, no
 * helper call, so that a packet that is no tunnel pays next to nothing before the full parse
 * is skipped. True when the headers are not in the linear part: the full parse decides then.
 */
static __always_inline bool tsn_tunnel_maybe(struct __sk_buff *skb, __u16 vxlan_port)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *l3 = (__u8 *)data + TSN_TUN_ETH_HLEN, *l4, proto;

	if (skb->protocol == bpf_htons(TSN_TUN_ETH_P_IP)) {
		if ((void *)(l3 + 20) > end)
			return true;
		proto = l3[9];
		l4 = l3 + (l3[0] & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(TSN_TUN_ETH_P_IPV6)) {
		if ((void *)(l3 + 40) > end)
			return true;
		proto = l3[6];
		l4 = l3 + 40;
	} else {
		return false;
	}
	if (proto == TSN_TUN_PROTO_IPIP || proto == TSN_TUN_PROTO_IPV6 ||
	    proto == TSN_TUN_PROTO_GRE)
		return true;
	if (proto != TSN_TUN_PROTO_UDP)
		return false;
	if ((void *)(l4 + 4) > end)
		return true;
	return tsn_tunnel_udp_port(bpf_ntohs(*(__u16 *)(l4 + 2)), vxlan_port);
}

/*
 * 0 and *in set when the packet whose outer L3 header (EtherType l3proto, host order) starts at
 * l3off of src is a tunnel packet of a kind above with an IP packet inside; -1 when it is
 * anything else, which the caller fingerprints as is. src and how as for tsn_load_words(): a tc
 * program's skb (L3 at ETH_HLEN), or a tracing program's skb->head (L3 at network_header);
 * in->off is an offset into the same src. vxlan_port: a VXLAN UDP port configured besides 4789
 * (Linux's old default 8472), or 0.
 */
static __always_inline int tsn_tunnel_inner(void *src, enum tsn_src how, __u32 l3off,
					    __u16 l3proto, __u16 vxlan_port,
					    struct tsn_tunnel_inner *in)
{
	__u64 w[3] = {};
	__u16 dport, flags;
	__u8 proto, b0;
	__u32 l4;

	if (l3proto == TSN_TUN_ETH_P_IP) {
		if (tsn_load_words(src, how, l3off, w, TSN_IPV4_HLEN))
			return -1;
		b0 = tsn_hdr_field(w, 0, 1);
		/* a fragment's payload is not the start of a tunnel header: no offset, no MF */
		if ((tsn_hdr_field(w, 6, 1) & 0x3f) || tsn_hdr_field(w, 7, 1) || (b0 & 0xf) < 5)
			return -1;
		proto = tsn_hdr_field(w, TSN_IPV4_PROTO_OFF, 1);
		l4 = l3off + (b0 & 0xf) * 4;
	} else if (l3proto == TSN_TUN_ETH_P_IPV6) {
		if (tsn_load_words(src, how, l3off, w, 8))
			return -1;
		proto = tsn_hdr_field(w, TSN_IPV6_NEXTHDR_OFF, 1);
		l4 = l3off + TSN_IPV6_HLEN;
	} else {
		return -1;
	}

	if (proto == TSN_TUN_PROTO_IPIP || proto == TSN_TUN_PROTO_IPV6) {
		in->off = l4;
		in->l3proto = proto == TSN_TUN_PROTO_IPIP ? TSN_TUN_ETH_P_IP : TSN_TUN_ETH_P_IPV6;
		return 0;
	}
	if (proto == TSN_TUN_PROTO_GRE) {
		__u32 hlen = 4;

		if (tsn_load_words(src, how, l4, w, 4))
			return -1;
		flags = bpf_ntohs((__u16)tsn_hdr_field(w, 0, 2));
		/* version 0 only (1 is PPTP's enhanced GRE), no source routing (RFC 1701) */
		if (flags & (TSN_TUN_GRE_VERSION | TSN_TUN_GRE_ROUTING))
			return -1;
		if (flags & TSN_TUN_GRE_CSUM)
			hlen += 4;	/* checksum + reserved */
		if (flags & TSN_TUN_GRE_KEY)
			hlen += 4;
		if (flags & TSN_TUN_GRE_SEQ)
			hlen += 4;
		return tsn_tunnel_inner_proto(src, how, l4 + hlen,
					      bpf_ntohs((__u16)tsn_hdr_field(w, 2, 2)), in);
	}
	if (proto != TSN_TUN_PROTO_UDP)
		return -1;
	/* the UDP header and the 8 bytes after it: the VXLAN or Geneve base header */
	if (tsn_load_words(src, how, l4, w, TSN_UDP_HLEN + 8))
		return -1;
	dport = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_L4_DPORT_OFF, 2));
	b0 = tsn_hdr_field(w, TSN_UDP_HLEN, 1);
	if (dport == TSN_TUN_VXLAN_PORT || (vxlan_port && dport == vxlan_port)) {
		if (!(b0 & TSN_TUN_VXLAN_FLAG_I))
			return -1;
		return tsn_tunnel_inner_eth(src, how, l4 + TSN_UDP_HLEN + TSN_TUN_VXLAN_HLEN, in);
	}
	if (dport == TSN_TUN_GENEVE_PORT) {
		/* version 0 (top 2 bits), options length in 4-byte words (low 6 bits) */
		if (b0 >> 6)
			return -1;
		return tsn_tunnel_inner_proto(src, how,
					      l4 + TSN_UDP_HLEN + TSN_TUN_GENEVE_HLEN + (b0 & 0x3f) * 4,
					      bpf_ntohs((__u16)tsn_hdr_field(w, TSN_UDP_HLEN + 2, 2)),
					      in);
	}
	return -1;
}

#endif
