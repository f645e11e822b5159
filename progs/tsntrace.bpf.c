// SPDX-License-Identifier: GPL-2.0
/*
 * tsntrace: follow TSN-relevant packets hop by hop and report skb metadata at every hop.
 *
 * Every program funnels into tt_hop(): is this skb tracked (by address, validated by content
 * fingerprint; or, for a new skb object, by fingerprint alone: clone/copy/rebuild)? If not, does
 * it pass the flow filter (rodata, so the verifier prunes unset filters)? If so it gets a packet
 * id and one event per hop goes to the ring buffer. Nothing is emitted for packets the filter
 * did not select, and a failed reservation is counted, never dropped silently.
 *
 * Only selecting hooks (TT_SELECT: where a packet can first appear, its transmit being queued on
 * a device and its receive) start tracking a packet or continue one by fingerprint. The other
 * hooks (TT_FOLLOW, and every free and after-xmit hook) report tracked packets only: they exit
 * when nothing was ever tracked, and else after one lookup of the skb's address, reading
 * nothing of an skb that is not in the table (tt_follow_candidate()). A packet passes a
 * selecting hook before any follow-only one (net_dev_queue fires after the tc egress hook and
 * before the qdisc and the driver), and a new skb object made from a tracked one (clone, copy,
 * veth XDP rebuild) is queued or received before it reaches a follow-only hook. Until a packet is
 * tracked, a selecting hook asks the filter first, from the fields it names read straight from
 * the skb (tt_may_select()): a packet it rejects costs no view, no fingerprint, no table lookup.
 *
 * Programs (all autoload-controlled by userspace, which picks a backend at run time):
 *   tsn_tp_*    tp_btf on the net/qdisc/skb tracepoints       (tracepoint backend, always)
 *   tsn_tc_obs* tc observers for --tc-observe, return TC_ACT_UNSPEC
 *   tsn_fe_*    fentry/fexit on the functions that scrub, forward, clone or free skbs
 *   tsn_kpm*    kprobe-multi, one program per position of the skb argument (1..5)
 *
 * Aggregate mode (tsn_aggregate, set by tsntop): instead of one ring-buffer event per hop, every
 * packet adds to its flow's entry at its first hop (packets, bytes, the app's metadata: exact
 * rates), and a sampled packet (a flow's first, then at most one per tsn_agg_sample_ns) adds each
 * of its hops to the per-(flow, hop) map, from which tsntop draws the path and judges. A packet
 * not sampled costs a follow-only hook the tracking lookup and one array lookup
 * (tt_follow_candidate()), and a selecting hook the content check that tells it from a new packet
 * at a reused address (tt_agg_same_unsampled()), nothing more: no view, no metadata, no device
 * names, no hop map update; its transmit on a judged NIC is the one hop it is read at.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <asm-generic/errno-base.h>

#include "tsn_nest.bpf.h"
#include "tsn_track.bpf.h"
#include "tsn_filter.h"
#include "tsn_tunnel.bpf.h"
#include "tsn_pcap.bpf.h"

/* 6.2+; only the tc observers use it and they load only with --tc-observe. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

/* Set by tsntrace before load. */
const volatile struct tsn_filter tsn_filter = {};
/* A freed packet's fingerprint may be continued by a new skb only this soon after (rebuilds
 * happen within microseconds; a later packet with equal content is a different packet). */
const volatile __u64 tsn_fp_window_ns = 50000000ULL;
/*
 * Set by the loader where the kernel has bpf_rdonly_cast (6.2+): the tracepoint backend reads
 * packet headers with plain loads, not a probe-read helper call per read. Unset, the verifier
 * prunes that branch and its kfunc call.
 */
const volatile __u32 tsn_headers_btf = 0;
/* tsntop: aggregate into tsn_agg_flows/tsn_agg_hops instead of emitting events. */
const volatile __u32 tsn_aggregate = 0;
/*
 * A packet with a hop this recent is still crossing the node (microseconds, plus qdisc wait):
 * a new packet that takes its slot is an eviction. Older ones are done, even when their free
 * was not seen (some frees have no tracepoint: docs/tsntrace.md, Limitations).
 */
const volatile __u64 tsn_agg_inflight_ns = 10000000ULL;
/*
 * A flow's packets whose hops are aggregated: its first, then the first after this much time
 * since the last sampled one. Each hop record keeps the latest sampled packet, at most this old
 * at a steady rate, against refreshes of 0.1 s and more; a packet every 2 ms or slower is
 * always sampled.
 */
const volatile __u64 tsn_agg_sample_ns = 1000000ULL;
/* A VXLAN UDP port besides IANA's 4789 whose packets are looked into (tt_parse_inner()). */
const volatile __u16 tt_vxlan_port = TSN_TUN_VXLAN_LINUX_PORT;
/* tsntrace --stack / --write: enum tsn_event_extra_flags; 0 leaves those paths out at load */
const volatile __u32 tsn_event_extra = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* --ringbuf-size */
} tsn_events SEC(".maps");

/* Aggregate mode only (tsntrace leaves them at one entry: unused maps cost nothing). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* sized by the loader */
	__type(key, struct tsn_agg_flow_key);
	__type(value, struct tsn_agg_flow);
} tsn_agg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* sized by the loader */
	__type(key, struct tsn_agg_hop_key);
	__type(value, struct tsn_agg_hop);
} tsn_agg_hops SEC(".maps");

/* packets in flight, direct-mapped by pkt_id: the flow of a hop whose tuple is not parsed */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* sized by the loader like tsn_track */
	__type(key, __u32);
	__type(value, struct tsn_agg_pkt);
} tsn_agg_pkts SEC(".maps");

/* the NICs where tsntop judges (its watched ones), written by it at every sample */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_MAX_NICS);
	__type(key, struct tsn_agg_nic);
	__type(value, __u32);
} tsn_agg_judge SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSN_AGG__MAX);
	__type(key, __u32);
	__type(value, __u64);
} tsn_agg_stats SEC(".maps");

__u64 tsn_next_pkt_id = 0;
/* Set once a packet was tracked: until then no fingerprint lookup is needed on the hot path. */
__u32 tsn_tracked_any = 0;
/*
 * Set by the loader once every program is attached. The programs attach one by one: a packet
 * selected before would miss the hops whose programs came later, and its path, hop numbers and
 * verdict would be wrong. So no packet starts being followed until then.
 */
__u32 tsn_armed = 0;
/* 1: the reader is about to wait for the ring buffer (tt_bpf_reader_waits()); tt_rb_wakeup() */
__u32 tt_reader_idle = 0;
/* Entries in tsn_agg_judge, set by tsntop: 0 spares unsampled packets' transmits a lookup. */
__u32 tsn_agg_judging = 0;
/*
 * Bit ifindex % 64 of every entry in tsn_agg_judge, set by tsntop with it: a transmit on a device
 * whose bit is clear (the pods' devices, mostly) is not judged, without a lookup. A bit left
 * set, or shared with a judged NIC, costs the lookup and nothing else.
 */
__u64 tsn_agg_judge_ifbits = 0;

enum tt_mode {
	TT_TX = 0,	/* skb->data at L2, network_header set by the stack */
	TT_RX,		/* skb->data at L3 (after eth_type_trans) */
	TT_FREE,	/* being freed: report if tracked, then forget */
	TT_ADDR,	/* after driver xmit: the skb may already be gone, match by address only */
};

/* May this hook start following a packet (filter, fingerprint continuation)? */
enum tt_sel {
	TT_SELECT,	/* a packet can first appear here */
	TT_FOLLOW,	/* report tracked packets only */
};

/* How a tracing program reads the fields of its skb and device. */
enum tt_read {
	TT_READ_PROBE, /* BPF_CORE_READ: a probe-read helper call per field (kprobe, fentry) */
	TT_READ_PLAIN, /* plain loads: the pointers are BTF-typed (tp_btf) */
};

/* What one hop looked like; built by the program flavour, consumed by tt_track_emit(). */
struct tt_view {
	__u64 addr;
	__u64 func_ip;
	__u64 parent;
	__u64 dev;		/* struct net_device *, as a number (read lazily, see tt_dev_names) */
	__u32 names_done;
	__s32 judged_nic;	/* aggregate mode: a judged NIC's transmit? -1 not looked up yet */
	__u32 own_send;		/* a packet its socket just handed to a device: see tt_own_send() */
	__u64 now;		/* the hop's time, read once when first needed (tt_now()); 0: not yet */
	struct tsn_pkt p;
	struct tsn_pkt inner;	/* the packet inside tunnel headers, see tt_parse_inner() */
	struct tsn_meta m;
	__u32 netns;
	__u32 ifindex;
	__u32 len;
	__u32 hook;
	__u32 aux;
	__u32 drop_reason;
	__u32 flags;
	char ifname[TSN_IFNAMSIZ];
	char kind[8];
	struct tsn_pcap_frame pf;	/* with an expression: set by the parse callbacks */
	/* aggregate mode: map keys and new values live here, not on the stack */
	struct tsn_agg_hop_key hk;
	struct tsn_agg_flow fv;
	struct tsn_agg_hop hv;
};

/*
 * The view is ~200 bytes: kept per CPU, so that the 512-byte stack stays free for the parser's
 * headers; one copy per hop running at once on the CPU (tsn_view_enter(), tsn_nest.bpf.h).
 */
TSN_NEST_SCRATCH(tsn_view, struct tt_view)

/*
 * A hop's copy of the view, with no time read yet (tt_now()); a hop that finds every copy held
 * is lost, and counted so.
 */
