// SPDX-License-Identifier: GPL-2.0
/*
 * tsnproxy enforce mode: save TSN metadata (priority, tstamp + clock type, mark) when a pod's
 * packet is transmitted on its interface, before the veth crossing scrubs it, and restore it at
 * the TSN NIC's egress hook, before the qdisc and tx-queue selection use it.
 *
 *   tsn_save_tc     tc/tcx egress on a registered pod's interfaces, behind the pod's stub
 *                   (lib/proxy_pods.c), which tags every packet leaving the pod
 *                   (skb->tc_index) and tail-calls it: saves what the pod asked for, within
 *                   the policy its tag is bound to (tsn_pods).
 *   tsn_save        tp_btf/net_dev_start_xmit, node-wide, for --policy all (every pod may use
 *                   every value, so nothing needs binding to a pod); also sees netkit and
 *                   qdisc-bypassing packet sockets.
 *   tsn_save_direct the same, reading headers with plain loads; loaded instead on 6.2+.
 *   tsn_restore     tc/tcx egress on each TSN NIC.
 *   tsn_clock       syscall program: the datapath's clock next to CLOCK_MONOTONIC, so that
 *                   userspace can convert the TTL and age the table (status).
 *
 * Invariants (docs/enforce.md proves each):
 *  - Binding: under --policy registered an entry is restored only onto a packet that carries
 *    the tag of the pod it was saved from, while that tag is bound to that pod's netns. Only a
 *    pod's own save program writes its tag, and it writes it on every packet the pod sends.
 *  - Freshness: an entry is restored only within the TTL of its save (plus one jiffy); no timer
 *    sweeps the table, so the datapath runs where bpf_timer does not (PREEMPT_RT). Entries end
 *    restored, or counted as expired/evicted when their slot is next written.
 *  - Every program runs inside a BH-disabled section (tc egress under rcu_read_lock_bh, the
 *    tracepoint inside the driver transmit path), which on PREEMPT_RT is a per-CPU local lock:
 *    per-CPU counters and scratch are never used by two of these programs on one CPU at once.
 *    A slot, shared by all CPUs, is validated by content, tag and check word on every read.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "tsn_track.bpf.h"
#include "tsn_tunnel.bpf.h"

/* Set by tsnproxy before load. */
const volatile __u32 tsn_mode = TSN_MODE_REGISTERED;
const volatile __u32 tsn_restore_flags = TSN_RESTORE_PRIORITY | TSN_RESTORE_TSTAMP;
const volatile __u32 tsn_nic_netns = 0;
const volatile bool tsn_have_tai = true;	/* kernel has SKB_CLOCK_TAI (6.11+) */
/* A VXLAN UDP port besides IANA's 4789: Linux's default, which Flannel and Cilium use. */
const volatile __u16 tsn_vxlan_port = TSN_TUN_VXLAN_LINUX_PORT;

/* skb->tstamp clock ids of bpf_skb_set_tstamp() (uapi enum bpf_tstamp_type) */
#define TSN_BPF_SKB_CLOCK_MONOTONIC 1
#define TSN_BPF_SKB_CLOCK_TAI 2

/*
 * The pinned configuration (maps/config), written by userspace. A global in a section of its own
 * (a one-entry array map to userspace): reading it costs a load, where a map lookup costs a key
 * spill, a bounds check and the address arithmetic first.
 */
struct tsn_proxy_config tsn_config SEC(".data.config");

/* The registry (key: netns inode), kept by userspace; the datapath reads only tsn_pods. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_MAX_PODS);
	__type(key, __u32);
	__type(value, struct tsn_policy);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tsn_policy SEC(".maps");

/* tag -> the netns it is bound to; allow binds it before attaching, deny unbinds it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSN_POD_TAGS);
	__type(key, __u32);
	__type(value, struct tsn_pod_binding);
} tsn_pods SEC(".maps");

/*
 * The datapath's clock, in jiffies: one load (the verifier inlines bpf_jiffies64() on 64-bit
 * JITs), where a ktime read costs a clocksource access. Never 0, which marks a free slot.
 */
static __always_inline __u64 tsn_now(void)
{
	return bpf_jiffies64() | 1;
}

/*
 * The tracking slot of the skb at ptr: its address goes to *addr, its slot index to *idx. NULL
 * when the lookup fails, which it cannot, but the verifier wants the check.
 */
