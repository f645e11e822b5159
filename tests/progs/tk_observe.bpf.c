// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only observer: records the metadata of the talker's UDP datagrams at every driver
 * transmit (tp_btf/net_dev_start_xmit), i.e. as the pod's eth0 and the NIC's driver see them.
 * Deliberately independent of tsn_track.bpf.h, so tests never judge the proxy by its own code.
 * IPv4 and IPv6 UDP by destination port; with raw_ethertype set, also the non-IP frames of that
 * EtherType (build/ethtalker) whose payload starts with the talker's header.
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

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tk_observe, struct sk_buff *skb, struct net_device *dev)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	struct tk_obs_event *e;
	struct iphdr ip;
	struct ipv6hdr ip6;
	struct udphdr udp;
	struct { __u32 magic, pid; __u64 seq; } __attribute__((packed)) hdr;
	__u16 proto = bpf_ntohs(skb->protocol), sport = 0, dport = 0;
	__u32 l4;

	if (nh == (__u16)~0U)
		return 0;
	if (proto == ETH_P_IP || proto == ETH_P_IPV6) {
		if (proto == ETH_P_IP) {
			if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.protocol != IPPROTO_UDP)
				return 0;
			l4 = nh + ip.ihl * 4;
		} else {
			if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) ||
			    ip6.nexthdr != IPPROTO_UDP)
				return 0;
			l4 = nh + sizeof(ip6);
		}
		if (bpf_probe_read_kernel(&udp, sizeof(udp), head + l4))
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