static __always_inline struct tt_view *tt_view_enter(__u64 **claim)
{
	struct tt_view *v = tsn_view_enter(claim);

	if (v)
		v->now = 0;
	else
		tsn_count(TSN_CNT_EVENTS_LOST);
	return v;
}

/* The hop's time: one clock read per hop, and none for a hop that stores and reports nothing. */
static __always_inline __u64 tt_now(struct tt_view *v)
{
	if (!v->now)
		v->now = bpf_ktime_get_ns();
	return v->now;
}

/* A device's ifindex and netns inode, as a hop records them: 0 and 0 without a device. */
static __always_inline void tt_dev_ids(struct net_device *dev, enum tt_read how, __u32 *ifindex,
				       __u32 *netns)
{
	if (!dev) {
		*netns = 0;
		*ifindex = 0;
	} else if (how == TT_READ_PLAIN) {
		*netns = dev->nd_net.net->ns.inum;
		*ifindex = dev->ifindex;
	} else {
		*netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		*ifindex = BPF_CORE_READ(dev, ifindex);
	}
}

/* netns and ifindex: needed on every hop (filters, tracking). */
static __always_inline void tt_dev_info(struct tt_view *v, struct net_device *dev, enum tt_read how)
{
	v->dev = (__u64)dev;
	v->names_done = 0;
	v->judged_nic = -1;
	tt_dev_ids(dev, how, &v->ifindex, &v->netns);
}

/*
 * The device of a hop whose tracepoint names none: skb->dev, but at a free only when it holds a
 * kernel pointer (a delivered UDP datagram's word there is dev_scratch: tsn_kernel_ptr()).
 */
static __always_inline struct net_device *tt_skb_dev(struct sk_buff *skb, enum tt_mode mode,
						     enum tt_read how)
{
	struct net_device *dev = how == TT_READ_PLAIN ? skb->dev : BPF_CORE_READ(skb, dev);

	return mode != TT_FREE || tsn_kernel_ptr(dev) ? dev : NULL;
}

/* Device name and kind: only for an emitted event or an --ifname filter, not for every skb. */
static __always_inline void tt_dev_names(struct tt_view *v)
{
	struct net_device *dev = (struct net_device *)v->dev;
	const char *kind;

	if (v->names_done)
		return;
	v->names_done = 1;
	__builtin_memset(v->ifname, 0, sizeof(v->ifname));
	__builtin_memset(v->kind, 0, sizeof(v->kind));
	if (!dev)
		return;
	BPF_CORE_READ_INTO(&v->ifname, dev, name);
	kind = BPF_CORE_READ(dev, rtnl_link_ops, kind);
	if (kind)
		bpf_probe_read_kernel_str(v->kind, sizeof(v->kind), kind);
}

/* ---- tracking (the tracer's own instance of the shared table) ---- */

/*
 * What the tracer learns of a tracked packet, in its slot's meta.slot_flags (outside the slot's
 * check word: set with one store, never torn).
 */
enum tsn_slot_flags {
	/* a receive hop saw the packet in this skb (see tt_sent_anew()); the bits from
	 * TT_PLACE_SHIFT on then hold where the first such hop was (tt_rx_place()) */
	TSN_SLOTF_RECEIVED = 1,
	/* and that hop stored the slot: the packet was first seen in this skb there */
	TSN_SLOTF_STORED_AT_RX = 2,
};

/* slot_flags >> TT_PLACE_SHIFT: the first receive's place; its low bits are the hook */
#define TT_PLACE_SHIFT 2
#define TT_PLACE_HOOK_MASK 0x1f
#define TT_PLACE_MASK 0x3fffffff
_Static_assert(TSN_HOOK__MAX <= TT_PLACE_HOOK_MASK + 1, "a hook id must fit a place's hook bits");

/* The slot of addr now holds packet pkt_id, first seen as m. NULL when there is no slot. */
static __always_inline struct tsn_track_slot *tt_store(__u64 addr, __u64 fp, __u64 pkt_id,
						       const struct tsn_meta *m, __u32 netns,
						       __u64 now)
{
	__u32 idx = tsn_skb_slot_index(addr);
	struct tsn_track_slot *s = bpf_map_lookup_elem(&tsn_track, &idx);

	if (!s)
		return NULL;
	/* a live, fresh slot of another skb: that packet stops being followed, say so */
	if (s->skb && s->skb != addr && tsn_fresh(now, s->saved_at))
		tsn_count(TSN_CNT_TRACK_OVERFLOW);
	s->skb = addr;
	s->fp = fp;
	s->saved_at = now;
	s->pkt_id = pkt_id;
	s->meta = *m;
	s->netns = netns;
	s->check = tsn_slot_check(s);
	return s;
}

/*
 * Where a receive hop is: its hook (and, for fentry, function), its device and the packet's
 * TTL or hop limit. One packet is received at most once at a place: a receive hook fires once
 * per skb on a device (__netif_receive_skb_core()'s another_round does not fire it again), and
 * a packet that comes back to a device (a routing loop) comes back with a smaller TTL. The one
 * exception, ifb's return of a redirected packet to the device it came in on, is told by
 * tc_skip_classify (tt_rx_again()). The hook in the low bits lets tt_rx_same_hook() answer
 * most receives without reading the device. The rest is a 25-bit hash (tt_rx_again() says
 * when two places that hash alike would matter).
 */
static __always_inline __u32 tt_rx_place(__u32 hook, __u64 func_ip, __u32 ifindex, __u32 netns,
					 __u8 ttl)
{
	__u64 h = tsn_mix64(((__u64)netns << 32 | ifindex) ^ tsn_mix64(func_ip ^ ttl));

	return ((__u32)(h >> 32) << 5 | (hook & TT_PLACE_HOOK_MASK)) & TT_PLACE_MASK;
}

/* Has a receive hop seen the packet of slot s in its skb? */
static __always_inline bool tt_slot_was_received(const struct tsn_track_slot *s)
{
	return s->meta.slot_flags & TSN_SLOTF_RECEIVED;
}

/*
 * The first receive hop of the packet of slot s in its skb is at place, and stored the slot if
 * stored_here: written once per packet, on a line just read (callers ask tt_slot_was_received()
 * first, and only then for the place, which may read the device).
 */
static __always_inline void tt_slot_received(struct tsn_track_slot *s, __u32 place,
					     bool stored_here)
{
	s->meta.slot_flags |= TSN_SLOTF_RECEIVED | (stored_here ? TSN_SLOTF_STORED_AT_RX : 0) |
			      place << TT_PLACE_SHIFT;
}

/*
 * Was the packet of slot s first seen in its skb at a receive at this hook? (No device read.)
 * Only such a slot is asked tt_rx_again().
 */
static __always_inline bool tt_rx_same_hook(const struct tsn_track_slot *s, __u32 hook)
{
	__u32 f = s->meta.slot_flags;

	return (f & TSN_SLOTF_STORED_AT_RX) && (f >> TT_PLACE_SHIFT & TT_PLACE_HOOK_MASK) == hook;
}

/*
 * Is a packet with the content of slot s's, at a receive hop at place in s's skb, a new one?
 * It is when s's packet was first seen in this skb at a receive at the same place: the tracked
 * packet went on (delivered, its free not seen: a datagram read on the CPU that allocated its
 * skb goes back to the NAPI cache with no tracepoint) and a driver, or veth's XDP, built the
 * next identical datagram (a cyclic stream's) in the recycled skb. Its first hop is this
 * receive, where nothing else tells it from the delivered one. ifb hands a packet it was
 * redirected back to the device it came in on, received there again: it sets
 * tc_skip_classify, which a driver's new skb does not have. Asked only of a slot stored at its
 * first receive (tt_rx_same_hook()): a packet first seen in its skb at a transmit (a socket's
 * send, a copy) is never the predecessor of one a driver builds, so a hash collision between
 * two of its receive places cannot split it.
 */
static __always_inline bool tt_rx_again(const struct tsn_track_slot *s, __u32 place,
					struct sk_buff *skb)
{
	if ((s->meta.slot_flags >> TT_PLACE_SHIFT) != place)
		return false;
	return !bpf_core_field_exists(skb->tc_skip_classify) ||
	       !BPF_CORE_READ_BITFIELD_PROBED(skb, tc_skip_classify);
}

/* tt_rx_place() of a hop with a view, its packet parsed */
static __always_inline __u32 tt_view_rx_place(const struct tt_view *v)
{
	return tt_rx_place(v->hook, v->func_ip, v->ifindex, v->netns, v->p.ttl);
}

/*
 * Is a packet with the content of the tracked one at its skb's address a new one, that its socket
 * has just sent (own_send: tt_own_send()) in an skb that held the tracked packet when a receive
 * hop saw it? Then the tracked packet's free was not seen (a delivered datagram's may have no
 * tracepoint: docs/tsntrace.md, Limitations), the skb was recycled, and the new datagram is
 * identical (a cyclic app's, over IPv6 or with IP id 0). A received packet that goes on to a
 * transmit never holds a socket with a never-received skb there: the receive sets skb_iif, which
 * only a scrub clears (a crossing, whose next hop is a receive again, or a tunnel's encapsulation,
 * whose transmit hop comes first), and a socket's transmit is what gives an skb a socket.
 */
static __always_inline bool tt_sent_anew(const struct tsn_track_slot *s, __u32 own_send)
{
	return own_send && tt_slot_was_received(s);
}

/*
 * Point the fingerprint index at the slot of addr, after tt_store(). Called last in a hop: the
 * entry is a random cache line, and a locked add after its store (the flow's counters) would
 * wait for that line to arrive.
 */
