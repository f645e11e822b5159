/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tsnkit ABI: the one header shared by the BPF programs and userspace.
 *
 * Only fixed-width __u8..__u64 fields, no pointers (kernel addresses travel as __u64), explicit
 * padding so that the layout is the same for clang -target bpf and the host compiler. A change
 * here is an ABI change for pinned maps: bump TSN_ABI_VERSION.
 */
#ifndef TSNKIT_H
#define TSNKIT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TSN_ABI_VERSION 7

#define TSN_IFNAMSIZ 16
#define TSN_MAX_NICS 8
/* Registered pod netns: the policy map's max_entries, and what userspace lists at most. */
#define TSN_MAX_PODS 4096

/*
 * Pod tags: tsnproxy's per-pod save program writes its pod's tag into skb->tc_index, and the
 * restore hands a saved entry only to a packet carrying the tag it was saved under (see
 * docs/enforce.md). Tags are 16-bit (tc_index) and never 0 (0 means untagged).
 */
#define TSN_POD_TAGS 65536

/* Where an event was seen. The tracer's hop records and the proxy's hooks use the same ids. */
enum tsn_hook {
	TSN_HOOK_UNKNOWN = 0,
	TSN_HOOK_NET_DEV_QUEUE,		/* tp net:net_dev_queue (dev_queue_xmit entry) */
	TSN_HOOK_NET_DEV_START_XMIT,	/* tp net:net_dev_start_xmit (driver xmit) */
	TSN_HOOK_NET_DEV_XMIT,		/* tp net:net_dev_xmit (after driver xmit) */
	TSN_HOOK_NETIF_RX,		/* tp net:netif_rx (veth peer, backlog) */
	TSN_HOOK_NETIF_RECEIVE_SKB,	/* tp net:netif_receive_skb */
	TSN_HOOK_NAPI_GRO_RECEIVE,	/* tp net:napi_gro_receive_entry */
	TSN_HOOK_QDISC_ENQUEUE,		/* tp qdisc:qdisc_enqueue */
	TSN_HOOK_QDISC_DEQUEUE,		/* tp qdisc:qdisc_dequeue */
	TSN_HOOK_KFREE_SKB,		/* tp skb:kfree_skb (drop, with reason) */
	TSN_HOOK_CONSUME_SKB,		/* tp skb:consume_skb */
	TSN_HOOK_XDP,			/* tp xdp:* */
	TSN_HOOK_TC_INGRESS,		/* tc/tcx observer, ingress */
	TSN_HOOK_TC_EGRESS,		/* tc/tcx observer, egress */
	TSN_HOOK_KPROBE,		/* kprobe-multi: func_ip names the function */
	TSN_HOOK_FENTRY,		/* fentry: func_ip names the function */
	TSN_HOOK_FEXIT,			/* fexit (clone/copy results) */
	TSN_HOOK__MAX,
};

/* skb->tstamp_type, independent of the kernel's enum (mono_delivery_time before 6.11). */
enum tsn_tstamp_type {
	TSN_TSTAMP_REALTIME = 0,	/* "none" when tstamp == 0 */
	TSN_TSTAMP_MONO = 1,
	TSN_TSTAMP_TAI = 2,
};

/* The per-skb metadata TSN qdiscs and VLAN PCP mapping depend on. 24 bytes. */
struct tsn_meta {
	__u64 tstamp;
	__u32 priority;
	__u32 mark;
	__u16 queue_mapping;
	__u8 tstamp_type;	/* enum tsn_tstamp_type */
	__u8 has_sk;		/* skb->sk != NULL: etf needs it unless skip_sock_check */
	__u32 slot_flags;	/* 0 as read from an skb; in tsntrace's tracking slot, what the
				 * tracer learnt of the packet (TSN_SLOTF_*, tsntrace.bpf.c) */
};

/*
 * L3/L4 tuple. Addresses are IPv4-mapped (::ffff:a.b.c.d) for IPv4. Protocols without ports
 * keep what identifies their packets in the same bytes: ICMP/ICMPv6 type, code and echo id;
 * ARP (Ethernet/IPv4) its opcode and addresses. 40 bytes.
 */
