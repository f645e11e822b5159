// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode status: whether it runs, its configuration, counters and attachments, and the
 * status JSON object.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cni_state.h"
#include "counters.h"
#include "json.h"
#include "netns.h"
#include "proxy_priv.h"
#include "tc.h"

const char *const tsn_counter_names[TSN_CNT__MAX] = { TSN_COUNTER_NAMES };

/* Does directory path hold anything but . and ..? */
static bool dir_has_entries(const char *path)
{
	struct dirent *de;
	bool any = false;
	DIR *d = opendir(path);

	while (d && !any && (de = readdir(d)))
		any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return any;
}

/* Append "sub/name" to the list in buf (", "-separated) when that pin does not exist. */
static void note_missing(char *buf, size_t len, const char *pin_dir, const char *sub,
			 const char *name)
{
	char path[PATH_MAX];
	size_t used = strlen(buf);

	proxy_pin_path(path, sizeof(path), pin_dir, sub, name);
	if (access(path, F_OK) == 0 || used >= len)
		return;
	snprintf(buf + used, len - used, "%s%s/%s", used ? ", " : "", sub, name);
}

enum tsn_proxy_state tsn_proxy_state(const char *pin_dir, char *why, size_t whylen)
{
	static const char *const subs[] = { "maps", "progs", "links" };
	struct tsn_proxy_config cfg;
	char path[PATH_MAX], missing[TSN_ERRLEN] = "", dummy[1];
	unsigned int i;
	bool any = false;
	int e;

	if (!why) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	/* links/ last, and only when the others are empty: it has an entry per pod interface */
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]) && !any; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, subs[i]);
		any = dir_has_entries(path);
	}
	if (!any)
		return TSN_STATE_NONE;
	/* start writes the configuration last (before the rename that publishes the state) */
	e = proxy_read_config(pin_dir, &cfg);
	if (!e && !cfg.abi_version) {
		snprintf(why, whylen, "its configuration was never written (its start was killed)");
		return TSN_STATE_INCOMPLETE;
	}
	for (i = 0; i < PROXY_MAP_PINS; i++)
		note_missing(missing, sizeof(missing), pin_dir, "maps", proxy_map_pins[i].name);
	for (i = 0; i < PROXY_PROG_PINS; i++)
		note_missing(missing, sizeof(missing), pin_dir, "progs", proxy_prog_pins[i]);
	if (missing[0]) {
		snprintf(why, whylen, "missing %s", missing);
		return TSN_STATE_DAMAGED;
	}
	for (i = 0; i < PROXY_MAP_PINS; i++)
		if (proxy_map_shape_error(pin_dir, i, why, whylen))
			return TSN_STATE_DAMAGED;
	if (e) {
		snprintf(why, whylen, "maps/config cannot be read: %s", strerror(-e));
		return TSN_STATE_DAMAGED;
	}
	return TSN_STATE_COMPLETE;
}

bool tsn_proxy_running(const char *pin_dir)
{
	return tsn_proxy_state(pin_dir, NULL, 0) != TSN_STATE_NONE;
}

int proxy_state_error(const char *pin_dir, char *err, size_t errlen)
{
	char why[TSN_ERRLEN];

	switch (tsn_proxy_state(pin_dir, why, sizeof(why))) {
	case TSN_STATE_COMPLETE:
		return 0;
	case TSN_STATE_NONE:
		return fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			    pin_dir);
	case TSN_STATE_INCOMPLETE:
		return fail(err, errlen, -EUCLEAN,
			    "enforce mode state is incomplete, %s: start rebuilds it, stop "
			    "removes it (in %s)", why, pin_dir);
	default:
		return fail(err, errlen, -EUCLEAN,
			    "enforce mode state is damaged, %s: run stop to remove it, then start "
			    "(in %s)", why, pin_dir);
	}
}

int proxy_config_or_error(const char *pin_dir, struct tsn_proxy_config *cfg, char *err,
			  size_t errlen)
{
	int e;

	if (!proxy_read_config(pin_dir, cfg))
		return 0;
	/* why: a damaged state (a map of another shape, pins missing) says what is wrong */
	e = proxy_state_error(pin_dir, err, errlen);
	return e ?: fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			 pin_dir);
}

