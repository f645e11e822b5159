// SPDX-License-Identifier: GPL-2.0-only
/*
 * The enforce-mode pod registry: register (allow) and unregister (deny) pod netns in the policy
 * map, with the tc save hook's per-pod copy of the save program and its links.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netns.h"
#include "proxy_priv.h"
#include "tc.h"
#include "tsnproxy.skel.h"

/* The tc save hook's link on one interface of a pod: links/save_<netns inode>_<ifindex>. */
static void save_link_path(char *buf, size_t len, const char *pin_dir, __u32 netns, __u32 ifindex)
{
	char name[48];

	snprintf(name, sizeof(name), "save_%u_%u", netns, ifindex);
	proxy_pin_path(buf, len, pin_dir, "links", name);
}

/* Point the pinned link at path to prog_fd instead, in place; 0 or -errno. */
static int relink(const char *path, int prog_fd)
{
	int fd = bpf_obj_get(path), e;

	if (fd < 0)
		return -errno;
	e = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
	close(fd);
	return e;
}

/*
 * Detach and unpin the save links of a pod (prog_fd < 0), or point them at prog_fd: on one
 * interface, or on all (ifindex 0). Returns the first error.
 */
static int for_save_links(const char *pin_dir, __u32 netns, __u32 ifindex, int prog_fd)
{
	char dir[PATH_MAX], prefix[32];
	struct dirent *de;
	int e = 0, r;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "save_%u_", netns);
	proxy_pin_path(dir, sizeof(dir), pin_dir, "links", "");
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX + NAME_MAX + 2];

		if (strncmp(de->d_name, prefix, strlen(prefix)) ||
		    (ifindex && strtoul(de->d_name + strlen(prefix), NULL, 10) != ifindex))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (prog_fd < 0) {
			proxy_unpin_link(path);
		} else {
			r = relink(path, prog_fd);
			e = e ?: r;
		}
	}
	if (d)
		closedir(d);
	return e;
}

static void detach_save_links(const char *pin_dir, __u32 netns, __u32 ifindex)
{
	for_save_links(pin_dir, netns, ifindex, -1);
}

/* After a change to the policy map: the datapath's per-CPU policy cache must refetch. */
static void policy_changed(const char *pin_dir)
{
	struct tsn_proxy_config cfg;
	int fd = proxy_map_fd(pin_dir, "config");
	__u32 zero = 0;

	if (fd < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &zero, &cfg)) {
		cfg.policy_gen++;
		bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
	}
	close(fd);
}

/*
 * A copy of tsn_save_tc for one pod: the datapath's constants, the pod's netns and policy, and
 * the pinned maps it shares with the rest of the datapath (tracking table, counters, epochs).
 */
static int load_pod_save(const char *pin_dir, const struct tsn_proxy_config *cfg, __u32 netns_ino,
			 const struct tsn_policy *pol, struct tsnproxy_bpf **out)
{
	static const char *const shared[] = { "track", "track_fp", "counters", "data" };
	struct tsnproxy_bpf *skel = tsnproxy_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *maps[4];
	unsigned int i;
	int fd, e = 0;

	if (!skel)
		return -errno;
	proxy_set_rodata(skel, cfg);
	skel->rodata->tsn_pod_netns = netns_ino;
	skel->rodata->tsn_pod_allowed = cfg->mode == TSN_MODE_ALL ? ~0U : pol->allowed;
	skel->rodata->tsn_pod_on_disallowed = pol->on_disallowed;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.tsn_save_tc);
	maps[0] = skel->maps.tsn_track;
	maps[1] = skel->maps.tsn_track_fp;
	maps[2] = skel->maps.tsn_counters;
	maps[3] = skel->maps.data;
	for (i = 0; i < 4 && !e; i++) {
		fd = proxy_map_fd(pin_dir, shared[i]);
		e = fd < 0 ? -ENOENT : bpf_map__reuse_fd(maps[i], fd);
		if (fd >= 0)
			close(fd);
	}
	if (!e)
		e = tsnproxy_bpf__load(skel);
	if (e) {
		tsnproxy_bpf__destroy(skel);
		return e;
	}
	*out = skel;
	return 0;
}

