/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Packet tracking shared by tsntrace and tsnproxy: the tracking table (skb address -> tracked
 * packet + saved metadata), the content fingerprint, skb metadata readers and counters.
 *
 * The table is direct-mapped: slot = tsn_skb_slot_index(skb address), validated on read by
 * address, fingerprint, age and a check word over the slot. A write is a few stores and a read
 * a few compares, where a hash map needs an insert and a delete per packet, and a table that
 * cannot grow cannot be exhausted by a flood. A second index maps a fingerprint to its slot so
 * that a packet whose skb object was replaced (veth XDP rebuild, skb_copy) is still found; it
 * is sized by its loader apart from the table (tsn_track_fp_mask), since every save writes a
 * random entry of it, and only packets in flight need to be in it. Who may trust that index is
 * the user's rule: tsntrace only for slots whose original skb was seen being freed
 * (TSN_SLOT_FREED), tsnproxy only for a packet carrying the tag of the pod the slot was saved
 * from (tsnproxy.bpf.c), so that a live skb or another pod never inherits an entry.
 *
 * Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h and bpf_endian.h.
 */
#ifndef TSN_TRACK_BPF_H
#define TSN_TRACK_BPF_H

#include "tsnkit.h"
#include "tsn_net.h"

/*
 * Set by the loader before load: capacity - 1 (capacity is a power of two), the fingerprint
 * index's entries - 1 (a power of two, at most the capacity), and the TTL in the units of the
 * `now` its programs pass to the helpers below: nanoseconds for tsntrace, jiffies for tsnproxy
 * (bpf_jiffies64() is one load where the verifier inlines it).
 */
const volatile __u32 tsn_track_mask = 0;
const volatile __u32 tsn_track_fp_mask = 0;
const volatile __u64 tsn_ttl = 2000000000ULL;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* resized by the loader to capacity */
	__uint(map_flags, BPF_F_MMAPABLE);	/* status/purge scan it without a syscall per slot */
	__type(key, __u32);
	__type(value, struct tsn_track_slot);
} tsn_track SEC(".maps");

/*
 * fingerprint hash -> a slot (0: empty). The tracer stores the slot index + 1
 * (tsn_slot_by_fp_any()); the proxy its own entries (TSN_FP_ENTRY in tsnproxy.bpf.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* resized by the loader to tsn_track_fp_mask + 1 */
	__type(key, __u32);
	__type(value, __u32);
} tsn_track_fp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_cpu_counters);
} tsn_counters SEC(".maps");

/* pkt_id of a freed slot has this bit: the fingerprint index may match it. */
#define TSN_SLOT_FREED (1ULL << 63)

/*
 * This CPU's counters. The proxy's per-packet path looks it up once and passes it to
 * tsn_cpu_count(): each lookup is inlined, a copy of its code per call site, and on this path
 * code that is not in the instruction cache costs more than the work itself.
 */
static __always_inline struct tsn_cpu_counters *tsn_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tsn_counters, &zero);
}

/*
 * A plain increment: only for programs that never interrupt one another on a CPU. The proxy's
 * all run with BH disabled (tc, and the transmit tracepoint under __dev_queue_xmit()), which
 * PREEMPT_RT serialises per CPU by its local lock; its fast path stays free of locked ops.
 */
static __always_inline void tsn_cpu_count(struct tsn_cpu_counters *c, __u32 id)
{
	if (id < TSN_CNT__MAX)
		c->cnt[id] += 1;
}

/*
 * An atomic increment, for every other path: the tracer's programs interrupt one another (a
 * softirq's hop in the middle of a process-context free) and its fentry ones are preemptible,
 * so a plain load-add-store here could lose the other's count (events lost among them).
 */
static __always_inline void tsn_count(__u32 id)
{
	struct tsn_cpu_counters *c = tsn_cpu();

	if (c && id < TSN_CNT__MAX)
		__sync_fetch_and_add(&c->cnt[id], 1);
}