int tsn_proxy_config_get(const char *pin_dir, struct tsn_proxy_config *cfg)
{
	return proxy_read_config(pin_dir, cfg);
}

int tsn_proxy_counters(const char *pin_dir, __u64 out[TSN_CNT__MAX])
{
	int fd = proxy_map_fd(pin_dir, "counters"), e;

	if (fd < 0) {
		memset(out, 0, sizeof(__u64) * TSN_CNT__MAX);
		return -errno;
	}
	e = tsn_counters_sum(fd, libbpf_num_possible_cpus(), out, 0, NULL);
	close(fd);
	return e;
}

int tsn_proxy_check_attached(const char *pin_dir, char *err, size_t errlen)
{
	struct tsn_proxy_config cfg;
	char ifname[IF_NAMESIZE];
	int i, e;

	e = proxy_config_or_error(pin_dir, &cfg, err, errlen);
	if (e)
		return e;
	for (i = 0; i < (int)cfg.nic_count; i++) {
		if (proxy_nic_attached(pin_dir, &cfg, i))
			continue;
		if (!if_indextoname(cfg.nic_ifindex[i], ifname))
			snprintf(ifname, sizeof(ifname), "ifindex %u", cfg.nic_ifindex[i]);
		return fail(err, errlen, -ENOLINK, "restore program is not attached to %s", ifname);
	}
	return 0;
}

/* A pod's pinned save links as status shows them; sock: a socket in the pod's netns, for names. */
struct pod_links {
	int sock;
	__u32 registered;	/* the registration's ifindex, 0: any of the pod's */
	json_object *arr;
	int n, dead;
	bool has_registered;
};

static int pod_link_json(const struct proxy_pod_link *l, void *arg)
{
	struct pod_links *pl = arg;
	json_object *o = json_object_new_object();
	char ifname[IF_NAMESIZE];

	tsn_json_add_u64(o, "ifindex", l->ifindex);
	/* a dead link's interface is gone, or its index now names another device */
	if (l->attached && !tsn_netns_sock_ifname(pl->sock, (int)l->ifindex, ifname))
		tsn_json_add_str(o, "ifname", ifname);
	tsn_json_add_bool(o, "attached", l->attached);
	json_object_array_add(pl->arr, o);
	pl->n++;
	pl->dead += !l->attached;
	pl->has_registered |= l->attached && l->ifindex == pl->registered;
	return 0;
}

/*
 * Is a registered pod's save program attached: every pinned link of the pod still attached to
 * its interface, one of them on the registered interface (tcx); the registered interface's
 * clsact filter otherwise (or the pod's only interface when the registration names none).
 * netns_fd: the pod's netns, still the one registered, and sock a socket in it. links gets the
 * pod's links (tcx), from set (links/, read once for all pods).
 */
static bool pod_attached(const char *pin_dir, const struct proxy_pod_link_set *set, __u32 ino,
			 const struct tsn_policy *pol, int netns_fd, int sock, json_object *links)
{
	struct pod_links pl = { .sock = sock, .registered = pol->ifindex, .arr = links };
	char ifname[IF_NAMESIZE];
	int ifindex;

	if (tsn_tc_have_tcx()) {
		proxy_pod_links_in(pin_dir, set, ino, pod_link_json, &pl);
		return pl.n > 0 && !pl.dead && (!pol->ifindex || pl.has_registered);
	}
	ifindex = pol->ifindex ? (int)pol->ifindex : tsn_netns_only_link(netns_fd);
	return ifindex > 0 && tsn_netns_sock_ifname(sock, ifindex, ifname) == 0 &&
	       !tsn_proxy_check_save(pin_dir, ino, netns_fd, ifname, NULL, 0);
}

/* What status reads once for all registrations: they cost O(pods), not a read per pod. */
struct status_reads {
	struct tsn_netns_names names;		/* /run/netns */
	struct tsn_cni_pods pods;		/* the CNI records */
	struct proxy_pod_link_set links;	/* links/save_* */
};

