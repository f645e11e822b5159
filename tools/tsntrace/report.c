// SPDX-License-Identifier: GPL-2.0-only
/*
 * From events to output. Every hop becomes one json_object; --json prints it as NDJSON, the
 * text mode formats its columns from the same object, so both always say the same thing.
 *
 * Per packet we keep: the metadata at its first hop, at the previous hop (to mark changes), at
 * its last egress hop (where the qdisc and the NIC use it: the verdict of --expect is taken
 * there, since what happens after the wire, e.g. in the fixture's far-end netns, does not
 * reach the NIC), the first hop where each field left its first value and why, and the path.
 * The table is bounded: a packet whose slot is needed by a newer one is finished early (its
 * summary printed then), never forgotten.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "log.h"
#include "proxy.h"
#include "tsn_filter.h"
#include "tsntrace.h"

#define TT_PKT_SLOTS 8192
#define TT_POLICY_CACHE 16
/* tsnproxy may start, stop or register a pod while we trace: its state is read again after */
#define TT_PROXY_REFRESH_S 1.0

struct tt_path_hop {
	__u32 hook;
	__u32 netns;
	char ifname[TSN_IFNAMSIZ];
};

struct tt_loss {
	bool lost;
	int hop;			/* index in the path */
	struct tt_hop at;
	char func[64];			/* at.func points here */
	__u64 from, to;
	enum tt_cause cause;
	char detail[160];
};

struct tt_pkt {
	__u64 id;			/* 0: free slot */
	struct tsn_tuple tuple;
	struct tt_hop first, prev, judge;
	char prev_func[64];		/* prev.func points here: tt_classify() looks at it */
	bool have_meta, have_judge;
	bool origin_seen;		/* tt_hop_is_origin() of its first hop */
	int next_hop;			/* the number the next hop gets (tt_hop_numbered()) */
	int judge_hop;
	int prev_hop;			/* index of prev */
	int nhops;			/* hops with metadata, frees included */
	int nsteps;			/* of them, the ones compared (not frees) */
	int npath;
	bool path_truncated;
	struct tt_path_hop path[TT_PATH_MAX];
	struct tt_loss loss[TT_F__MAX];
	/* per field, the latest change back to the first value (any cause) or to the value
	 * tsnproxy's policy allows: where a restored field came back, or a clamped one was set */
	struct tt_loss back[TT_F__MAX];
	__u32 xmit_netns, xmit_ifindex;	/* device of the start_xmit not yet followed by xmit */
	bool dropped;
	bool unclaimed;			/* an echo reply no ping socket took: echo_unclaimed() */
	__u32 drop_reason;
	__u64 clones[4];		/* skbs first seen as clones/copies: their drops are theirs */
	unsigned int nclones;
	/* the first hop that saw the packet inside a tunnel's outer headers, and the device
	 * whose transmit wrote them: the hop before (pkt_encap()) */
	bool encap;
	int encap_hop;
	struct tt_hop encap_at, encap_by;
};

struct tt_report {
	const struct tt_opts *o;
	FILE *out;
	struct tt_pkt *pkts;
	__u64 start_ns;
	unsigned long long seen;	/* events read from the ring buffer */
	unsigned long long packets;	/* packets whose first hop we saw */
	unsigned long long reported;	/* packets finished */
	unsigned long long skipped;	/* events of packets beyond --count */
	unsigned long long stray;	/* net_dev_xmit events of a recycled skb address */
	unsigned long long lost_pkts[TT_F__MAX];
	unsigned long long judged;	/* packets finished with a verdict (pkt_judged) */
	unsigned long long judged_lost;	/* packets that lost an --expect field */
	unsigned long long mid_path;	/* packets selected after their origin: not judged */
	struct tt_text *text;		/* text mode's hop lines and summary wrapping */
	struct tt_pcap *pcap;		/* --write */
	bool pcap_failed;		/* said once */
	__u64 wall_off_ns;		/* CLOCK_REALTIME - CLOCK_MONOTONIC at the start */
	__u64 prev_line_ns;		/* --time delta: the previous hop line's time */
	struct tsn_jw jw;		/* the hop record being written (hop_jw) */
	/* the latest hop's tuple and its JSON: a packet's hops mostly share it */
	struct tsn_tuple tuple_key;
	struct tsn_jw tuple_jw;
	char line[1024];		/* a summary line being built (sum_printf) */
	size_t line_len;
	/* tsnproxy's state under o->pin_dir, read again every TT_PROXY_REFRESH_S */
	double proxy_at;
	bool proxy_running;
	struct tsn_proxy_config proxy_cfg;
	struct {
		__u32 netns;
		bool registered;
		struct tsn_policy pol;
	} policies[TT_POLICY_CACHE];
	int npolicies;
};

struct tt_report *tt_report_new(const struct tt_opts *o, FILE *out)
{
	struct tt_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pkts = calloc(TT_PKT_SLOTS, sizeof(*r->pkts));
	if (!r->pkts) {
		free(r);
		return NULL;
	}
	r->o = o;
	r->out = out;
	if (!o->json) {
		r->text = tt_text_new(out, o->wide ? 0 : tt_text_width(out), o->time_mode);
		if (!r->text) {
			free(r->pkts);
			free(r);
			return NULL;
		}
	}
	return r;
}

void tt_report_set_start(struct tt_report *r, __u64 mono_ns)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	r->start_ns = mono_ns;
	r->wall_off_ns = (__u64)rt.tv_sec * 1000000000ULL + rt.tv_nsec - mono_ns;
}

void tt_report_set_pcap(struct tt_report *r, struct tt_pcap *pc)
{
	r->pcap = pc;
}

