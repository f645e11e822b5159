// SPDX-License-Identifier: GPL-2.0
/*
 * tsnproxy enforce mode: save TSN metadata (priority, tstamp + clock type, mark) when a pod's
 * packet is transmitted on its interface, before the veth crossing scrubs it, and restore it at
 * the TSN NIC's egress hook, before the qdisc and tx-queue selection use it.
 *
 *   tsn_save        tp_btf/net_dev_start_xmit: node-wide, fires for every driver xmit; exits on
 *                   the first compare for traffic that is not in a pod netns or has nothing to
 *                   save, so no per-pod attachment is needed (also sees netkit).
 *   tsn_save_direct the same, reading headers with plain loads; loaded instead on 6.2+.
 *   tsn_save_tc     the same as a tc/tcx egress program on the pod's interfaces (--save-hook tc),
 *                   one copy per pod.
 *   tsn_restore     tc/tcx egress on each TSN NIC.
 *   tsn_on_kfree / tsn_on_consume
 *                   raw_tp skb:kfree_skb / skb:consume_skb: a freed skb's address stops matching.
 *   tsn_sweep_start syscall program that arms the bpf_timer sweeping entries past the TTL.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "tsn_track.bpf.h"

/* Set by tsnproxy before load. */
const volatile __u32 tsn_mode = TSN_MODE_REGISTERED;
const volatile __u32 tsn_restore_flags = TSN_RESTORE_PRIORITY | TSN_RESTORE_TSTAMP;
const volatile __u32 tsn_nic_netns = 0;
const volatile bool tsn_have_tai = true;	/* kernel has SKB_CLOCK_TAI (6.11+) */
const volatile __u64 tsn_sweep_period_ns = 500000000ULL;	/* TTL / 2 */

/*
 * Time, for entry ages, in sweep epochs: the sweep timer advances it every TTL/2, and a slot is
 * fresh while it was stamped in the current or the previous epoch (tsn_ttl_ns = 2), i.e. for
 * between TTL/2 and TTL. Reading a global costs nothing next to a clock read per packet.
 * It starts at 16: not 0, which reads as "empty slot", and more than a TTL past 0, which is
 * "never" for tsn_fp_epoch (starting at 1 made tsn_fp_epoch look fresh for the first TTL/2,
 * and node packets through the NIC took the content lookup for nothing: 35 instead of 14 ns).
 */
__u64 tsn_epoch = 16;

/*
 * Epoch of the last write to the fingerprint index. Rule 2 of a restore (a freed slot found by
 * content) can only match within the TTL of such a write, so while there was none, a packet
 * whose address has no slot is not a saved one and the restore skips parsing it and probing
 * the index: that is every node-originated packet through the NIC. Written only when it
 * changes, so that frees on many CPUs do not bounce its cache line.
 */
__u64 tsn_fp_epoch;

/* The skb at addr is gone: forget its address, make its content findable (rule 2). */
static __always_inline void tsn_on_free(__u64 addr)
{
	__u64 now = tsn_epoch;

	if (tsn_slot_on_free_index(addr) && tsn_fp_epoch != now)
		tsn_fp_epoch = now;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_MAX_PODS);
	__type(key, __u32);	/* netns inode */
	__type(value, struct tsn_policy);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tsn_policy SEC(".maps");

/*
 * The pinned configuration (maps/config), written by userspace. A global in a section of its own
 * (a one-entry array map to userspace): reading it costs a load, where a map lookup costs a key
 * spill, a bounds check and the address arithmetic first.
 */
struct tsn_proxy_config tsn_config SEC(".data.config");

struct tsn_sweep_timer {
	struct bpf_timer timer;
	__u64 last_run_ns;
	__u64 runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_sweep_timer);
} tsn_sweep SEC(".maps");

/*
 * Per-CPU cache of policy lookups, direct-mapped by netns inode: a hash map lookup (jhash, bucket
 * walk) cost 15-20 ns per pod packet here, a hit costs two inlined array lookups. An entry is
 * valid while tsn_config's policy_gen is the one it was filled under; userspace bumps it after
 * every change to tsn_policy.
 */