/* One registration. */
static json_object *policy_json(const char *pin_dir, __u32 ino, const struct tsn_policy *pol,
				const struct status_reads *r)
{
	json_object *o = json_object_new_object(), *links = json_object_new_array();
	char prios[128], ifname[IF_NAMESIZE], pod[320];
	const char *name = tsn_netns_names_find(&r->names, ino);
	/*
	 * alive: the netns registered is still there (its inode not recycled). One socket in it
	 * names its interfaces: one netns switch per pod, not one per name.
	 */
	int sock = -1, netns_fd = tsn_netns_open_alive_in(&r->names, ino, pol->netns_cookie, &sock);
	bool alive = netns_fd >= 0, attached;

	attached = alive && pod_attached(pin_dir, &r->links, ino, pol, netns_fd, sock, links);
	tsn_json_add_u64(o, "netns_inode", ino);
	if (alive && name)
		tsn_json_add_str(o, "netns", name);
	/* the pod the tsn CNI plugin registered it for, when its runtime named the pod */
	if (alive && !tsn_cni_pin_pods_find(&r->pods, ino, pod, sizeof(pod)))
		tsn_json_add_str(o, "pod", pod);
	tsn_format_priorities(pol->allowed, prios, sizeof(prios));
	tsn_json_add_str(o, "priorities", prios);
	tsn_json_add_str(o, "on_disallowed", proxy_name(tsn_on_disallowed_names,
							      pol->on_disallowed));
	if (pol->ifindex)
		tsn_json_add_u64(o, "ifindex", pol->ifindex);
	/* the name in the pod's own netns; none when that interface is gone */
	if (alive && pol->ifindex && !tsn_netns_sock_ifname(sock, (int)pol->ifindex, ifname))
		tsn_json_add_str(o, "ifname", ifname);
	tsn_json_add_str(o, "registered_by", proxy_name(tsn_registrar_names, pol->registered_by));
	tsn_json_add_u64(o, "tag", pol->tag);
	tsn_json_add_u64(o, "mark_mask", pol->mark_mask);
	tsn_json_add_bool(o, "alive", alive);
	tsn_json_add_bool(o, "attached", attached);
	json_object_object_add(o, "links", links);
	if (alive) {
		close(sock);
		close(netns_fd);
	}
	return o;
}

/*
 * Enter the NICs' netns when status runs in another one: interface names and clsact filters
 * are per netns. 0 with *saved for tsn_netns_leave (-1: already there), or -errno.
 */
static int enter_nic_netns(const struct tsn_proxy_config *cfg, int *saved)
{
	char spec[32];
	__u32 own;
	int fd, e;

	*saved = -1;
	if (!tsn_netns_inode(-1, &own) && own == cfg->nic_netns)
		return 0;
	snprintf(spec, sizeof(spec), "inode:%u", cfg->nic_netns);
	fd = tsn_netns_open(spec);
	if (fd < 0)
		return fd;
	e = tsn_netns_enter(fd, saved);
	close(fd);
	return e;
}

static json_object *nics_json(const char *pin_dir, const struct tsn_proxy_config *cfg)
{
	json_object *nics = json_object_new_array();
	int saved, e = enter_nic_netns(cfg, &saved);
	__u32 i;

	for (i = 0; i < cfg->nic_count && i < TSN_MAX_NICS; i++) {
		json_object *nic = json_object_new_object();
		char ifname[IF_NAMESIZE] = "";
		bool tcx = proxy_nic_hook(cfg, (int)i) == TSN_TC_TCX;

		if (e)	/* the NICs' netns cannot be reached: their names are unknown here */
			tsn_json_add_str(nic, "ifname", "(unknown)");
		else
			tsn_json_add_str(nic, "ifname", if_indextoname(cfg->nic_ifindex[i], ifname) ?
							       ifname : "(gone)");
		tsn_json_add_u64(nic, "ifindex", cfg->nic_ifindex[i]);
		tsn_json_add_u64(nic, "netns_inode", cfg->nic_netns);
		tsn_json_add_str(nic, "hook", tcx ? "tcx" : "clsact");
		/* a tcx link answers from anywhere; a clsact filter only in its netns */
		if (tcx || !e)
			tsn_json_add_bool(nic, "attached", proxy_nic_attached(pin_dir, cfg, (int)i));
		else
			json_object_object_add(nic, "attached", NULL);
		json_object_array_add(nics, nic);
	}
	if (!e && saved >= 0)
		tsn_netns_leave(saved);
	return nics;
}

