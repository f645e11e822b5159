// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only observer: records the metadata of the talker's UDP datagrams at every driver
 * transmit (tp_btf/net_dev_start_xmit), i.e. as the pod's eth0 and the NIC's driver see them.
 * Deliberately independent of tsn_track.bpf.h, so tests never judge the proxy by its own code.
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
	struct udphdr udp;
	struct { __u32 magic, pid; __u64 seq; } __attribute__((packed)) hdr;
	__u16 dport;

	if (skb->protocol != bpf_htons(ETH_P_IP) || nh == (__u16)~0U)
		return 0;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.protocol != IPPROTO_UDP)
		return 0;
	if (bpf_probe_read_kernel(&udp, sizeof(udp), head + nh + ip.ihl * 4))
		return 0;
	dport = bpf_ntohs(udp.dest);
	if (dport < port_lo || dport > port_hi)
		return 0;
	if (bpf_probe_read_kernel(&hdr, sizeof(hdr), head + nh + ip.ihl * 4 + sizeof(udp)))
		return 0;

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
	e->sport = bpf_ntohs(udp.source);
	e->dport = dport;
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