struct tsn_tuple {
	union {
		struct {
			__u8 saddr[16];
			__u8 daddr[16];
		};
		struct {			/* l3proto ETH_P_ARP */
			__u8 arp_sha[6];	/* sender hardware address */
			__u8 arp_spa[4];	/* sender IPv4 address */
			__u8 arp_tpa[4];	/* target IPv4 address */
		};
	};
	union {
		struct {			/* TCP, UDP, SCTP */
			__u16 sport;		/* host order */
			__u16 dport;		/* host order */
		};
		struct {			/* ICMP, ICMPv6 */
			__u8 icmp_type;
			__u8 icmp_code;
			__u16 icmp_id;		/* echo identifier, host order; 0 for other types */
		};
		__u16 arp_op;			/* ARP: 1 request, 2 reply; host order */
	};
	__u16 l3proto;		/* ethertype, host order */
	__u8 l4proto;		/* IPPROTO_* */
	__u8 tcp_flags;		/* TCP's flags byte (FIN 0x01 ... CWR 0x80); not part of a flow */
};

enum tsn_event_type {
	TSN_EV_HOP = 1,		/* struct tsn_hop_event */
	TSN_EV_CLONE,		/* hop event whose pkt_id was inherited from parent_skb */
};

enum tsn_hop_flags {
	TSN_HOPF_FIRST = 1 << 0,	/* first hop of this packet (filter matched here) */
	TSN_HOPF_BY_FINGERPRINT = 1 << 1,	/* found by content, not by skb address */
	TSN_HOPF_CLONE = 1 << 2,	/* skb is a clone/copy of a tracked one */
	TSN_HOPF_FREE = 1 << 3,		/* tracking ends here */
	TSN_HOPF_RESTORED = 1 << 4,	/* the proxy restored metadata at this hop */
	TSN_HOPF_ENCAP = 1 << 5,	/* seen inside a tunnel's outer headers (tuple: inner) */
};

/* One record per hop of a tracked packet. 144 bytes. */
struct tsn_hop_event {
	__u64 time_ns;		/* bpf_ktime_get_ns() */
	__u64 skb;		/* kernel address of the skb */
	__u64 pkt_id;		/* stable id of the tracked packet */
	__u64 func_ip;		/* kprobe/fentry function, tracepoint location, or 0 */
	__u64 parent_skb;	/* for TSN_EV_CLONE: the skb it was cloned/copied from */
	__u32 type;		/* enum tsn_event_type */
	__u32 hook;		/* enum tsn_hook */
	__u32 netns;		/* netns inode of skb->dev */
	__u32 ifindex;
	__u32 len;		/* skb->len */
	__u32 drop_reason;	/* enum skb_drop_reason for TSN_HOOK_KFREE_SKB */
	__u32 flags;		/* enum tsn_hop_flags */
	__u16 cpu;
	__u16 _pad;
	struct tsn_meta meta;
	struct tsn_tuple tuple;
	char ifname[TSN_IFNAMSIZ];
};

/*
 * Tracking slot: skb address -> tracked packet + saved metadata. The tracer and the proxy use
 * the same direct-mapped table (see tsn_track.bpf.h). 64 bytes.
 */
struct tsn_track_slot {
	__u64 skb;		/* 0: no skb (tsnproxy: restored, or never written) */
	__u64 fp;		/* content fingerprint, see tsn_fp_l3() */
	__u64 saved_at;		/* 0: slot free. tsntrace: bpf_ktime_get_ns(); tsnproxy:
				 * bpf_jiffies64() | 1 (see tsn_now() in tsnproxy.bpf.c) */
	union {
		__u64 pkt_id;	/* tsntrace: the tracked packet */
		struct {
			__u32 pod_tag;	/* tsnproxy: tag of the pod it was saved from */
			__u32 fp_prev;	/* tsnproxy: the save of the same content before it
					 * (TSN_FP_LINK_*, tsnproxy.bpf.c), 0 none */
		};
	};
	struct tsn_meta meta;	/* metadata as the sender set it */
	__u32 netns;		/* netns inode the packet was saved in */
	__u32 check;		/* hash over the fields above: detects torn concurrent writes */
};

/* Per-netns policy (key: netns inode): the registry of pods. */
enum tsn_on_disallowed {
	TSN_POLICY_CLAMP = 0,	/* highest allowed priority below the requested one */
	TSN_POLICY_ZERO = 1,	/* priority 0 */
};