static __always_inline struct tsn_track_slot *tsn_skb_slot(const void *ptr, __u64 *addr,
							  __u32 *idx)
{
	*addr = tsn_addr(ptr);
	*idx = tsn_skb_slot_index(*addr);
	return tsn_slot_at(*idx);
}

/* The start of a save: this CPU's counters (*c) and the slot of the skb at ptr. */
static __always_inline struct tsn_track_slot *tsn_cpu_slot(const void *ptr,
							  struct tsn_cpu_counters **c, __u64 *addr,
							  __u32 *idx)
{
	*c = tsn_cpu();
	if (!*c)
		return NULL;
	return tsn_skb_slot(ptr, addr, idx);
}

static __always_inline bool tsn_meta_is_default(const struct tsn_meta *m)
{
	return !m->priority && !m->tstamp && !m->mark;
}

/*
 * The fingerprint index, the proxy's way. Packets of identical content (a sender's raw frames,
 * identical IPv6 datagrams) share one entry, and while several of them are between their save
 * and their restore (a queue at the pod), the restore of one found by content must take the
 * oldest: they reach the NIC in the order they were saved, and each has its own metadata (a
 * txtime, a per-packet priority). So an entry names the newest save of its content, each save
 * links to the save of the same content before it (fp_prev), and the restore walks back.
 *
 * Entry: the slot index (TSN_FP_IDX_BITS, the table's largest) under 10 bits of the fingerprint,
 * which tell most other contents that share the entry without a read of their slot. Link: the
 * slot index under 10 bits of that slot's check word, which changes when the slot is written
 * again, so a link never leads to a later save at its slot. Neither is ever 0 (bit 0 of the
 * fingerprint bits and of the check word is set).
 */
#define TSN_FP_IDX_BITS 22
#define TSN_FP_IDX_MASK ((1U << TSN_FP_IDX_BITS) - 1)
#define TSN_FP_TAG(fp) ((__u32)((fp) >> 54) | 1)
#define TSN_FP_ENTRY(fp, idx) (TSN_FP_TAG(fp) << TSN_FP_IDX_BITS | (idx))
#define TSN_FP_CHECK_MASK 0x3ff
#define TSN_FP_LINK(idx, check) (((check) & TSN_FP_CHECK_MASK) << TSN_FP_IDX_BITS | (idx))
#define TSN_FP_LINK_CHECK(link) ((link) >> TSN_FP_IDX_BITS)
/* the saves of one content a restore walks back over, at most: a queue's depth at the pod */
#define TSN_FP_CHAIN_MAX 16

/*
 * The index entry of content fp from the pod with tag: pods that send identical content (the
 * same app image, whose process ids in their own pid namespaces agree) have entries of their
 * own, so one pod's saves never hide another's newest save from its restore. --policy all
 * restores without reading tags: one entry per content there.
 */
static __always_inline __u32 tsn_fp_entry_index(__u64 fp, __u32 tag)
{
	if (tsn_mode != TSN_MODE_REGISTERED)
		tag = 0;
	return tsn_fp_slot_index(fp ^ (__u64)tag << 40);
}

/*
 * Can another packet of the pod have this one's content? Not an IPv4 packet with an IP id (ids
 * count per socket or per destination: a repeat is 65 536 packets away) nor a TCP segment (its
 * sequence and acknowledgment numbers are in the fingerprint); anything else can: raw frames,
 * IPv6, IPv4 with id 0. Only those link to the save before them, since reading the index
 * entry first costs a cache miss for content whose entry is not hot.
 */
static __always_inline bool tsn_content_may_repeat(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *l3 = data + ETH_HLEN;

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		if ((void *)(l3 + TSN_IPV4_PROTO_OFF + 1) > end)
			return true;
		return l3[TSN_IPV4_PROTO_OFF] != IPPROTO_TCP &&
		       !(l3[TSN_IPV4_ID_OFF] | l3[TSN_IPV4_ID_OFF + 1]);
	}
	if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		if ((void *)(l3 + TSN_IPV6_NEXTHDR_OFF + 1) > end)
			return true;
		return l3[TSN_IPV6_NEXTHDR_OFF] != IPPROTO_TCP;
	}
	return true;
}