/* The text mode's TIME column (--time); JSON keeps "t" (relative) and "time_ns". */
static const char *time_col(struct tt_report *r, __u64 ns, char *buf, size_t len)
{
	time_t sec;
	struct tm tm;
	__u64 wall;

	switch (r->o->time_mode) {
	case TT_TIME_ABS:
		wall = ns + r->wall_off_ns;
		sec = (time_t)(wall / 1000000000ULL);
		localtime_r(&sec, &tm);
		snprintf(buf, len, "%02d:%02d:%02d.%06llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned long long)(wall % 1000000000ULL / 1000));
		break;
	case TT_TIME_DELTA:
		/* events of several CPUs may come slightly out of order: never negative */
		snprintf(buf, len, "%.6f", r->prev_line_ns && ns > r->prev_line_ns ?
				   (ns - r->prev_line_ns) / 1e9 : 0.0);
		if (ns > r->prev_line_ns)
			r->prev_line_ns = ns;
		break;
	default:
		snprintf(buf, len, "%.6f", ns >= r->start_ns ? (ns - r->start_ns) / 1e9 : 0.0);
		break;
	}
	return buf;
}

/*
 * The text summary is built line by line and each line written through tt_text_wrapped(), so
 * that on a terminal a long cause detail wraps under the field instead of running off.
 */
static void sum_printf(struct tt_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sum_printf(struct tt_report *r, const char *fmt, ...)
{
	va_list ap;
	char *nl;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->line + r->line_len, sizeof(r->line) - r->line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->line_len += (size_t)n < sizeof(r->line) - r->line_len ?
				       (size_t)n : sizeof(r->line) - r->line_len - 1;
	nl = strchr(r->line, '\n');
	if (!nl)
		return;
	*nl = '\0';
	tt_text_wrapped(r->text, 6, r->line);
	r->line_len = 0;
	r->line[0] = '\0';
}

unsigned long long tt_report_packets(const struct tt_report *r)
{
	return r->packets;
}

unsigned long long tt_report_seen(const struct tt_report *r)
{
	return r->seen;
}

/* "0x%llx" without printf: written for every hop */
static char *hexaddr(__u64 v, char buf[20])
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf + 19;

	*p = '\0';
	do {
		*--p = hex[v & 0xf];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	return p;
}

/* "%.6f" of ns / 1e9 (rounded to the microsecond) without floating point */
static char *seconds6(__u64 ns, char buf[32])
{
	__u64 us = (ns + 500) / 1000;

	snprintf(buf, 32, "%llu.%06llu", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000));
	return buf;
}

/* The tuple's fields that exist for its protocol, and desc: tsn_tuple_str(), as text shows it. */
static void tuple_jw(struct tsn_jw *w, const char *key, const struct tsn_tuple *t)
{
	char a[160], p[16];

	tsn_jw_obj_open(w, key);
	tsn_jw_str(w, "desc", tsn_tuple_str(t, a, sizeof(a)));
	if (t->l3proto == 0x0800 || t->l3proto == 0x86DD) {
		tsn_jw_str(w, "proto", tsn_proto_str(t->l4proto, p, sizeof(p)));
		tsn_jw_str(w, "src", tsn_addr_str(t->saddr, a, sizeof(a)));
		tsn_jw_str(w, "dst", tsn_addr_str(t->daddr, a, sizeof(a)));
		if (tsn_tuple_has_ports(t)) {
			tsn_jw_u64(w, "sport", t->sport);
			tsn_jw_u64(w, "dport", t->dport);
		}
		if (t->l4proto == IPPROTO_TCP)
			tsn_jw_str(w, "tcp_flags", tsn_tcp_flags_str(t->tcp_flags, p, sizeof(p)));
		if (t->l4proto == IPPROTO_ICMP || t->l4proto == IPPROTO_ICMPV6) {
			tsn_jw_u64(w, "icmp_type", t->icmp_type);
			tsn_jw_u64(w, "icmp_code", t->icmp_code);
		}
	} else {
		snprintf(a, sizeof(a), "0x%04x", t->l3proto);
		tsn_jw_str(w, "ethertype", a);
	}
	tsn_jw_obj_close(w);
}

/* the same as a json_object, for a record built with json-c (a packet's summary) */
static json_object *tuple_json(const struct tsn_tuple *t)
{
	struct tsn_jw w = {};
	json_object *o;

	tuple_jw(&w, NULL, t);
	o = tsn_jw_parse(&w);
	tsn_jw_free(&w);
	return o;
}

static json_object *hop_ref_json(int idx, const struct tt_hop *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "hop", json_object_new_int(idx));
	tsn_json_add_str(o, "netns", tt_netns_name(h->netns));
	tsn_json_add_str(o, "ifname", h->ifname);
	tsn_json_add_str(o, "hook", tt_hook_name(h->hook));
	if (h->func)
		tsn_json_add_str(o, "func", h->func);
	return o;
}

static void field_value_json(json_object *o, const char *key, enum tt_field f, __u64 v)
{
	if (f == TT_F_TSTAMP_TYPE)
		tsn_json_add_str(o, key, tt_tstamp_type_name((__u8)v));
	else if (f == TT_F_SK)
		tsn_json_add_bool(o, key, v);
	else
		tsn_json_add_u64(o, key, v);
}

/* ---- tsnproxy's pinned state: where its restore runs, and the pods' policies ---- */

static double mono_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void proxy_refresh(struct tt_report *r)
{
	double now = mono_now_s();

	if (!r->o->pin_dir || (r->proxy_at && now - r->proxy_at < TT_PROXY_REFRESH_S))
		return;
	r->proxy_at = now;
	r->npolicies = 0;
	r->proxy_running = tsn_proxy_running(r->o->pin_dir) &&
			   !tsn_proxy_config_get(r->o->pin_dir, &r->proxy_cfg);
}