struct tsn_policy {
	__u32 allowed;		/* bit p set: priority p allowed (p < 32); 32 and more never are */
	__u8 on_disallowed;	/* enum tsn_on_disallowed */
	__u8 _pad;
	__u16 tag;		/* the pod's tag (TSN_POD_TAGS), written by its save program */
	__u32 ifindex;		/* pod-side interface inside the netns, 0 = any */
	__u32 registered_by;	/* enum tsn_registrar */
	__u32 mark_mask;	/* bits of skb->mark the pod may have restored (default 0: none) */
	__u32 _pad2;
	__u64 netns_cookie;	/* the netns' cookie at registration: tells a recycled inode */
};

/*
 * Value of the datapath's tag table (key: tag): the netns a tag is bound to, 0 when the tag is
 * free, and that pod's policy as the save program applies it. The restore trusts a tagged
 * packet only while its tag is bound; the save program saves nothing for an unbound tag.
 */
struct tsn_pod_binding {
	__u32 netns;		/* netns inode */
	__u32 allowed;		/* struct tsn_policy.allowed; every bit under --policy all */
	__u32 mark_mask;	/* struct tsn_policy.mark_mask; every bit under --policy all */
	__u8 on_disallowed;	/* enum tsn_on_disallowed */
	__u8 _pad[3];
	/*
	 * A free tag: the datapath's jiffies when it was unbound (0: never bound, or unbound
	 * without a clock). Userspace hands it out again only once every entry saved under it is
	 * past the TTL; the datapath does not read it.
	 */
	__u64 unbound_at;
};

/*
 * The priority a pod's policy gives a packet whose app asked for prio: prio when allowed (or
 * 0), else 0 (on-disallowed zero) or the highest allowed priority below it (clamp), else 0. A
 * priority of 32 or more has no bit in the mask and is never allowed (a qdisc reads such a
 * value as another: mqprio and taprio map prio & 15, htb a class id). One definition for the
 * save program and for tsntrace's reading of what it did.
 */
static inline __u32 tsn_policy_priority(__u32 allowed, __u32 on_disallowed, __u32 prio)
{
	int i;

	if (!prio || (prio < 32 && (allowed & (1U << prio))))
		return prio;
	if (on_disallowed == TSN_POLICY_ZERO)
		return 0;
	for (i = 31; i >= 0; i--)
		if ((__u32)i < prio && (allowed & (1U << i)))
			return (__u32)i;
	return 0;
}

enum tsn_registrar {
	TSN_REG_CLI = 1,
	TSN_REG_CNI = 2,
};

enum tsn_restore_flags {
	TSN_RESTORE_PRIORITY = 1 << 0,
	TSN_RESTORE_TSTAMP = 1 << 1,
	TSN_RESTORE_MARK = 1 << 2,
};

enum tsn_policy_mode {
	TSN_MODE_REGISTERED = 0,
	TSN_MODE_ALL = 1,
};

/* Proxy configuration, one entry in an array map so that `start` can adopt and compare. */
struct tsn_proxy_config {
	__u32 abi_version;
	__u32 mode;		/* enum tsn_policy_mode */
	__u32 restore;		/* enum tsn_restore_flags */
	__u32 capacity;		/* slots in the tracking table (power of two) */
	__u64 ttl_ns;
	__u32 hz;		/* the kernel's jiffies per second, measured at start */
	__u32 ttl_jiffies;	/* ttl_ns in jiffies, rounded up: the datapath's bound */
	__u32 nic_netns;	/* netns inode of the NICs: never a pod */
	__u32 nic_count;
	__u32 nic_ifindex[TSN_MAX_NICS];
	__u8 nic_tc_kind[TSN_MAX_NICS];	/* enum tsn_nic_tc_kind bits */
	__u32 save_hook;	/* enum tsn_save_hook */
	__u32 next_tag;		/* where the pod tag allocator continues (1..TSN_POD_TAGS-1) */
};

/*
 * struct tsn_proxy_config.nic_tc_kind[]: how tsn_restore is attached to each NIC. The hook bits
 * hold lib/tc.h's enum tsn_tc_kind of the attachment (0: none yet); TSN_NIC_OWN_QDISC says that
 * start created the NIC's clsact qdisc, so stop removes it again.
 */
enum tsn_nic_tc_kind {
	TSN_NIC_TCX = 1,
	TSN_NIC_CLSACT = 2,
	TSN_NIC_HOOK_MASK = 3,
	TSN_NIC_OWN_QDISC = 4,
};