/*
 * Before a save of content fp: the link to the newest save of that content the index names (0
 * if none is intact, or link is false), and in *entry the index entry, which the caller points
 * at its slot once the slot is written. Only tagged saves link (--policy registered: the pod's
 * tc hook saves each packet once); the tracepoint hook saves a packet at every transmit of the
 * node, so a chain there would hold other hops' saves, and its restores take the newest save.
 */
static __always_inline __u32 tsn_fp_prev(__u64 fp, __u32 tag, bool link, __u32 **entry)
{
	__u32 fidx = tsn_fp_entry_index(fp, tag), e;
	struct tsn_track_slot *p;

	*entry = bpf_map_lookup_elem(&tsn_track_fp, &fidx);	/* an array: inlined */
	if (!*entry || !link)
		return 0;
	e = **entry;
	if (e >> TSN_FP_IDX_BITS != TSN_FP_TAG(fp))
		return 0;
	p = tsn_slot_at(e & TSN_FP_IDX_MASK);
	if (!p || p->fp != fp || p->pod_tag != tag || !p->saved_at ||
	    p->check != tsn_slot_check(p))
		return 0;
	return TSN_FP_LINK(e & TSN_FP_IDX_MASK, p->check);
}

/*
 * Save m for the skb at addr in its slot s (index idx), findable by address and by content (a
 * packet whose skb object is replaced on the way, e.g. by a veth XDP rebuild, keeps its content
 * and tag); link: to the save of the same content before it.
 */
static __always_inline void tsn_save_slot(struct tsn_cpu_counters *c, struct tsn_track_slot *s,
					  __u32 idx, __u64 addr, __u64 fp, __u32 tag, bool link,
					  const struct tsn_meta *m, __u32 netns)
{
	struct tsn_track_slot id;
	__u32 *entry;

	id.pod_tag = tag;
	id.fp_prev = tsn_fp_prev(fp, tag, link, &entry);
	tsn_slot_write(s, addr, fp, id.pkt_id, m, netns, tsn_now());
	if (entry)
		*entry = TSN_FP_ENTRY(fp, idx);
	tsn_cpu_count(c, TSN_CNT_SAVED);
}

/* The tracepoint save hook; direct: read the headers with plain loads (6.2+), else probe read. */
static __always_inline int tsn_save_xmit(struct sk_buff *skb, struct net_device *dev, bool direct)
{
	/* BTF pointers: plain loads, where BPF_CORE_READ would cost a helper call per step */
	__u32 netns = dev->nd_net.net->ns.inum;
	struct tsn_cpu_counters *c;
	struct tsn_track_slot *s;
	struct tsn_meta m;
	__u64 addr, fp;
	__u32 idx;

	/* the NIC's own netns is where we restore, never a pod: first, cheapest exit */
	if (netns == tsn_nic_netns)
		return 0;
	m.priority = skb->priority;
	m.mark = skb->mark;
	m.tstamp = skb->tstamp;
	if (tsn_meta_is_default(&m))
		return 0;
	s = tsn_cpu_slot(skb, &c, &addr, &idx);
	if (!s)
		return 0;
	tsn_slot_prefetch(s);
	m.tstamp_type = m.tstamp ? tsn_skb_tstamp_type_btf(skb) : 0;
	m.queue_mapping = skb->queue_mapping;
	m.has_sk = skb->sk != NULL;
	m.slot_flags = 0;
	if (tsn_fp_skb_btf(skb, direct ? TSN_SRC_BTF : TSN_SRC_KERN, &fp))
		return 0;
	tsn_save_slot(c, s, idx, addr, fp, 0, false, &m, netns);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tsn_save, struct sk_buff *skb, struct net_device *dev)
{
	return tsn_save_xmit(skb, dev, false);
}

/* The same; tsnproxy loads this one instead where the kernel has bpf_rdonly_cast. */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tsn_save_direct, struct sk_buff *skb, struct net_device *dev)
{
	return tsn_save_xmit(skb, dev, true);
}

/*
 * The pod's policy (its tag's binding): a priority it may not use becomes the highest allowed
 * one below it, or 0 (tsn_policy_priority()); of the mark, only the bits it may set are kept.
 */