/* Is this hop's device a NIC where tsnproxy's restore is attached? */
static bool proxy_restore_nic(struct tt_report *r, __u32 netns, __u32 ifindex)
{
	__u32 i;

	proxy_refresh(r);
	if (!r->proxy_running || netns != r->proxy_cfg.nic_netns)
		return false;
	for (i = 0; i < r->proxy_cfg.nic_count && i < TSN_MAX_NICS; i++)
		if (r->proxy_cfg.nic_ifindex[i] == ifindex)
			return true;
	return false;
}

/* The policy tsnproxy applies to packets of this netns (a registered pod), or false. */
static bool proxy_policy(struct tt_report *r, __u32 netns, struct tt_pod_policy *out)
{
	int i;

	proxy_refresh(r);
	if (!r->proxy_running || r->proxy_cfg.mode != TSN_MODE_REGISTERED)
		return false;
	for (i = 0; i < r->npolicies && r->policies[i].netns != netns; i++)
		;
	if (i == r->npolicies) {
		if (i == TT_POLICY_CACHE)
			i = r->npolicies = 0;
		r->policies[i].netns = netns;
		r->policies[i].registered =
			!tsn_proxy_lookup(r->o->pin_dir, netns, &r->policies[i].pol);
		r->npolicies++;
	}
	if (!r->policies[i].registered)
		return false;
	out->allowed = r->policies[i].pol.allowed;
	out->on_disallowed = r->policies[i].pol.on_disallowed;
	out->netns_name = tt_netns_name(netns);
	return true;
}

/* ---- per-packet state ---- */

static void pkt_summary(struct tt_report *r, struct tt_pkt *p);

/*
 * An ICMP echo reply freed with NO_SOCKET: no ping (datagram ICMP) socket took it, but raw
 * sockets, as ping uses when it runs as root, got their own copy before (raw_local_deliver
 * clones ahead of icmp_rcv), and that copy's free has no tracepoint we follow. Not a drop.
 */
static bool echo_unclaimed(const struct tsn_tuple *t, const char *reason)
{
	if (!reason || strcmp(reason, "NO_SOCKET"))
		return false;
	return (t->l4proto == IPPROTO_ICMP && t->icmp_type == TSN_ICMP_ECHO_REPLY) ||
	       (t->l4proto == IPPROTO_ICMPV6 && t->icmp_type == TSN_ICMPV6_ECHO_REPLY);
}

static struct tt_pkt *pkt_get(struct tt_report *r, __u64 id, bool create)
{
	struct tt_pkt *p = &r->pkts[id % TT_PKT_SLOTS];

	if (p->id == id)
		return p;
	if (!create)
		return NULL;
	if (p->id)
		pkt_summary(r, p);	/* bounded table: finish the older packet now */
	memset(p, 0, sizeof(*p));
	p->id = id;
	return p;
}

/*
 * h->func points into a per-event buffer: a hop kept beyond the event gets its own copy of
 * the name (kprobe/fentry hops are told apart by it, e.g. the entry after skb_scrub_packet()).
 */
static void hop_copy(struct tt_hop *dst, const struct tt_hop *h, char *func, size_t len)
{
	*dst = *h;
	dst->func = NULL;
	if (h->func) {
		snprintf(func, len, "%s", h->func);
		dst->func = func;
	}
}

static void loss_set(struct tt_loss *l, int idx, const struct tt_hop *h, __u64 was, __u64 now,
		     enum tt_cause c, const char *detail)
{
	l->lost = true;
	l->hop = idx;
	hop_copy(&l->at, h, l->func, sizeof(l->func));
	l->from = was;
	l->to = now;
	l->cause = c;
	snprintf(l->detail, sizeof(l->detail), "%s", detail);
}

/*
 * Record hop number idx in the packet; what changed here goes to *changes (objects) and
 * *changed (field names), arrays created at the hop's first change (most hops have none). A
 * change at a NIC that tsnproxy enforces is first asked whether it is the proxy's.
 */
static void pkt_hop(struct tt_report *r, struct tt_pkt *p, const struct tt_hop *h, int idx,
		    json_object **changes, json_object **changed)
{
	struct tt_pod_policy pol;
	bool have_pol = false;
	char detail[160];
	int f;

	/* net_dev_xmit only says the driver took the skb: it is not a step of the path */
	if (!tt_hook_has_meta(h->hook))
		return;
	p->nhops++;
	/*
	 * A free is where the packet was last seen, not a step of its path, and the kernel may
	 * have cleared metadata before it (a tstamp at kfree_skb): nothing to compare there.
	 */
	if (h->freed)
		return;
	p->nsteps++;
	if (p->npath < TT_PATH_MAX) {
		struct tt_path_hop *ph = &p->path[p->npath++];

		ph->hook = h->hook;
		ph->netns = h->netns;
		memcpy(ph->ifname, h->ifname, sizeof(ph->ifname));
	} else {
		p->path_truncated = true;
	}
	if (!p->have_meta) {
		p->first = *h;
		p->prev = *h;
		p->have_meta = true;
		p->origin_seen = tt_hop_is_origin(h, p->tuple.l3proto == 0x0800 ||
						     p->tuple.l3proto == 0x86DD);
	}
	if (h->restore_nic)
		have_pol = proxy_policy(r, p->first.netns, &pol);
	for (f = 0; f < TT_F__MAX; f++) {
		__u64 was = tt_field_value(&p->prev.meta, f), now = tt_field_value(&h->meta, f);
		__u64 first = tt_field_value(&p->first.meta, f);
		const char *pns, *cns;
		enum tt_cause c;
		json_object *ch;

		if (was == now)
			continue;
		pns = tt_netns_name(p->prev.netns);
		cns = tt_netns_name(h->netns);
		c = tt_classify_proxy(f, &p->prev, h, first, now, have_pol ? &pol : NULL, detail,
				      sizeof(detail));
		if (c == TT_CAUSE_UNKNOWN)
			c = tt_classify(f, &p->prev, h, pns, cns, detail, sizeof(detail));
		/* the value came back (by whatever cause), or tsnproxy's policy wrote its own */
		if ((first && now == first) || c == TT_CAUSE_TSNPROXY_POLICY)
			loss_set(&p->back[f], idx, h, was, now, c, detail);
		ch = json_object_new_object();
		tsn_json_add_str(ch, "field", tt_field_name(f));
		field_value_json(ch, "from", f, was);
		field_value_json(ch, "to", f, now);
		tsn_json_add_str(ch, "cause", tt_cause_name(c));
		tsn_json_add_str(ch, "detail", detail);
		if (!*changes) {
			*changes = json_object_new_array();
			*changed = json_object_new_array();
		}
		json_object_array_add(*changes, ch);
		json_object_array_add(*changed, json_object_new_string(tt_field_name(f)));
		/* a loss: the first value was set and is gone; remember where it happened first */
		if (first && was == first && !p->loss[f].lost)
			loss_set(&p->loss[f], idx, h, was, now, c, detail);
	}
	hop_copy(&p->prev, h, p->prev_func, sizeof(p->prev_func));
	p->prev_hop = idx;
	if (tt_hook_is_egress(h->hook)) {
		p->judge = *h;
		p->judge.func = NULL;
		p->judge_hop = idx;
		p->have_judge = true;
	}
}