enum tsn_save_hook {
	TSN_SAVE_TP = 0,	/* tp_btf/net_dev_start_xmit, node-wide (--policy all only) */
	TSN_SAVE_TC = 1,	/* tc/tcx egress on each registered pod interface, tagging */
	TSN_SAVE_AUTO = 2,	/* options only, never stored: see tsn_proxy_save_hook() */
};

/* What tsnproxy's tsn_clock program reports: the datapath's clock and CLOCK_MONOTONIC. */
struct tsn_clock_sample {
	__u64 jiffies;
	__u64 mono_ns;
};

/* Counter ids: indexes into struct tsn_cpu_counters.cnt. */
enum tsn_counter {
	TSN_CNT_SAVED = 0,
	TSN_CNT_RESTORED_PRIORITY,
	TSN_CNT_RESTORED_TSTAMP,
	TSN_CNT_RESTORED_MARK,
	TSN_CNT_MISS,
	TSN_CNT_UNTAGGED,	/* at the NIC without a pod tag: node or unregistered pod */
	TSN_CNT_FP_MISMATCH,
	TSN_CNT_FREED_UNRESTORED,	/* its skb was freed before any NIC (address reused) */
	TSN_CNT_EXPIRED,
	TSN_CNT_EVICTED,
	TSN_CNT_POLICY_DENIED,
	TSN_CNT_POLICY_CLAMPED,
	/* tracer */
	TSN_CNT_EVENTS,
	TSN_CNT_EVENTS_LOST,
	TSN_CNT_PKTS_TRACKED,
	TSN_CNT_TRACK_OVERFLOW,
	TSN_CNT__MAX,
};

/*
 * The one value of the per-CPU counters map: the counters, summed over CPUs by userspace. One
 * value, so that a program looks its CPU's up once per run, however many counters it bumps.
 */
struct tsn_cpu_counters {
	__u64 cnt[TSN_CNT__MAX];
	__u64 _unused;	/* keeps the value's size, which the pinned maps of this ABI have */
};

#define TSN_COUNTER_NAMES                                                                         \
	"saved", "restored_priority", "restored_tstamp", "restored_mark", "miss",                 \
		"untagged", "fingerprint_mismatch", "freed_unrestored", "expired", "evicted", "policy_denied", \
		"policy_clamped", "events", "events_lost", "packets_tracked", "tracking_overflow"

/* ---- tsntrace only (appended; nothing above depends on it) ---- */

/* Flow filter evaluated in BPF at a packet's first hop (rodata of tsntrace, see lib/filter.h). */
#define TSN_FILTER_MAX_NETNS 8

enum tsn_filter_flags {
	TSN_FILT_NETNS = 1 << 0,
	TSN_FILT_IFNAME = 1 << 1,
	TSN_FILT_PROTO = 1 << 2,
	TSN_FILT_SRC = 1 << 3,
	TSN_FILT_DST = 1 << 4,
	TSN_FILT_SPORT = 1 << 5,
	TSN_FILT_DPORT = 1 << 6,
	TSN_FILT_PRIORITY = 1 << 7,
	TSN_FILT_MARK = 1 << 8,
	TSN_FILT_SRC_V6 = 1 << 9,	/* --src was an IPv6 prefix: IPv6 packets only */
	TSN_FILT_DST_V6 = 1 << 10,	/* --dst likewise; an IPv4 prefix never matches IPv6 */
};

struct tsn_filter {
	__u32 flags;			/* enum tsn_filter_flags: which filters are set */
	__u32 n_netns;
	__u32 netns[TSN_FILTER_MAX_NETNS];	/* netns inodes, any of them matches */
	char ifname[TSN_IFNAMSIZ];
	__u8 src[16] __attribute__((aligned(8)));	/* IPv4-mapped like struct tsn_tuple */
	__u8 dst[16];
	__u8 src_plen;			/* prefix length over the 128-bit (mapped) address */
	__u8 dst_plen;
	__u8 l4proto;			/* IPPROTO_*; with TSN_FILT_PROTO */
	__u8 _pad;
	__u16 sport;
	__u16 dport;
	__u32 priority;
	__u32 mark;
	__u32 mark_mask;
	__u32 _pad2;
};