/*
 * The skb address is the tracking key, but the verifier forbids arithmetic (our hash) on a
 * typed pointer (ctx or BTF). It lets a privileged program negate one, and the result is a
 * scalar: negated twice, the address comes back in a register. No memory is involved, so
 * nothing that interrupts or preempts the program can change it on the way.
 */
static __always_inline __u64 tsn_addr(const void *ptr)
{
	__u64 addr;

	asm volatile("%0 = -%0; %0 = -%0" : "=r"(addr) : "0"(ptr));
	return addr;
}

/*
 * May p be dereferenced as a kernel pointer? Every kernel address on the 64-bit architectures
 * tsnkit builds for has its top byte all ones (x86-64 with 4- or 5-level paging, arm64 with any
 * VA size). A word that only may hold a pointer (skb->dev shares its word with dev_scratch,
 * where UDP keeps a queued datagram's truesize and length, with a bool in the top byte) is
 * checked first: a load through a non-canonical address is caught by the exception table only
 * after a general protection fault, microseconds where the hop costs tens of ns.
 */
static __always_inline bool tsn_kernel_ptr(const void *p)
{
	return ((__u64)p >> 56) == 0xff;
}

/*
 * Is `then` less than window old at `now` (same units)? Signed, so that a `now` from a coarser
 * clock than the one `then` came from (up to a tick behind) means "a moment ago", not "ancient".
 * tsn_fresh() is this with the table's TTL.
 */
static __always_inline bool tsn_within(__u64 now, __u64 then, __u64 window)
{
	return (__s64)(now - then) < (__s64)window;
}

/*
 * Fingerprint index slot. Fibonacci hashing: one multiply, and the high half of the product
 * depends on every key bit below it.
 */
static __always_inline __u32 tsn_fp_slot_index(__u64 fp)
{
	return (__u32)((fp * 0x9e3779b97f4a7c15ULL) >> 32) & tsn_track_fp_mask;
}

/*
 * Tracking slot of an skb address. skbs live in slab pages, 256 bytes or more apart (struct
 * sk_buff is over 192 bytes and its caches are cache-line aligned), so an address's offset in
 * its 4 KB page gives 16 distinct low index bits and a hash of its page number the high ones:
 * the skbs of one slab page share one 1 KB block of the table. A plain hash of the address
 * scatters them over the whole table instead, and on a node whose skbs cycle through many
 * slab pages every save then touches a page of the table no TLB entry covers (docs/enforce.md,
 * "Tracking"). Two live skbs still collide only when their pages hash alike and they sit at the
 * same offset.
 */
static __always_inline __u32 tsn_skb_slot_index(__u64 skb)
{
	__u32 page = (__u32)(((skb >> 12) * 0x9e3779b97f4a7c15ULL) >> 32);

	return ((page << 4) | ((__u32)(skb >> 8) & 15)) & tsn_track_mask;
}

/*
 * Age check in the caller's units. Signed, so that a `now` from a coarser clock than the one the
 * slot was stamped with (up to a tick behind) means "a moment ago", not "ancient".
 */
static __always_inline bool tsn_fresh(__u64 now, __u64 saved_at)
{
	return (__s64)(now - saved_at) < (__s64)tsn_ttl;
}

/*
 * Check word over a slot, so that a slot torn by two CPUs writing it at once (two skbs hashing
 * to it) never validates. A linear combination with odd 64-bit constants: the multiplies are
 * independent, so the CPU runs them in parallel (about a third of the cost of chained mixing),
 * and a torn slot validates only if the multiplied differences of its mixed-up words cancel
 * in the top 32 bits, which for words that include two different skb addresses and content
 * fingerprints happens with probability about 2^-31.
 */
static __always_inline __u32 tsn_slot_check(const struct tsn_track_slot *s)
{
	__u64 h = (s->skb ^ s->saved_at) * 0x9e3779b97f4a7c15ULL +
		  s->fp * 0xc2b2ae3d27d4eb4fULL + s->meta.tstamp * 0x165667b19e3779f9ULL +
		  (((__u64)s->meta.priority << 32) | s->meta.mark) * 0xd6e8feb86659fd93ULL +
		  (s->pkt_id ^ ((__u64)s->netns << 8) ^ s->meta.tstamp_type) * 0xff51afd7ed558ccdULL;

	return (__u32)(h >> 32) | 1;	/* never 0, so a zeroed slot never validates */
}