/*
 * The first hop of a packet inside tunnel headers (TSN_HOPF_ENCAP): a tunnel device pushed them
 * onto the same skb in its transmit, which is the packet's previous hop with metadata (the
 * tunnel device's net_dev_start_xmit on the tracepoint backend). Before pkt_hop() moves prev.
 */
static void pkt_encap(struct tt_pkt *p, const struct tt_hop *h, int idx, __u32 flags)
{
	if (!(flags & TSN_HOPF_ENCAP) || p->encap || !p->have_meta)
		return;
	p->encap = true;
	p->encap_hop = idx;
	p->encap_at = *h;
	p->encap_at.func = NULL;
	p->encap_by = p->prev;
	p->encap_by.func = NULL;
}

static json_object *encap_json(const struct tt_pkt *p)
{
	json_object *o = json_object_new_object(), *by = json_object_new_object();

	json_object_object_add(o, "first_hop", hop_ref_json(p->encap_hop, &p->encap_at));
	tsn_json_add_str(by, "netns", tt_netns_name(p->encap_by.netns));
	tsn_json_add_str(by, "ifname", p->encap_by.ifname);
	tsn_json_add_str(by, "kind", p->encap_by.kind);
	json_object_object_add(o, "by", by);
	return o;
}

/*
 * A packet is judged at its last egress hop; a packet with none is judged at its last hop
 * when it has more than one. A single hop that is not an egress hop compared nothing: such a
 * packet neither kept nor lost a field, and does not count towards --expect's verdict.
 */
static bool pkt_judged(const struct tt_pkt *p)
{
	return p->origin_seen && (p->have_judge || (p->have_meta && p->nsteps > 1));
}

/* Field f lost in this packet: first value set and different at the judged (last egress) hop;
 * a loss recorded after that hop (beyond the wire) does not count. */
static bool pkt_lost(const struct tt_pkt *p, enum tt_field f)
{
	const struct tt_hop *j = p->have_judge ? &p->judge : &p->prev;
	__u64 first = tt_field_value(&p->first.meta, f);

	if (!p->have_meta || !p->origin_seen || !first)
		return false;
	return tt_field_value(&j->meta, f) != first;
}

/* What became of a field by the judged hop; the words tsntop uses for the same cases. */
enum tt_state {
	TT_STATE_UNSET,		/* the app left it at 0 */
	TT_STATE_KEPT,		/* never left the app's value */
	TT_STATE_RESTORED,	/* lost on the way, back at the judged hop */
	TT_STATE_CLAMPED,	/* tsnproxy wrote what the pod's policy allows instead */
	TT_STATE_LOST,
	TT_STATE_ORIGIN_NOT_SEEN, /* first seen mid-path: the first value is not the app's */
};

static const char *const state_names[] = {
	[TT_STATE_UNSET] = "unset",
	[TT_STATE_KEPT] = "kept",
	[TT_STATE_RESTORED] = "restored",
	[TT_STATE_CLAMPED] = "clamped",
	[TT_STATE_LOST] = "lost",
	[TT_STATE_ORIGIN_NOT_SEEN] = "origin-not-seen",
};

static enum tt_state pkt_field_state(const struct tt_pkt *p, enum tt_field f)
{
	if (!p->origin_seen)
		return TT_STATE_ORIGIN_NOT_SEEN;
	if (!tt_field_value(&p->first.meta, f))
		return TT_STATE_UNSET;
	if (pkt_lost(p, f))
		return p->back[f].lost && p->back[f].cause == TT_CAUSE_TSNPROXY_POLICY ?
			       TT_STATE_CLAMPED :
			       TT_STATE_LOST;
	return p->loss[f].lost ? TT_STATE_RESTORED : TT_STATE_KEPT;
}

/* The loss to name for a field in this state: the clamp, or where it first left */
static const struct tt_loss *pkt_field_loss(const struct tt_pkt *p, enum tt_field f,
					    enum tt_state st)
{
	if (st == TT_STATE_CLAMPED)
		return &p->back[f];
	if (st == TT_STATE_LOST || st == TT_STATE_RESTORED)
		return p->loss[f].lost ? &p->loss[f] : NULL;
	return NULL;
}