static __always_inline void tt_index(__u64 addr, __u64 fp)
{
	__u32 fidx = tsn_fp_slot_index(fp), *e = bpf_map_lookup_elem(&tsn_track_fp, &fidx);

	/* an array's lookup is inlined, its update a helper call; a 4-byte store is never torn */
	if (e)
		*e = tsn_skb_slot_index(addr) + 1;
}

/*
 * A packet its socket has just sent has the content of a tracked one (a cyclic app's identical
 * datagrams), and the filter does not select it at this first hop. The content no longer names
 * one packet: the fingerprint index forgets it, so that where this packet may yet be selected
 * (--ifname nic0: the node's hops) it is not taken for the tracked one's clone or rebuild. The
 * tracked packet goes on by address; a clone of it made from now on is not followed.
 */
static __always_inline void tt_unindex_same(__u64 fp)
{
	__u32 fidx = tsn_fp_slot_index(fp), *e;

	if (!tsn_slot_by_fp_any(fp))
		return;
	e = bpf_map_lookup_elem(&tsn_track_fp, &fidx);
	if (e)
		*e = 0;
}

/*
 * A new skb object with the content of a tracked packet: a clone or copy while the original is
 * alive (the tracer, unlike the proxy, may match live slots: it only reports, never restores),
 * or a rebuild shortly after the original was freed.
 */
static __always_inline struct tsn_track_slot *tt_by_fp(__u64 fp, __u64 now)
{
	struct tsn_track_slot *s = tsn_slot_by_fp_any(fp);

	if (!s)
		return NULL;
	if (s->skb)
		return tsn_fresh(now, s->saved_at) ? s : NULL;
	if (!(s->pkt_id & TSN_SLOT_FREED) || !tsn_within(now, s->saved_at, tsn_fp_window_ns))
		return NULL;
	return s;
}

/*
 * At a receive hop, the packet tracked at this skb's address has this content and was received
 * in it before, but the fingerprint index names a newer packet with the content whose skb was
 * freed a moment ago: a veth XDP rebuild of that one (a new skb, taken from the NAPI cache) at
 * the address of the older one, delivered without a free that fires a tracepoint (Limitations).
 * The newer packet is the one going on: continued by fingerprint, not the older by address.
 * Newer is a larger packet id (ids are taken in the order packets are first seen), never a
 * later store: a clone's slot is stored after its original's, with the original's id, and a
 * clone freed before the original's next receive is the same packet, not a newer one.
 * Asked at every receive hop after a packet's first: the index entry, on a line its first hop
 * wrote, names the packet's own slot unless an identical one (or a clone) came since, and only
 * then is the other slot read (and, with v NULL, the clock).
 */
static __always_inline bool tt_newer_rebuilt(const struct tsn_track_slot *s, __u64 fp,
					     struct tt_view *v)
{
	__u32 fidx = tsn_fp_slot_index(fp), *e;
	const struct tsn_track_slot *o;

	if (!tt_slot_was_received(s))
		return false;
	e = bpf_map_lookup_elem(&tsn_track_fp, &fidx);
	if (!e || *e == tsn_skb_slot_index(s->skb) + 1)
		return false;
	o = tt_by_fp(fp, v ? tt_now(v) : bpf_ktime_get_ns());
	return o && !o->skb && (o->pkt_id & ~TSN_SLOT_FREED) > s->pkt_id;
}

/*
 * The packet's first bytes, from its MAC header where it has one in front of the data, else from
 * its IP header (a hop before the L2 header is built, or an L3 device). Only the linear part is
 * read: the rest may be in page frags, and a header trace needs no more.
 */
static __always_inline void tt_snap(struct tt_view *v, struct tsn_trace_extra *x)
{
	struct sk_buff *skb = (struct sk_buff *)v->addr;
	__u16 mac = BPF_CORE_READ(skb, mac_header), nh = BPF_CORE_READ(skb, network_header);
	unsigned char *head = BPF_CORE_READ(skb, head), *data = BPF_CORE_READ(skb, data);
	__u32 tail = BPF_CORE_READ(skb, tail), len = BPF_CORE_READ(skb, len);
	__u32 doff, start, n;

	if (!head || data < head)
		return;
	doff = (__u32)(data - head);
	if (mac != TSN_SKB_HDR_UNSET && mac <= doff && (nh == TSN_SKB_HDR_UNSET || mac < nh)) {
		start = mac;
		x->snap_flags = TSN_SNAP_L2;
	} else if (nh != TSN_SKB_HDR_UNSET) {
		start = nh;
	} else {
		return;
	}
	/* 64-bit kernels keep tail as an offset from head */
	if (tail <= start || start > doff + len)
		return;
	x->wire_len = len + doff - start;
	n = tail - start;
	if (n > x->wire_len)
		n = x->wire_len;
	if (n > TSN_SNAP_LEN)
		n = TSN_SNAP_LEN;
	/* the mask after the barrier is what the verifier sees bounding the length: the
	 * compiler would otherwise drop it as redundant with the comparison above */
	barrier_var(n);
	n &= 2 * TSN_SNAP_LEN - 1;
	if (n > TSN_SNAP_LEN)
		return;
	if (!bpf_probe_read_kernel(x->snap, n, head + start))
		x->snap_len = n;
}

/* ctx is the program's context, for bpf_get_stack(); NULL where the helper is not allowed (tc) */
static __always_inline void tt_extra(void *ctx, struct tt_view *v, struct tsn_trace_extra *x)
{
	long n;

	x->stack_bytes = 0;
	x->snap_len = 0;
	x->wire_len = 0;
	x->snap_flags = 0;
	if ((tsn_event_extra & TSN_EXTRA_STACK) && ctx) {
		n = bpf_get_stack(ctx, x->stack, sizeof(x->stack), 0);
		if (n > 0)
			x->stack_bytes = n;
	}
	/* after net_dev_xmit the skb may already be freed and reused */
	if ((tsn_event_extra & TSN_EXTRA_SNAP) && v->hook != TSN_HOOK_NET_DEV_XMIT)
		tt_snap(v, x);
}

/*
 * The submit's wakeup flag: one wakeup per batch (TSN_RB_WAKEUP_BYTES), sent by the first
 * submit that finds a batch queued while the reader waits. Two CPUs may both send it: a
 * second wakeup is harmless.
 */