/* ---- skb metadata (tracing programs' struct sk_buff *, tc programs' __sk_buff) ---- */

/* skb->network_header (and the other header offsets) where nobody set it */
#define TSN_SKB_HDR_UNSET ((__u16)~0U)

struct sk_buff___pre611 {
	__u8 mono_delivery_time : 1;
} __attribute__((preserve_access_index));

static __always_inline __u8 tsn_skb_tstamp_type(const struct sk_buff *skb)
{
	if (bpf_core_field_exists(skb->tstamp_type))
		return BPF_CORE_READ_BITFIELD_PROBED(skb, tstamp_type);
	/* before 6.11: one bit, set only for MONO delivery time */
	return BPF_CORE_READ_BITFIELD_PROBED((struct sk_buff___pre611 *)skb, mono_delivery_time) ?
		       TSN_TSTAMP_MONO :
		       TSN_TSTAMP_REALTIME;
}

/*
 * The same for a BTF-typed skb (tp_btf, fentry, a cast tc ctx): the verifier allows plain loads
 * of its bitfields, which skips the probe-read helper call of the variant above.
 */
static __always_inline __u8 tsn_skb_tstamp_type_btf(struct sk_buff *skb)
{
	if (bpf_core_field_exists(skb->tstamp_type))
		return BPF_CORE_READ_BITFIELD(skb, tstamp_type);
	return BPF_CORE_READ_BITFIELD((struct sk_buff___pre611 *)skb, mono_delivery_time) ?
		       TSN_TSTAMP_MONO :
		       TSN_TSTAMP_REALTIME;
}

/* The same with plain loads, for a BTF-typed skb (tp_btf): no helper call per field. */
static __always_inline void tsn_skb_meta_btf(struct sk_buff *skb, struct tsn_meta *m)
{
	m->priority = skb->priority;
	m->mark = skb->mark;
	m->tstamp = skb->tstamp;
	m->queue_mapping = skb->queue_mapping;
	m->tstamp_type = tsn_skb_tstamp_type_btf(skb);
	m->has_sk = skb->sk != NULL;
	m->slot_flags = 0;
}

static __always_inline void tsn_skb_meta(const struct sk_buff *skb, struct tsn_meta *m)
{
	m->priority = BPF_CORE_READ(skb, priority);
	m->mark = BPF_CORE_READ(skb, mark);
	m->tstamp = BPF_CORE_READ(skb, tstamp);
	m->queue_mapping = BPF_CORE_READ(skb, queue_mapping);
	m->tstamp_type = tsn_skb_tstamp_type(skb);
	m->has_sk = BPF_CORE_READ(skb, sk) != NULL;
	m->slot_flags = 0;
}

/*
 * The same from a tc program's context (tc/tcx, direct action): the verifier turns each
 * __sk_buff field into a load of the skb's. Its tstamp_type numbers the clocks as the kernel
 * does, which is as tsn_meta does (REALTIME/MONO/TAI).
 */
static __always_inline void tsn_skb_meta_tc(struct __sk_buff *ctx, struct tsn_meta *m)
{
	m->priority = ctx->priority;
	m->mark = ctx->mark;
	m->tstamp = ctx->tstamp;
	m->queue_mapping = ctx->queue_mapping;
	m->tstamp_type = ctx->tstamp_type;
	m->has_sk = ctx->sk != NULL;
	m->slot_flags = 0;
}

/* ---- packet parsing and fingerprint ---- */

/*
 * The fingerprint covers fields that survive NAT and the netns crossing: for IPv4 the IP id,
 * total length and protocol; for IPv6 payload length, next header and flow label; then one
 * 8-byte word that NAT does not rewrite: the first payload bytes for UDP, seq+ack for TCP,
 * the first L4 bytes otherwise. Non-IP frames use ethertype, L3 length and the first 8 bytes.
 */