static void pkt_summary(struct tt_report *r, struct tt_pkt *p)
{
	json_object *o = json_object_new_object(), *path, *fields;
	const struct tt_hop *j = p->have_judge ? &p->judge : &p->prev;
	bool any_lost = false;
	int i, f;

	for (f = 0; f < TT_F__MAX; f++) {
		if (!pkt_lost(p, f))
			continue;
		r->lost_pkts[f]++;
		if (r->o->expect & (1U << f))
			any_lost = true;
	}
	if (any_lost)
		r->judged_lost++;
	if (p->have_meta && !p->origin_seen)
		r->mid_path++;
	r->judged += pkt_judged(p);
	r->reported++;
	if (!r->o->summary)
		goto out;

	tsn_json_add_str(o, "type", "packet");
	tsn_json_add_u64(o, "pkt_id", p->id);
	json_object_object_add(o, "tuple", tuple_json(&p->tuple));
	json_object_object_add(o, "hops", json_object_new_int(p->nhops));
	path = json_object_new_array();
	for (i = 0; i < p->npath; i++) {
		json_object *h = json_object_new_object();

		tsn_json_add_str(h, "netns", tt_netns_name(p->path[i].netns));
		tsn_json_add_str(h, "ifname", p->path[i].ifname);
		tsn_json_add_str(h, "hook", tt_hook_name(p->path[i].hook));
		json_object_array_add(path, h);
	}
	json_object_object_add(o, "path", path);
	tsn_json_add_bool(o, "path_truncated", p->path_truncated);
	tsn_json_add_bool(o, "judged", pkt_judged(p));
	if (pkt_judged(p))
		json_object_object_add(o, "judged_at", hop_ref_json(p->have_judge ?
								   p->judge_hop : p->prev_hop, j));
	tsn_json_add_bool(o, "origin_seen", p->origin_seen);
	if (p->encap)
		json_object_object_add(o, "encapsulated", encap_json(p));
	fields = json_object_new_object();
	for (f = 0; f < TT_F__MAX && p->have_meta; f++) {
		json_object *fo = json_object_new_object();
		enum tt_state st = pkt_field_state(p, f);
		const struct tt_loss *l = pkt_field_loss(p, f, st);

		field_value_json(fo, "first", f, tt_field_value(&p->first.meta, f));
		field_value_json(fo, "last", f, tt_field_value(&j->meta, f));
		tsn_json_add_bool(fo, "kept", !pkt_lost(p, f));
		tsn_json_add_str(fo, "state", state_names[st]);
		if (l) {
			json_object_object_add(fo, "lost_at", hop_ref_json(l->hop, &l->at));
			tsn_json_add_str(fo, "cause", tt_cause_name(l->cause));
			tsn_json_add_str(fo, "detail", l->detail);
		}
		if (st == TT_STATE_RESTORED && p->back[f].lost) {
			l = &p->back[f];
			json_object_object_add(fo, "restored_at", hop_ref_json(l->hop, &l->at));
			tsn_json_add_str(fo, "restored_by", tt_cause_name(l->cause));
			tsn_json_add_str(fo, "restored_detail", l->detail);
		}
		json_object_object_add(fields, tt_field_name(f), fo);
	}
	json_object_object_add(o, "fields", fields);
	if (p->dropped) {
		const char *dr = tt_drop_reason_name(p->drop_reason);

		if (dr)
			tsn_json_add_str(o, "dropped", dr);
		else
			tsn_json_add_u64(o, "dropped", p->drop_reason);
	} else if (p->unclaimed) {
		tsn_json_add_str(o, "unclaimed", "NO_SOCKET");
	}

	if (r->o->json) {
		tsn_out_write(r->out, o, TSN_OUT_JSON);
	} else {
		char a[160];

		sum_printf(r, "packet %llu: %s, %d hops%s\n", (unsigned long long)p->id,
			tsn_tuple_str(&p->tuple, a, sizeof(a)), p->nhops,
			p->dropped ? " (dropped)" :
			p->unclaimed ? " (no ping socket took it; raw sockets had their copy)" :
				       "");
		sum_printf(r, "  path:");
		for (i = 0; i < p->npath; i++) {
			/* one entry per device: the hooks on one device are one step of the path */
			if (i && p->path[i].netns == p->path[i - 1].netns &&
			    !strcmp(p->path[i].ifname, p->path[i - 1].ifname))
				continue;
			sum_printf(r, "%s %s/%s", i ? " >" : "", tt_netns_name(p->path[i].netns),
				p->path[i].ifname[0] ? p->path[i].ifname : "-");
		}
		sum_printf(r, "%s\n", p->path_truncated ? " ..." : "");
		if (p->encap)
			sum_printf(r,
				"  encapsulated by %s/%s (%s), in outer headers from hop %d %s/%s %s on\n",
				tt_netns_name(p->encap_by.netns), p->encap_by.ifname,
				p->encap_by.kind[0] ? p->encap_by.kind : "-", p->encap_hop,
				tt_netns_name(p->encap_at.netns), p->encap_at.ifname,
				tt_hook_name(p->encap_at.hook));
		if (p->have_meta && !p->origin_seen)
			sum_printf(r,
				"  origin not seen: first seen at %s/%s %s, after the packet left its sender (the filter matched mid-path); not judged\n",
				tt_netns_name(p->first.netns), p->first.ifname,
				tt_hook_name(p->first.hook));
		else if (p->have_meta && !pkt_judged(p))
			sum_printf(r, "  not judged: one hop, not an egress hop\n");
		for (f = 0; f < TT_F__MAX && p->have_meta; f++) {
			__u64 first = tt_field_value(&p->first.meta, f);
			__u64 last = tt_field_value(&j->meta, f);
			enum tt_state st = pkt_field_state(p, f);
			const struct tt_loss *l = pkt_field_loss(p, f, st);

			if (f == TT_F_TSTAMP_TYPE)
				sum_printf(r, "  %-12s %s -> %s", tt_field_name(f),
					tt_tstamp_type_name(first), tt_tstamp_type_name(last));
			else
				sum_printf(r, "  %-12s %llu -> %llu", tt_field_name(f),
					(unsigned long long)first, (unsigned long long)last);
			if (st == TT_STATE_RESTORED && p->back[f].lost)
				l = &p->back[f];
			if (st == TT_STATE_ORIGIN_NOT_SEEN)
				sum_printf(r, "  origin not seen\n");
			else if (l)
				sum_printf(r, "  %s at hop %d %s/%s %s: %s (%s)\n",
					st == TT_STATE_LOST ? "LOST" : state_names[st], l->hop,
					tt_netns_name(l->at.netns), l->at.ifname,
					tt_hook_name(l->at.hook), tt_cause_name(l->cause), l->detail);
			else
				sum_printf(r, "  %s\n",
					st == TT_STATE_LOST ? "LOST" : state_names[st]);
		}
	}
out:
	json_object_put(o);
	p->id = 0;
}

