// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsntop's data source, see source.h. The kernel keeps per-flow and per-(flow, hop) counters
 * (tsntrace.bpf.c in aggregate mode); a sample walks both hash maps once. Hook and netns names
 * come from lib/trace_cause and lib/trace_names, the proxy's state from lib/proxy.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "netns.h"
#include "proxy.h"
#include "source.h"
#include "tc.h"
#include "trace_cause.h"
#include "trace_names.h"

struct top_nic_spec {
	int netns_fd;			/* -1: tsntop's own netns */
	struct top_nic nic;
};

struct top_source {
	struct tt_bpf *bpf;
	const struct top_source_opts *o;
	struct top_nic_spec specs[TOP_MAX_NIC_SPECS];
	int nspecs;
	int ncpus;
};

int top_parse_tc_map(const char *s, __u8 map[TSN_TC_MAX_PRIO], __u8 *num_tc)
{
	int n = 0, max = 0;
	char *end;

	memset(map, 0, TSN_TC_MAX_PRIO);
	while (*s) {
		long v;

		if (n == TSN_TC_MAX_PRIO)
			return -EINVAL;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v < 0 || v >= TSN_TC_MAX_PRIO)
			return -EINVAL;
		map[n++] = (__u8)v;
		if (v > max)
			max = v;
		s = end;
		if (*s == ',' || *s == ' ')
			s++;
		else if (*s)
			return -EINVAL;
	}
	if (!n)
		return -EINVAL;
	*num_tc = max + 1;
	return 0;
}

/* IF or IF@NETNS -> ifindex and netns inode (the netns stays open to read its qdisc later) */
static int nic_resolve(struct top_nic_spec *sp, const char *spec, char *err, size_t errlen)
{
	char name[IF_NAMESIZE];
	const char *nsname, *at;
	int ifindex, rc;

	sp->netns_fd = -1;
	rc = tsn_netns_split_ifspec(spec, name, &at);
	if (rc) {
		snprintf(err, errlen, "--nic %s: %s", spec, rc == -ENAMETOOLONG ?
			 "an interface name has at most 15 characters" : "not IF or IF@NETNS");
		return rc;
	}
	if (at) {
		sp->netns_fd = tsn_netns_open(at);
		if (sp->netns_fd < 0) {
			snprintf(err, errlen, "--nic %s: netns '%s': %s", spec, at,
				 sp->netns_fd == -ENOENT ? "no such network namespace" :
							   strerror(-sp->netns_fd));
			return -ENOENT;
		}
	}
	ifindex = tsn_netns_ifindex(sp->netns_fd, name);
	if (ifindex < 0) {
		char ns[NAME_MAX + 1];

		/* as tsnproxy says it: where the interface is, and how to name it there */
		if (!at && !tsn_netns_find_ifname(name, ns, sizeof(ns)))
			snprintf(err, errlen,
				 "--nic %s: no interface '%s' in this netns (it is in netns %s: "
				 "--nic %s@%s)", spec, name, ns, name, ns);
		else
			snprintf(err, errlen, "--nic %s: no interface '%s'%s%s", spec, name,
				 at ? " in netns " : " in this netns", at ? at : "");
		return -ENODEV;
	}
	rc = tsn_netns_inode(sp->netns_fd, &sp->nic.netns);
	if (rc) {
		snprintf(err, errlen, "--nic %s: %s", spec, strerror(-rc));
		return rc;
	}
	sp->nic.ifindex = ifindex;
	snprintf(sp->nic.ifname, sizeof(sp->nic.ifname), "%.15s", name);
	nsname = tt_netns_name(sp->nic.netns);
	snprintf(sp->nic.netns_name, sizeof(sp->nic.netns_name), "%s", nsname);
	return 0;
}

/*
 * A NIC at a sample, inside its netns: one named by --nic is looked up by its name again
 * (by_name: a device that replaced it under that name, after a driver reload or as a new veth,
 * has another ifindex and is the one to judge at); then its root qdisc is read, and --tc-map
 * fills in a map it lacks.
 */