static __always_inline void tsn_policy_narrow(struct tsn_cpu_counters *c,
					      const struct tsn_pod_binding *pod, struct tsn_meta *m)
{
	__u32 prio = tsn_policy_priority(pod->allowed, pod->on_disallowed, m->priority);

	if (prio != m->priority) {
		m->priority = prio;
		tsn_cpu_count(c, TSN_CNT_POLICY_CLAMPED);
	}
	m->mark &= pod->mark_mask;
}

/*
 * The tc save hook's shared program, entered only by a tail call from a registered pod's
 * stub (lib/proxy_pods.c): the stub, attached to the pod's interfaces inside its netns, writes
 * the pod's tag (an immediate of the stub) into skb->tc_index of every packet and jumps here
 * through tsn_save_tail. One program for every pod, verified once at start; a pod costs a
 * seven-instruction stub and its tag's entry in tsn_pods (netns and policy).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tsn_save_tail SEC(".maps");

SEC("tc")
int tsn_save_tc(struct __sk_buff *ctx)
{
	struct tsn_cpu_counters *c;
	struct tsn_pod_binding *pod;
	struct tsn_track_slot *s;
	struct tsn_meta m;
	__u32 tag, netns;
	__u64 addr, fp;
	__u32 idx;

	/*
	 * The stub wrote the tag just now, on every packet, saved or not: a packet that entered
	 * the pod with another pod's tag (the pod forwards it) leaves with this one's, so no pod
	 * passes on a tag it does not own. An unbound tag (the pod is being unregistered) saves
	 * nothing; the restore refuses it too.
	 */
	tag = ctx->tc_index;
	m.priority = ctx->priority;
	m.mark = ctx->mark;
	m.tstamp = ctx->tstamp;
	if (tsn_meta_is_default(&m))
		return TC_ACT_UNSPEC;
	pod = bpf_map_lookup_elem(&tsn_pods, &tag);	/* an array: inlined */
	if (!pod)
		return TC_ACT_UNSPEC;
	netns = pod->netns;
	if (!netns)
		return TC_ACT_UNSPEC;
	s = tsn_cpu_slot(ctx, &c, &addr, &idx);	/* a tc ctx is the struct sk_buff itself */
	if (!s)
		return TC_ACT_UNSPEC;
	tsn_slot_prefetch(s);
	/* __sk_buff's tstamp_type uses the kernel's numbering, which is ours (REALTIME/MONO/TAI) */
	m.tstamp_type = m.tstamp ? ctx->tstamp_type : 0;
	m.queue_mapping = ctx->queue_mapping;
	m.has_sk = ctx->sk != NULL;
	m.slot_flags = 0;
	tsn_policy_narrow(c, pod, &m);
	if (tsn_meta_is_default(&m) || tsn_fp_tc(ctx, &fp))
		return TC_ACT_UNSPEC;
	tsn_save_slot(c, s, idx, addr, fp, tag, tsn_content_may_repeat(ctx), &m, netns);
	return TC_ACT_UNSPEC;
}

static __always_inline void tsn_restore_tstamp(struct tsn_cpu_counters *c, struct __sk_buff *ctx,
					       const struct tsn_meta *m)
{
	__u32 type;

	if (!m->tstamp || (ctx->tstamp == m->tstamp && ctx->tstamp_type == m->tstamp_type))
		return;		/* nothing to restore, or the kernel kept it (MONO/TAI) */
	if (m->tstamp_type == TSN_TSTAMP_MONO) {
		type = TSN_BPF_SKB_CLOCK_MONOTONIC;
	} else if (m->tstamp_type == TSN_TSTAMP_TAI && tsn_have_tai) {
		type = TSN_BPF_SKB_CLOCK_TAI;
	} else {
		/*
		 * REALTIME, or TAI on a kernel without SKB_CLOCK_TAI (where the sender's TAI time
		 * was unlabelled anyway): write the value; the clock type stays unspecified, which
		 * is what the sender's kernel produced too.
		 */
		ctx->tstamp = m->tstamp;
		tsn_cpu_count(c, TSN_CNT_RESTORED_TSTAMP);
		return;
	}
	if (!bpf_skb_set_tstamp(ctx, m->tstamp, type))
		tsn_cpu_count(c, TSN_CNT_RESTORED_TSTAMP);
}