struct tsn_pkt {
	struct tsn_tuple tuple;
	__u64 fp;
	__u32 l4off;		/* where the L4 header starts (IP only), for callers that read on */
	__u8 ttl;		/* IPv4 TTL or IPv6 hop limit, 0 for other protocols; outside the
				 * fingerprint, since forwarding changes it */
	__u8 _pad[3];
};

/* Where tsn_load_words() reads from; a compile-time constant at every call site. */
enum tsn_src {
	TSN_SRC_KERN,	/* a kernel address: probe read (any tracing program, any kernel) */
	TSN_SRC_TC,	/* a tc program's skb: direct packet access */
	TSN_SRC_BTF,	/* a kernel address read with plain loads (bpf_rdonly_cast, 6.2+) */
};

/* 6.2+; only programs tsnproxy loads on such kernels use it (TSN_FEAT_KERN_CTX) */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * Read len bytes at off into dst, as 8-byte words, for a constant len that is a multiple of 4 and
 * at most 40: from a tracing program's kernel pointer (probe read, or plain loads where the
 * kernel has bpf_rdonly_cast) or from a tc program's packet (direct access to the linear part,
 * bpf_skb_load_bytes beyond it). A memcpy from a packet pointer cannot assume its alignment and
 * becomes one byte load and store per byte; these are 8-byte loads, which the verifier allows
 * at any packet offset (only the stack must be aligned, and dst is).
 */
static __always_inline int tsn_load_words(void *src, enum tsn_src how, __u32 off, __u64 *dst,
					  __u32 len)
{
	const char *p;
	__u32 i;

	if (how == TSN_SRC_BTF) {
		/*
		 * Any kernel type at least len bytes long will do: the verifier lets a program
		 * read anywhere inside an untrusted object, and a fault reads as zero. The x86
		 * JIT's guarded load costs a few instructions, a probe read a helper call.
		 */
		p = bpf_rdonly_cast((const char *)src + off, bpf_core_type_id_kernel(struct ipv6hdr));
	} else if (how == TSN_SRC_TC) {
		struct __sk_buff *skb = src;
		void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

		if (off >= 256 || data + off + len > end)
			return bpf_skb_load_bytes(src, off, dst, len);
		p = (const char *)data + off;
	} else {
		return bpf_probe_read_kernel(dst, len, (const char *)src + off);
	}
	for (i = 0; i + 8 <= len; i += 8)
		dst[i / 8] = *(const __u64 *)(p + i);
	if (len & 4)
		dst[len / 8] = *(const __u32 *)(p + len - 4);
	return 0;
}

/*
 * The n-byte field (n = 1, 2 or 8) at byte off of the header in w, as tsn_load_words() stored
 * it: the bytes in packet order, so a multi-byte field is in network byte order. off and n are
 * constants at every call site, which folds this to a shift and a mask, or two shifts and an
 * or for a field that straddles two words.
 */
static __always_inline __u64 tsn_hdr_field(const __u64 *w, __u32 off, __u32 n)
{
	__u32 sh = off % 8 * 8;
	__u64 v = w[off / 8] >> sh;

	if (sh + n * 8 > 64)
		v |= w[off / 8 + 1] << (64 - sh);
	return n == 8 ? v : v & ((1ULL << (n * 8)) - 1);
}

/* IPv4 header length in bytes: ihl, the low nibble of byte 0, counts 4-byte words. */
static __always_inline __u32 tsn_ipv4_hlen(const __u64 *w)
{
	return (w[0] & 0xf) * 4;
}

/* IPv6 flow label, 20 bits from the low nibble of byte 1 on, most significant first. */
static __always_inline __u64 tsn_ipv6_flow_lbl(const __u64 *w)
{
	return (tsn_hdr_field(w, TSN_IPV6_FLOW_LBL_OFF, 1) & 0xf) << 16 |
	       tsn_hdr_field(w, TSN_IPV6_FLOW_LBL_OFF + 1, 1) << 8 |
	       tsn_hdr_field(w, TSN_IPV6_FLOW_LBL_OFF + 2, 1);
}