static void nic_refresh(const struct top_source *s, int netns_fd, struct top_nic *nic, bool by_name)
{
	unsigned int ifindex;
	int saved = -1;

	memset(&nic->qdisc, 0, sizeof(nic->qdisc));
	nic->map_from_user = false;
	if (netns_fd >= 0 && tsn_netns_enter(netns_fd, &saved))
		return;
	if (by_name && (ifindex = if_nametoindex(nic->ifname)))
		nic->ifindex = ifindex;
	if (tsn_tc_root_qdisc(nic->ifindex, &nic->qdisc))
		snprintf(nic->qdisc.kind, sizeof(nic->qdisc.kind), "?");
	if (saved >= 0)
		tsn_netns_leave(saved);
	if (!nic->qdisc.has_map && s->o->tc_map_set) {
		memcpy(nic->qdisc.prio_tc_map, s->o->tc_map, TSN_TC_MAX_PRIO);
		nic->qdisc.num_tc = s->o->tc_map_num;
		nic->qdisc.has_map = true;
		nic->map_from_user = true;
	}
}

/* "A unavailable: why; B unavailable: why; using C backend" -> "A, B unavailable" + reasons */
static void backend_why(char *msg, struct top_header *hdr)
{
	char *using = strstr(msg, "using "), *seg, *save = NULL, *colon;
	size_t off = 0;

	if (using)
		*using = '\0';
	snprintf(hdr->backend_detail, sizeof(hdr->backend_detail), "%s", msg);
	for (seg = strtok_r(msg, ";", &save); seg; seg = strtok_r(NULL, ";", &save)) {
		while (*seg == ' ')
			seg++;
		colon = strstr(seg, " unavailable");
		if (!colon || off >= sizeof(hdr->backend_why))
			continue;
		off += snprintf(hdr->backend_why + off, sizeof(hdr->backend_why) - off, "%s%.*s",
				off ? ", " : "", (int)(colon - seg), seg);
	}
	if (off && off < sizeof(hdr->backend_why))
		snprintf(hdr->backend_why + off, sizeof(hdr->backend_why) - off, " unavailable");
}

/* Where the kernel judges every packet: at these NICs' transmit (tsn_agg_flow.nic_*). */
static int judge_at(struct top_source *s, const struct top_nic *nics, int n)
{
	struct tsn_agg_nic keys[TOP_MAX_NICS];
	int i;

	for (i = 0; i < n && i < TOP_MAX_NICS; i++)
		keys[i] = (struct tsn_agg_nic){ .ifindex = nics[i].ifindex, .netns = nics[i].netns };
	return tt_bpf_agg_set_judged(s->bpf, keys, i);
}

int top_source_open(struct top_source **out, const struct top_source_opts *o,
		    struct top_header *hdr, char *err, size_t errlen)
{
	struct tt_bpf_opts bpf = o->bpf;
	struct top_nic nics[TOP_MAX_NIC_SPECS];
	enum tt_backend backend;
	struct top_source *s;
	char msg[512];
	int rc, i;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = o;
	s->ncpus = libbpf_num_possible_cpus();
	for (i = 0; i < o->n_nic_specs; i++) {
		rc = nic_resolve(&s->specs[i], o->nic_specs[i], err, errlen);
		s->nspecs++;
		if (rc)
			goto fail;
	}
	rc = tt_backend_choose(o->backend, &backend, msg, sizeof(msg));
	if (rc) {
		snprintf(err, errlen, "%s", msg);
		goto fail;
	}
	bpf.aggregate = true;
	rc = tt_bpf_open(&s->bpf, &bpf, backend, err, errlen);
	if (rc)
		goto fail;
	for (i = 0; i < s->nspecs; i++)
		nics[i] = s->specs[i].nic;
	/* before the first packet, not at the first sample */
	rc = judge_at(s, nics, s->nspecs);
	if (rc) {
		snprintf(err, errlen, "cannot set the judged NICs: %s", strerror(-rc));
		goto fail;
	}
	gethostname(hdr->node, sizeof(hdr->node) - 1);
	snprintf(hdr->backend, sizeof(hdr->backend), "%s", tt_backend_name(backend));
	/* auto: why the richer backends were not used; the header names them, JSON has all */
	if (o->backend == TT_BACKEND_AUTO)
		backend_why(msg, hdr);
	snprintf(hdr->pin_dir, sizeof(hdr->pin_dir), "%s", o->pin_dir);
	hdr->tp_hooks = bpf.tp_hooks ? bpf.tp_hooks : TT_TP_HOOKS_ALL;
	*out = s;
	return 0;
fail:
	top_source_close(s);
	return rc ? rc : -EINVAL;
}

void top_source_close(struct top_source *s)
{
	int i;

	if (!s)
		return;
	tt_bpf_close(s->bpf);
	for (i = 0; i < s->nspecs; i++)
		if (s->specs[i].netns_fd >= 0)
			close(s->specs[i].netns_fd);
	free(s);
}