/* Event of tsntrace: the shared hop record plus what only the tracer needs. 160 bytes. */
struct tsn_trace_event {
	struct tsn_hop_event hop;
	char dev_kind[8];		/* rtnl_link_ops->kind of the device ("veth", "bridge"), or "" */
	__u32 aux;			/* net_dev_xmit: return code; kprobe/fentry: skb argument index */
	__u32 _pad;
};

/*
 * tsntrace --stack and --write: what follows a hop's event when the loader asked for either
 * (rodata tsn_event_extra, so that without them the programs neither take the stack nor copy
 * packet bytes). The record's size says whether it is there.
 */
enum tsn_event_extra_flags {
	TSN_EXTRA_STACK = 1 << 0,	/* bpf_get_stack() of the hop's program */
	TSN_EXTRA_SNAP = 1 << 1,	/* the first TSN_SNAP_LEN bytes of the packet */
};

#define TSN_STACK_DEPTH 32
#define TSN_SNAP_LEN 256

/*
 * tsntrace's ring buffer: while fewer bytes than TSN_RB_WAKEUP_BYTES are queued, a submit
 * does not wake the reader, which then reads them when its poll times out after at most
 * TSN_RB_POLL_MS; the first submit that finds more queued wakes it, once per wait. The
 * kernel's default (a wakeup whenever the reader had emptied the ring) costs a reader that
 * keeps up a context switch per hop in a flood.
 */
#define TSN_RB_WAKEUP_BYTES (64U << 10)
#define TSN_RB_POLL_MS 100

/*
 * The ring buffer's first pass (tsn_rb_warm): `chunks` discarded records of TSN_RB_CHUNK
 * bytes, header included, each starting a new 4 KiB page of the ring.
 */
#define TSN_RB_CHUNK 4096U
struct tsn_rb_warm_ctx {
	__u32 chunks;
};

enum tsn_snap_flags {
	TSN_SNAP_L2 = 1 << 0,		/* snap[] starts at the MAC header, else at the IP header */
};

struct tsn_trace_extra {
	__u32 stack_bytes;		/* bytes of stack[] filled, 0: none (tc hops, errors) */
	__u32 snap_len;			/* bytes of snap[] filled, 0: none (net_dev_xmit, no header) */
	__u32 wire_len;			/* the packet's length from where snap[] starts */
	__u32 snap_flags;		/* enum tsn_snap_flags */
	__u64 stack[TSN_STACK_DEPTH];	/* kernel return addresses, innermost first */
	__u8 snap[TSN_SNAP_LEN];	/* the linear part only: never reads into page frags */
};

/* The record of a hop when tsn_event_extra is set. 688 bytes. */
struct tsn_trace_event_x {
	struct tsn_trace_event ev;
	struct tsn_trace_extra x;
};

/* ---- tsntrace aggregate mode (tsntop; appended, nothing above depends on it) ---- */

/* The fields whose loss tsntop counts per packet at a judged NIC (tsn_agg_flow.nic_differ). */
enum tsn_agg_field {
	TSN_AGG_FIELD_PRIORITY = 0,
	TSN_AGG_FIELD_TSTAMP,		/* its clock (tsn_tstamp_clock()), not its value */
	TSN_AGG_FIELD_MARK,
	TSN_AGG_FIELD__MAX,
};

/* The clock of a packet's tstamp: 0 none (tstamp 0), else 1 + enum tsn_tstamp_type. */
static inline __u32 tsn_tstamp_clock(const struct tsn_meta *m)
{
	return m->tstamp ? 1 + m->tstamp_type : 0;
}

/* A judged NIC: tsn_agg_judge's key. The packets' transmit there is where tsntop judges. */
struct tsn_agg_nic {
	__u32 ifindex;
	__u32 netns;
};

/* A flow: the 5-tuple as parsed at the packet's first hop, and the netns of that hop (the pod). */
struct tsn_agg_flow_key {
	struct tsn_tuple tuple;
	__u32 netns;		/* netns inode of the first hop */
	__u32 _pad;
};