/* Where the fingerprint's content word starts, from the L4 header (see struct tsn_pkt). */
#define TSN_FP_UDP_WORD_OFF TSN_UDP_HLEN    /* the first payload bytes */
#define TSN_FP_TCP_WORD_OFF TSN_TCP_SEQ_OFF /* sequence and acknowledgment numbers */
/* The fast path's one load: an optionless IPv4 header and the farthest word, UDP's. */
#define TSN_FP_IPV4_LOAD (TSN_IPV4_HLEN + TSN_FP_UDP_WORD_OFF + 8)

/*
 * Fingerprint of the packet whose L3 header starts at off, with the frame ending at len (see
 * struct tsn_pkt for what it covers). The one definition the proxy's save and restore share.
 */
static __always_inline int tsn_fp_l3(void *src, enum tsn_src how, __u32 off, __u16 l3proto,
				     __u32 len, __u64 *fp)
{
	__u64 b[5], h, word = 0, tot;
	__u32 l4off, end;
	__u8 proto;

	b[4] = 0;
	/*
	 * Fast path, one load: IPv4 without options, long enough for the content word whatever
	 * the protocol. Computes what the general path below computes.
	 */
	if (l3proto == ETH_P_IP && off + TSN_FP_IPV4_LOAD <= len &&
	    !tsn_load_words(src, how, off, b, TSN_FP_IPV4_LOAD) &&
	    tsn_ipv4_hlen(b) == TSN_IPV4_HLEN &&
	    bpf_ntohs((__u16)tsn_hdr_field(b, TSN_IPV4_TOT_LEN_OFF, 2)) >= TSN_FP_IPV4_LOAD) {
		proto = tsn_hdr_field(b, TSN_IPV4_PROTO_OFF, 1);
		if (proto == IPPROTO_UDP)
			word = tsn_hdr_field(b, TSN_IPV4_HLEN + TSN_FP_UDP_WORD_OFF, 8);
		else if (proto == IPPROTO_TCP)
			word = tsn_hdr_field(b, TSN_IPV4_HLEN + TSN_FP_TCP_WORD_OFF, 8);
		else
			word = tsn_hdr_field(b, TSN_IPV4_HLEN, 8);
		h = tsn_hdr_field(b, TSN_IPV4_ID_OFF, 2) << 32 |
		    tsn_hdr_field(b, TSN_IPV4_TOT_LEN_OFF, 2) << 16 | proto;
		*fp = tsn_fp_mix(h, word);
		return 0;
	}

	if (l3proto == ETH_P_IP) {
		if (tsn_load_words(src, how, off, b, TSN_IPV4_HLEN))
			return -1;
		proto = tsn_hdr_field(b, TSN_IPV4_PROTO_OFF, 1);
		tot = tsn_hdr_field(b, TSN_IPV4_TOT_LEN_OFF, 2);
		h = tsn_hdr_field(b, TSN_IPV4_ID_OFF, 2) << 32 | (tot << 16) | proto;
		l4off = off + tsn_ipv4_hlen(b);
		end = bpf_ntohs((__u16)tot) + off;	/* frame end, ignoring padding */
	} else if (l3proto == ETH_P_IPV6) {
		if (tsn_load_words(src, how, off, b, TSN_IPV6_HLEN))
			return -1;
		proto = tsn_hdr_field(b, TSN_IPV6_NEXTHDR_OFF, 1);
		tot = tsn_hdr_field(b, TSN_IPV6_PLEN_OFF, 2);
		h = (tot << 32) | ((__u64)proto << 24) | tsn_ipv6_flow_lbl(b);
		l4off = off + TSN_IPV6_HLEN;
		end = bpf_ntohs((__u16)tot) + l4off;
	} else {
		/* the L3 length, not len: off differs between a tc skb and a kernel one */
		h = ((__u64)l3proto << 32) | (len - off);
		if (off + 8 <= len)
			tsn_load_words(src, how, off, &word, 8);
		*fp = tsn_fp_mix(h, word);
		return 0;
	}
	if (proto == IPPROTO_UDP)
		l4off += TSN_FP_UDP_WORD_OFF;
	else if (proto == IPPROTO_TCP)
		l4off += TSN_FP_TCP_WORD_OFF;
	if (l4off + 8 <= end)
		tsn_load_words(src, how, l4off, &word, 8);
	*fp = tsn_fp_mix(h, word);
	return 0;
}