/* The NICs: the named ones, else the proxy's (it may be started while tsntop runs). */
static void sample_nics(struct top_source *s, struct top_model *m)
{
	struct tsn_proxy_config cfg;
	__u32 i;
	int k;

	m->nnics = 0;
	for (k = 0; k < s->nspecs; k++) {
		nic_refresh(s, s->specs[k].netns_fd, &s->specs[k].nic, true);
		top_model_add_nic(m, &s->specs[k].nic);
	}
	if (s->nspecs || tsn_proxy_config_get(s->o->pin_dir, &cfg)) {
		judge_at(s, m->nics, m->nnics);
		return;
	}
	for (i = 0; i < cfg.nic_count && i < TSN_MAX_NICS; i++) {
		struct top_nic nic = { .netns = cfg.nic_netns, .ifindex = cfg.nic_ifindex[i] };
		char spec[32];
		int fd, saved = -1;

		snprintf(spec, sizeof(spec), "inode:%u", cfg.nic_netns);
		fd = tsn_netns_open(spec);
		if (fd >= 0 && !tsn_netns_enter(fd, &saved)) {
			if (!if_indextoname(nic.ifindex, nic.ifname))
				snprintf(nic.ifname, sizeof(nic.ifname), "if%u", nic.ifindex);
			tsn_netns_leave(saved);
		}
		snprintf(nic.netns_name, sizeof(nic.netns_name), "%s", tt_netns_name(nic.netns));
		nic_refresh(s, fd, &nic, false);
		if (fd >= 0)
			close(fd);
		top_model_add_nic(m, &nic);
	}
	judge_at(s, m->nics, m->nnics);
}

/* Enforce mode through lib/proxy's status: counters, map fill, policy table. */
static void sample_proxy(struct top_source *s, struct top_model *m)
{
	struct top_proxy p = {};
	json_object *st = NULL, *o, *arr, *row, *v;
	char err[TSN_ERRLEN];
	size_t i, n;
	int k;

	if (!tsn_proxy_running(s->o->pin_dir) ||
	    tsn_proxy_status(s->o->pin_dir, &st, err, sizeof(err))) {
		top_model_set_proxy(m, &p);
		return;
	}
	p.running = true;
	if (json_object_object_get_ex(st, "config", &o)) {
		if (json_object_object_get_ex(o, "policy", &v))
			snprintf(p.policy, sizeof(p.policy), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "restore", &arr)) {
			size_t off = 0;

			n = json_object_array_length(arr);
			for (i = 0; i < n && off < sizeof(p.restore); i++)
				off += snprintf(p.restore + off, sizeof(p.restore) - off, "%s%s",
						i ? "," : "",
						json_object_get_string(
							json_object_array_get_idx(arr, i)));
		}
	}
	if (json_object_object_get_ex(st, "counters", &o))
		for (k = 0; k < TSN_CNT__MAX; k++)
			if (json_object_object_get_ex(o, tsn_counter_names[k], &v))
				p.counters[k] = json_object_get_uint64(v);
	if (json_object_object_get_ex(st, "map", &o)) {
		if (json_object_object_get_ex(o, "capacity", &v))
			p.map_capacity = json_object_get_uint64(v);
		if (json_object_object_get_ex(o, "used", &v))
			p.map_used = json_object_get_uint64(v);
	}
	if (json_object_object_get_ex(st, "policy", &arr)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n && p.npolicy < TOP_MAX_POLICY; i++) {
			typeof(p.policy_rows[0]) *r = &p.policy_rows[p.npolicy++];

			row = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(row, "netns", &v) ||
			    json_object_object_get_ex(row, "netns_inode", &v))
				snprintf(r->netns, sizeof(r->netns), "%s",
					 json_object_get_string(v));
			if (json_object_object_get_ex(row, "priorities", &v))
				snprintf(r->priorities, sizeof(r->priorities), "%s",
					 json_object_get_string(v));
			if (json_object_object_get_ex(row, "on_disallowed", &v))
				snprintf(r->on_disallowed, sizeof(r->on_disallowed), "%s",
					 json_object_get_string(v));
		}
	}
	json_object_put(st);
	top_model_set_proxy(m, &p);
}

/* the largest map key walked here */
#define TOP_MAX_KEY (sizeof(struct tsn_agg_hop_key) > sizeof(struct tsn_agg_flow_key) ? \
		     sizeof(struct tsn_agg_hop_key) : sizeof(struct tsn_agg_flow_key))