/* ---- one event ---- */

/* --stack: kernel symbols with offsets, innermost first */
static void stack_jw(struct tsn_jw *w, const struct tsn_trace_extra *x)
{
	char buf[160];
	__u32 i;

	tsn_jw_arr_open(w, "stack");
	for (i = 0; i < x->stack_bytes / sizeof(x->stack[0]) && i < TSN_STACK_DEPTH; i++) {
		const char *sym = tt_ksym_name(x->stack[i], buf, sizeof(buf), true);

		tsn_jw_str(w, NULL, sym ? sym : hexaddr(x->stack[i], buf));
	}
	tsn_jw_arr_close(w);
}

static void flags_jw(struct tsn_jw *w, __u32 flags)
{
	static const char *const names[] = { "first", "by_fingerprint", "clone", "free",
					     "restored", "encapsulated" };
	unsigned int i;

	tsn_jw_arr_open(w, "flags");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1U << i))
			tsn_jw_str(w, NULL, names[i]);
	tsn_jw_arr_close(w);
}

/* A hop's text line, and with --stack its frames indented under it */
static void text_hop_stack(struct tt_report *r, json_object *o, __u64 ns)
{
	json_object *st;
	char tbuf[32];
	size_t i;

	tt_text_hop(r->text, o, time_col(r, ns, tbuf, sizeof(tbuf)));
	if (!json_object_object_get_ex(o, "stack", &st))
		return;
	for (i = 0; i < json_object_array_length(st); i++)
		fprintf(r->out, "        %s\n",
			json_object_get_string(json_object_array_get_idx(st, i)));
}

static bool pkt_is_clone(const struct tt_pkt *p, __u64 skb)
{
	unsigned int i;

	for (i = 0; i < 4 && i < p->nclones; i++)
		if (p->clones[i] == skb)
			return true;
	return false;
}

/*
 * A hop's record (--json's line, the object text and pcapng comments render) into r->jw.
 * changes and changed are pkt_hop()'s arrays, NULL when nothing changed at this hop.
 */
static void hop_jw(struct tt_report *r, const struct tsn_trace_event *e,
		   const struct tsn_trace_extra *x, const struct tt_hop *hop, int idx,
		   json_object *changes, json_object *changed)
{
	const struct tsn_hop_event *h = &e->hop;
	struct tsn_jw *w = &r->jw;
	char buf[128];

	tsn_jw_reset(w);
	tsn_jw_obj_open(w, NULL);
	tsn_jw_str(w, "type", "hop");
	tsn_jw_u64(w, "time_ns", h->time_ns);
	tsn_jw_raw(w, "t", seconds6(h->time_ns >= r->start_ns ? h->time_ns - r->start_ns : 0, buf));
	tsn_jw_u64(w, "pkt_id", h->pkt_id);
	tsn_jw_int(w, "hop", idx);
	tsn_jw_str(w, "skb", hexaddr(h->skb, buf));
	if (h->parent_skb)
		tsn_jw_str(w, "parent_skb", hexaddr(h->parent_skb, buf));
	tsn_jw_u64(w, "cpu", h->cpu);
	tsn_jw_u64(w, "netns", hop->netns);
	tsn_jw_str(w, "netns_name", tt_netns_name(hop->netns));
	tsn_jw_u64(w, "ifindex", hop->ifindex);
	tsn_jw_str(w, "ifname", hop->ifname);
	tsn_jw_str(w, "dev_kind", hop->kind);
	tsn_jw_str(w, "hook", tt_hook_name(h->hook));
	if (hop->func)
		tsn_jw_str(w, "func", hop->func);
	if (h->tuple.l3proto) {
		if (!r->tuple_jw.len || memcmp(&r->tuple_key, &h->tuple, sizeof(h->tuple))) {
			tsn_jw_reset(&r->tuple_jw);
			tuple_jw(&r->tuple_jw, NULL, &h->tuple);
			r->tuple_key = h->tuple;
		}
		tsn_jw_raw(w, "tuple", r->tuple_jw.buf);
	}
	tsn_jw_u64(w, "len", h->len);
	if (tt_hook_has_meta(h->hook)) {
		tsn_jw_u64(w, "priority", h->meta.priority);
		tsn_jw_u64(w, "tstamp", h->meta.tstamp);
		tsn_jw_str(w, "tstamp_type", tt_tstamp_type_name(h->meta.tstamp_type));
		tsn_jw_u64(w, "mark", h->meta.mark);
		tsn_jw_bool(w, "sk", h->meta.has_sk);
		tsn_jw_u64(w, "queue_mapping", h->meta.queue_mapping);
	} else {
		tsn_jw_int(w, "rc", (int)e->aux);
	}
	flags_jw(w, h->flags);
	if (h->hook == TSN_HOOK_KFREE_SKB) {
		const char *dr = tt_drop_reason_name(h->drop_reason);

		if (dr)
			tsn_jw_str(w, "drop_reason", dr);
		else
			tsn_jw_u64(w, "drop_reason", h->drop_reason);
		if (tt_ksym_name(h->func_ip, buf, sizeof(buf), true))
			tsn_jw_str(w, "location", buf);
	}
	if (changes) {
		tsn_jw_json(w, "changed", changed);
		tsn_jw_json(w, "changes", changes);
	} else {
		tsn_jw_arr_open(w, "changed");
		tsn_jw_arr_close(w);
		tsn_jw_arr_open(w, "changes");
		tsn_jw_arr_close(w);
	}
	if (x && x->stack_bytes)
		stack_jw(w, x);
	tsn_jw_obj_close(w);
}