/* The tuple (for filters and reports) of the packet at off; p->fp is left alone. */
static __always_inline int tsn_parse_tuple(void *src, enum tsn_src how, __u32 off, __u16 l3proto,
					   __u32 len, struct tsn_pkt *p)
{
	/*
	 * One buffer for every branch (callers, tsntrace, are close to the 512-byte stack
	 * limit), the header's bytes at their offsets.
	 */
	__u64 w[5];
	__u32 l4off;
	__u8 proto;

	__builtin_memset(&p->tuple, 0, sizeof(p->tuple));
	p->tuple.l3proto = l3proto;
	p->l4off = 0;
	p->ttl = 0;
	if (l3proto == ETH_P_IP) {
		if (tsn_load_words(src, how, off, w, TSN_IPV4_HLEN))
			return -1;
		proto = tsn_hdr_field(w, TSN_IPV4_PROTO_OFF, 1);
		p->ttl = tsn_hdr_field(w, TSN_IPV4_TTL_OFF, 1);
		/* as an IPv4-mapped IPv6 address, ::ffff:a.b.c.d */
		p->tuple.saddr[10] = p->tuple.saddr[11] = 0xff;
		p->tuple.daddr[10] = p->tuple.daddr[11] = 0xff;
		__builtin_memcpy(&p->tuple.saddr[12], (const char *)w + TSN_IPV4_SADDR_OFF, 4);
		__builtin_memcpy(&p->tuple.daddr[12], (const char *)w + TSN_IPV4_DADDR_OFF, 4);
		l4off = off + tsn_ipv4_hlen(w);
	} else if (l3proto == ETH_P_IPV6) {
		if (tsn_load_words(src, how, off, w, TSN_IPV6_HLEN))
			return -1;
		proto = tsn_hdr_field(w, TSN_IPV6_NEXTHDR_OFF, 1);
		p->ttl = tsn_hdr_field(w, TSN_IPV6_HOP_LIMIT_OFF, 1);
		__builtin_memcpy(p->tuple.saddr, (const char *)w + TSN_IPV6_SADDR_OFF, 16);
		__builtin_memcpy(p->tuple.daddr, (const char *)w + TSN_IPV6_DADDR_OFF, 16);
		l4off = off + TSN_IPV6_HLEN;
	} else if (l3proto == ETH_P_ARP) {
		/* Ethernet/IPv4 ARP only (hardware type 1, protocol 0x0800, lengths 6 and 4) */
		if (off + TSN_ARP_LEN > len || tsn_load_words(src, how, off, w, TSN_ARP_LEN))
			return 0;
		if (bpf_ntohs((__u16)tsn_hdr_field(w, TSN_ARP_HTYPE_OFF, 2)) !=
			    TSN_ARP_HTYPE_ETHER ||
		    bpf_ntohs((__u16)tsn_hdr_field(w, TSN_ARP_PTYPE_OFF, 2)) != ETH_P_IP ||
		    tsn_hdr_field(w, TSN_ARP_HLEN_OFF, 1) != 6 ||
		    tsn_hdr_field(w, TSN_ARP_PLEN_OFF, 1) != 4)
			return 0;
		p->tuple.arp_op = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_ARP_OP_OFF, 2));
		__builtin_memcpy(p->tuple.arp_sha, (const char *)w + TSN_ARP_SHA_OFF, 6);
		__builtin_memcpy(p->tuple.arp_spa, (const char *)w + TSN_ARP_SPA_OFF, 4);
		__builtin_memcpy(p->tuple.arp_tpa, (const char *)w + TSN_ARP_TPA_OFF, 4);
		return 0;
	} else {
		return 0;
	}

	p->tuple.l4proto = proto;
	p->l4off = l4off;
	if ((proto == IPPROTO_UDP || proto == IPPROTO_SCTP) &&
	    !tsn_load_words(src, how, l4off, w, 4)) {
		p->tuple.sport = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_L4_SPORT_OFF, 2));
		p->tuple.dport = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_L4_DPORT_OFF, 2));
	} else if (proto == IPPROTO_TCP && !tsn_load_words(src, how, l4off, w, 16)) {
		p->tuple.sport = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_L4_SPORT_OFF, 2));
		p->tuple.dport = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_L4_DPORT_OFF, 2));
		p->tuple.tcp_flags = (__u8)tsn_hdr_field(w, TSN_TCP_FLAGS_OFF, 1);
	} else if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) &&
		   !tsn_load_words(src, how, l4off, w, 8)) {
		__u8 type = (__u8)tsn_hdr_field(w, TSN_ICMP_TYPE_OFF, 1);

		p->tuple.icmp_type = type;
		p->tuple.icmp_code = (__u8)tsn_hdr_field(w, TSN_ICMP_CODE_OFF, 1);
		if (tsn_icmp_is_echo(proto, type))
			p->tuple.icmp_id = bpf_ntohs((__u16)tsn_hdr_field(w, TSN_ICMP_ID_OFF, 2));
	}
	return 0;
}