static __always_inline __u64 tt_rb_wakeup(void)
{
	if (!tt_reader_idle ||
	    bpf_ringbuf_query(&tsn_events, BPF_RB_AVAIL_DATA) < TSN_RB_WAKEUP_BYTES)
		return BPF_RB_NO_WAKEUP;
	tt_reader_idle = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void tt_emit(void *ctx, struct tt_view *v, __u64 pkt_id)
{
	struct tsn_trace_event *e;

	tt_dev_names(v);
	if (tsn_event_extra)
		e = bpf_ringbuf_reserve(&tsn_events, sizeof(struct tsn_trace_event_x), 0);
	else
		e = bpf_ringbuf_reserve(&tsn_events, sizeof(*e), 0);
	if (!e) {
		tsn_count(TSN_CNT_EVENTS_LOST);
		return;
	}
	e->hop.time_ns = tt_now(v);
	e->hop.skb = v->addr;
	e->hop.pkt_id = pkt_id;
	e->hop.func_ip = v->func_ip;
	e->hop.parent_skb = v->parent;
	e->hop.type = v->parent ? TSN_EV_CLONE : TSN_EV_HOP;
	e->hop.hook = v->hook;
	e->hop.netns = v->netns;
	e->hop.ifindex = v->ifindex;
	e->hop.len = v->len;
	e->hop.drop_reason = v->drop_reason;
	e->hop.flags = v->flags;
	e->hop.cpu = bpf_get_smp_processor_id();
	e->hop._pad = 0;
	e->hop.meta = v->m;
	e->hop.tuple = v->p.tuple;
	__builtin_memcpy(e->hop.ifname, v->ifname, TSN_IFNAMSIZ);
	__builtin_memcpy(e->dev_kind, v->kind, sizeof(e->dev_kind));
	e->aux = v->aux;
	e->_pad = 0;
	if (tsn_event_extra)
		tt_extra(ctx, v, &((struct tsn_trace_event_x *)e)->x);
	bpf_ringbuf_submit(e, tt_rb_wakeup());
	tsn_count(TSN_CNT_EVENTS);
}

/* ---- aggregate mode ---- */

/* atomic, as tsn_count(): the tracer's programs interrupt and preempt one another */
static __always_inline void tt_agg_count(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&tsn_agg_stats, &id);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * Find or create the entry for key. Two CPUs may create the same one at once: the loser's
 * BPF_NOEXIST update fails with -EEXIST and it uses the winner's. A full map is counted.
 */
static __always_inline void *tt_agg_entry(void *map, const void *key, const void *init,
					  __u32 full_stat)
{
	void *e = bpf_map_lookup_elem(map, key);
	long rc;

	if (e)
		return e;
	rc = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (rc && rc != -EEXIST) {
		tt_agg_count(full_stat);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

/* The aggregate-mode state of packet pkt_id: the slot of tsn_agg_pkts its id maps to. */
static __always_inline struct tsn_agg_pkt *tt_agg_pkt(__u64 pkt_id)
{
	__u32 idx = (__u32)pkt_id & tsn_track_mask;

	return bpf_map_lookup_elem(&tsn_agg_pkts, &idx);
}

/* May a device with this ifindex be a NIC tsntop judges at? (tsn_agg_judge_ifbits) */
static __always_inline bool tt_agg_judged_maybe(__u32 ifindex)
{
	return tsn_agg_judging && (tsn_agg_judge_ifbits >> (ifindex & 63) & 1);
}

/* The lookup in tsn_agg_judge alone: after tt_agg_judged_maybe() said yes */
static __always_inline bool tt_agg_judge_lookup(__u32 ifindex, __u32 netns)
{
	struct tsn_agg_nic nic = { .ifindex = ifindex, .netns = netns };

	return bpf_map_lookup_elem(&tsn_agg_judge, &nic);
}

/* Is a transmit on this device one tsntop judges at? */
static __always_inline bool tt_agg_judged_nic(__u32 ifindex, __u32 netns)
{
	return tt_agg_judged_maybe(ifindex) && tt_agg_judge_lookup(ifindex, netns);
}

/* tt_agg_judged_nic() of a device, before the hop has a view: its netns read only if need be */
static __always_inline bool tt_agg_judged_dev(struct net_device *dev, enum tt_read how)
{
	__u32 ifindex;

	if (!dev || !tsn_agg_judging)
		return false;
	ifindex = how == TT_READ_PLAIN ? dev->ifindex : BPF_CORE_READ(dev, ifindex);
	if (!tt_agg_judged_maybe(ifindex))
		return false;
	if (how == TT_READ_PLAIN)
		return tt_agg_judge_lookup(ifindex, dev->nd_net.net->ns.inum);
	return tt_agg_judge_lookup(ifindex, BPF_CORE_READ(dev, nd_net.net, ns.inum));
}

/* Is this hop a packet's transmit on a NIC tsntop judges at? Looked up once per hop. */
static __always_inline bool tt_agg_judged_hop(struct tt_view *v)
{
	if (v->judged_nic < 0)
		v->judged_nic = v->hook == TSN_HOOK_NET_DEV_START_XMIT &&
				tt_agg_judged_nic(v->ifindex, v->netns);
	return v->judged_nic;
}

/* Does field f of the metadata at this hop differ from the one the app set (and set non-zero)? */
static __always_inline bool tt_agg_differs(const struct tsn_agg_pkt *ap, const struct tsn_meta *m,
					   enum tsn_agg_field f)
{
	switch (f) {
	case TSN_AGG_FIELD_PRIORITY:
		return ap->app_priority && m->priority != ap->app_priority;
	case TSN_AGG_FIELD_TSTAMP:
		return ap->app_clock && tsn_tstamp_clock(m) != ap->app_clock;
	case TSN_AGG_FIELD_MARK:
		return ap->app_mark && m->mark != ap->app_mark;
	default:
		return false;
	}
}

/*
 * Packet ap at a judged NIC's transmit: counted into its flow, once, whether sampled or not.
 * This is what makes the verdict exact: a packet between two samples is judged too.
 */
static __always_inline void tt_agg_judge(const struct tt_view *v, struct tsn_agg_pkt *ap)
{
	struct tsn_agg_flow *f;
	int i;

	if (ap->judged)
		return;
	ap->judged = 1;
	f = bpf_map_lookup_elem(&tsn_agg_flows, &ap->flow);
	if (!f)
		return;
	__sync_fetch_and_add(&f->nic_packets, 1);
	for (i = 0; i < TSN_AGG_FIELD__MAX; i++)
		if (tt_agg_differs(ap, &v->m, i))
			__sync_fetch_and_add(&f->nic_differ[i], 1);
}

/*
 * One hop of packet pkt_id: its first hop into the flow map (every packet), and, when the packet
 * is sampled (decided at its first hop, kept in tsn_agg_pkts), every hop into the (flow, hop) map.
 * Every packet's transmit on a judged NIC is counted into its flow (tt_agg_judge()).
 */
static __always_inline void tt_agg(struct tt_view *v, __u64 pkt_id)
{
	struct tsn_agg_pkt *ap = tt_agg_pkt(pkt_id);
	struct tsn_agg_flow *f;
	struct tsn_agg_hop *h;
	__u64 now;
	__u32 seq;

	if (!ap)
		return;
	if (v->flags & TSN_HOPF_FIRST) {
		now = tt_now(v);
		/* an older sampled packet still in flight in this slot loses its hops: say so */
		if (ap->pkt_id && ap->pkt_id != pkt_id && ap->sampled &&
		    tsn_within(now, ap->last_ns, tsn_agg_inflight_ns))
			tt_agg_count(TSN_AGG_PKT_EVICTED);
		__builtin_memset(&v->hk, 0, sizeof(v->hk));
		v->hk.flow.tuple = v->p.tuple;
		v->hk.flow.tuple.tcp_flags = 0;	/* per packet: SYN and ACK are one flow */
		v->hk.flow.netns = v->netns;
		f = bpf_map_lookup_elem(&tsn_agg_flows, &v->hk.flow);
		if (!f) {
			tt_dev_names(v);
			__builtin_memset(&v->fv, 0, sizeof(v->fv));
			v->fv.first_ns = now;
			v->fv.ifindex = v->ifindex;
			__builtin_memcpy(v->fv.ifname, v->ifname, TSN_IFNAMSIZ);
			f = tt_agg_entry(&tsn_agg_flows, &v->hk.flow, &v->fv, TSN_AGG_FLOWS_FULL);
		}
		if (!f) {
			ap->pkt_id = 0;	/* its later hops are not counted either */
			return;
		}
		__sync_fetch_and_add(&f->packets, 1);
		__sync_fetch_and_add(&f->bytes, v->len);
		f->last_ns = now;
		f->meta = v->m;
		ap->pkt_id = pkt_id;
		ap->flow = v->hk.flow;
		ap->seq = 0;
		ap->xmit_ifindex = 0;
		ap->last_ns = now;
		ap->app_priority = v->m.priority;
		ap->app_mark = v->m.mark;
		ap->app_clock = tsn_tstamp_clock(&v->m);
		ap->judged = 0;
		/* two CPUs may both sample one flow at once: one sample more, no harm */
		ap->sampled = !f->sampled_ns || now - f->sampled_ns >= tsn_agg_sample_ns;
		if (ap->sampled)
			f->sampled_ns = now;
	} else if (ap->pkt_id != pkt_id) {
		return;		/* its flow is unknown (evicted, or not aggregated) */
	}
	/* sampled or not (a backend whose every hook selects can judge at a first hop too) */
	if (tt_agg_judged_hop(v))
		tt_agg_judge(v, ap);
	/* an unsampled packet counts at its first hop and its judged transmit only:
	 * tt_follow_candidate() stops most of its other hops before they get here */
	if (!ap->sampled)
		return;
	now = tt_now(v);
	if (v->hook == TSN_HOOK_NET_DEV_XMIT &&
	    (ap->xmit_ifindex != v->ifindex || ap->xmit_netns != v->netns)) {
		/*
		 * net_dev_xmit matches by address alone (the skb may be gone): a packet whose free
		 * was not seen (some frees have no tracepoint) would otherwise collect the xmit
		 * hops of every later skb at its address. Ours follows its start_xmit.
		 * (Never a first hop: net_dev_xmit only follows.)
		 */
		return;
	}
	v->hk.flow = ap->flow;	/* at a first hop, what it was just set from */
	if (v->hook == TSN_HOOK_NET_DEV_START_XMIT) {
		ap->xmit_ifindex = v->ifindex;
		ap->xmit_netns = v->netns;
	} else if (v->hook == TSN_HOOK_NET_DEV_XMIT) {
		ap->xmit_ifindex = 0;
	}
	tt_dev_names(v);
	seq = ap->seq++;
	/*
	 * The free of one skb of the packet is not its end: a veth XDP rebuild or a copy frees
	 * the original and carries on (continued by fingerprint), and a clone outlives it. So the
	 * packet keeps its state; it is only no longer in flight, so that a later packet taking
	 * this slot does not count it as evicted.
	 */
	ap->last_ns = v->flags & TSN_HOPF_FREE ? 0 : now;
	v->hk.hook = v->hook;
	v->hk.netns = v->netns;
	v->hk.ifindex = v->ifindex;
	v->hk._pad = 0;
	__builtin_memset(&v->hv, 0, sizeof(v->hv));
	h = tt_agg_entry(&tsn_agg_hops, &v->hk, &v->hv, TSN_AGG_HOPS_FULL);
	if (!h)
		return;
	__sync_fetch_and_add(&h->packets, 1);
	h->last_ns = now;
	h->meta = v->m;
	h->seq = seq;
	h->flags = v->flags;
	__builtin_memcpy(h->ifname, v->ifname, TSN_IFNAMSIZ);
	__builtin_memcpy(h->dev_kind, v->kind, sizeof(h->dev_kind));
	tt_agg_count(TSN_AGG_HOPS);
}

/* A hop of a tracked packet: an event, or (aggregate mode) a map update. */
static __always_inline void tt_report(void *ctx, struct tt_view *v, __u64 pkt_id)
{
	if (tsn_aggregate)
		tt_agg(v, pkt_id);
	else
		tt_emit(ctx, v, pkt_id);
}

/* ---- tunnels: the pod's packet inside the outer headers a tunnel device wrote ---- */

/*
 * Could the packet parsed into v->p be a tunnel packet that tsn_tunnel_inner() decodes? Its
 * outer tuple tells without another read: IPIP, IPv6 in IP, GRE, or UDP to a tunnel port.
 */
static __always_inline bool tt_tunnel_outer(const struct tsn_tuple *t)
{
	if (t->l3proto != ETH_P_IP && t->l3proto != ETH_P_IPV6)
		return false;
	if (t->l4proto == TSN_TUN_PROTO_IPIP || t->l4proto == TSN_TUN_PROTO_IPV6 ||
	    t->l4proto == TSN_TUN_PROTO_GRE)
		return true;
	return t->l4proto == IPPROTO_UDP && tsn_tunnel_udp_port(t->dport, tt_vxlan_port);
}

static __always_inline int tt_parse_l3(void *src, enum tsn_src how, __u32 off, __u16 l3proto,
				       __u32 end, struct tsn_pkt *p);

/*
 * The packet inside the tunnel packet parsed into v->p (outer L3 header at l3off of src, frame
 * end at end) into v->inner; 0 when there is one. The parse callbacks' tunnel variant.
 */
static __always_inline int tt_parse_inner(void *src, enum tsn_src how, __u32 l3off, __u32 end,
					  struct tt_view *v)
{
	struct tsn_tunnel_inner in = {};

	if (!tt_tunnel_outer(&v->p.tuple) ||
	    tsn_tunnel_inner(src, how, l3off, v->p.tuple.l3proto, tt_vxlan_port, &in))
		return -1;
	return tt_parse_l3(src, how, in.off & 0xffff, in.l3proto, end, &v->inner);
}

/*
 * The inner parse per source, as the parse callbacks are. Called only after the plain match
 * failed (tt_encapsulated()), so it runs for tunnel packets only.
 */
static __always_inline int tt_parse_inner_kern(void *head, __u32 l3off, __u32 end,
					       struct tt_view *v)
{
	return tt_parse_inner(head, TSN_SRC_KERN, l3off, end, v);
}

static __always_inline int tt_parse_inner_tc(struct __sk_buff *ctx, struct tt_view *v)
{
	return tt_parse_inner(ctx, TSN_SRC_TC, ETH_HLEN, v->len, v);
}

/* The hop sees the tracked packet inside a tunnel: report the inner tuple, flagged. */
static __always_inline void tt_take_inner(struct tt_view *v)
{
	v->p = v->inner;
	v->flags |= TSN_HOPF_ENCAP;
}

/*
 * The tracked skb at this address with other content: did a tunnel device encapsulate it in
 * place (vxlan_xmit, geneve_xmit, ip_tunnel_xmit push the outer headers onto the same skb)?
 * Then the packet inside has the tracked fingerprint fp. Asked only after the plain match
 * failed, so a packet outside any tunnel pays nothing for it.
 */
static __always_inline bool tt_encapsulated(void *src, struct tt_view *v, __u64 fp,
					    int (*parse_inner)(void *, struct tt_view *))
{
	if (parse_inner(src, v) || v->inner.fp != fp)
		return false;
	tt_take_inner(v);
	return true;
}

/* A hook that only reports packets already tracked: never one that starts tracking. */
static __always_inline bool tt_follow_only(enum tt_mode mode, enum tt_sel sel)
{
	return sel == TT_FOLLOW || mode == TT_FREE || mode == TT_ADDR;
}

/* Aggregate mode: is the packet with this id one whose hops after the first are not counted? */
static __always_inline bool tt_agg_unsampled(__u64 pkt_id)
{
	struct tsn_agg_pkt *ap = tt_agg_pkt(pkt_id);

	return ap && ap->pkt_id == pkt_id && !ap->sampled;
}

/* What a follow-only hook does with an skb (tt_follow_candidate()). */
enum tt_cand {
	TT_CAND_NO = 0,		/* nothing to report: return before reading the skb */
	TT_CAND_YES,		/* maybe a tracked packet: read and validate it */
	TT_CAND_JUDGE,		/* an unsampled packet's transmit: only a judged NIC's counts */
};

/*
 * Could skb be a tracked packet whose hop here is reported? The fast exit of a follow-only hook:
 * nothing tracked since load, or no slot holds this address, or (aggregate mode) the packet is
 * not sampled. One global load, or the address and one table lookup (and one array lookup);
 * the skb itself is not read. A slot that names the address may still be stale: tt_track_emit()
 * validates it. An unsampled packet's free still frees its slot, as tt_track_emit() would: a
 * veth XDP rebuild of it is then continued by fingerprint like any other. Its transmit goes on
 * only on a NIC tsntop judges at, asked of the tracepoint's device before the hop claims a view.
 */
static __always_inline enum tt_cand tt_follow_candidate(const void *skb, struct net_device *dev,
							enum tt_mode mode, __u32 hook,
							enum tt_read how)
{
	struct tsn_track_slot *s;
	__u64 addr;

	if (!tsn_tracked_any)
		return TT_CAND_NO;
	addr = tsn_addr(skb);
	s = tsn_slot_by_skb(addr);
	if (!s || s->skb != addr)
		return TT_CAND_NO;
	if (tsn_aggregate && tt_agg_unsampled(s->pkt_id)) {
		if (mode == TT_FREE)
			tsn_slot_on_free(addr);
		if (hook == TSN_HOOK_NET_DEV_START_XMIT && tt_agg_judged_dev(dev, how))
			return TT_CAND_JUDGE;
		return TT_CAND_NO;
	}
	return TT_CAND_YES;
}

/*
 * parse(v) fills v->p; returns 0 when the packet could be parsed. Called lazily: an untracked
 * packet that fails the cheap filters (netns, ifname, priority, mark) is never parsed unless a
 * packet is being tracked somewhere (then its fingerprint may continue one).
 */
static __always_inline void tt_track_emit(void *ctx, struct tt_view *v, void *src,
					  enum tt_mode mode, enum tt_sel sel, int (*parse)(void *, struct tt_view *),
					  int (*parse_inner)(void *, struct tt_view *))
{
	struct tsn_track_slot *s = tsn_slot_by_skb(v->addr), *mine = NULL;
	__u64 now, pkt_id;
	bool parsed = false, stored = false;

	if (!s)
		return;
	if (s->skb == v->addr && s->check == tsn_slot_check(s)) {
		/* same address: the same packet only if the content matches (no missed free) */
		mine = s;
		if (mode == TT_ADDR) {
			pkt_id = s->pkt_id;
			goto emit;
		}
		if (!parse(src, v) && s->fp == v->p.fp) {
			if (tt_sent_anew(s, v->own_send) ||
			    (mode == TT_RX && tt_rx_same_hook(s, v->hook) &&
			     tt_rx_again(s, tt_view_rx_place(v), src))) {
				/*
				 * The tracked packet's free was missed: it is over. Cleared, so
				 * that this packet's later hops continue it neither by address nor
				 * (its age 0) as a rebuild by content when the filter does not
				 * select it here.
				 */
				tsn_slot_clear(s);
			} else if (mode != TT_RX || !tt_newer_rebuilt(s, v->p.fp, v)) {
				pkt_id = s->pkt_id;
				goto emit;
			}
			/* else the newer one, by fingerprint below (its store takes this slot) */
		} else if (tt_encapsulated(src, v, s->fp, parse_inner)) {
			pkt_id = s->pkt_id;
			goto emit;
		}
		mine = NULL;
		parsed = true;
	}
	if (tt_follow_only(mode, sel))
		return;		/* tracking never starts here */

	now = tt_now(v);
	if (tsn_tracked_any && !v->own_send) {
		if (!parsed && parse(src, v))
			return;
		parsed = true;
		s = tt_by_fp(v->p.fp, now);
		if (s) {
			pkt_id = s->pkt_id & ~TSN_SLOT_FREED;
			v->flags |= TSN_HOPF_BY_FINGERPRINT;
			if (s->skb) {
				v->flags |= TSN_HOPF_CLONE;
				v->parent = s->skb;
			}
			mine = tt_store(v->addr, v->p.fp, pkt_id, &v->m, v->netns, now);
			stored = true;
			goto emit;
		}
	}

	if (!tsn_armed)
		return;
	if (tsn_filter.flags & TSN_FILT_IFNAME)
		tt_dev_names(v);
	if (!tsn_filter_match(&tsn_filter, v->netns, v->ifname, NULL, &v->m))
		goto rejected;
	if (!parsed && parse(src, v))
		return;
	parsed = true;
	if (!tsn_filter_match(&tsn_filter, v->netns, v->ifname, &v->p.tuple, &v->m) ||
	    !tsn_pcap_select(&v->pf))
		goto rejected;
	pkt_id = __sync_fetch_and_add(&tsn_next_pkt_id, 1) + 1;
	v->flags |= TSN_HOPF_FIRST;
	mine = tt_store(v->addr, v->p.fp, pkt_id, &v->m, v->netns, now);
	stored = true;
	tsn_count(TSN_CNT_PKTS_TRACKED);
	if (!tsn_tracked_any)
		tsn_tracked_any = 1;
emit:
	if (mode == TT_FREE) {
		v->flags |= TSN_HOPF_FREE;
		tsn_slot_on_free(v->addr);
	} else if (mode == TT_RX && mine && !tt_slot_was_received(mine)) {
		tt_slot_received(mine, tt_view_rx_place(v), stored);
	}
	tt_report(ctx, v, pkt_id);
	if (stored)
		tt_index(v->addr, v->p.fp);
	return;
rejected:
	/* a new packet the filter does not select here may be selected further on */
	if (v->own_send && tsn_tracked_any && (parsed || !parse(src, v)))
		tt_unindex_same(v->p.fp);
}

/*
 * The shared fingerprint covers 8 payload bytes. UDP senders with DF and unconnected sockets
 * send IP id 0, and many put a constant header first (our talker: magic + pid, then the
 * sequence number), so two datagrams of one flow would look alike: the tracer mixes in the
 * next 8 payload bytes too. Its table is its own, so this needs no agreement with the proxy.
 */
static __always_inline int tt_parse_l3(void *src, enum tsn_src how, __u32 off, __u16 l3proto,
				       __u32 end, struct tsn_pkt *p)
{
	__u64 word = 0;
	__u32 l4off;

	if (tsn_parse_l3(src, how, off, l3proto, end, p))
		return -1;
	if (l3proto != ETH_P_IP && l3proto != ETH_P_IPV6) {
		__u64 w[2] = {};

		/* non-IP: the shared fingerprint has only the first 8 bytes, which are the same
		 * for every ARP request; the addresses follow */
		if (off + 24 <= end && !tsn_load_words(src, how, (off + 8) & 0xffff, w, 16))
			p->fp = tsn_mix64(p->fp ^ w[0] ^ tsn_mix64(w[1]));
		return 0;
	}
	if (p->tuple.l4proto != IPPROTO_UDP)
		return 0;
	l4off = p->l4off + TSN_FP_UDP_WORD_OFF + 8; /* past the 8 bytes already covered */
	if (l4off + 8 <= end && !tsn_load_words(src, how, l4off & 0xffff, &word, 8))
		p->fp = tsn_mix64(p->fp ^ word);
	return 0;
}

/* ---- tracing flavour: BTF or raw kernel pointer to struct sk_buff ---- */

/* The frame a pcap-filter expression sees at this hop (tsn_pcap.bpf.h). */
static __always_inline void tt_pcap_locate_skb(struct tt_view *v, struct sk_buff *skb,
					       enum tt_read how, unsigned char *head, __u32 doff,
					       __u32 l3off)
{
	__u32 data_len;
	__u16 mac;

	if (how == TT_READ_PLAIN) {
		mac = skb->mac_header;
		data_len = skb->data_len;
	} else {
		mac = BPF_CORE_READ(skb, mac_header);
		data_len = BPF_CORE_READ(skb, data_len);
	}
	tsn_pcap_locate(&v->pf, (__u64)head, doff, l3off, mac, v->len, data_len);
}

/*
 * Where a tracing program's skb holds its packet. At TT_RX the skb is at its receive point,
 * where the L3 header follows the data pointer; else network_header says where it is. how
 * reads the skb's fields. -1 when the skb has no head.
 */
struct tt_l3 {
	unsigned char *head;
	__u32 doff;		/* skb->data - head */
	__u32 off;		/* the L3 header's offset from head */
	__u16 proto;		/* ETH_P_*, host order */
};

static __always_inline int tt_skb_l3(struct sk_buff *skb, enum tt_mode mode, enum tt_read how,
				     struct tt_l3 *l3)
{
	bool rx = mode == TT_RX;
	unsigned char *data;
	__u16 nh;

	if (how == TT_READ_PLAIN) {
		l3->head = skb->head;
		data = skb->data;
		nh = rx ? 0 : skb->network_header;
		l3->proto = bpf_ntohs(skb->protocol);
	} else {
		l3->head = BPF_CORE_READ(skb, head);
		data = BPF_CORE_READ(skb, data);
		nh = rx ? 0 : BPF_CORE_READ(skb, network_header);
		l3->proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	}
	if (!l3->head)
		return -1;
	l3->doff = (__u32)(data - l3->head);
	/* network_header is 0 in a fresh rx skb */
	l3->off = nh && nh != TSN_SKB_HDR_UNSET ? nh : l3->doff + (rx ? 0 : ETH_HLEN);
	return 0;
}

/*
 * Parse the packet tt_skb_l3() located, len bytes from the data pointer. The headers are read
 * with plain loads where both the skb is BTF-typed and the kernel has bpf_rdonly_cast
 * (tsn_headers_btf), else probe-read.
 */
static __always_inline int tt_parse_at(const struct tt_l3 *l3, enum tt_read how, __u32 len,
				       struct tsn_pkt *p)
{
	if (how == TT_READ_PLAIN && tsn_headers_btf)
		return tt_parse_l3(l3->head, TSN_SRC_BTF, l3->off & 0xffff, l3->proto,
				   l3->doff + len, p);
	return tt_parse_l3(l3->head, TSN_SRC_KERN, l3->off & 0xffff, l3->proto, l3->doff + len, p);
}

/* The packet of a tracing program's skb (tt_skb_l3(), tt_parse_at()). */
static __always_inline int tt_parse_skb(struct sk_buff *skb, struct tt_view *v, enum tt_mode mode,
					enum tt_read how, bool inner)
{
	struct tt_l3 l3;

	if (tt_skb_l3(skb, mode, how, &l3))
		return -1;
	if (inner)
		return tt_parse_inner_kern(l3.head, l3.off & 0xffff, l3.doff + v->len, v);
	if (tsn_pcap_on)
		tt_pcap_locate_skb(v, skb, how, l3.head, l3.doff, l3.off);
	return tt_parse_at(&l3, how, v->len, &v->p);
}

/* The filters that need the packet's headers. */
#define TT_FILT_TUPLE                                                                      \
	(TSN_FILT_PROTO | TSN_FILT_SRC | TSN_FILT_DST | TSN_FILT_SPORT | TSN_FILT_DPORT |  \
	 TSN_FILT_SRC_V6 | TSN_FILT_DST_V6)

/*
 * May a selecting hook start following this skb? While nothing is tracked, a packet the filter
 * rejects has nothing else to do at the hook: no slot can hold it and no fingerprint can
 * continue one. So the filter is asked first, from only the fields it names, read straight
 * from the skb (the tuple without its fingerprint), before the view is filled. true leaves the
 * answer to tt_track_emit(): something is tracked, a pcap expression is set, the headers
 * could not be read, or the filter passed (tt_track_emit() applies the same tsn_filter_match()
 * again to what it parsed).
 */
static __always_inline bool tt_may_select(struct sk_buff *skb, struct net_device *dev,
					  enum tt_mode mode, enum tt_read how)
{
	__u32 flags = tsn_filter.flags, netns = 0, len;
	char ifname[TSN_IFNAMSIZ] = {};
	struct tsn_meta m = {};
	struct tsn_pkt p;	/* tsn_parse_tuple() clears the tuple; fp stays unused */
	struct tt_l3 l3;

	if (tsn_tracked_any || tsn_pcap_on)
		return true;
	if (!tsn_armed)
		return false;
	if (!flags)
		return true;
	if (how == TT_READ_PLAIN) {
		if (!dev)
			dev = skb->dev;
		if (dev && (flags & TSN_FILT_NETNS))
			netns = dev->nd_net.net->ns.inum;
		m.priority = skb->priority;
		m.mark = skb->mark;
		len = skb->len;
	} else {
		if (!dev)
			dev = BPF_CORE_READ(skb, dev);
		if (dev && (flags & TSN_FILT_NETNS))
			netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		if (flags & (TSN_FILT_PRIORITY | TSN_FILT_MARK)) {
			m.priority = BPF_CORE_READ(skb, priority);
			m.mark = BPF_CORE_READ(skb, mark);
		}
		len = BPF_CORE_READ(skb, len);
	}
	if (dev && (flags & TSN_FILT_IFNAME))
		BPF_CORE_READ_INTO(&ifname, dev, name);
	if (!tsn_filter_match(&tsn_filter, netns, ifname, NULL, &m))
		return false;
	if (!(flags & TT_FILT_TUPLE) || tt_skb_l3(skb, mode, how, &l3))
		return true;
	if (how == TT_READ_PLAIN && tsn_headers_btf) {
		if (tsn_parse_tuple(l3.head, TSN_SRC_BTF, l3.off & 0xffff, l3.proto,
				    l3.doff + len, &p))
			return true;
	} else if (tsn_parse_tuple(l3.head, TSN_SRC_KERN, l3.off & 0xffff, l3.proto,
				   l3.doff + len, &p)) {
		return true;
	}
	return tsn_filter_match(&tsn_filter, netns, ifname, &p.tuple, &m);
}

/*
 * Is this hop a packet that its socket has just handed to a device (__dev_queue_xmit(): tc
 * egress, net_dev_queue; the skb holds its socket, is not a clone and was never received:
 * skb_iif 0)? Such a packet is new, never another tracked packet continued: clones, copies and
 * rebuilds start without a socket (__skb_clone(), alloc_skb()), and a socket's own clone (TCP's
 * transmit) is cloned. So it is not looked up by fingerprint, which would take a datagram
 * identical to the one before (a cyclic app's; over IPv6, or IPv4 with id 0) for that one's
 * clone, nor taken for a received packet whose skb it reuses (tt_sent_anew()). A packet that a
 * veth crossing left its socket and that a bridge sends on was received: not its socket's send.
 */
static __always_inline bool tt_own_send(struct sk_buff *skb, __u32 hook, bool has_sk,
					enum tt_read how)
{
	if ((hook != TSN_HOOK_NET_DEV_QUEUE && hook != TSN_HOOK_TC_EGRESS) || !has_sk)
		return false;
	if (how == TT_READ_PLAIN)
		return !BPF_CORE_READ_BITFIELD(skb, cloned) && !skb->skb_iif;
	return !BPF_CORE_READ_BITFIELD_PROBED(skb, cloned) && !BPF_CORE_READ(skb, skb_iif);
}

/* skb->sk != NULL, as tsn_meta.has_sk reads it */
static __always_inline bool tt_skb_has_sk(struct sk_buff *skb, enum tt_read how)
{
	return (how == TT_READ_PLAIN ? skb->sk : BPF_CORE_READ(skb, sk)) != NULL;
}

/* tt_rx_place() of a receive hop before it has a view, from the device tt_hop_how() takes */
static __always_inline __u32 tt_skb_rx_place(struct sk_buff *skb, __u32 hook, __u64 func_ip,
					     enum tt_read how, __u8 ttl)
{
	__u32 ifindex, netns;

	tt_dev_ids(tt_skb_dev(skb, TT_RX, how), how, &ifindex, &netns);
	return tt_rx_place(hook, func_ip, ifindex, netns, ttl);
}

/*
 * Aggregate mode, a selecting hook: is skb the packet its slot already follows, unsampled? Then
 * the hop has nothing to record (tt_agg() counts such a packet at its first hop and its judged
 * transmit only, and a selecting hook is neither), and only the content check that tells it
 * from a new packet at a reused address is left to do: done here, from the skb into a stack
 * tuple, before the hop claims a view and reads its metadata and device. Any other answer
 * (another content, a tunnel's outer headers, an unreadable header) is tt_track_emit()'s, which
 * parses again: only a new packet at the address of an unsampled one whose free was not seen
 * pays that twice. A receive marks the slot with its place (tt_slot_received()); the same
 * content received at that place again (tt_rx_again()), or sent by a socket into a received
 * packet's skb (tt_sent_anew()), is a new packet.
 */
static __always_inline bool tt_agg_same_unsampled(struct sk_buff *skb, __u32 hook, __u64 func_ip,
						  enum tt_mode mode, enum tt_read how)
{
	struct tsn_track_slot *s;
	struct tsn_pkt p;
	struct tt_l3 l3;
	__u64 addr;
	__u32 len;

	if (!tsn_aggregate || !tsn_tracked_any)
		return false;
	addr = tsn_addr(skb);
	s = tsn_slot_by_skb(addr);
	if (!s || s->skb != addr || s->check != tsn_slot_check(s) ||
	    !tt_agg_unsampled(s->pkt_id))
		return false;
	len = how == TT_READ_PLAIN ? skb->len : BPF_CORE_READ(skb, len);
	if (tt_skb_l3(skb, mode, how, &l3) || tt_parse_at(&l3, how, len, &p) || p.fp != s->fp)
		return false;
	if (mode == TT_RX) {
		if (!tt_slot_was_received(s)) {
			tt_slot_received(s, tt_skb_rx_place(skb, hook, func_ip, how, p.ttl), false);
			return true;
		}
		return !tt_newer_rebuilt(s, p.fp, NULL) &&
		       !(tt_rx_same_hook(s, hook) &&
			 tt_rx_again(s, tt_skb_rx_place(skb, hook, func_ip, how, p.ttl), skb));
	}
	/* tt_sent_anew(), the skb read only for a slot that a receive marked */
	return !tt_slot_was_received(s) || !tt_own_send(skb, hook, tt_skb_has_sk(skb, how), how);
}

/* tt_track_emit()'s parse callbacks, one per flavour */
static __always_inline int tt_parse_skb_tx(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_TX, TT_READ_PROBE, false);
}

static __always_inline int tt_parse_skb_tx_inner(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_TX, TT_READ_PROBE, true);
}

static __always_inline int tt_parse_skb_rx(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_RX, TT_READ_PROBE, false);
}