#define TSN_POLICY_CACHE 16

struct tsn_policy_cached {
	__u32 netns;		/* 0: empty (no netns has inode 0) */
	__u32 gen;
	__u32 found;
	__u32 _pad;
	struct tsn_policy pol;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSN_POLICY_CACHE);
	__type(key, __u32);
	__type(value, struct tsn_policy_cached);
} tsn_policy_cache SEC(".maps");

static __always_inline const struct tsn_policy *tsn_policy_get(__u32 netns)
{
	__u32 idx = netns & (TSN_POLICY_CACHE - 1), gen;
	struct tsn_policy_cached *c = bpf_map_lookup_elem(&tsn_policy_cache, &idx);
	struct tsn_policy *pol;

	if (!c)
		return bpf_map_lookup_elem(&tsn_policy, &netns);
	/*
	 * Read the generation once, before the lookup: userspace changes the policy first and
	 * bumps the generation after, so an entry is never stored under a generation newer than
	 * what its lookup saw.
	 */
	gen = *(volatile __u32 *)&tsn_config.policy_gen;
	if (c->netns == netns && c->gen == gen)
		return c->found ? &c->pol : NULL;
	pol = bpf_map_lookup_elem(&tsn_policy, &netns);
	c->netns = netns;
	c->gen = gen;
	c->found = pol != NULL;
	if (pol)
		c->pol = *pol;
	return pol;
}

/* Highest allowed priority below 'prio', or 0 when none is allowed below it. */
static __always_inline __u32 tsn_clamp(__u32 allowed, __u32 prio)
{
	__u32 p = prio < 31 ? prio : 31;
	int i;

	for (i = 30; i >= 0; i--)
		if (i < (int)p && (allowed & (1U << i)))
			return i;
	return 0;
}

/* A priority the pod may not use becomes the highest allowed one below it, or 0. */
static __always_inline void tsn_policy_narrow(struct tsn_cpu_counters *c, __u32 allowed,
					      __u32 on_disallowed, struct tsn_meta *m)
{
	__u32 bit = m->priority < 31 ? m->priority : 31;

	if (m->priority && !(allowed & (1U << bit))) {
		m->priority = on_disallowed == TSN_POLICY_ZERO ? 0 : tsn_clamp(allowed, m->priority);
		tsn_cpu_count(c, TSN_CNT_POLICY_CLAMPED);
	}
}

/*
 * Apply the netns policy to the requested priority; returns false when the pod is not allowed
 * to use the proxy at all.
 */
static __always_inline bool tsn_policy_apply(struct tsn_cpu_counters *c, __u32 netns,
					     __u32 ifindex, struct tsn_meta *m)
{
	const struct tsn_policy *pol;

	if (tsn_mode == TSN_MODE_ALL)
		return true;
	pol = tsn_policy_get(netns);
	if (!pol || (pol->ifindex && pol->ifindex != ifindex)) {
		tsn_cpu_count(c, TSN_CNT_POLICY_DENIED);
		return false;
	}
	tsn_policy_narrow(c, pol->allowed, pol->on_disallowed, m);
	return true;
}

/*
 * The start of every per-packet path: this CPU's counters (*c) and the tracking slot of the skb
 * at ptr, whose address goes to *addr. NULL when a lookup fails, which they cannot, but the
 * verifier wants the checks.
 */
static __always_inline struct tsn_track_slot *tsn_cpu_slot(const void *ptr,
							  struct tsn_cpu_counters **c, __u64 *addr)
{
	*c = tsn_cpu();
	if (!*c)
		return NULL;
	*addr = tsn_cpu_addr(*c, ptr);
	return tsn_slot_by_skb(*addr);
}