/*
 * Is slot s the saved entry of the packet with fingerprint fp, from the pod with tag in netns?
 * (Under --policy all, tag and netns are 0 and not compared: every pod may use every value.)
 */
static __always_inline bool tsn_slot_is(const struct tsn_track_slot *s, __u64 fp, __u32 tag,
					__u32 netns)
{
	if (s->fp != fp || s->check != tsn_slot_check(s))
		return false;
	return tsn_mode == TSN_MODE_ALL || (s->pod_tag == tag && s->netns == netns);
}

/*
 * Copy slot s whole into copy and judge the copy: is it a saved entry of content fp from pod
 * tag in netns? The restore uses only the copy. Another CPU's save may write the slot at any
 * moment (an skb whose address maps to it), and a field read again from the slot after the
 * check could be that save's, another pod's; the copy is one entry, its check word computed
 * over the very fields judged (a copy torn by a concurrent write fails it).
 */
static __always_inline bool tsn_slot_copy_is(const struct tsn_track_slot *s, __u64 fp, __u32 tag,
					     __u32 netns, struct tsn_track_slot *copy)
{
	__builtin_memcpy(copy, s, sizeof(*copy));
	return copy->saved_at && tsn_slot_is(copy, fp, tag, netns);
}

/*
 * The saved entry of content fp from pod tag in netns, found by content: the newest save the
 * index names, then back along the links while each leads to an intact, fresh save of that
 * content and pod (at most TSN_FP_CHAIN_MAX): the oldest not restored yet, copied into copy.
 * NULL if the newest is none. A subprogram: only packets that miss by address (clones,
 * rebuilds, tunnels) run it.
 */
static __noinline struct tsn_track_slot *tsn_fp_oldest(__u64 fp, __u32 tag, __u32 netns,
						       struct tsn_track_slot *copy)
{
	__u32 fidx = tsn_fp_entry_index(fp, tag), *entry, e, link;
	struct tsn_track_slot *s, *t, older;
	__u64 now = tsn_now();
	int i;

	entry = bpf_map_lookup_elem(&tsn_track_fp, &fidx);
	if (!entry)
		return NULL;
	e = *entry;
	if (e >> TSN_FP_IDX_BITS != TSN_FP_TAG(fp))
		return NULL;
	s = tsn_slot_at(e & TSN_FP_IDX_MASK);
	if (!s || !tsn_slot_copy_is(s, fp, tag, netns, copy))
		return NULL;
	for (i = 0; i < TSN_FP_CHAIN_MAX; i++) {
		link = copy->fp_prev;
		if (!link)
			break;
		t = tsn_slot_at(link & TSN_FP_IDX_MASK);
		if (!t || !tsn_slot_copy_is(t, fp, tag, netns, &older) ||
		    (older.check & TSN_FP_CHECK_MASK) != TSN_FP_LINK_CHECK(link) ||
		    !tsn_fresh(now, older.saved_at))
			break;
		__builtin_memcpy(copy, &older, sizeof(*copy));
		s = t;
	}
	return s;
}

/*
 * The saved entry of the packet with fingerprint fp: by its skb's address (its slot s), else by
 * its content; the slot it was found in, NULL if none, and the entry itself in copy.
 */
static __always_inline struct tsn_track_slot *tsn_restore_lookup(struct tsn_track_slot *s,
								 __u64 addr, __u64 fp, __u32 tag,
								 __u32 netns,
								 struct tsn_track_slot *copy)
{
	if (s->skb == addr && tsn_slot_copy_is(s, fp, tag, netns, copy) && copy->skb == addr)
		return s;
	return tsn_fp_oldest(fp, tag, netns, copy);
}

/*
 * The saved entry of an encapsulated packet (VXLAN, Geneve, IPIP, GRE), found by the
 * fingerprint of the packet inside, which is the one the pod sent; NULL if the packet is no
 * tunnel packet or its inner packet has no entry. The tunnel device encapsulates in place (the
 * outer skb is the one the pod's packet was saved from, with its tag), so the address lookup
 * still applies. Asked only after the plain lookup missed: a packet that is found pays nothing
 * for it, and one that is no tunnel a call and a few compares (tsn_tunnel_maybe). A subprogram,
 * not inlined: the tunnel parse and a second fingerprint more than double the restore's code,
 * which would otherwise sit in the instruction cache lines of every packet's path.
 */