static __always_inline int tt_parse_skb_rx_inner(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_RX, TT_READ_PROBE, true);
}

static __always_inline int tt_parse_skb_tx_btf(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_TX, TT_READ_PLAIN, false);
}

static __always_inline int tt_parse_skb_tx_btf_inner(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_TX, TT_READ_PLAIN, true);
}

static __always_inline int tt_parse_skb_rx_btf(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_RX, TT_READ_PLAIN, false);
}

static __always_inline int tt_parse_skb_rx_btf_inner(void *src, struct tt_view *v)
{
	return tt_parse_skb(src, v, TT_RX, TT_READ_PLAIN, true);
}

/*
 * One hop seen by a tracing program. dev may be NULL (use skb->dev). For TT_ADDR the skb is not
 * read at all: after ndo_start_xmit it may already be freed on another CPU.
 */
static __always_inline void tt_hop_how(void *ctx, struct sk_buff *skb, struct net_device *dev,
				       __u32 hook, enum tt_mode mode, enum tt_sel sel, __u32 aux,
				       __u32 len, __u64 func_ip, enum tt_read how)
{
	enum tt_cand cand = TT_CAND_YES;
	__u64 *claim;
	struct tt_view *v;

	if (!skb)
		return;
	if (tt_follow_only(mode, sel)) {
		cand = tt_follow_candidate(skb, dev, mode, hook, how);
		if (cand == TT_CAND_NO)
			return;
	} else if (!tt_may_select(skb, dev, mode, how) ||
		   tt_agg_same_unsampled(skb, hook, func_ip, mode, how)) {
		return;
	}
	v = tt_view_enter(&claim);
	if (!v)
		return;
	v->addr = tsn_addr(skb);
	v->func_ip = func_ip;
	v->parent = 0;
	v->hook = hook;
	v->aux = aux;
	v->drop_reason = 0;
	v->flags = 0;
	v->own_send = 0;
	__builtin_memset(&v->p, 0, sizeof(v->p));
	if (mode == TT_ADDR) {
		__builtin_memset(&v->m, 0, sizeof(v->m));
		v->len = len;
		tt_dev_info(v, dev, how);
	} else {
		if (how == TT_READ_PLAIN) {
			tsn_skb_meta_btf(skb, &v->m);
			v->len = skb->len;
		} else {
			tsn_skb_meta(skb, &v->m);
			v->len = BPF_CORE_READ(skb, len);
		}
		tt_dev_info(v, dev ? dev : tt_skb_dev(skb, mode, how), how);
		v->own_send = tt_own_send(skb, hook, v->m.has_sk, how);
	}
	if (cand == TT_CAND_JUDGE)
		v->judged_nic = 1;
	if (mode == TT_FREE)
		v->drop_reason = aux;
	if (mode == TT_RX)
		tt_track_emit(ctx, v, skb, mode, sel,
			      how == TT_READ_PLAIN ? tt_parse_skb_rx_btf : tt_parse_skb_rx,
			      how == TT_READ_PLAIN ? tt_parse_skb_rx_btf_inner :
						     tt_parse_skb_rx_inner);
	else
		tt_track_emit(ctx, v, skb, mode, sel,
			      how == TT_READ_PLAIN ? tt_parse_skb_tx_btf : tt_parse_skb_tx,
			      how == TT_READ_PLAIN ? tt_parse_skb_tx_btf_inner :
						     tt_parse_skb_tx_inner);
	tsn_view_exit(claim);
}

