// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsntop's model, see model.h. Flows are kept sorted by key so that a sample's hop records
 * (tens of thousands) find their flow by binary search; the display order is a separate index
 * array, re-sorted after every sample or key press.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "tsn_filter.h"
#include "json.h"
#include "model.h"
#include "proxy.h"
#include "trace_cause.h"

struct top_model *top_model_new(void)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (m)
		m->sort = TOP_SORT_PPS;
	return m;
}

void top_model_free(struct top_model *m)
{
	if (!m)
		return;
	free(m->flows);
	free(m->visible);
	free(m);
}

void top_model_reset(struct top_model *m)
{
	m->nflows = 0;
	m->nvisible = 0;
	m->have_prev = false;
	m->pps_total = 0;
	m->pps_tc_unknown = 0;
	memset(m->pps_tc, 0, sizeof(m->pps_tc));
	m->proxy.have_prev = false;
}

int top_model_add_nic(struct top_model *m, const struct top_nic *nic)
{
	if (m->nnics >= TOP_MAX_NICS)
		return -E2BIG;
	m->nics[m->nnics++] = *nic;
	return 0;
}

static int key_cmp(const struct tsn_agg_flow_key *a, const struct tsn_agg_flow_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

/* Index of key, or -(insertion point) - 1. */
static int flow_search(const struct top_model *m, const struct tsn_agg_flow_key *key)
{
	int lo = 0, hi = m->nflows - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2, c = key_cmp(&m->flows[mid].key, key);

		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

void top_model_begin(struct top_model *m, double now_s)
{
	int i;

	m->now_s = now_s;
	for (i = 0; i < m->nflows; i++) {
		m->flows[i].seen = false;
		m->flows[i].nhops = 0;
		m->flows[i].hops_dropped = 0;
	}
}

struct top_flow *top_model_find(struct top_model *m, const struct tsn_agg_flow_key *key)
{
	int i = flow_search(m, key);

	return i >= 0 ? &m->flows[i] : NULL;
}

struct top_flow *top_model_flow(struct top_model *m, const struct tsn_agg_flow_key *key,
				const struct tsn_agg_flow *val, const char *netns_name)
{
	struct top_flow *f;
	int i = flow_search(m, key);

	if (i < 0) {
		i = -i - 1;
		if (m->nflows == m->cap) {
			int cap = m->cap ? m->cap * 2 : 64;
			struct top_flow *nf = realloc(m->flows, cap * sizeof(*nf));
			int *nv = realloc(m->visible, cap * sizeof(*nv));

			if (nf)
				m->flows = nf;
			if (nv)
				m->visible = nv;
			if (!nf || !nv)
				return NULL;
			m->cap = cap;
		}
		memmove(&m->flows[i + 1], &m->flows[i], (m->nflows - i) * sizeof(*f));
		m->nflows++;
		f = &m->flows[i];
		memset(f, 0, sizeof(*f));
		f->key = *key;
		/* appeared since the previous sample: all its packets are in this interval */
		f->have_prev = m->have_prev;
	}
	f = &m->flows[i];
	f->val = *val;
	f->seen = true;
	snprintf(f->netns_name, sizeof(f->netns_name), "%s", netns_name ? netns_name : "");
	return f;
}

int top_model_hop(struct top_model *m, struct top_flow *f, const struct tsn_agg_hop_key *key,
		  const struct tsn_agg_hop *val, const char *hook_name, const char *netns_name)
{
	struct top_hop *h;
	int i;

	if (f->nhops >= TOP_MAX_HOPS) {
		f->hops_dropped++;
		return -E2BIG;
	}
	h = &f->hops[f->nhops++];
	memset(h, 0, sizeof(*h));
	h->key = *key;
	h->val = *val;
	snprintf(h->hook_name, sizeof(h->hook_name), "%s", hook_name ? hook_name : "?");
	snprintf(h->netns_name, sizeof(h->netns_name), "%s", netns_name ? netns_name : "");
	h->nic = -1;
	for (i = 0; i < m->nnics; i++)
		if (m->nics[i].netns == key->netns && m->nics[i].ifindex == key->ifindex)
			h->nic = i;
	return 0;
}

/* ---- judging ---- */

/*
 * Each hop record holds the latest packet seen at that hop, so two hops of one flow are usually
 * two different packets. A tstamp is per packet (SO_TXTIME puts a new deadline on every one),
 * so its value cannot be compared across hops: the tstamp is judged by its clock ("none" when
 * 0, mono, tai, real), which a packet keeps unless the path clears or replaces it.
 */
static bool field_eq(const struct tsn_meta *a, const struct tsn_meta *b, enum top_field f)
{
	switch (f) {
	case TOP_F_PRIORITY: return a->priority == b->priority;
	case TOP_F_TSTAMP: return !strcmp(tt_tstamp_clock_name(a), tt_tstamp_clock_name(b));
	case TOP_F_MARK: return a->mark == b->mark;
	default: return true;
	}
}

/* A field the app did not set (0) cannot be lost, only changed (e.g. routed by TOS). */
static bool field_set(const struct tsn_meta *m, enum top_field f)
{
	switch (f) {
	case TOP_F_PRIORITY: return m->priority != 0;
	case TOP_F_TSTAMP: return m->tstamp != 0;
	case TOP_F_MARK: return m->mark != 0;
	default: return false;
	}
}

static int hop_cmp(const void *a, const void *b)
{
	const struct top_hop *x = a, *y = b;

	if (x->val.seq != y->val.seq)
		return x->val.seq < y->val.seq ? -1 : 1;
	return x->val.last_ns < y->val.last_ns ? -1 : x->val.last_ns > y->val.last_ns;
}

const struct tsn_meta *top_flow_app_meta(const struct top_flow *f)
{
	if (f->nhops && (f->hops[0].val.flags & TSN_HOPF_FIRST))
		return &f->hops[0].val.meta;
	return &f->val.meta;
}

const struct tsn_meta *top_flow_nic_meta(const struct top_flow *f)
{
	return f->judged >= 0 ? &f->hops[f->judged].val.meta : NULL;
}

_Static_assert((int)TOP_F_PRIORITY == TSN_AGG_FIELD_PRIORITY &&
		       (int)TOP_F_TSTAMP == TSN_AGG_FIELD_TSTAMP &&
		       (int)TOP_F_MARK == TSN_AGG_FIELD_MARK &&
		       (int)TOP_F__MAX == TSN_AGG_FIELD__MAX,
	       "tsntop's fields are the kernel's per-packet counts' fields");

/* cur - prev of a kernel counter; a counter that went back was reset ('r'): all of it is new */
static __u64 counted_since(__u64 cur, __u64 prev)
{
	return cur >= prev ? cur - prev : cur;
}

/*
 * The kernel judged every packet of the interval at the NIC: which fields some packet lost is
 * known exactly there, and overrides what the sampled packets show. The samples still tell where
 * (lost_hop) and what was restored; a field a sample shows lost and no packet of the interval
 * lost was lost by an older packet.
 */
static void judge_every_packet(struct top_flow *f)
{
	unsigned int lost = 0;
	int fl;

	f->nic_packets_interval = counted_since(f->val.nic_packets, f->prev_nic_packets);
	for (fl = 0; fl < TOP_F__MAX; fl++) {
		f->nic_lost_interval[fl] = counted_since(f->val.nic_differ[fl],
							 f->prev_nic_differ[fl]);
		if (f->nic_lost_interval[fl])
			lost |= 1U << fl;
	}
	if (!f->nic_packets_interval)
		return;		/* none reached a judged NIC in this interval: the samples stand */
	if (!lost && f->lost)
		f->lost_hop = -1;
	f->lost = lost;
	f->restored &= ~lost;
	f->verdict = lost ? TOP_V_LOST : f->restored ? TOP_V_RESTORED : TOP_V_OK;
	if (lost && f->lost_hop < 0)
		f->lost_hop = f->judged;
}

/* The verdict from the sampled packets' paths: every field at the judged hop against the app's. */
static void judge_samples(const struct top_model *m, struct top_flow *f)
{
	const struct tsn_meta *app, *prev = NULL, *nic;
	bool on_nic = false;
	int i, fl;

	qsort(f->hops, f->nhops, sizeof(f->hops[0]), hop_cmp);
	app = top_flow_app_meta(f);
	f->judged = -1;
	f->lost_hop = -1;
	f->lost = f->restored = 0;
	f->tc = -1;
	f->verdict = TOP_V_NONE;
	for (i = 0; i < f->nhops; i++)
		on_nic |= f->hops[i].nic >= 0 && tt_hook_is_egress(f->hops[i].key.hook);
	/* judged at the last egress hop with metadata: on a watched NIC when the path has one */
	for (i = 0; i < f->nhops; i++) {
		struct top_hop *h = &f->hops[i];

		h->changed = 0;
		if (!tt_hook_has_meta(h->key.hook))
			continue;
		for (fl = 0; prev && fl < TOP_F__MAX; fl++)
			if (!field_eq(prev, &h->val.meta, fl))
				h->changed |= 1U << fl;
		prev = &h->val.meta;
		if (tt_hook_is_egress(h->key.hook) && (!on_nic || h->nic >= 0))
			f->judged = i;
	}
	if (f->judged < 0)
		return;
	nic = &f->hops[f->judged].val.meta;
	for (fl = 0; fl < TOP_F__MAX; fl++) {
		bool differed = false;

		if (!field_set(app, fl))
			continue;
		for (i = 1; i < f->judged; i++) {
			if (!tt_hook_has_meta(f->hops[i].key.hook) || field_eq(app, &f->hops[i].val.meta, fl))
				continue;
			if (!differed && !field_eq(app, nic, fl) &&
			    (f->lost_hop < 0 || i < f->lost_hop))
				f->lost_hop = i;
			differed = true;
		}
		if (!field_eq(app, nic, fl)) {
			f->lost |= 1U << fl;
			if (f->lost_hop < 0)
				f->lost_hop = f->judged;
		} else if (differed) {
			f->restored |= 1U << fl;
		}
	}
	f->verdict = f->lost ? TOP_V_LOST : f->restored ? TOP_V_RESTORED : TOP_V_OK;
	i = f->hops[f->judged].nic;
	if (i >= 0 && m->nics[i].qdisc.has_map)
		f->tc = m->nics[i].qdisc.prio_tc_map[nic->priority & (TSN_TC_MAX_PRIO - 1)];
}

static void judge(const struct top_model *m, struct top_flow *f)
{
	int fl;

	judge_samples(m, f);
	judge_every_packet(f);
	f->prev_nic_packets = f->val.nic_packets;
	for (fl = 0; fl < TOP_F__MAX; fl++)
		f->prev_nic_differ[fl] = f->val.nic_differ[fl];
}

/* ---- view order ---- */

static bool flow_matches(const struct top_flow *f, const char *filter)
{
	char buf[160];

	if (!filter[0])
		return true;
	top_flow_str(f, buf, sizeof(buf));
	return strstr(buf, filter) || strstr(f->netns_name, filter) ||
	       strstr(f->val.ifname, filter);
}

static const struct top_model *sort_model;	/* qsort has no context argument */

static int visible_cmp(const void *a, const void *b)
{
	const struct top_flow *x = &sort_model->flows[*(const int *)a];
	const struct top_flow *y = &sort_model->flows[*(const int *)b];
	int c = 0;

	switch (sort_model->sort) {
	case TOP_SORT_PPS: c = (y->pps > x->pps) - (y->pps < x->pps); break;
	case TOP_SORT_PACKETS:
		c = (y->val.packets > x->val.packets) - (y->val.packets < x->val.packets);
		break;
	case TOP_SORT_VERDICT: c = (int)y->verdict - (int)x->verdict; break;
	case TOP_SORT_LAST_SEEN:
		c = (y->val.last_ns > x->val.last_ns) - (y->val.last_ns < x->val.last_ns);
		break;
	default: break;
	}
	/* ties (and TOP_SORT_FLOW) in key order: rows do not jump around between samples */
	return c ? c : *(const int *)a - *(const int *)b;
}

void top_model_refresh_view(struct top_model *m)
{
	int i;

	m->nvisible = 0;
	m->pps_total = 0;
	m->pps_tc_unknown = 0;
	memset(m->pps_tc, 0, sizeof(m->pps_tc));
	for (i = 0; i < m->nflows; i++) {
		const struct top_flow *f = &m->flows[i];

		if (!flow_matches(f, m->filter))
			continue;
		m->visible[m->nvisible++] = i;
		m->pps_total += f->pps;
		if (f->tc >= 0 && f->tc < TOP_MAX_TC)
			m->pps_tc[f->tc] += f->pps;
		else
			m->pps_tc_unknown += f->pps;
	}
	if (m->nvisible < 2)
		return;	/* sorted; and visible may be NULL, which qsort() must not get */
	sort_model = m;
	qsort(m->visible, m->nvisible, sizeof(int), visible_cmp);
	sort_model = NULL;
}

void top_model_end(struct top_model *m)
{
	double dt = m->have_prev ? m->now_s - m->prev_s : 0;
	int i, n = 0;

	for (i = 0; i < m->nflows; i++) {
		struct top_flow *f = &m->flows[i];

		if (!f->seen)
			continue;	/* gone from the kernel's map (reset) */
		judge(m, f);
		f->pps = f->have_prev && dt > 0 && f->val.packets >= f->prev_packets ?
				 (f->val.packets - f->prev_packets) / dt : 0;
		f->prev_packets = f->val.packets;
		f->have_prev = true;
		if (n != i)
			m->flows[n] = *f;
		n++;
	}
	m->nflows = n;
	m->prev_s = m->now_s;
	m->have_prev = true;
	top_model_refresh_view(m);
}

void top_model_set_proxy(struct top_model *m, const struct top_proxy *p)
{
	struct top_proxy *cur = &m->proxy;
	double dt = m->now_s - cur->at_s;
	int i;

	if (!p->running) {
		memset(cur, 0, sizeof(*cur));
		return;
	}
	for (i = 0; i < TSN_CNT__MAX; i++) {
		__u64 was = cur->counters[i];

		cur->rates[i] = cur->have_prev && dt > 0 && p->counters[i] >= was ?
					(p->counters[i] - was) / dt : 0;
	}
	memcpy(cur->counters, p->counters, sizeof(cur->counters));
	cur->running = true;
	cur->have_prev = true;
	cur->at_s = m->now_s;
	memcpy(cur->policy, p->policy, sizeof(cur->policy));
	memcpy(cur->restore, p->restore, sizeof(cur->restore));
	cur->map_capacity = p->map_capacity;
	cur->map_used = p->map_used;
	cur->npolicy = p->npolicy;
	memcpy(cur->policy_rows, p->policy_rows, sizeof(cur->policy_rows));
}

void top_model_set_sort(struct top_model *m, enum top_sort s)
{
	m->sort = s % TOP_SORT__MAX;
	top_model_refresh_view(m);
}

void top_model_set_filter(struct top_model *m, const char *text)
{
	snprintf(m->filter, sizeof(m->filter), "%s", text ? text : "");
	top_model_refresh_view(m);
}

const struct top_flow *top_model_visible(const struct top_model *m, int i)
{
	return i >= 0 && i < m->nvisible ? &m->flows[m->visible[i]] : NULL;
}

/* ---- names ---- */

const char *top_sort_name(enum top_sort s)
{
	static const char *const names[TOP_SORT__MAX] = { "pkt/s", "packets", "verdict",
							  "last seen", "flow" };

	return s < TOP_SORT__MAX ? names[s] : "?";
}

const char *top_field_name(enum top_field f)
{
	static const char *const names[TOP_F__MAX] = { "priority", "tstamp", "mark" };

	return f < TOP_F__MAX ? names[f] : "?";
}

const char *top_verdict_str(const struct top_flow *f, char *buf, size_t len)
{
	switch (f->verdict) {
	case TOP_V_OK: snprintf(buf, len, "ok"); break;
	case TOP_V_RESTORED: snprintf(buf, len, "restored"); break;
	case TOP_V_LOST:
		snprintf(buf, len, "LOST at %s",
			 f->lost_hop >= 0 ? f->hops[f->lost_hop].val.ifname : "?");
		break;
	default: snprintf(buf, len, "-"); break;
	}
	return buf;
}

const char *top_field_state(const struct top_flow *f, enum top_field field)
{
	if (f->lost & (1U << field))
		return "lost";
	if (f->restored & (1U << field))
		return "restored";
	return "kept";
}

const char *top_flow_str(const struct top_flow *f, char *buf, size_t len)
{
	return tsn_tuple_str(&f->key.tuple, buf, len);
}

const char *top_nic_str(const struct top_nic *n, char *buf, size_t len)
{
	size_t off;
	int i;

	off = snprintf(buf, len, "%s%s%s %s", n->netns_name, n->netns_name[0] ? "/" : "",
		       n->ifname, n->qdisc.kind[0] ? n->qdisc.kind : "(no qdisc)");
	if (!n->qdisc.has_map || off >= len)
		return buf;
	off += snprintf(buf + off, len - off, " map");
	/* the map up to its last non-zero entry, like tc prints it (zeros after are implied) */
	for (i = TSN_TC_MAX_PRIO - 1; i > 0 && !n->qdisc.prio_tc_map[i]; i--)
		;
	for (int k = 0; k <= i && off < len; k++)
		off += snprintf(buf + off, len - off, " %u", n->qdisc.prio_tc_map[k]);
	if (n->map_from_user && off < len)
		snprintf(buf + off, len - off, " (--tc-map)");
	return buf;
}

double top_flow_age(const struct top_model *m, const struct top_flow *f)
{
	double age = m->now_s - f->val.last_ns / 1e9;

	return age > 0 ? age : 0;
}

/* ---- JSON snapshot ---- */

static json_object *meta_json(const struct tsn_meta *mt)
{
	json_object *o = json_object_new_object();

	tsn_json_add_u64(o, "priority", mt->priority);
	tsn_json_add_u64(o, "tstamp", mt->tstamp);
	tsn_json_add_str(o, "tstamp_type", tt_tstamp_clock_name(mt));
	tsn_json_add_u64(o, "mark", mt->mark);
	tsn_json_add_u64(o, "queue", mt->queue_mapping);
	return o;
}

static json_object *flow_json(const struct top_model *m, const struct top_flow *f)
{
	json_object *o = json_object_new_object(), *hops = json_object_new_array(), *lost;
	const struct tsn_meta *nic = top_flow_nic_meta(f);
	char buf[160], proto[16];
	int i, fl;

	tsn_json_add_str(o, "netns", f->netns_name);
	tsn_json_add_u64(o, "netns_inode", f->key.netns);
	tsn_json_add_str(o, "ifname", f->val.ifname);
	tsn_json_add_str(o, "proto", tsn_proto_str(f->key.tuple.l4proto, proto, sizeof(proto)));
	tsn_json_add_str(o, "src", tsn_addr_str(f->key.tuple.saddr, buf, sizeof(buf)));
	tsn_json_add_str(o, "dst", tsn_addr_str(f->key.tuple.daddr, buf, sizeof(buf)));
	tsn_json_add_str(o, "desc", top_flow_str(f, buf, sizeof(buf)));
	if (tsn_tuple_has_ports(&f->key.tuple)) {
		tsn_json_add_u64(o, "sport", f->key.tuple.sport);
		tsn_json_add_u64(o, "dport", f->key.tuple.dport);
	}
	tsn_json_add_u64(o, "packets", f->val.packets);
	tsn_json_add_u64(o, "bytes", f->val.bytes);
	json_object_object_add(o, "pps", json_object_new_double(f->pps));
	json_object_object_add(o, "age_s", json_object_new_double(top_flow_age(m, f)));
	json_object_object_add(o, "app", meta_json(top_flow_app_meta(f)));
	json_object_object_add(o, "nic", nic ? meta_json(nic) : NULL);
	json_object_object_add(o, "traffic_class", f->tc >= 0 ? json_object_new_int(f->tc) : NULL);
	tsn_json_add_str(o, "verdict", top_verdict_str(f, buf, sizeof(buf)));
	/* every packet at a judged NIC since tsntop started, and those that lost each field */
	tsn_json_add_u64(o, "nic_packets", f->val.nic_packets);
	lost = json_object_new_object();
	for (fl = 0; fl < TOP_F__MAX; fl++)
		tsn_json_add_u64(lost, top_field_name(fl), f->val.nic_differ[fl]);
	json_object_object_add(o, "nic_lost", lost);
	if (f->lost_hop >= 0 && f->verdict == TOP_V_LOST) {
		snprintf(buf, sizeof(buf), "%s/%s", f->hops[f->lost_hop].netns_name,
			 f->hops[f->lost_hop].val.ifname);
		tsn_json_add_str(o, "lost_at", buf);
	}
	for (fl = 0; fl < TOP_F__MAX; fl++)
		if (f->verdict != TOP_V_NONE)
			tsn_json_add_str(o, top_field_name(fl), top_field_state(f, fl));
	for (i = 0; i < f->nhops; i++) {
		const struct top_hop *h = &f->hops[i];
		json_object *ho = json_object_new_object(), *ch = json_object_new_array();

		/* the hop number tsntrace gives the same hop (trace_cause.h) */
		tsn_json_add_u64(ho, "hop", h->val.seq);
		tsn_json_add_str(ho, "hook", h->hook_name);
		tsn_json_add_str(ho, "netns", h->netns_name);
		tsn_json_add_str(ho, "ifname", h->val.ifname);
		tsn_json_add_u64(ho, "packets", h->val.packets);
		if (tt_hook_has_meta(h->key.hook))
			json_object_object_add(ho, "meta", meta_json(&h->val.meta));
		for (fl = 0; fl < TOP_F__MAX; fl++)
			if (h->changed & (1U << fl))
				json_object_array_add(ch,
						      json_object_new_string(top_field_name(fl)));
		json_object_object_add(ho, "changed", ch);
		tsn_json_add_bool(ho, "judged", i == f->judged);
		/* seen inside a tunnel's outer headers (the flow's tuple is the inner one) */
		tsn_json_add_bool(ho, "encapsulated", h->val.flags & TSN_HOPF_ENCAP);
		json_object_array_add(hops, ho);
	}
	json_object_object_add(o, "hops", hops);
	return o;
}

json_object *top_model_json(const struct top_model *m)
{
	json_object *o = json_object_new_object(), *a, *tc, *lost;
	char buf[200];
	int i;

	tsn_json_add_str(o, "node", m->hdr.node);
	tsn_json_add_str(o, "backend", m->hdr.backend);
	tsn_json_add_str(o, "backend_why", m->hdr.backend_detail);
	a = json_object_new_array();
	for (i = 0; i < TSN_HOOK__MAX; i++)
		if (m->hdr.tp_hooks & TT_TP_HOOK(i))
			json_object_array_add(a, json_object_new_string(tt_hook_name(i)));
	json_object_object_add(o, "hooks", a);
	a = json_object_new_array();
	for (i = 0; i < m->nnics; i++)
		json_object_array_add(a, json_object_new_string(top_nic_str(&m->nics[i], buf,
									      sizeof(buf))));
	json_object_object_add(o, "nics", a);
	json_object_object_add(o, "pps", json_object_new_double(m->pps_total));
	tsn_json_add_u64(o, "flows", m->nvisible);
	tc = json_object_new_object();
	for (i = 0; i < TOP_MAX_TC; i++) {
		if (!m->pps_tc[i])
			continue;
		snprintf(buf, sizeof(buf), "%d", i);
		json_object_object_add(tc, buf, json_object_new_double(m->pps_tc[i]));
	}
	json_object_object_add(o, "pps_per_tc", tc);
	lost = json_object_new_object();
	tsn_json_add_u64(lost, "events", m->hdr.events_lost);
	tsn_json_add_u64(lost, "tracking_overflow", m->hdr.track_overflow);
	tsn_json_add_u64(lost, "flows_full", m->hdr.agg[TSN_AGG_FLOWS_FULL]);
	tsn_json_add_u64(lost, "hops_full", m->hdr.agg[TSN_AGG_HOPS_FULL]);
	tsn_json_add_u64(lost, "packets_evicted", m->hdr.agg[TSN_AGG_PKT_EVICTED]);
	json_object_object_add(o, "lost", lost);
	if (m->proxy.running) {
		json_object *p = json_object_new_object(), *c = json_object_new_object();

		tsn_json_add_str(p, "policy", m->proxy.policy);
		for (i = 0; i <= TSN_CNT_POLICY_CLAMPED; i++)	/* the proxy's own counters */
			tsn_json_add_u64(c, tsn_counter_names[i], m->proxy.counters[i]);
		json_object_object_add(p, "counters", c);
		tsn_json_add_u64(p, "map_used", m->proxy.map_used);
		tsn_json_add_u64(p, "map_capacity", m->proxy.map_capacity);
		json_object_object_add(o, "proxy", p);
	} else {
		json_object_object_add(o, "proxy", NULL);
	}
	a = json_object_new_array();
	for (i = 0; i < m->nvisible; i++)
		json_object_array_add(a, flow_json(m, top_model_visible(m, i)));
	json_object_object_add(o, "flows", a);
	return o;
}