/* The tuple and the fingerprint of the packet at off. */
static __always_inline int tsn_parse_l3(void *src, enum tsn_src how, __u32 off, __u16 l3proto,
					__u32 len, struct tsn_pkt *p)
{
	if (tsn_fp_l3(src, how, off, l3proto, len, &p->fp))
		return -1;
	return tsn_parse_tuple(src, how, off, l3proto, len, p);
}

/*
 * Tracing programs with a BTF-typed skb (tp_btf, fentry): from head + network_header, by probe
 * read (how = TSN_SRC_KERN) or plain loads (TSN_SRC_BTF).
 */
static __always_inline int tsn_fp_skb_btf(struct sk_buff *skb, enum tsn_src how, __u64 *fp)
{
	__u16 nh = skb->network_header;

	if (nh == TSN_SKB_HDR_UNSET)
		return -1;
	/*
	 * The frame ends skb->len past skb->data, which is the L2 header at a transmit and the
	 * L3 header at a receive: the end from head is the same either way.
	 */
	return tsn_fp_l3(skb->head, how, nh, bpf_ntohs(skb->protocol),
			 (__u32)(skb->data - skb->head) + skb->len, fp);
}

/* tc programs: the frame starts at offset 0 with an Ethernet header. */
static __always_inline int tsn_fp_tc(struct __sk_buff *skb, __u64 *fp)
{
	return tsn_fp_l3(skb, TSN_SRC_TC, ETH_HLEN, bpf_ntohs(skb->protocol), skb->len, fp);
}

/* ---- tracking table ---- */

static __always_inline struct tsn_track_slot *tsn_slot_at(__u32 idx)
{
	return bpf_map_lookup_elem(&tsn_track, &idx);
}

static __always_inline struct tsn_track_slot *tsn_slot_by_skb(__u64 skb)
{
	return tsn_slot_at(tsn_skb_slot_index(skb));
}

/*
 * Start loading slot s's cache line without waiting for it. The slot of a packet about to be
 * saved was last touched when an skb at the same address was restored, a whole slab cycle
 * ago, and is rarely still in a near cache: a save that looks its slot up first and parses the
 * packet after has the miss overlap the parse.
 */
static __always_inline void tsn_slot_prefetch(const struct tsn_track_slot *s)
{
	(void)*(const volatile __u64 *)&s->saved_at;
}