/*
 * The fentry and kprobe-multi backends' hops: their functions are not sorted into first
 * appearances, so every transmit and receive hook may select (the free ones never do).
 */
static __always_inline void tt_hop(void *ctx, struct sk_buff *skb, struct net_device *dev,
				   __u32 hook, enum tt_mode mode, __u32 aux, __u32 len,
				   __u64 func_ip)
{
	tt_hop_how(ctx, skb, dev, hook, mode, TT_SELECT, aux, len, func_ip, TT_READ_PROBE);
}

/* The tracepoint backend's hops: tp_btf arguments are BTF-typed. */
static __always_inline void tt_hop_btf(void *ctx, struct sk_buff *skb, struct net_device *dev,
				       __u32 hook, enum tt_mode mode, enum tt_sel sel, __u32 aux,
				       __u32 len, __u64 func_ip)
{
	tt_hop_how(ctx, skb, dev, hook, mode, sel, aux, len, func_ip, TT_READ_PLAIN);
}

/* ---- tracepoint backend ---- */

SEC("tp_btf/net_dev_queue")
int BPF_PROG(tsn_tp_dev_queue, struct sk_buff *skb)
{
	/* a packet's transmit on a device starts here, after the tc egress hook */
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_NET_DEV_QUEUE, TT_TX, TT_SELECT, 0, 0, 0);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tsn_tp_start_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	/* queued before (net_dev_queue), or a segment of a GSO packet: a new content */
	tt_hop_btf(ctx, (struct sk_buff *)skb, (struct net_device *)dev, TSN_HOOK_NET_DEV_START_XMIT,
		   TT_TX, TT_FOLLOW, 0, 0, 0);
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(tsn_tp_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int skb_len)
{
	tt_hop_btf(ctx, skb, dev, TSN_HOOK_NET_DEV_XMIT, TT_ADDR, TT_FOLLOW, (__u32)rc, skb_len, 0);
	return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(tsn_tp_netif_rx, struct sk_buff *skb)
{
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_NETIF_RX, TT_RX, TT_SELECT, 0, 0, 0);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tsn_tp_receive, struct sk_buff *skb)
{
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_NETIF_RECEIVE_SKB, TT_RX, TT_SELECT, 0, 0, 0);
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(tsn_tp_gro, const struct sk_buff *skb)
{
	tt_hop_btf(ctx, (struct sk_buff *)skb, NULL, TSN_HOOK_NAPI_GRO_RECEIVE, TT_RX, TT_SELECT, 0, 0,
		   0);
	return 0;
}

SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(tsn_tp_qdisc_enq, struct Qdisc *q, const struct netdev_queue *txq,
	     struct sk_buff *skb)
{
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_QDISC_ENQUEUE, TT_TX, TT_FOLLOW, 0, 0, 0);
	return 0;
}

SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(tsn_tp_qdisc_deq, struct Qdisc *q, const struct netdev_queue *txq, int packets,
	     struct sk_buff *skb)
{
	/* skb is NULL when the qdisc had nothing; with bulk dequeue it heads a list */
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_QDISC_DEQUEUE, TT_TX, TT_FOLLOW, 0, 0, 0);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(tsn_tp_kfree, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_KFREE_SKB, TT_FREE, TT_FOLLOW, (__u32)reason, 0,
		   (__u64)location);
	return 0;
}

/*
 * Only the skb: the tracepoint gained its `location` argument in 6.3, and reading an argument a
 * kernel's tracepoint does not have fails the load. A consume is not a drop; its call site matters
 * less than kfree_skb's, which keeps it.
 */
SEC("tp_btf/consume_skb")
int BPF_PROG(tsn_tp_consume, struct sk_buff *skb)
{
	tt_hop_btf(ctx, skb, NULL, TSN_HOOK_CONSUME_SKB, TT_FREE, TT_FOLLOW, 0, 0, 0);
	return 0;
}

