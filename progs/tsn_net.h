/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network constants for the BPF programs, in the style of selftests' bpf_tracing_net.h:
 * vmlinux.h carries the kernel's enums (IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP, ...) but not
 * its #defines, which are here. Also included by userspace (through tsn_filter.h), where the
 * uapi headers may already have defined the same names with the same values.
 *
 * The header offsets are byte offsets from the start of that header, of the fields the packet
 * fingerprint and the flow tuple read (struct iphdr, ipv6hdr, udphdr, tcphdr on the wire).
 */
#ifndef TSN_NET_H
#define TSN_NET_H

#ifndef ETH_HLEN
#define ETH_HLEN 14 /* Ethernet header: destination, source, ethertype */
#endif
#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif

/* tc verdicts (linux/pkt_cls.h) */
#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC (-1) /* == TCX_NEXT: let the next program on the hook run */
#define TC_ACT_OK 0	   /* ends the chain (tcx: TCX_PASS) */
#endif

/* IPv4 */
#define TSN_IPV4_HLEN 20 /* without options (ihl 5) */
#define TSN_IPV4_TOT_LEN_OFF 2
#define TSN_IPV4_ID_OFF 4
#define TSN_IPV4_TTL_OFF 8
#define TSN_IPV4_PROTO_OFF 9
#define TSN_IPV4_SADDR_OFF 12
#define TSN_IPV4_DADDR_OFF 16

/* IPv6 (fixed header; extension headers are not followed) */
#define TSN_IPV6_HLEN 40
#define TSN_IPV6_FLOW_LBL_OFF 1 /* 20 bits: the low nibble of byte 1, bytes 2 and 3 */
#define TSN_IPV6_PLEN_OFF 4
#define TSN_IPV6_NEXTHDR_OFF 6
#define TSN_IPV6_HOP_LIMIT_OFF 7
#define TSN_IPV6_SADDR_OFF 8
#define TSN_IPV6_DADDR_OFF 24

/* L4: TCP, UDP and SCTP headers all start with the ports */
#define TSN_L4_SPORT_OFF 0
#define TSN_L4_DPORT_OFF 2
#define TSN_UDP_HLEN 8
#define TSN_TCP_SEQ_OFF 4 /* sequence number, then acknowledgment number */
#define TSN_TCP_FLAGS_OFF 13

/* ICMP and ICMPv6 share the first 8 bytes' layout; echo messages carry an identifier */
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58 /* a #define in the uapi, so not in vmlinux.h */
#endif
#define TSN_ICMP_TYPE_OFF 0
#define TSN_ICMP_CODE_OFF 1
#define TSN_ICMP_ID_OFF 4
#define TSN_ICMP_ECHO_REPLY 0
#define TSN_ICMP_ECHO_REQUEST 8
#define TSN_ICMPV6_ECHO_REQUEST 128
#define TSN_ICMPV6_ECHO_REPLY 129

static inline int tsn_icmp_is_echo(__u8 proto, __u8 type)
{
	if (proto == 1 /* IPPROTO_ICMP */)
		return type == TSN_ICMP_ECHO_REPLY || type == TSN_ICMP_ECHO_REQUEST;
	return type == TSN_ICMPV6_ECHO_REQUEST || type == TSN_ICMPV6_ECHO_REPLY;
}

/* ARP over Ethernet for IPv4: htype 1, ptype 0x0800, hlen 6, plen 4, then the opcode */
#ifndef ETH_P_ARP
#define ETH_P_ARP 0x0806
#endif
#define TSN_ARP_LEN 28
#define TSN_ARP_HTYPE_OFF 0
#define TSN_ARP_PTYPE_OFF 2
#define TSN_ARP_HLEN_OFF 4
#define TSN_ARP_PLEN_OFF 5
#define TSN_ARP_OP_OFF 6
#define TSN_ARP_SHA_OFF 8
#define TSN_ARP_SPA_OFF 14
#define TSN_ARP_TPA_OFF 24
#define TSN_ARP_HTYPE_ETHER 1

#endif /* TSN_NET_H */