int tsn_proxy_status(const char *pin_dir, json_object **out, char *err, size_t errlen)
{
	json_object *o, *cfgo, *nics, *pols, *cnt, *mapo;
	struct tsn_proxy_config cfg;
	struct tsn_track_slot *t;
	struct tsn_clock_sample now;
	__u64 counters[TSN_CNT__MAX], stale = 0;
	__u32 inos[TSN_MAX_PODS], cap = 0, used = 0, fp_index = 0, i;
	struct status_reads r;
	int n, pol_fd;

	*out = NULL;
	n = proxy_state_error(pin_dir, err, errlen);
	if (n)
		return n;
	n = proxy_config_or_error(pin_dir, &cfg, err, errlen);
	if (n)
		return n;
	o = json_object_new_object();
	tsn_json_add_str(o, "pin_dir", pin_dir);
	tsn_json_add_bool(o, "running", true);

	cfgo = json_object_new_object();
	tsn_json_add_str(cfgo, "policy", proxy_name(tsn_policy_mode_names, cfg.mode));
	json_object_object_add(cfgo, "restore", tsn_flags_json(tsn_restore_names, cfg.restore));
	tsn_json_add_u64(cfgo, "ttl_ms", cfg.ttl_ns / 1000000);
	tsn_json_add_str(cfgo, "save_hook", proxy_name(tsn_save_hook_names, cfg.save_hook));
	json_object_object_add(o, "config", cfgo);

	nics = nics_json(pin_dir, &cfg);
	json_object_object_add(o, "nics", nics);

	pols = json_object_new_array();
	n = tsn_proxy_list(pin_dir, inos, TSN_MAX_PODS);
	tsn_netns_names_read(&r.names);	/* on failure empty: each pod is searched for instead */
	tsn_cni_pin_pods_read(pin_dir, &r.pods);
	proxy_pod_links_read(pin_dir, &r.links);	/* on failure empty: no link attached */
	pol_fd = proxy_map_fd(pin_dir, "policy");
	for (i = 0; n > 0 && pol_fd >= 0 && i < (__u32)n; i++) {
		struct tsn_policy pol;

		/* gone since the list (a concurrent deny): not shown */
		if (!bpf_map_lookup_elem(pol_fd, &inos[i], &pol))
			json_object_array_add(pols, policy_json(pin_dir, inos[i], &pol, &r));
	}
	if (pol_fd >= 0)
		close(pol_fd);
	proxy_pod_links_free(&r.links);
	tsn_cni_pin_pods_free(&r.pods);
	tsn_netns_names_free(&r.names);
	json_object_object_add(o, "policy", pols);

	/*
	 * No timer ages the table: an entry past its TTL stays until its slot is written again,
	 * which counts it as expired then. Until that happens it is counted here, so that the
	 * counters are exact at any moment (saved = restored + expired + evicted + used, purges
	 * aside).
	 */
	t = proxy_track_map(pin_dir, &cap);
	if (proxy_clock(pin_dir, &now))
		now.jiffies = 0;
	for (i = 0; t && i < cap; i++) {
		if (!t[i].saved_at)
			continue;
		if (now.jiffies && (__s64)(now.jiffies - t[i].saved_at) >= (__s64)cfg.ttl_jiffies)
			stale++;
		else
			used++;
	}
	proxy_track_unmap(t, cap);

	cnt = json_object_new_object();
	tsn_proxy_counters(pin_dir, counters);
	counters[TSN_CNT_EXPIRED] += stale;
	for (i = 0; i <= TSN_CNT_POLICY_CLAMPED; i++)
		tsn_json_add_u64(cnt, tsn_counter_names[i], counters[i]);
	json_object_object_add(o, "counters", cnt);
	mapo = json_object_new_object();
	tsn_json_add_u64(mapo, "capacity", cap);
	tsn_json_add_u64(mapo, "used", used);
	proxy_map_entries(pin_dir, "track_fp", &fp_index);
	tsn_json_add_u64(mapo, "fp_index", fp_index);
	json_object_object_add(o, "map", mapo);
	*out = o;
	return 0;
}