/*
 * Store a packet in its slot s (tsn_slot_by_skb(skb)), with id (tsntrace: packet id, tsnproxy:
 * pod tag). What the write displaces is counted, so that no entry disappears uncounted: a slot
 * past the TTL as expired; a fresh slot of the same address as freed (its skb is gone, since a
 * new one has its address: local delivery, a drop); a live slot of another skb as evicted
 * (that packet will later miss, never be restored from the wrong entry).
 */
static __always_inline void tsn_slot_write(struct tsn_track_slot *s, __u64 skb, __u64 fp,
					   __u64 id, const struct tsn_meta *m, __u32 netns,
					   __u64 now)
{
	if (s->saved_at) {
		if (!tsn_fresh(now, s->saved_at))
			tsn_count(TSN_CNT_EXPIRED);
		else if (s->skb == skb)
			tsn_count(TSN_CNT_FREED_UNRESTORED);
		else
			tsn_count(TSN_CNT_EVICTED);
	}
	s->skb = skb;
	s->fp = fp;
	s->saved_at = now;
	s->pkt_id = id;
	s->meta = *m;
	s->netns = netns;
	s->check = tsn_slot_check(s);
}

/*
 * The slot the tracer's fingerprint index names for fp, if its content matches and it is
 * intact.
 */
static __always_inline struct tsn_track_slot *tsn_slot_by_fp_any(__u64 fp)
{
	__u32 fidx = tsn_fp_slot_index(fp), idx;
	struct tsn_track_slot *s;
	__u32 *v = bpf_map_lookup_elem(&tsn_track_fp, &fidx);

	if (!v || !*v)
		return NULL;
	idx = *v - 1;
	s = tsn_slot_at(idx);
	if (!s || s->fp != fp || s->check != tsn_slot_check(s))
		return NULL;
	return s;
}

/*
 * The skb is being freed (tsntrace): its address may be reused, so it must stop matching; its
 * slot stays findable by fingerprint (TSN_SLOT_FREED), so that a rebuilt copy of it (veth XDP)
 * is still followed. Returns whether it had a slot.
 */
static __always_inline bool tsn_slot_on_free(__u64 skb)
{
	struct tsn_track_slot *s = tsn_slot_by_skb(skb);

	if (!s || s->skb != skb || s->check != tsn_slot_check(s))
		return false;
	s->skb = 0;
	s->pkt_id |= TSN_SLOT_FREED;
	s->check = tsn_slot_check(s);
	return true;
}

static __always_inline void tsn_slot_clear(struct tsn_track_slot *s)
{
	s->skb = 0;
	s->saved_at = 0;
	s->check = 0;
}

/*
 * Clear slot s if it still holds the entry copy was taken from (the restore used the copy): a
 * compare-and-swap of the slot's last 8 bytes (netns and the check word; 64 bits, which every
 * BPF ISA version has) claims it, so a save another CPU wrote into the slot since the copy
 * stays. A slot with a zero check never validates (tsn_slot_check()).
 */
static __always_inline void tsn_slot_release(struct tsn_track_slot *s,
					     const struct tsn_track_slot *copy)
{
	struct {
		__u32 netns;
		__u32 check;
	} tail = { copy->netns, copy->check }, cleared = { copy->netns, 0 };
	__u64 want, to;

	_Static_assert(__builtin_offsetof(struct tsn_track_slot, check) ==
			       __builtin_offsetof(struct tsn_track_slot, netns) + sizeof(__u32) &&
		       __builtin_offsetof(struct tsn_track_slot, netns) % 8 == 0,
		       "netns and check share one aligned 8-byte word");
	__builtin_memcpy(&want, &tail, sizeof(want));
	__builtin_memcpy(&to, &cleared, sizeof(to));
	if (__sync_val_compare_and_swap((__u64 *)&s->netns, want, to) != want)
		return;
	s->skb = 0;
	s->saved_at = 0;
}

#endif /* TSN_TRACK_BPF_H */