static __always_inline bool tsn_meta_is_default(const struct tsn_meta *m)
{
	return !m->priority && !m->tstamp && !m->mark;
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

	/* the NIC's own netns is where we restore, never a pod: first, cheapest exit */
	if (netns == tsn_nic_netns)
		return 0;
	m.priority = skb->priority;
	m.mark = skb->mark;
	m.tstamp = skb->tstamp;
	if (tsn_meta_is_default(&m))
		return 0;
	s = tsn_cpu_slot(skb, &c, &addr);
	if (!s)
		return 0;
	tsn_slot_prefetch(s);
	m.tstamp_type = m.tstamp ? tsn_skb_tstamp_type_btf(skb) : 0;
	m.queue_mapping = skb->queue_mapping;
	m.has_sk = skb->sk != NULL;
	m._pad = 0;
	if (!tsn_policy_apply(c, netns, dev->ifindex, &m))
		return 0;
	if (tsn_fp_skb_btf(skb, direct ? TSN_SRC_BTF : TSN_SRC_KERN, &fp))
		return 0;
	tsn_slot_write(s, addr, fp, 0, &m, netns, tsn_epoch);
	tsn_cpu_count(c, TSN_CNT_SAVED);
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
 * The pod a copy of tsn_save_tc is for: tsnproxy allow loads one per registered pod with its
 * netns and policy here (every priority under --policy all), and loads a new one into the
 * pod's links when its policy changes.
 */
const volatile __u32 tsn_pod_netns = 0;
const volatile __u32 tsn_pod_allowed = 0;
const volatile __u32 tsn_pod_on_disallowed = TSN_POLICY_CLAMP;

/*
 * tc/tcx egress flavour of the save hook, attached to a pod's interfaces inside its netns
 * (--save-hook tc). Only that pod's traffic runs it, so it needs neither to read the netns nor
 * to look a policy up: both are constants of this copy of the program, which is 6-9 ns less per
 * pod packet (docs/enforce.md).
 */
SEC("tc")
int tsn_save_tc(struct __sk_buff *ctx)
{
	struct tsn_cpu_counters *c;
	struct tsn_track_slot *s;
	struct tsn_meta m;
	__u64 addr, fp;

	m.priority = ctx->priority;
	m.mark = ctx->mark;
	m.tstamp = ctx->tstamp;
	if (tsn_meta_is_default(&m))
		return TC_ACT_UNSPEC;
	s = tsn_cpu_slot(ctx, &c, &addr);	/* a tc ctx is the struct sk_buff itself */
	if (!s)
		return TC_ACT_UNSPEC;
	tsn_slot_prefetch(s);
	/* __sk_buff's tstamp_type uses the kernel's numbering, which is ours (REALTIME/MONO/TAI) */
	m.tstamp_type = m.tstamp ? ctx->tstamp_type : 0;
	m.queue_mapping = ctx->queue_mapping;
	m.has_sk = ctx->sk != NULL;
	m._pad = 0;
	tsn_policy_narrow(c, tsn_pod_allowed, tsn_pod_on_disallowed, &m);
	if (tsn_fp_tc(ctx, &fp))
		return TC_ACT_UNSPEC;
	tsn_slot_write(s, addr, fp, 0, &m, tsn_pod_netns, tsn_epoch);
	tsn_cpu_count(c, TSN_CNT_SAVED);
	return TC_ACT_UNSPEC;
}

static __always_inline void tsn_restore_tstamp(struct tsn_cpu_counters *c, struct __sk_buff *ctx,
					       const struct tsn_meta *m)
{
	__u32 type;

	if (!m->tstamp || (ctx->tstamp == m->tstamp && ctx->tstamp_type == m->tstamp_type))
		return;		/* nothing to restore, or the kernel kept it (MONO/TAI) */
	if (m->tstamp_type == TSN_TSTAMP_MONO) {
		type = BPF_SKB_TSTAMP_DELIVERY_MONO;
	} else if (m->tstamp_type == TSN_TSTAMP_TAI && tsn_have_tai) {
		type = 2;	/* BPF_SKB_CLOCK_TAI, 6.11+ */
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

SEC("tc")
int tsn_restore(struct __sk_buff *ctx)
{
	struct tsn_cpu_counters *c;
	struct tsn_track_slot *s;
	struct tsn_meta m;
	__u64 addr, now, fp;
	bool by_addr;

	s = tsn_cpu_slot(ctx, &c, &addr);	/* a tc ctx is the struct sk_buff itself */
	if (!s)
		return TC_ACT_UNSPEC;
	now = tsn_epoch;
	if (s->skb != addr && !tsn_fresh(now, tsn_fp_epoch)) {
		tsn_cpu_count(c, TSN_CNT_MISS);	/* see tsn_fp_epoch */
		return TC_ACT_UNSPEC;
	}
	if (tsn_fp_tc(ctx, &fp))
		return TC_ACT_UNSPEC;
	by_addr = s->skb == addr;
	if (by_addr && (s->fp != fp || s->check != tsn_slot_check(s))) {
		/*
		 * Same address, other content: the saved skb was freed where no tracepoint fires
		 * (a UDP socket consumes its skbs silently) and this skb reuses its address. Never
		 * restore from it; treat it as the traced free would have (a torn slot, whose
		 * check word fails, is left alone: nothing ever trusts it), and look this packet
		 * up by content like any packet whose skb is not the one saved.
		 */
		tsn_cpu_count(c, TSN_CNT_FP_MISMATCH);
		tsn_on_free(addr);
		by_addr = false;
	}
	if (by_addr) {
		if (!tsn_fresh(now, s->saved_ns)) {
			tsn_cpu_count(c, TSN_CNT_EXPIRED);
			tsn_slot_clear(s);
			return TC_ACT_UNSPEC;
		}
	} else {
		s = tsn_slot_by_fp(fp, now);
		if (!s) {
			tsn_cpu_count(c, TSN_CNT_MISS);
			return TC_ACT_UNSPEC;
		}
	}
	m = s->meta;
	tsn_slot_clear(s);

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

/*
 * The free hooks need nothing of the skb but its address, so they are raw tracepoints, whose
 * arguments are plain numbers: no scratch round trip (tsn_addr()) to turn a typed pointer into
 * one. They must not read the skb either: a freed skb is often cold on the CPU that frees it
 * (one field read cost 60 ns here, docs/enforce.md).
 */
SEC("raw_tp/kfree_skb")
int tsn_on_kfree(struct bpf_raw_tracepoint_args *ctx)
{
	tsn_on_free(ctx->args[0]);
	return 0;
}

SEC("raw_tp/consume_skb")
int tsn_on_consume(struct bpf_raw_tracepoint_args *ctx)
{
	tsn_on_free(ctx->args[0]);
	return 0;
}

/* ---- TTL sweep: bpf_timer, re-armed from its own callback ---- */

static long tsn_sweep_slot(__u32 idx, void *ctx)
{
	__u64 now = *(__u64 *)ctx;
	struct tsn_track_slot *s = bpf_map_lookup_elem(&tsn_track, &idx);

	if (!s || !s->saved_ns || tsn_fresh(now, s->saved_ns))
		return 0;
	tsn_count(s->pkt_id & TSN_SLOT_FREED ? TSN_CNT_FREED_UNRESTORED : TSN_CNT_EXPIRED);
	tsn_slot_clear(s);
	return 0;
}

static int tsn_sweep_cb(void *map, __u32 *key, struct tsn_sweep_timer *t)
{
	__u64 now = __sync_add_and_fetch(&tsn_epoch, 1);

	bpf_loop(tsn_track_mask + 1, tsn_sweep_slot, &now, 0);
	t->last_run_ns = bpf_ktime_get_ns();
	t->runs++;
	bpf_timer_start(&t->timer, tsn_sweep_period_ns, 0);
	return 0;
}

SEC("syscall")
int tsn_sweep_start(void *ctx)
{
	__u32 zero = 0;
	struct tsn_sweep_timer *t = bpf_map_lookup_elem(&tsn_sweep, &zero);

	if (!t)
		return 1;
	/* -EBUSY: already initialised (adopted state); starting again is harmless */
	bpf_timer_init(&t->timer, &tsn_sweep, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&t->timer, tsn_sweep_cb);
	return bpf_timer_start(&t->timer, tsn_sweep_period_ns, 0) ? 2 : 0;
}

char LICENSE[] SEC("license") = "GPL";