void tt_report_event(struct tt_report *r, const struct tsn_trace_event *e,
		     const struct tsn_trace_extra *x)
{
	const struct tsn_hop_event *h = &e->hop;
	json_object *o = NULL, *changes = NULL, *changed = NULL;
	char fbuf[128];
	struct tt_pkt *p;
	struct tt_hop hop = {};
	bool first = h->flags & TSN_HOPF_FIRST, pcap;
	int idx;

	r->seen++;
	/* --count N: packets after the N-th are not reported (their events may still arrive
	 * while the tracer drains the ring buffer) */
	if (r->o->count && h->pkt_id > r->o->count) {
		r->skipped++;
		return;
	}
	p = pkt_get(r, h->pkt_id, true);
	if (first)
		r->packets++;
	/*
	 * net_dev_xmit matches by skb address alone (the skb may be gone): a packet whose free
	 * was not seen (some frees have no tracepoint) would collect the xmit hops of every
	 * later skb at its address. Ours follows its start_xmit on the same device.
	 */
	if (h->hook == TSN_HOOK_NET_DEV_START_XMIT) {
		p->xmit_netns = h->netns;
		p->xmit_ifindex = h->ifindex;
	} else if (h->hook == TSN_HOOK_NET_DEV_XMIT) {
		bool ours = p->xmit_ifindex && p->xmit_ifindex == h->ifindex &&
			    p->xmit_netns == h->netns;

		p->xmit_ifindex = 0;
		if (!tt_hop_numbered(h->hook, ours)) {
			r->stray++;
			return;
		}
	}
	idx = p->next_hop++;
	if ((h->flags & TSN_HOPF_CLONE) || h->type == TSN_EV_CLONE)
		p->clones[p->nclones++ % 4] = h->skb;
	if ((first || !p->tuple.l3proto) && h->tuple.l3proto)
		p->tuple = h->tuple;

	hop.hook = h->hook;
	hop.netns = h->netns;
	hop.ifindex = h->ifindex;
	memcpy(hop.ifname, h->ifname, sizeof(hop.ifname));
	hop.ifname[TSN_IFNAMSIZ - 1] = '\0';
	memcpy(hop.kind, e->dev_kind, sizeof(hop.kind));
	hop.kind[sizeof(hop.kind) - 1] = '\0';
	hop.meta = h->meta;
	hop.freed = h->flags & TSN_HOPF_FREE;
	/* a free after the skb left its device: it was freed where the packet was last seen */
	if (hop.freed && !hop.netns && !hop.ifindex && p->have_meta) {
		hop.netns = p->prev.netns;
		hop.ifindex = p->prev.ifindex;
		memcpy(hop.ifname, p->prev.ifname, sizeof(hop.ifname));
		memcpy(hop.kind, p->prev.kind, sizeof(hop.kind));
	}
	if (h->func_ip && h->hook != TSN_HOOK_KFREE_SKB && h->hook != TSN_HOOK_CONSUME_SKB)
		hop.func = tt_ksym_name(h->func_ip, fbuf, sizeof(fbuf), false);
	hop.restore_nic = tt_hook_is_egress(hop.hook) &&
			  proxy_restore_nic(r, hop.netns, hop.ifindex);

	pkt_encap(p, &hop, idx, h->flags);
	pkt_hop(r, p, &hop, idx, &changes, &changed);
	/* a mirror's clone dropped on its port is not the packet being dropped */
	if (h->hook == TSN_HOOK_KFREE_SKB && !pkt_is_clone(p, h->skb)) {
		p->unclaimed = echo_unclaimed(&p->tuple, tt_drop_reason_name(h->drop_reason));
		p->dropped = !p->unclaimed;
		p->drop_reason = h->drop_reason;
	}
	pcap = r->pcap && x && x->snap_len;
	if (r->o->summary_only && !pcap)
		goto out;

	hop_jw(r, e, x, &hop, idx, changes, changed);
	/* text and pcapng comments are renderings of the same record */
	if (pcap || !r->o->json)
		o = tsn_jw_parse(&r->jw);
	if (pcap && o && tt_pcap_hop(r->pcap, o, x, h->time_ns + r->wall_off_ns) &&
	    !r->pcap_failed) {
		r->pcap_failed = true;
		pr_warn("--write: cannot write the pcapng file: %s", strerror(errno));
	}
	if (r->o->summary_only)
		;
	else if (r->o->json)
		tsn_jw_write_line(&r->jw, r->out);
	else if (o)
		text_hop_stack(r, o, h->time_ns);
out:
	json_object_put(changes);
	json_object_put(changed);
	json_object_put(o);
}

/* --expect's verdicts, worst first: a loss seen is a loss even in an incomplete trace */
enum tt_verdict {
	TT_VERDICT_LOST,
	TT_VERDICT_INCOMPLETE,
	TT_VERDICT_NO_PACKETS,
	TT_VERDICT_KEPT,
};

static const struct {
	const char *name;
	enum tt_exit exit_status;
} verdicts[] = {
	[TT_VERDICT_LOST] = { "lost", TT_EXIT_EXPECT_FAILED },
	[TT_VERDICT_INCOMPLETE] = { "incomplete", TT_EXIT_INCOMPLETE },
	[TT_VERDICT_NO_PACKETS] = { "no-packets", TT_EXIT_EXPECT_FAILED },
	[TT_VERDICT_KEPT] = { "kept", TT_EXIT_OK },
};

/*
 * Lost events or untracked packets (a full tracking table) may hide a loss: without a loss
 * seen, the run proves nothing. No packet judged (a wrong filter) must not pass either.
 */