/* Keys to delete after a map walk (deleting while walking skips keys). */
struct key_list {
	char *keys;
	size_t n, cap, size;
};

static int key_list_add(struct key_list *l, const void *key)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char *k = realloc(l->keys, cap * l->size);

		if (!k)
			return -ENOMEM;
		l->keys = k;
		l->cap = cap;
	}
	memcpy(l->keys + l->n++ * l->size, key, l->size);
	return 0;
}

static int flow_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tsn_agg_flow_key));
}

static void key_list_delete(struct key_list *l, int map_fd)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		bpf_map_delete_elem(map_fd, l->keys + i * l->size);
	free(l->keys);
}

int top_source_sample(struct top_source *s, struct top_model *m, double now_s)
{
	int ffd = tt_bpf_agg_flows_fd(s->bpf), hfd = tt_bpf_agg_hops_fd(s->bpf), e = 0;
	struct key_list idle = { .size = sizeof(struct tsn_agg_flow_key) };
	struct key_list idle_hops = { .size = sizeof(struct tsn_agg_hop_key) };
	struct tsn_agg_flow_key fk, *fprev = NULL;
	struct tsn_agg_hop_key hk, *hprev = NULL;
	struct tsn_agg_flow fv;
	struct tsn_agg_hop hv;
	__u64 counters[TSN_CNT__MAX];

	top_model_begin(m, now_s);
	sample_nics(s, m);
	while (!e && !bpf_map_get_next_key(ffd, fprev, &fk)) {
		fprev = &fk;
		if (bpf_map_lookup_elem(ffd, &fk, &fv))
			continue;	/* deleted meanwhile (reset) */
		/* last_ns is bpf_ktime_get_ns(), the CLOCK_MONOTONIC of now_s */
		if (s->o->idle_s > 0 && now_s - fv.last_ns / 1e9 > s->o->idle_s)
			e = key_list_add(&idle, &fk);
		else if (!top_model_flow(m, &fk, &fv, tt_netns_name(fk.netns)))
			e = -ENOMEM;
	}
	/* sorted, so that each hop of a flow not in the model costs a binary search */
	if (idle.n)
		qsort(idle.keys, idle.n, idle.size, flow_key_cmp);
	while (!e && !bpf_map_get_next_key(hfd, hprev, &hk)) {
		struct top_flow *f;

		hprev = &hk;
		f = top_model_find(m, &hk.flow);
		if (!f && idle.n && bsearch(&hk.flow, idle.keys, idle.n, idle.size, flow_key_cmp)) {
			e = key_list_add(&idle_hops, &hk);
			continue;
		}
		/* a hop whose flow appeared after the flow walk: next sample */
		if (!f || bpf_map_lookup_elem(hfd, &hk, &hv))
			continue;
		top_model_hop(m, f, &hk, &hv, tt_hook_name(hk.hook), tt_netns_name(hk.netns));
	}
	/*
	 * Forget idle flows in the kernel too, so that its bounded maps keep room for new ones. A
	 * packet counted between the walk and the delete is lost with its flow, which then comes
	 * back as new.
	 */
	key_list_delete(&idle_hops, hfd);
	key_list_delete(&idle, ffd);
	if (e)
		return e;
	top_model_end(m);
	sample_proxy(s, m);
	tt_bpf_counters(s->bpf, counters, NULL, s->ncpus);
	m->hdr.events_lost = counters[TSN_CNT_EVENTS_LOST];
	m->hdr.track_overflow = counters[TSN_CNT_TRACK_OVERFLOW];
	tt_bpf_agg_stats(s->bpf, m->hdr.agg, s->ncpus);
	return 0;
}

/* Delete every key of a hash map. */
static void map_clear(int fd, size_t key_size)
{
	struct key_list all = { .size = key_size };
	char key[TOP_MAX_KEY];

	while (key_size <= sizeof(key) &&
	       !bpf_map_get_next_key(fd, all.n ? all.keys + (all.n - 1) * key_size : NULL, key) &&
	       !key_list_add(&all, key))
		;
	key_list_delete(&all, fd);
}

void top_source_reset(struct top_source *s)
{
	map_clear(tt_bpf_agg_hops_fd(s->bpf), sizeof(struct tsn_agg_hop_key));
	map_clear(tt_bpf_agg_flows_fd(s->bpf), sizeof(struct tsn_agg_flow_key));
}
