// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only observer: records the metadata of the talker's UDP datagrams at every driver
 * transmit (tp_btf/net_dev_start_xmit), i.e. as the pod's eth0 and the NIC's driver see them.
 * Deliberately independent of tsn_track.bpf.h, so tests never judge the proxy by its own code.
 * IPv4 and IPv6 UDP by destination port; with raw_ethertype set, also the non-IP frames of that
 * EtherType (build/ethtalker) whose payload starts with the talker's header. A tunnel packet
 * (VXLAN, Geneve, IPIP, GRE) is reported by the datagram inside, marked as such.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "tsn_net.h"
#include "tk_observe.h"

const volatile __u16 port_lo = 0;
const volatile __u16 port_hi = 65535;
const volatile __u16 raw_ethertype = 0;

#define TK_TALKER_MAGIC 0x54534e4bU /* "TSNK", tests/tools/talker.c */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} tk_events SEC(".maps");

__u64 tk_lost = 0;

struct sk_buff___pre611 {
	__u8 mono_delivery_time : 1;
} __attribute__((preserve_access_index));

/* The L4 header's offset (*l4) and IP protocol (*ipproto) of the IP header at off. */
static __always_inline int obs_l3(unsigned char *head, __u32 off, __u16 proto, __u32 *l4,
				  __u8 *ipproto)
{
	struct ipv6hdr ip6;
	struct iphdr ip;

	if (proto == ETH_P_IP) {
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + off))
			return -1;
		*ipproto = ip.protocol;
		*l4 = off + ip.ihl * 4;
		return 0;
	}
	if (proto == ETH_P_IPV6) {
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + off))
			return -1;
		*ipproto = ip6.nexthdr;
		*l4 = off + sizeof(ip6);
		return 0;
	}
	return -1;
}

/*
 * The packet inside a tunnel packet whose L4 header (IP protocol ipproto) is at l4: where its
 * IP header starts (*off) and its EtherType (*proto). VXLAN (UDP 4789 or 8472), Geneve (UDP
 * 6081), IPIP, IPv6 in IP and GRE (checksum, key, sequence number; IP or Ethernet inside), as
 * the fixture's tunnel shapes build them. The observer's own decoding, written apart from the
 * restore's (progs/tsn_tunnel.bpf.h), so that a test of one never relies on the other.
 */
static __always_inline int obs_inner(unsigned char *head, __u8 ipproto, __u32 l4, __u32 *off,
				     __u16 *proto)
{
	__u16 w[2], flags, dport;
	__u32 eth;
	__u8 gnv[4];

	if (ipproto == IPPROTO_IPIP || ipproto == IPPROTO_IPV6) {
		*off = l4;
		*proto = ipproto == IPPROTO_IPIP ? ETH_P_IP : ETH_P_IPV6;
		return 0;
	}
	if (ipproto == IPPROTO_GRE) {
		if (bpf_probe_read_kernel(w, sizeof(w), head + l4))
			return -1;
		flags = bpf_ntohs(w[0]);
		*off = l4 + 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) +
		       (flags & 0x1000 ? 4 : 0);
		*proto = bpf_ntohs(w[1]);
		if (*proto != 0x6558)	/* an Ethernet frame inside */
			return 0;
		eth = *off;
	} else if (ipproto == IPPROTO_UDP) {
		if (bpf_probe_read_kernel(w, sizeof(w), head + l4))
			return -1;
		dport = bpf_ntohs(w[1]);
		if (dport == 4789 || dport == 8472) {
			eth = l4 + 16;	/* UDP, VXLAN header */
		} else if (dport == 6081) {
			if (bpf_probe_read_kernel(gnv, sizeof(gnv), head + l4 + 8))
				return -1;
			*off = l4 + 16 + (gnv[0] & 0x3f) * 4;	/* UDP, Geneve header, options */
			*proto = gnv[2] << 8 | gnv[3];
			if (*proto != 0x6558)
				return 0;
			eth = *off;
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	if (bpf_probe_read_kernel(w, sizeof(w[0]), head + eth + 12))
		return -1;
	*off = eth + 14;
	*proto = bpf_ntohs(w[0]);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tk_observe, struct sk_buff *skb, struct net_device *dev)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	struct tk_obs_event *e;
	struct udphdr udp;
	struct { __u32 magic, pid; __u64 seq; } __attribute__((packed)) hdr;
	__u16 proto = bpf_ntohs(skb->protocol), sport = 0, dport = 0, inner_proto;
	__u32 l4, inner;
	__u8 ipproto, tunnel = 0;

	if (nh == (__u16)~0U)
		return 0;
	if (proto == ETH_P_IP || proto == ETH_P_IPV6) {
		if (obs_l3(head, nh, proto, &l4, &ipproto))
			return 0;
		/* a tunnel packet: the talker's datagram is the one inside */
		if (!obs_inner(head, ipproto, l4, &inner, &inner_proto)) {
			if (obs_l3(head, inner, inner_proto, &l4, &ipproto))
				return 0;
			tunnel = 1;
		}
		if (ipproto != IPPROTO_UDP ||
		    bpf_probe_read_kernel(&udp, sizeof(udp), head + l4))
			return 0;
		dport = bpf_ntohs(udp.dest);
		sport = bpf_ntohs(udp.source);
		if (dport < port_lo || dport > port_hi)
			return 0;
		if (bpf_probe_read_kernel(&hdr, sizeof(hdr), head + l4 + sizeof(udp)))
			return 0;
	} else if (raw_ethertype && proto == raw_ethertype) {
		if (bpf_probe_read_kernel(&hdr, sizeof(hdr), head + nh) ||
		    hdr.magic != bpf_htonl(TK_TALKER_MAGIC))
			return 0;
	} else {
		return 0;
	}

	e = bpf_ringbuf_reserve(&tk_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&tk_lost, 1);
		return 0;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->tstamp = skb->tstamp;
	e->seq = bpf_be64_to_cpu(hdr.seq);
	e->pid = bpf_ntohl(hdr.pid);
	e->priority = skb->priority;
	e->mark = skb->mark;
	e->ifindex = dev->ifindex;
	e->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	e->sport = sport;
	e->dport = dport;
	e->ethertype = proto;
	e->tunnel = tunnel;
	if (bpf_core_field_exists(skb->tstamp_type))
		e->tstamp_type = BPF_CORE_READ_BITFIELD_PROBED(skb, tstamp_type);
	else
		e->tstamp_type = BPF_CORE_READ_BITFIELD_PROBED((struct sk_buff___pre611 *)skb,
							       mono_delivery_time);
	e->has_sk = skb->sk != NULL;
	e->queue = skb->queue_mapping;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