static enum tt_verdict expect_verdict(const struct tt_report *r, const __u64 *c)
{
	if (r->judged_lost)
		return TT_VERDICT_LOST;
	if (c[TSN_CNT_EVENTS_LOST] || c[TSN_CNT_TRACK_OVERFLOW])
		return TT_VERDICT_INCOMPLETE;
	return r->judged ? TT_VERDICT_KEPT : TT_VERDICT_NO_PACKETS;
}

static void expect_text(FILE *f, const struct tt_report *r, const __u64 *c, enum tt_verdict v)
{
	switch (v) {
	case TT_VERDICT_LOST:
		fprintf(f, "expect: LOST: %llu of %llu judged packets lost an expected field\n",
			r->judged_lost, r->judged);
		break;
	case TT_VERDICT_INCOMPLETE:
		fprintf(f,
			"expect: INCOMPLETE: %llu events lost, %llu packets not tracked: a loss may be hidden (raise --ringbuf-size or --capacity)\n",
			(unsigned long long)c[TSN_CNT_EVENTS_LOST],
			(unsigned long long)c[TSN_CNT_TRACK_OVERFLOW]);
		break;
	case TT_VERDICT_NO_PACKETS:
		if (!r->reported)
			fprintf(f, "expect: NO PACKETS: no packet matched the filters\n");
		else if (r->mid_path)
			fprintf(f, "expect: NO PACKETS: none of %llu traced packets could be judged (%llu selected mid-path, origin not seen: select them where they start, e.g. --netns POD)\n",
				r->reported, r->mid_path);
		else
			fprintf(f, "expect: NO PACKETS: none of %llu traced packets could be judged (check the filters)\n",
				r->reported);
		break;
	case TT_VERDICT_KEPT:
		fprintf(f, "expect: kept: all %llu judged packets kept the expected fields\n",
			r->judged);
		break;
	}
}

int tt_report_finish(struct tt_report *r, const __u64 *c, const __u64 *lost_per_cpu, int ncpus)
{
	enum tt_verdict v = TT_VERDICT_KEPT;
	json_object *o, *arr, *lost;
	int f, rc = TT_EXIT_OK;
	size_t i;

	/* finish every packet, in id order modulo the table */
	for (i = 0; i < TT_PKT_SLOTS; i++)
		if (r->pkts[i].id)
			pkt_summary(r, &r->pkts[i]);

	o = json_object_new_object();
	tsn_json_add_str(o, "type", "counters");
	tsn_json_add_u64(o, "events", c[TSN_CNT_EVENTS]);
	tsn_json_add_u64(o, "events_lost", c[TSN_CNT_EVENTS_LOST]);
	arr = json_object_new_array();
	for (i = 0; i < (size_t)ncpus; i++)
		json_object_array_add(arr, tsn_json_u64(lost_per_cpu[i]));
	json_object_object_add(o, "events_lost_per_cpu", arr);
	tsn_json_add_u64(o, "events_seen", r->seen);
	tsn_json_add_u64(o, "packets_tracked", c[TSN_CNT_PKTS_TRACKED]);
	tsn_json_add_u64(o, "tracking_overflow", c[TSN_CNT_TRACK_OVERFLOW]);
	tsn_json_add_u64(o, "packets_reported", r->reported);
	tsn_json_add_u64(o, "stray_hops", r->stray);
	lost = json_object_new_object();
	for (f = 0; f < TT_F__MAX; f++)
		tsn_json_add_u64(lost, tt_field_name(f), r->lost_pkts[f]);
	json_object_object_add(o, "packets_lost_field", lost);
	if (r->o->expect) {
		arr = json_object_new_array();
		for (f = 0; f < TT_F__MAX; f++)
			if (r->o->expect & (1U << f))
				json_object_array_add(arr, json_object_new_string(tt_field_name(f)));
		json_object_object_add(o, "expect", arr);
		v = expect_verdict(r, c);
		rc = verdicts[v].exit_status;
		tsn_json_add_str(o, "verdict", verdicts[v].name);
		tsn_json_add_u64(o, "packets_judged", r->judged);
		tsn_json_add_u64(o, "packets_failed", r->judged_lost);
	}

	if (r->o->json) {
		tsn_out_emit(r->out, o, TSN_OUT_JSON);
	} else {
		sum_printf(r,
			"counters: events %llu, events lost %llu, events seen %llu, packets tracked %llu, tracking overflow %llu, packets reported %llu\n",
			(unsigned long long)c[TSN_CNT_EVENTS],
			(unsigned long long)c[TSN_CNT_EVENTS_LOST], r->seen,
			(unsigned long long)c[TSN_CNT_PKTS_TRACKED],
			(unsigned long long)c[TSN_CNT_TRACK_OVERFLOW], r->reported);
		if (c[TSN_CNT_EVENTS_LOST]) {
			fprintf(r->out, "events lost per cpu:");
			for (i = 0; i < (size_t)ncpus; i++)
				fprintf(r->out, " %llu", (unsigned long long)lost_per_cpu[i]);
			fprintf(r->out, " (ring buffer full: raise --ringbuf-size)\n");
		}
		if (r->o->expect) {
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);

			if (m) {
				expect_text(m, r, c, v);
				fclose(m);
				sum_printf(r, "%s", buf);
			}
			free(buf);
		}
	}
	/* the report went to a file or is JSON: the verdict also in words, where a user looks */
	if (r->o->expect && (r->o->json || r->o->output)) {
		fputs("tsntrace: ", stderr);
		expect_text(stderr, r, c, v);
	}
	json_object_put(o);
	fflush(r->out);
	return rc;
}

void tt_report_free(struct tt_report *r)
{
	if (!r)
		return;
	tt_text_free(r->text);
	tsn_jw_free(&r->jw);
	tsn_jw_free(&r->tuple_jw);
	free(r->pkts);
	free(r);
}