/* ---- tc observers (--tc-observe IF) ---- */

/* A tc observer's frame for a pcap-filter expression: from the kernel's view of its skb. */
static __always_inline void tt_pcap_locate_tc(struct tt_view *v, struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

	tsn_pcap_locate(&v->pf, (__u64)skb->head, (__u32)(skb->data - skb->head),
			skb->network_header, skb->mac_header, skb->len, skb->data_len);
}

static __always_inline int tt_parse_tc(void *src, struct tt_view *v)
{
	if (tsn_pcap_on)
		tt_pcap_locate_tc(v, src);
	return tt_parse_l3(src, TSN_SRC_TC, ETH_HLEN,
			   bpf_ntohs(((struct __sk_buff *)src)->protocol), v->len, &v->p);
}

static __always_inline int tt_parse_tc_inner(void *src, struct tt_view *v)
{
	return tt_parse_inner_tc(src, v);
}

static __always_inline int tt_tc(struct __sk_buff *ctx, __u32 hook)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	__u64 *claim;
	struct tt_view *v = tt_view_enter(&claim);

	if (!v)
		return TC_ACT_UNSPEC;
	v->addr = tsn_addr(ctx);	/* a tc ctx is the struct sk_buff itself */
	v->func_ip = 0;
	v->parent = 0;
	v->hook = hook;
	v->aux = 0;
	v->drop_reason = 0;
	v->flags = 0;
	v->len = ctx->len;
	tsn_skb_meta_tc(ctx, &v->m);
	v->own_send = tt_own_send(skb, hook, v->m.has_sk, TT_READ_PROBE);
	__builtin_memset(&v->p, 0, sizeof(v->p));
	tt_dev_info(v, BPF_CORE_READ(skb, dev), TT_READ_PROBE);
	/* no stack: bpf_get_stack() is not a tc helper */
	tt_track_emit(NULL, v, ctx, TT_TX, TT_SELECT, tt_parse_tc, tt_parse_tc_inner);
	tsn_view_exit(claim);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tsn_tc_obs_in(struct __sk_buff *ctx)
{
	return tt_tc(ctx, TSN_HOOK_TC_INGRESS);
}

SEC("tc")
int tsn_tc_obs_eg(struct __sk_buff *ctx)
{
	return tt_tc(ctx, TSN_HOOK_TC_EGRESS);
}

/* ---- fentry backend: the functions that change, replace or free skbs ---- */

/* A clone/copy returned by fexit: continue the parent's packet id on the new object. */
static __always_inline void tt_child(void *ctx, struct sk_buff *parent, struct sk_buff *child,
				     __u64 ip)
{
	struct tsn_track_slot *s;
	__u64 *claim;
	struct tt_view *v;
	__u64 paddr, pkt_id, now;

	if (!parent || !child)
		return;
	paddr = tsn_addr(parent);
	s = tsn_slot_by_skb(paddr);
	if (!s || s->skb != paddr || s->check != tsn_slot_check(s))
		return;
	pkt_id = s->pkt_id;
	v = tt_view_enter(&claim);
	if (!v)
		return;
	v->addr = tsn_addr(child);
	v->func_ip = ip;
	v->parent = paddr;
	v->hook = TSN_HOOK_FEXIT;
	v->aux = 0;
	v->drop_reason = 0;
	v->flags = TSN_HOPF_CLONE;
	v->own_send = 0;
	tsn_skb_meta(child, &v->m);
	v->len = BPF_CORE_READ(child, len);
	tt_dev_info(v, BPF_CORE_READ(child, dev), TT_READ_PROBE);
	__builtin_memset(&v->p, 0, sizeof(v->p));
	tt_parse_skb_tx(child, v);
	now = tt_now(v);
	tt_store(v->addr, v->p.fp, pkt_id, &v->m, v->netns, now);
	tt_report(ctx, v, pkt_id);
	tt_index(v->addr, v->p.fp);
	tsn_view_exit(claim);
}

SEC("fentry/skb_scrub_packet")
int BPF_PROG(tsn_fe_scrub, struct sk_buff *skb, bool xnet)
{
	tt_hop(ctx, skb, NULL, TSN_HOOK_FENTRY, TT_TX, xnet, 0, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fexit/skb_scrub_packet")
int BPF_PROG(tsn_fx_scrub, struct sk_buff *skb, bool xnet)
{
	tt_hop(ctx, skb, NULL, TSN_HOOK_FEXIT, TT_TX, xnet, 0, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fentry/__dev_forward_skb")
int BPF_PROG(tsn_fe_dev_fwd, struct net_device *dev, struct sk_buff *skb)
{
	tt_hop(ctx, skb, NULL, TSN_HOOK_FENTRY, TT_TX, 2, 0, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fentry/ip_forward")
int BPF_PROG(tsn_fe_ip_fwd, struct sk_buff *skb)
{
	tt_hop(ctx, skb, NULL, TSN_HOOK_FENTRY, TT_RX, 1, 0, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fexit/skb_clone")
int BPF_PROG(tsn_fx_clone, struct sk_buff *skb, gfp_t gfp, struct sk_buff *ret)
{
	tt_child(ctx, skb, ret, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fexit/skb_copy")
int BPF_PROG(tsn_fx_copy, const struct sk_buff *skb, gfp_t gfp, struct sk_buff *ret)
{
	tt_child(ctx, (struct sk_buff *)skb, ret, bpf_get_func_ip(ctx));
	return 0;
}

/* pskb_copy() is an inline wrapper of this */
SEC("fexit/__pskb_copy_fclone")
int BPF_PROG(tsn_fx_pskb_copy, struct sk_buff *skb, int headroom, gfp_t gfp, bool fclone,
	     struct sk_buff *ret)
{
	tt_child(ctx, skb, ret, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fexit/skb_copy_expand")
int BPF_PROG(tsn_fx_copy_exp, const struct sk_buff *skb, int newheadroom, int newtailroom,
	     gfp_t gfp, struct sk_buff *ret)
{
	tt_child(ctx, (struct sk_buff *)skb, ret, bpf_get_func_ip(ctx));
	return 0;
}

/* GSO: the first segment continues the packet (the others differ in content and length) */
SEC("fexit/skb_segment")
int BPF_PROG(tsn_fx_segment, struct sk_buff *head_skb, netdev_features_t features,
	     struct sk_buff *ret)
{
	if (ret && (unsigned long)ret < (unsigned long)-4095L)	/* !IS_ERR_OR_NULL */
		tt_child(ctx, head_skb, ret, bpf_get_func_ip(ctx));
	return 0;
}

/* veth XDP: the skb may be replaced by a copy built around an xdp_buff (module function). */
SEC("fexit/veth_convert_skb_to_xdp_buff")
int BPF_PROG(tsn_fx_veth_xdp, void *rq, void *xdp, struct sk_buff **pskb, int ret)
{
	struct sk_buff *nskb = NULL;

	bpf_probe_read_kernel(&nskb, sizeof(nskb), pskb);
	/* the old skb is already consumed: its slot was freed, the fingerprint continues it */
	if (nskb)
		tt_hop(ctx, nskb, NULL, TSN_HOOK_FEXIT, TT_RX, 3, 0, bpf_get_func_ip(ctx));
	return 0;
}

SEC("fentry/kfree_skbmem")
int BPF_PROG(tsn_fe_kfree_mem, struct sk_buff *skb)
{
	tt_hop(ctx, skb, NULL, TSN_HOOK_FENTRY, TT_FREE, 0, 0, bpf_get_func_ip(ctx));
	return 0;
}

/* ---- kprobe-multi backend: one program per position of the struct sk_buff * argument ---- */

#define TT_KPM(n)                                                                               \
	SEC("kprobe.multi")                                                                     \
	int tsn_kpm##n(struct pt_regs *ctx)                                                     \
	{                                                                                       \
		tt_hop(ctx, (struct sk_buff *)PT_REGS_PARM##n(ctx), NULL, TSN_HOOK_KPROBE,     \
		       TT_TX, n, 0, bpf_get_func_ip(ctx));                                      \
		return 0;                                                                       \
	}

TT_KPM(1)
TT_KPM(2)
TT_KPM(3)
TT_KPM(4)
TT_KPM(5)

/* ---- the ring buffer's first pass ---- */

static long tt_rb_touch_chunk(__u64 i, void *ctx)
{
	void *e = bpf_ringbuf_reserve(&tsn_events, TSN_RB_CHUNK - BPF_RINGBUF_HDR_SZ, 0);

	if (!e)
		return 1;
	bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Run by the loader before any event (rb_warm() in lib/trace_backend.c): writes a discarded
 * record's header into every page of the ring buffer, so that the kernel's first write to a
 * page is not an event's.
 */
SEC("syscall")
int tsn_rb_warm(struct tsn_rb_warm_ctx *ctx)
{
	bpf_loop(ctx->chunks, tt_rb_touch_chunk, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