static __noinline struct tsn_track_slot *tsn_restore_lookup_inner(struct __sk_buff *ctx,
								  struct tsn_track_slot *s,
								  __u64 addr, __u64 pod,
								  struct tsn_track_slot *copy)
{
	__u32 tag = (__u32)(pod >> 32), netns = (__u32)pod;	/* a BPF call has five arguments */
	struct tsn_tunnel_inner in;
	__u64 fp;

	if (!tsn_tunnel_maybe(ctx, tsn_vxlan_port) ||
	    tsn_tunnel_inner(ctx, TSN_SRC_TC, ETH_HLEN, bpf_ntohs(ctx->protocol), tsn_vxlan_port,
			     &in) ||
	    tsn_fp_l3(ctx, TSN_SRC_TC, in.off, in.l3proto, ctx->len, &fp))
		return NULL;
	return tsn_restore_lookup(s, addr, fp, tag, netns, copy);
}

SEC("tc")
int tsn_restore(struct __sk_buff *ctx)
{
	struct tsn_cpu_counters *c = tsn_cpu();
	__u32 tag = 0, netns = 0, idx;
	struct tsn_track_slot *s, *found, entry;
	struct tsn_meta m;
	__u64 addr, fp;

	if (!c)
		return TC_ACT_UNSPEC;
	if (tsn_mode == TSN_MODE_REGISTERED) {
		struct tsn_pod_binding *pod;

		/* node-originated and unregistered pods' packets: no parse, no lookup */
		tag = ctx->tc_index;
		if (!tag) {
			tsn_cpu_count(c, TSN_CNT_UNTAGGED);
			return TC_ACT_UNSPEC;
		}
		ctx->tc_index = 0;	/* the tag is ours: nothing after the NIC reads it */
		pod = bpf_map_lookup_elem(&tsn_pods, &tag);
		if (!pod || !pod->netns) {
			tsn_cpu_count(c, TSN_CNT_POLICY_DENIED);	/* denied since it sent */
			return TC_ACT_UNSPEC;
		}
		netns = pod->netns;
	}
	s = tsn_skb_slot(ctx, &addr, &idx);	/* a tc ctx is the struct sk_buff itself */
	if (!s)
		return TC_ACT_UNSPEC;
	if (tsn_fp_tc(ctx, &fp))
		return TC_ACT_UNSPEC;
	found = tsn_restore_lookup(s, addr, fp, tag, netns, &entry);
	if (!found)
		found = tsn_restore_lookup_inner(ctx, s, addr, (__u64)tag << 32 | netns, &entry);
	if (!found) {
		/*
		 * Same address, other content: the saved skb was freed (a UDP socket consumes its
		 * skbs without a tracepoint) and this skb reuses its address. That entry is not
		 * this packet's; it ends when it expires or its slot is written again.
		 */
		if (s->skb == addr)
			tsn_cpu_count(c, TSN_CNT_FP_MISMATCH);
		tsn_cpu_count(c, TSN_CNT_MISS);
		return TC_ACT_UNSPEC;
	}
	if (!tsn_fresh(tsn_now(), entry.saved_at)) {
		tsn_cpu_count(c, TSN_CNT_EXPIRED);
		tsn_slot_release(found, &entry);
		return TC_ACT_UNSPEC;
	}
	m = entry.meta;
	tsn_slot_release(found, &entry);

	if ((tsn_restore_flags & TSN_RESTORE_PRIORITY) && m.priority &&
	    ctx->priority != m.priority) {
		ctx->priority = m.priority;
		tsn_cpu_count(c, TSN_CNT_RESTORED_PRIORITY);
	}
	if (tsn_restore_flags & TSN_RESTORE_TSTAMP)
		tsn_restore_tstamp(c, ctx, &m);
	if ((tsn_restore_flags & TSN_RESTORE_MARK) && m.mark && ctx->mark != m.mark) {
		ctx->mark = m.mark;
		tsn_cpu_count(c, TSN_CNT_RESTORED_MARK);
	}
	return TC_ACT_UNSPEC;
}

SEC("syscall")
int tsn_clock(struct tsn_clock_sample *out)
{
	out->jiffies = bpf_jiffies64();
	out->mono_ns = bpf_ktime_get_ns();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