int tsn_proxy_allow(const char *pin_dir, __u32 netns_ino, const struct tsn_policy *pol,
		    const char *pod_ifname, int netns_fd, char *err, size_t errlen)
{
	struct tsn_proxy_config cfg;
	struct tsn_policy p = *pol, old;
	int fd, lock, e = 0;
	__u32 save_ifindex = 0;		/* where the tc save hook goes */

	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	if (proxy_read_config(pin_dir, &cfg)) {
		e = fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			 pin_dir);
		goto out;
	}
	if (pod_ifname && netns_fd >= 0) {
		int ifindex = tsn_netns_ifindex(netns_fd, pod_ifname);

		if (ifindex < 0) {
			e = fail(err, errlen, ifindex, "no interface '%s' in the pod netns",
				 pod_ifname);
			goto out;
		}
		p.ifindex = save_ifindex = (__u32)ifindex;
	} else if (cfg.save_hook == TSN_SAVE_TC && netns_fd >= 0) {
		/* the pod's interface, when it has just one (lo aside); the policy stays per netns */
		int ifindex = tsn_netns_only_link(netns_fd);

		if (ifindex < 0) {
			e = fail(err, errlen, -EINVAL,
				 "the tc save hook needs the pod's interface: %s; name it with "
				 "--ifname",
				 ifindex == -EMLINK ? "the pod netns has several"
						    : "the pod netns has none up");
			goto out;
		}
		save_ifindex = (__u32)ifindex;
	}
	if (cfg.save_hook == TSN_SAVE_TC) {
		struct tsn_tc_hook h = { .ifindex = (int)save_ifindex, .dir = TSN_TC_EGRESS,
					 .kind = TSN_TC_TCX };
		struct tsnproxy_bpf *pod;
		char path[PATH_MAX];
		int saved, prog_fd;

		if (!h.ifindex || netns_fd < 0) {
			e = fail(err, errlen, -EINVAL,
				 "the tc save hook needs the pod's interface (--ifname)");
			goto out;
		}
		e = load_pod_save(pin_dir, &cfg, netns_ino, &p, &pod);
		if (e) {
			fail(err, errlen, e,
			     "loading the pod's save program: %s (run with -vv for "
			     "the verifier log)",
			     strerror(-e));
			goto out;
		}
		prog_fd = bpf_program__fd(pod->progs.tsn_save_tc);
		save_link_path(path, sizeof(path), pin_dir, netns_ino, (__u32)h.ifindex);
		h.link_pin = path;
		e = tsn_netns_enter(netns_fd, &saved);
		if (!e) {
			e = tsn_tc_attach(&h, prog_fd);
			tsn_netns_leave(saved);
			if (h.link_fd >= 0)
				close(h.link_fd);
		}
		/* the policy is the pod's: its other interfaces' links take the new copy, in place */
		if (!e)
			e = for_save_links(pin_dir, netns_ino, 0, prog_fd);
		tsnproxy_bpf__destroy(pod);
		if (e) {
			fail(err, errlen, e, "attaching the save program in the pod netns: %s",
			     strerror(-e));
			goto out;
		}
	}
	fd = proxy_map_fd(pin_dir, "policy");
	/*
	 * Registered already for another interface of this pod (a second CNI attachment, or
	 * allow --ifname again): the pod's policy covers both, so it no longer names one.
	 */
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &netns_ino, &old) && old.ifindex != p.ifindex)
		p.ifindex = 0;
	if (fd < 0 || bpf_map_update_elem(fd, &netns_ino, &p, BPF_ANY)) {
		e = fail(err, errlen, -errno, "registering netns %u: %s", netns_ino,
			 strerror(errno));
	} else {
		policy_changed(pin_dir);
	}
	if (fd >= 0)
		close(fd);
out:
	proxy_unlock(lock);
	return e;
}

int tsn_proxy_check_save(const char *pin_dir, __u32 netns_ino, int netns_fd, const char *ifname,
			 char *err, size_t errlen)
{
	struct tsn_tc_hook h = { .dir = TSN_TC_EGRESS, .kind = TSN_TC_TCX, .link_fd = -1 };
	struct tsn_proxy_config cfg;
	char path[PATH_MAX];

	if (proxy_read_config(pin_dir, &cfg))
		return fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			    pin_dir);
	if (cfg.save_hook != TSN_SAVE_TC)
		return 0;	/* the tracepoint needs nothing per pod */
	h.ifindex = tsn_netns_ifindex(netns_fd, ifname);
	if (h.ifindex < 0)
		return fail(err, errlen, h.ifindex, "no interface '%s' in the pod netns", ifname);
	save_link_path(path, sizeof(path), pin_dir, netns_ino, (__u32)h.ifindex);
	h.link_pin = path;
	if (!tsn_tc_query(&h))
		return fail(err, errlen, -ENOLINK,
			    "the save program is not attached to the pod's %s", ifname);
	return 0;
}

int tsn_proxy_detach_save(const char *pin_dir, __u32 netns_ino, __u32 ifindex)
{
	int lock = proxy_lock();

	if (lock < 0)
		return lock;
	detach_save_links(pin_dir, netns_ino, ifindex);
	proxy_unlock(lock);
	return 0;
}

int tsn_proxy_deny(const char *pin_dir, __u32 netns_ino, __u32 *purged, char *err, size_t errlen)
{
	struct tsn_track_slot *t;
	__u32 cap = 0, i;
	int fd, lock;

	*purged = 0;
	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	fd = proxy_map_fd(pin_dir, "policy");
	if (fd >= 0) {
		if (!bpf_map_delete_elem(fd, &netns_ino))
			policy_changed(pin_dir);
		close(fd);
	}
	detach_save_links(pin_dir, netns_ino, 0);
	/* purge: a later pod reusing nothing of this one must find nothing of it */
	t = proxy_track_map(pin_dir, &cap);
	for (i = 0; t && i < cap; i++) {
		if (t[i].saved_ns && t[i].netns == netns_ino) {
			t[i].skb = 0;
			t[i].saved_ns = 0;
			t[i].check = 0;
			(*purged)++;
		}
	}
	proxy_track_unmap(t, cap);
	proxy_unlock(lock);
	return 0;
}

int tsn_proxy_lookup(const char *pin_dir, __u32 netns_ino, struct tsn_policy *pol)
{
	int fd = proxy_map_fd(pin_dir, "policy"), e;

	if (fd < 0)
		return -errno;
	e = bpf_map_lookup_elem(fd, &netns_ino, pol) ? -errno : 0;
	close(fd);
	return e;
}

int tsn_proxy_list(const char *pin_dir, __u32 *inos, int max)
{
	__u32 key, next;
	int fd = proxy_map_fd(pin_dir, "policy"), n = 0;
	void *prev = NULL;

	if (fd < 0)
		return -errno;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		inos[n++] = next;
		key = next;
		prev = &key;
	}
	close(fd);
	return n;
}
