// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode status: whether it runs, its configuration, counters and attachments, and the
 * status JSON object.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "json.h"
#include "netns.h"
#include "proxy_priv.h"
#include "tc.h"

const char *const tsn_counter_names[TSN_CNT__MAX] = { TSN_COUNTER_NAMES };

bool tsn_proxy_running(const char *pin_dir)
{
	char path[PATH_MAX];

	proxy_pin_path(path, sizeof(path), pin_dir, "maps", "config");
	return access(path, F_OK) == 0;
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
	int i;

	if (proxy_read_config(pin_dir, &cfg))
		return fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			    pin_dir);
	for (i = 0; i < (int)cfg.nic_count; i++) {
		if (proxy_nic_attached(pin_dir, &cfg, i))
			continue;
		if (!if_indextoname(cfg.nic_ifindex[i], ifname))
			snprintf(ifname, sizeof(ifname), "ifindex %u", cfg.nic_ifindex[i]);
		return fail(err, errlen, -ENOLINK, "restore program is not attached to %s", ifname);
	}
	return 0;
}

/*
 * Is a registered pod's save program attached (any of its interfaces when the registration
 * names none)? netns_fd: the pod's netns, still the one registered.
 */
static bool pod_attached(const char *pin_dir, __u32 ino, const struct tsn_policy *pol,
			 int netns_fd)
{
	char ifname[IF_NAMESIZE];
	int ifindex = pol->ifindex ? (int)pol->ifindex : tsn_netns_only_link(netns_fd);

	return ifindex > 0 && tsn_netns_ifname(netns_fd, ifindex, ifname) == 0 &&
	       !tsn_proxy_check_save(pin_dir, ino, netns_fd, ifname, NULL, 0);
}

static json_object *policy_json(const char *pin_dir, __u32 ino, const struct tsn_policy *pol)
{
	json_object *o = json_object_new_object();
	char name[256], prios[128];
	/* alive: the netns registered is still there (its inode not recycled) */
	int netns_fd = tsn_netns_open_alive(ino, pol->netns_cookie);
	bool alive = netns_fd >= 0;

	tsn_json_add_u64(o, "netns_inode", ino);
	if (alive && !tsn_netns_name(ino, name, sizeof(name)))
		tsn_json_add_str(o, "netns", name);
	tsn_format_priorities(pol->allowed, prios, sizeof(prios));
	tsn_json_add_str(o, "priorities", prios);
	tsn_json_add_str(o, "on_disallowed", proxy_name(tsn_on_disallowed_names,
							      pol->on_disallowed));
	if (pol->ifindex)
		tsn_json_add_u64(o, "ifindex", pol->ifindex);
	tsn_json_add_str(o, "registered_by", proxy_name(tsn_registrar_names,
							      pol->registered_by));
	tsn_json_add_u64(o, "tag", pol->tag);
	tsn_json_add_u64(o, "mark_mask", pol->mark_mask);
	tsn_json_add_bool(o, "alive", alive);
	tsn_json_add_bool(o, "attached", alive && pod_attached(pin_dir, ino, pol, netns_fd));
	if (alive)
		close(netns_fd);
	return o;
}

int tsn_proxy_status(const char *pin_dir, json_object **out, char *err, size_t errlen)
{
	json_object *o, *cfgo, *nics, *pols, *cnt, *mapo;
	struct tsn_proxy_config cfg;
	struct tsn_track_slot *t;
	struct tsn_clock_sample now;
	__u64 counters[TSN_CNT__MAX], stale = 0;
	__u32 inos[TSN_MAX_PODS], cap = 0, used = 0, i;
	int n;

	*out = NULL;
	if (proxy_read_config(pin_dir, &cfg))
		return fail(err, errlen, -ENOENT, "enforce mode is not running (no state in %s)",
			    pin_dir);
	o = json_object_new_object();
	tsn_json_add_str(o, "pin_dir", pin_dir);
	tsn_json_add_bool(o, "running", true);

	cfgo = json_object_new_object();
	tsn_json_add_str(cfgo, "policy", proxy_name(tsn_policy_mode_names, cfg.mode));
	json_object_object_add(cfgo, "restore", tsn_flags_json(tsn_restore_names, cfg.restore));
	tsn_json_add_u64(cfgo, "ttl_ms", cfg.ttl_ns / 1000000);
	tsn_json_add_str(cfgo, "save_hook", proxy_name(tsn_save_hook_names, cfg.save_hook));
	json_object_object_add(o, "config", cfgo);

	nics = json_object_new_array();
	for (i = 0; i < cfg.nic_count && i < TSN_MAX_NICS; i++) {
		json_object *nic = json_object_new_object();
		char ifname[IF_NAMESIZE] = "";

		if_indextoname(cfg.nic_ifindex[i], ifname);
		tsn_json_add_str(nic, "ifname", ifname[0] ? ifname : "(gone)");
		tsn_json_add_u64(nic, "ifindex", cfg.nic_ifindex[i]);
		tsn_json_add_str(nic, "hook",
				 proxy_nic_hook(&cfg, (int)i) == TSN_TC_TCX ? "tcx" : "clsact");
		tsn_json_add_bool(nic, "attached", proxy_nic_attached(pin_dir, &cfg, i));
		json_object_array_add(nics, nic);
	}
	json_object_object_add(o, "nics", nics);

	pols = json_object_new_array();
	n = tsn_proxy_list(pin_dir, inos, TSN_MAX_PODS);
	for (i = 0; n > 0 && i < (__u32)n; i++) {
		struct tsn_policy pol;

		if (!tsn_proxy_lookup(pin_dir, inos[i], &pol))
			json_object_array_add(pols, policy_json(pin_dir, inos[i], &pol));
	}
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
	json_object_object_add(o, "map", mapo);
	*out = o;
	return 0;
}