/* Per flow, updated at each packet's first hop and at a judged NIC. 120 bytes. */
struct tsn_agg_flow {
	__u64 packets;		/* atomic adds: several CPUs update one flow */
	__u64 bytes;
	__u64 first_ns;		/* bpf_ktime_get_ns() of the first packet */
	__u64 last_ns;		/* of the latest packet */
	struct tsn_meta meta;	/* metadata at the first hop, latest packet */
	__u32 ifindex;		/* first hop's device (the pod interface) */
	__u32 _pad;
	char ifname[TSN_IFNAMSIZ];
	__u64 sampled_ns;	/* first hop of its latest sampled packet (tsn_agg_pkt.sampled) */
	/*
	 * Every packet, sampled or not, at the transmit of a judged NIC (tsn_agg_judge): how many
	 * got there, and how many of those carried a field other than the one the app set there
	 * (a field the app left 0 is not counted: it cannot be lost). Atomic adds.
	 */
	__u64 nic_packets;
	__u64 nic_differ[TSN_AGG_FIELD__MAX];
};

/* A hop of a flow: where (hook, netns, device). 64 bytes. */
struct tsn_agg_hop_key {
	struct tsn_agg_flow_key flow;
	__u32 hook;		/* enum tsn_hook */
	__u32 netns;
	__u32 ifindex;
	__u32 _pad;
};

/* Per (flow, hop), from the flow's sampled packets only (tsn_agg_pkt.sampled). 72 bytes. */
struct tsn_agg_hop {
	__u64 packets;		/* sampled packets that took this hop; atomic adds */
	__u64 last_ns;
	struct tsn_meta meta;	/* metadata at this hop, latest packet */
	__u32 seq;		/* position in the latest packet's path (0 = first hop) */
	__u32 flags;		/* enum tsn_hop_flags of the latest packet */
	char ifname[TSN_IFNAMSIZ];
	char dev_kind[8];
};

/* Per packet in flight (aggregate mode): which flow it belongs to and how far it got. */
struct tsn_agg_pkt {
	__u64 pkt_id;		/* 0: free; slot = pkt_id & (capacity - 1) */
	struct tsn_agg_flow_key flow;
	__u32 seq;		/* hops seen so far */
	__u32 xmit_ifindex;	/* device of its pending net_dev_start_xmit, 0: none */
	__u64 last_ns;		/* time of its latest hop; 0 after a free (not in flight) */
	__u32 xmit_netns;
	__u32 sampled;		/* 1: its hops go to the hop map; 0: counted at its first hop only */
	/* the app's fields (first hop), compared at a judged NIC */
	__u32 app_priority;
	__u32 app_mark;
	__u8 app_clock;		/* tsn_tstamp_clock() */
	__u8 judged;		/* counted at a judged NIC already (a requeue is not a new packet) */
	__u8 _pad2[6];
};

/* Aggregate-mode loss accounting; per-CPU array indexed by these, summed by userspace. */
enum tsn_agg_stat {
	TSN_AGG_HOPS = 0,		/* hop updates done */
	TSN_AGG_FLOWS_FULL,		/* a new flow found the flow map full: not counted */
	TSN_AGG_HOPS_FULL,		/* a new (flow, hop) found the hop map full: not counted */
	TSN_AGG_PKT_EVICTED,		/* a later packet took an in-flight packet's slot */
	TSN_AGG__MAX,
};

/* splitmix64 finaliser: cheap, and every input bit affects every output bit */
static inline __u64 tsn_mix64(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * The proxy's fingerprint of header word h and content word (which fields, see tsn_fp_l3 in
 * tsn_track.bpf.h): h times an odd constant plus word. Packets that differ in only one of the
 * words get different fingerprints (an odd multiplier is invertible mod 2^64); differing in
 * both, they collide only if word's difference is exactly minus h's times the constant. No
 * final mix: equality is all the restore asks of it, and the fingerprint index hashes it
 * again (tsn_fp_slot_index()), so a mix would only add work to the save's and the restore's
 * path. Here so that userspace (the unit test's field-by-field reference) combines the same
 * way.
 */
static inline __u64 tsn_fp_mix(__u64 h, __u64 word)
{
	return h * 0x9e3779b97f4a7c15ULL + word;
}

/*
 * pcap-filter expressions in the tracer: the names of the landing places (progs/tsn_pcap.bpf.h)
 * whose bodies the loader (lib/trace_pcap.c) replaces with the translated expression, found by
 * their BTF function names.
 */
#define TSN_PCAP_STUB_L2 tsn_pcap_filter_l2
#define TSN_PCAP_STUB_L3 tsn_pcap_filter_l3

#endif /* TSNKIT_H */
