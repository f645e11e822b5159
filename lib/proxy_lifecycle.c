// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode lifecycle: load, attach and pin the datapath of progs/tsnproxy.bpf.c (start),
 * adopt what is pinned, and remove it all again (stop). See proxy.h for the pin layout and
 * docs/enforce.md for the design.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "kfeatures.h"
#include "log.h"
#include "netns.h"
#include "proxy_priv.h"
#include "tc.h"
#include "tsnproxy.skel.h"

void tsn_proxy_opts_default(struct tsn_proxy_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pin_dir = TSN_PROXY_PIN_DIR;
	o->mode = TSN_MODE_REGISTERED;
	o->restore = TSN_RESTORE_PRIORITY | TSN_RESTORE_TSTAMP;
	o->capacity = TSN_PROXY_DEFAULT_CAPACITY;
	o->ttl_ms = TSN_PROXY_DEFAULT_TTL_MS;
	o->save_hook = TSN_SAVE_AUTO;
}

__u32 tsn_proxy_save_hook(__u32 hook, __u32 mode)
{
	if (hook != TSN_SAVE_AUTO)
		return hook;
	/*
	 * Registered pods need the tc hook: it tags their packets, which is what binds a saved
	 * entry to its pod (docs/enforce.md). --policy all registers no pod to attach it to, and
	 * needs no binding: every pod may use every value.
	 */
	return mode == TSN_MODE_REGISTERED ? TSN_SAVE_TC : TSN_SAVE_TP;
}

const char *tsn_proxy_save_hook_unsupported(__u32 hook, __u32 mode)
{
	if (hook == TSN_SAVE_TP && mode == TSN_MODE_REGISTERED)
		return "the tracepoint save hook cannot tag a pod's packets, which --policy "
		       "registered needs to bind saved entries to their pod: use --save-hook tc "
		       "(the default) or --policy all";
	return NULL;
}

/*
 * Which save programs a skeleton loads: the tracepoint one (returned), the tc one (shared by
 * every registered pod's stub, through maps/save_tail), both or neither.
 */
static struct bpf_program *select_programs(struct tsnproxy_bpf *skel, bool tp, bool tc)
{
	/* the same program; the direct one reads headers without a helper call (6.2+) */
	struct bpf_program *tp_prog = tsn_feature_has(TSN_FEAT_KERN_CTX) ?
					      skel->progs.tsn_save_direct :
					      skel->progs.tsn_save;

	bpf_program__set_autoload(skel->progs.tsn_save, false);
	bpf_program__set_autoload(skel->progs.tsn_save_direct, false);
	bpf_program__set_autoload(tp_prog, tp);
	bpf_program__set_autoload(skel->progs.tsn_save_tc, tc);
	return tp_prog;
}

int tsn_proxy_load_check(__u32 save_hook)
{
	struct tsnproxy_bpf *skel = tsnproxy_bpf__open();
	int e;

	if (!skel)
		return -errno;
	select_programs(skel, save_hook == TSN_SAVE_TP, save_hook == TSN_SAVE_TC);
	e = tsnproxy_bpf__load(skel);
	tsnproxy_bpf__destroy(skel);
	return e;
}

/* The datapath's settings, which its programs read as constants. */
void proxy_set_rodata(struct tsnproxy_bpf *skel, const struct tsn_proxy_config *cfg)
{
	skel->rodata->tsn_track_mask = cfg->capacity - 1;
	skel->rodata->tsn_track_fp_mask = tsn_proxy_fp_index_size(cfg->capacity) - 1;
	skel->rodata->tsn_ttl = cfg->ttl_jiffies;
	skel->rodata->tsn_mode = cfg->mode;
	skel->rodata->tsn_restore_flags = cfg->restore;
	skel->rodata->tsn_nic_netns = cfg->nic_netns;
	skel->rodata->tsn_have_tai = tsn_feature_has(TSN_FEAT_SKB_CLOCK_TAI);
}

__u32 tsn_proxy_capacity(__u32 v)
{
	__u32 p = 64;

	while (p < v && p < (1U << 22))
		p <<= 1;
	return p;
}

__u32 tsn_proxy_fp_index_size(__u32 capacity)
{
	return capacity < TSN_PROXY_FP_INDEX_MAX ? capacity : TSN_PROXY_FP_INDEX_MAX;
}

/*
 * The kernel's HZ: the coarse clocks advance once per jiffy, so their resolution is the jiffy
 * (TICK_NSEC, 1e9 / HZ rounded). 0 or -errno.
 */
static int kernel_hz(__u32 *hz)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res))
		return -errno;
	if (res.tv_sec || res.tv_nsec < 100000 || res.tv_nsec > 100000000)
		return -ERANGE;	/* HZ 10..10000: anything else is not a jiffy */
	*hz = (__u32)((1000000000L + res.tv_nsec / 2) / res.tv_nsec);
	return 0;
}

__u32 tsn_proxy_ttl_jiffies(__u64 ttl_ns, __u32 hz)
{
	__u64 j = (ttl_ns * hz + 999999999ULL) / 1000000000ULL;

	return j ? (__u32)j : 1;
}

static void restore_link_path(char *buf, size_t len, const char *pin_dir, __u32 ifindex)
{
	char name[32];

	snprintf(name, sizeof(name), "restore_%u", ifindex);
	proxy_pin_path(buf, len, pin_dir, "links", name);
}

/* Resolve NIC names in the current netns; a name found only elsewhere gets a hint. */
static int resolve_nics(const struct tsn_proxy_opts *o, struct tsn_proxy_config *cfg, char *err,
			size_t errlen)
{
	int i, j;

	if (o->nic_count < 1)
		return fail(err, errlen, -EINVAL, "no NIC given (--nic IF)");
	if (o->nic_count > TSN_MAX_NICS)
		return fail(err, errlen, -EINVAL, "at most %d NICs", TSN_MAX_NICS);
	for (i = 0; i < o->nic_count; i++) {
		int ifindex = if_nametoindex(o->nics[i]);

		if (!ifindex) {
			char ns[NAME_MAX + 1];
			bool elsewhere = !tsn_netns_find_ifname(o->nics[i], ns, sizeof(ns));

			return fail(err, errlen, -ENODEV,
				    "unknown NIC '%s': no such interface in this netns%s%s%s",
				    o->nics[i], elsewhere ? " (it is in netns " : "",
				    elsewhere ? ns : "", elsewhere ? ")" : "");
		}
		for (j = 0; j < i; j++)
			if (cfg->nic_ifindex[j] == (__u32)ifindex)
				return fail(err, errlen, -EINVAL, "NIC '%s' given twice",
					    o->nics[i]);
		cfg->nic_ifindex[i] = ifindex;
	}
	cfg->nic_count = o->nic_count;
	return 0;
}

static int build_config(const struct tsn_proxy_opts *o, struct tsn_proxy_config *cfg, char *err,
			size_t errlen)
{
	const char *why;
	int e;

	memset(cfg, 0, sizeof(*cfg));
	cfg->abi_version = TSN_ABI_VERSION;
	cfg->mode = o->mode;
	cfg->restore = o->restore;
	cfg->capacity = tsn_proxy_capacity(o->capacity);
	cfg->ttl_ns = (__u64)o->ttl_ms * 1000000ULL;
	cfg->save_hook = tsn_proxy_save_hook(o->save_hook, o->mode);
	cfg->next_tag = 1;
	if (o->ttl_ms < 1 || o->ttl_ms > 60000)
		return fail(err, errlen, -EINVAL, "--ttl %u out of range (1..60000 ms)", o->ttl_ms);
	if (o->capacity < 1 || o->capacity > (1U << 22))
		return fail(err, errlen, -EINVAL, "--capacity %u out of range (1..%u)", o->capacity,
			    1U << 22);
	why = tsn_proxy_save_hook_unsupported(cfg->save_hook, cfg->mode);
	if (why)
		return fail(err, errlen, -EOPNOTSUPP, "--save-hook tracepoint: %s", why);
	e = kernel_hz(&cfg->hz);
	if (e)
		return fail(err, errlen, e,
			    "cannot tell the kernel's jiffy length (the datapath's clock)");
	cfg->ttl_jiffies = tsn_proxy_ttl_jiffies(cfg->ttl_ns, cfg->hz);
	e = tsn_netns_inode(-1, &cfg->nic_netns);
	if (e)
		return fail(err, errlen, e, "cannot read own netns inode: %s", strerror(-e));
	return resolve_nics(o, cfg, err, errlen);
}

bool proxy_nic_attached(const char *pin_dir, const struct tsn_proxy_config *cfg, int i)
{
	struct tsn_tc_hook h = { .ifindex = cfg->nic_ifindex[i], .dir = TSN_TC_EGRESS };
	char path[PATH_MAX];

	restore_link_path(path, sizeof(path), pin_dir, cfg->nic_ifindex[i]);
	h.kind = proxy_nic_hook(cfg, i);
	h.link_pin = h.kind == TSN_TC_TCX ? path : NULL;
	return tsn_tc_query(&h) != 0;
}

/*
 * Would the restore's attachment stop the NIC's schedule? Without tcx it goes on a clsact
 * qdisc, and on those kernels (6.1) grafting clsact resets a taprio root, which cancels its
 * schedule timer and never restarts it: the NIC sends nothing again (docs/testing.md shows it
 * without tsnkit). A clsact that already exists is reused and grafts nothing. 0 or -EBUSY.
 */
static int taprio_survives_clsact(int ifindex)
{
	struct tsn_qdisc_info qi;

	if (tsn_tc_have_tcx() || tsn_tc_has_clsact(ifindex) != 0)
		return 0;
	if (tsn_tc_root_qdisc(ifindex, &qi) || strcmp(qi.kind, "taprio"))
		return 0;
	return -EBUSY;
}

static int attach_restore(const char *pin_dir, struct tsn_proxy_config *cfg, int i, int prog_fd,
			  char *err, size_t errlen)
{
	struct tsn_tc_hook h = { .ifindex = cfg->nic_ifindex[i], .dir = TSN_TC_EGRESS };
	char path[PATH_MAX], ifname[IF_NAMESIZE] = "?";
	int e;

	restore_link_path(path, sizeof(path), pin_dir, cfg->nic_ifindex[i]);
	h.link_pin = path;
	h.kind = cfg->nic_tc_kind[i] ? proxy_nic_hook(cfg, i) : TSN_TC_AUTO;
	e = taprio_survives_clsact(h.ifindex);
	if (e) {
		if_indextoname(cfg->nic_ifindex[i], ifname);
		return fail(err, errlen, e,
			    "%s: on kernels without tcx, adding a clsact qdisc stops a taprio root "
			    "for good (6.1's taprio_reset): add it first (tc qdisc add dev %s clsact), "
			    "then configure taprio, then start", ifname, ifname);
	}
	e = tsn_tc_attach(&h, prog_fd);
	if (e) {
		if_indextoname(cfg->nic_ifindex[i], ifname);
		return fail(err, errlen, e, "attaching restore program to %s egress: %s", ifname,
			    strerror(-e));
	}
	if (h.link_fd >= 0)
		close(h.link_fd);
	cfg->nic_tc_kind[i] = h.kind | (h.created_qdisc ? TSN_NIC_OWN_QDISC : 0);
	return 0;
}

static void detach_restore(const char *pin_dir, const struct tsn_proxy_config *cfg, int i)
{
	struct tsn_tc_hook h = { .ifindex = cfg->nic_ifindex[i], .dir = TSN_TC_EGRESS };
	char path[PATH_MAX];

	restore_link_path(path, sizeof(path), pin_dir, cfg->nic_ifindex[i]);
	h.kind = proxy_nic_hook(cfg, i);
	h.link_pin = path;
	h.created_qdisc = cfg->nic_tc_kind[i] & TSN_NIC_OWN_QDISC;
	if (h.kind)
		tsn_tc_detach(&h);
}

/* Id of the program behind a pinned link or program, 0 if none. */
static __u32 pinned_prog_id(const char *file, bool is_link)
{
	__u32 id = 0;
	int fd = bpf_obj_get(file);

	if (fd < 0)
		return 0;
	if (is_link) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			id = info.prog_id;
	} else {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			id = info.id;
	}
	close(fd);
	return id;
}

/*
 * The kernel frees programs after the last reference is gone, asynchronously (RCU, timer
 * cancellation). Wait, bounded, so that `stop` returning means nothing is loaded any more.
 */
static void wait_progs_gone(const __u32 *ids, int n)
{
	int i, tries;

	for (i = 0; i < n; i++) {
		for (tries = 0; tries < 150; tries++) {
			int fd = bpf_prog_get_fd_by_id(ids[i]);

			if (fd < 0)
				break;
			close(fd);
			usleep(20000);
		}
	}
}

/* Unpin and detach everything under pin_dir. Used by stop and to roll back a failed start. */
static void teardown(const char *pin_dir, const struct tsn_proxy_config *cfg)
{
	static const char *const subs[] = { "links", "progs", "maps" };
	char path[PATH_MAX];
	__u32 ids[64];
	unsigned int s;
	int i, nids = 0;

	for (i = 0; cfg && i < (int)cfg->nic_count && i < TSN_MAX_NICS; i++)
		detach_restore(pin_dir, cfg, i);
	proxy_pods_detach_clsact(pin_dir);	/* before the policy map goes: it names the pods */
	/* links first (detaches programs), maps last */
	for (s = 0; s < sizeof(subs) / sizeof(subs[0]); s++) {
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "%s/%s", pin_dir, subs[s]);
		d = opendir(path);
		while (d && (de = readdir(d))) {
			char file[PATH_MAX + NAME_MAX + 2];

			if (de->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			if (s < 2 && nids < 64) {
				ids[nids] = pinned_prog_id(file, s == 0);
				if (ids[nids])
					nids++;
			}
			if (s == 0)
				proxy_unpin_link(file);
			else
				unlink(file);
		}
		if (d)
			closedir(d);
		rmdir(path);
	}
	rmdir(pin_dir);
	wait_progs_gone(ids, nids);
}

static int mkdirs(const char *pin_dir)
{
	static const char *const subs[] = { "maps", "progs", "links" };
	char path[PATH_MAX + 8];
	unsigned int i;

	if (mkdir(pin_dir, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, subs[i]);
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int pin_link(struct bpf_link *link, const char *pin_dir, const char *name)
{
	char path[PATH_MAX];

	proxy_pin_path(path, sizeof(path), pin_dir, "links", name);
	return bpf_link__pin(link, path);
}

static bool config_has_nic(const struct tsn_proxy_config *cfg, __u32 ifindex)
{
	int i;

	for (i = 0; i < (int)cfg->nic_count; i++)
		if (cfg->nic_ifindex[i] == ifindex)
			return true;
	return false;
}

/* have's NIC j is gone from this netns and no wanted NIC names it: a new one may replace it. */
static bool nic_replaceable(const struct tsn_proxy_config *have,
			    const struct tsn_proxy_config *want, int j)
{
	char ifname[IF_NAMESIZE];

	return !config_has_nic(want, have->nic_ifindex[j]) &&
	       !if_indextoname(have->nic_ifindex[j], ifname);
}

/* The first slot of have whose NIC a wanted one may replace, or -1. */
static int replaced_nic(const struct tsn_proxy_config *have, const struct tsn_proxy_config *want)
{
	int j;

	for (j = 0; j < (int)have->nic_count; j++)
		if (nic_replaceable(have, want, j))
			return j;
	return -1;
}

/* The settings a running state and a start's request differ in, each as "name value". */
struct setting_words {
	char have[192];	/* "save hook tc, restore priority,tstamp" */
	char want[192];	/* "save hook tracepoint, restore priority" */
};

static void add_words(char *list, size_t len, const char *setting, const char *value)
{
	size_t off = strlen(list);

	if (off < len)
		snprintf(list + off, len - off, "%s%s %s", off ? ", " : "", setting, value);
}

/* One setting that differs: its value in the running state and in the request. */
static void setting_differs(struct setting_words *w, const char *setting, const char *have,
			    const char *want)
{
	add_words(w->have, sizeof(w->have), setting, have);
	add_words(w->want, sizeof(w->want), setting, want);
}

/*
 * Every NIC start asks for (want) is one of the running state's (have), or takes the place of
 * one of have's that is gone from this netns (a recreated NIC has a new ifindex): adopt then
 * moves the restore there. A NIC that still exists is never replaced.
 */
static bool nics_adoptable(const struct tsn_proxy_config *have,
			   const struct tsn_proxy_config *want)
{
	int i, j, missing = 0, gone = 0;

	for (i = 0; i < (int)want->nic_count; i++)
		missing += !config_has_nic(have, want->nic_ifindex[i]);
	for (j = 0; j < (int)have->nic_count; j++)
		gone += nic_replaceable(have, want, j);
	return missing <= gone;
}

/* "nic0,nic1" (a NIC gone from this netns as "ifindex N") */
static void nic_names(const struct tsn_proxy_config *cfg, char *buf, size_t len)
{
	char name[IF_NAMESIZE];
	size_t off = 0;
	__u32 i;

	buf[0] = '\0';
	for (i = 0; i < cfg->nic_count && i < TSN_MAX_NICS && off < len; i++) {
		if (if_indextoname(cfg->nic_ifindex[i], name))
			off += snprintf(buf + off, len - off, "%s%s", i ? "," : "", name);
		else
			off += snprintf(buf + off, len - off, "%sifindex %u", i ? "," : "",
					cfg->nic_ifindex[i]);
	}
}

/*
 * Whether a running state (have) has other settings than a start asks for (want), which then
 * cannot adopt it; w names each setting that differs, in the words the CLI takes.
 */
static bool settings_differ(const struct tsn_proxy_config *have,
			    const struct tsn_proxy_config *want, struct setting_words *w)
{
	char h[96], v[96];

	w->have[0] = w->want[0] = '\0';
	if (have->abi_version != want->abi_version) {
		snprintf(h, sizeof(h), "%u", have->abi_version);
		snprintf(v, sizeof(v), "%u", want->abi_version);
		setting_differs(w, "state version", h, v);
	}
	if (have->mode != want->mode)
		setting_differs(w, "policy", proxy_name(tsn_policy_mode_names, have->mode),
				proxy_name(tsn_policy_mode_names, want->mode));
	if (have->save_hook != want->save_hook)
		setting_differs(w, "save hook", proxy_name(tsn_save_hook_names, have->save_hook),
				proxy_name(tsn_save_hook_names, want->save_hook));
	if (have->restore != want->restore) {
		tsn_flags_format(tsn_restore_names, have->restore, h, sizeof(h));
		tsn_flags_format(tsn_restore_names, want->restore, v, sizeof(v));
		setting_differs(w, "restore", h, v);
	}
	if (have->capacity != want->capacity) {
		snprintf(h, sizeof(h), "%u", have->capacity);
		snprintf(v, sizeof(v), "%u", want->capacity);
		setting_differs(w, "capacity", h, v);
	}
	if (have->ttl_ns != want->ttl_ns) {
		snprintf(h, sizeof(h), "%llu ms", (unsigned long long)(have->ttl_ns / 1000000));
		snprintf(v, sizeof(v), "%llu ms", (unsigned long long)(want->ttl_ns / 1000000));
		setting_differs(w, "ttl", h, v);
	}
	if (have->nic_count != want->nic_count || !nics_adoptable(have, want)) {
		nic_names(have, h, sizeof(h));
		nic_names(want, v, sizeof(v));
		setting_differs(w, "NICs", h, v);
	}
	return w->have[0] != '\0';
}

/*
 * The pinned configuration (*have), when it has the settings start asks for (want): 0, or
 * -EEXIST naming each setting that differs, or why it cannot be read.
 */
static int read_same_settings(const char *pin_dir, const struct tsn_proxy_config *want,
			      struct tsn_proxy_config *have, char *err, size_t errlen)
{
	struct setting_words words;
	int e = proxy_read_config(pin_dir, have);

	if (e)
		return fail(err, errlen, e, "%s holds a tsnproxy state that cannot be read: %s; "
			    "run stop", pin_dir, strerror(-e));
	if (settings_differ(have, want, &words))
		return fail(err, errlen, -EEXIST,
			    "already running with other settings: %s (asked: %s); stop it first "
			    "(state in %s)",
			    words.have, words.want, pin_dir);
	return 0;
}

int tsn_proxy_adoptable(const struct tsn_proxy_opts *o, char *err, size_t errlen)
{
	struct tsn_proxy_config want, have;
	int e = build_config(o, &want, err, errlen);

	if (e || !tsn_proxy_running(o->pin_dir))
		return e;
	return read_same_settings(o->pin_dir, &want, &have, err, errlen);
}

static int adopt(const char *pin_dir, const struct tsn_proxy_config *want, char *err,
		 size_t errlen)
{
	struct tsn_proxy_config have;
	char path[PATH_MAX];
	int i, j, prog_fd, e = 0;
	bool changed = false;

	e = read_same_settings(pin_dir, want, &have, err, errlen);
	if (e)
		return e;
	for (i = 0; i < (int)want->nic_count; i++) {
		if (config_has_nic(&have, want->nic_ifindex[i]))
			continue;
		/*
		 * A NIC that was recreated has a new ifindex, and the running datapath's NIC of
		 * the old one is gone: the new one takes its place (and gets the restore below).
		 * Never a NIC that still exists: that would be other settings.
		 */
		j = replaced_nic(&have, want);
		if (j < 0)
			return fail(err, errlen, -EEXIST,
				    "already running from %s on other NICs: stop it first",
				    pin_dir);
		pr_info("NIC ifindex %u is gone: ifindex %u takes its place", have.nic_ifindex[j],
			want->nic_ifindex[i]);
		restore_link_path(path, sizeof(path), pin_dir, have.nic_ifindex[j]);
		proxy_unpin_link(path);	/* its link died with the old device */
		have.nic_ifindex[j] = want->nic_ifindex[i];
		have.nic_tc_kind[j] = 0;	/* a clsact qdisc went with the old device too */
		changed = true;
	}
	/* A NIC that lost its attachment (e.g. recreated) gets the pinned program again. */
	proxy_pin_path(path, sizeof(path), pin_dir, "progs", "restore");
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0)
		return fail(err, errlen, -errno, "%s is incomplete (no restore program); run stop",
			    pin_dir);
	for (i = 0; i < (int)have.nic_count && !e; i++) {
		if (proxy_nic_attached(pin_dir, &have, i))
			continue;
		pr_info("re-attaching restore program to ifindex %u", have.nic_ifindex[i]);
		e = attach_restore(pin_dir, &have, i, prog_fd, err, errlen);
		changed = true;
	}
	close(prog_fd);
	if (!e && changed)
		proxy_write_config(pin_dir, &have);
	return e;
}

/* "<pin dir>" PARTIAL_SUFFIX: where start builds a state and stop takes one apart (partial_dir) */
#define PARTIAL_SUFFIX "-partial"
/*
 * The longest path a state puts under its pin dir, its partial name included:
 * "-partial/links/save_<netns inode>_<ifindex>" (two u32), with room to spare. A pin dir must
 * leave that much of PATH_MAX, or pin paths would be cut (another pod's link's name, say).
 */
#define PIN_SUBPATH_MAX 64

/*
 * pin_dir without trailing slashes, split into its parent directory and its last component:
 * 0 or -ENAMETOOLONG / -EINVAL.
 */
static int split_pin_dir(const char *pin_dir, char *parent, char *base)
{
	char dir[PATH_MAX], *slash;
	size_t n = strlen(pin_dir);

	while (n > 1 && pin_dir[n - 1] == '/')
		n--;
	if (!n || n + PIN_SUBPATH_MAX >= sizeof(dir))
		return n ? -ENAMETOOLONG : -EINVAL;
	memcpy(dir, pin_dir, n);
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash && !slash[1])
		return -EINVAL;	/* "/" itself */
	n = strlen(slash ? slash + 1 : dir);
	if (n + sizeof(PARTIAL_SUFFIX) - 1 > NAME_MAX)
		return -ENAMETOOLONG;	/* the partial dir's name must fit too */
	memcpy(base, slash ? slash + 1 : dir, n + 1);
	if (!slash)
		snprintf(parent, PATH_MAX, ".");
	else if (slash == dir)
		snprintf(parent, PATH_MAX, "/");
	else
		snprintf(parent, PATH_MAX, "%.*s", (int)(slash - dir), dir);
	return 0;
}

/*
 * Where start builds a state and stop takes one apart: "<base>-partial" beside the pin dir, in
 * the same bpffs directory, so that one rename(2) publishes or withdraws a state whole. It only
 * exists while an operation holds the lock, or after one was killed; the next start or stop
 * removes it before anything else.
 */
static int partial_dir(const char *pin_dir, char *buf, size_t len)
{
	char parent[PATH_MAX], base[NAME_MAX + 1];
	int e = split_pin_dir(pin_dir, parent, base), n;

	if (e)
		return e;
	n = snprintf(buf, len, "%s/%s" PARTIAL_SUFFIX, parent, base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tsn_proxy_check_pin_dir(const char *pin_dir, char *err, size_t errlen)
{
	char parent[PATH_MAX], base[NAME_MAX + 1];
	struct statfs sfs;
	int e = split_pin_dir(pin_dir, parent, base);
	size_t n;

	/* the reason goes first: a long path may be cut off at the end of err, the reason not */
	if (e)
		return fail(err, errlen, e, "pin dir is not a usable directory name (%s): %s",
			    strerror(-e), pin_dir);
	/* the start and stop of a pin dir X clear X-partial first: it must be no pin dir itself */
	n = strlen(base);
	if (n >= sizeof(PARTIAL_SUFFIX) - 1 &&
	    !strcmp(base + n - (sizeof(PARTIAL_SUFFIX) - 1), PARTIAL_SUFFIX))
		return fail(err, errlen, -EINVAL,
			    "pin dir may not end in %s (the name of the state that start and stop "
			    "build or take apart beside a pin dir): %s", PARTIAL_SUFFIX, pin_dir);
	if (statfs(parent, &sfs))
		return fail(err, errlen, -errno, "pin dir's parent is no bpffs directory (%s): %s",
			    strerror(errno), parent);
	if (sfs.f_type != BPF_FS_MAGIC)
		return fail(err, errlen, -ENOTSUP,
			    "pin dir is not on bpffs (mount -t bpf bpf DIR, or pick one under "
			    "/sys/fs/bpf): %s", pin_dir);
	return 0;
}

/* Remove what a killed start or stop left in the partial dir (detaching its links). */
static void clear_partial(const char *partial)
{
	struct tsn_proxy_config cfg;
	struct stat st;

	if (stat(partial, &st))
		return;
	pr_info("removing %s, left by a start or stop that was killed", partial);
	teardown(partial, proxy_read_config(partial, &cfg) ? NULL : &cfg);
}

/*
 * Load the datapath and pin all of it under dir, attached, with its configuration written last:
 * only then is it complete. On failure the caller tears dir down.
 */
static int build_state(struct tsn_proxy_config *cfg, const char *dir, char *err, size_t errlen)
{
	struct bpf_map *maps[PROXY_MAP_PINS];
	struct tsnproxy_bpf *skel;
	struct bpf_program *save_prog;
	struct bpf_link *link;
	char path[PATH_MAX];
	__u32 zero = 0;
	int e, i, cfg_fd;

	skel = tsnproxy_bpf__open();
	if (!skel)
		return fail(err, errlen, -errno, "opening BPF object: %s", strerror(errno));
	proxy_set_rodata(skel, cfg);
	bpf_map__set_max_entries(skel->maps.tsn_track, cfg->capacity);
	bpf_map__set_max_entries(skel->maps.tsn_track_fp, tsn_proxy_fp_index_size(cfg->capacity));
	save_prog = select_programs(skel, cfg->save_hook == TSN_SAVE_TP,
				    cfg->save_hook == TSN_SAVE_TC);
	e = tsnproxy_bpf__load(skel);
	if (e) {
		fail(err, errlen, e, "loading BPF programs: %s (run with -vv for the verifier log)",
		     strerror(-e));
		goto out;
	}
	e = mkdirs(dir);
	if (e) {
		fail(err, errlen, e, "creating the pin dir failed (%s): %s", strerror(-e), dir);
		goto out;
	}
	for (i = 0; i < PROXY_MAP_PINS; i++) {
		maps[i] = bpf_object__find_map_by_name(skel->obj, proxy_map_pins[i].obj_name);
		if (!maps[i]) {
			e = fail(err, errlen, -ENOENT, "tsnproxy.bpf.o has no map %s",
				 proxy_map_pins[i].obj_name);
			goto out;
		}
	}
	if (cfg->save_hook == TSN_SAVE_TC) {
		/* what every pod's stub jumps to: verified once, here */
		int prog_fd = bpf_program__fd(skel->progs.tsn_save_tc);

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_save_tail), &zero, &prog_fd,
					BPF_ANY)) {
			e = fail(err, errlen, -errno, "installing the tc save program: %s",
				 strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < PROXY_MAP_PINS; i++) {
		proxy_pin_path(path, sizeof(path), dir, "maps", proxy_map_pins[i].name);
		e = bpf_map__pin(maps[i], path);
		if (e) {
			fail(err, errlen, e, "pinning failed (%s): %s", strerror(-e), path);
			goto out;
		}
	}
	proxy_pin_path(path, sizeof(path), dir, "progs", "restore");
	e = bpf_program__pin(skel->progs.tsn_restore, path);
	if (!e) {
		/* status reads the datapath's clock through it, to age the table */
		proxy_pin_path(path, sizeof(path), dir, "progs", "clock");
		e = bpf_program__pin(skel->progs.tsn_clock, path);
	}
	if (e) {
		fail(err, errlen, e, "pinning programs: %s", strerror(-e));
		goto out;
	}

	/*
	 * The configuration in the map says how a NIC gets attached before it is, so that a
	 * killed start's partial dir tells clear_partial() what to detach (a clsact filter has no
	 * pin). Its abi_version stays 0 until the end: the state is not complete before.
	 * Restore first: a packet saved before its NIC hook exists would only age out.
	 */
	cfg_fd = bpf_map__fd(skel->maps.data_config);
	cfg->abi_version = 0;
	for (i = 0; i < (int)cfg->nic_count; i++) {
		cfg->nic_tc_kind[i] = tsn_tc_have_tcx() ? TSN_TC_TCX : TSN_TC_CLSACT;
		if (bpf_map_update_elem(cfg_fd, &zero, cfg, BPF_ANY)) {
			cfg->nic_tc_kind[i] = 0;
			e = fail(err, errlen, -errno, "writing config: %s", strerror(errno));
			goto out;
		}
		e = attach_restore(dir, cfg, i, bpf_program__fd(skel->progs.tsn_restore), err,
				   errlen);
		if (e) {
			cfg->nic_tc_kind[i] = 0;	/* nothing of ours to detach there */
			goto out;
		}
	}
	if (cfg->save_hook == TSN_SAVE_TP) {
		link = bpf_program__attach(save_prog);
		e = link ? pin_link(link, dir, "save") : -errno;
		bpf_link__destroy(link);
		if (e) {
			fail(err, errlen, e,
			     "attaching save program (tp_btf/net_dev_start_xmit): %s",
			     strerror(-e));
			goto out;
		}
	}
	cfg->abi_version = TSN_ABI_VERSION;
	if (bpf_map_update_elem(cfg_fd, &zero, cfg, BPF_ANY))
		e = fail(err, errlen, -errno, "writing config: %s", strerror(errno));
out:
	tsnproxy_bpf__destroy(skel);	/* pinned objects stay; the process' fds go */
	return e;
}

/* Remove pin_dir's maps/, progs/ and links/ if they are empty (rmdir removes nothing else). */
static void remove_empty_subdirs(const char *pin_dir)
{
	static const char *const subs[] = { "maps", "progs", "links" };
	char path[PATH_MAX + 8];
	unsigned int i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, subs[i]);
		rmdir(path);
	}
}

/*
 * Move the complete state in partial to pin_dir. An empty pin dir (or one with only the empty
 * maps/, progs/, links/ a killed stop left) is replaced; one with anything else in it is not.
 */
static int publish(const char *partial, const char *pin_dir, char *err, size_t errlen)
{
	remove_empty_subdirs(pin_dir);
	if (!rename(partial, pin_dir))
		return 0;
	if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR)
		return fail(err, errlen, -errno,
			    "pin dir exists and holds files that are not a tsnproxy state: %s",
			    pin_dir);
	return fail(err, errlen, -errno, "moving the new state into place failed (%s): %s",
		    strerror(errno), pin_dir);
}

int tsn_proxy_start(const struct tsn_proxy_opts *o, bool *adopted, char *err, size_t errlen)
{
	char partial[PATH_MAX], why[TSN_ERRLEN];
	struct tsn_proxy_config cfg;
	int lock, e;

	*adopted = false;
	e = build_config(o, &cfg, err, errlen);
	if (!e)
		e = tsn_proxy_check_pin_dir(o->pin_dir, err, errlen);
	if (!e && partial_dir(o->pin_dir, partial, sizeof(partial)))
		e = fail(err, errlen, -ENAMETOOLONG, "pin dir name is too long: %s", o->pin_dir);
	if (e)
		return e;
	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	clear_partial(partial);
	switch (tsn_proxy_state(o->pin_dir, why, sizeof(why))) {
	case TSN_STATE_COMPLETE:
		e = adopt(o->pin_dir, &cfg, err, errlen);
		*adopted = !e;
		goto out;
	case TSN_STATE_DAMAGED:
		/* what is left may still be attached and used: only stop may remove it */
		e = proxy_state_error(o->pin_dir, err, errlen);
		goto out;
	case TSN_STATE_INCOMPLETE:
		pr_warn("rebuilding the state in %s: %s", o->pin_dir, why);
		teardown(o->pin_dir, NULL);
		break;
	case TSN_STATE_NONE:
		break;
	}
	e = build_state(&cfg, partial, err, errlen);
	if (!e)
		e = publish(partial, o->pin_dir, err, errlen);
	if (e)
		teardown(partial, &cfg);
	else
		pr_info("enforce mode started: %u NIC(s), capacity %u, ttl %u ms, pinned at %s",
			cfg.nic_count, cfg.capacity, o->ttl_ms, o->pin_dir);
out:
	proxy_unlock(lock);
	return e;
}

int tsn_proxy_stop(const char *pin_dir, bool *was_running, char *err, size_t errlen)
{
	char partial[PATH_MAX];
	struct tsn_proxy_config cfg;
	const char *dir = pin_dir;
	struct stat st;
	int lock;

	*was_running = false;
	if (partial_dir(pin_dir, partial, sizeof(partial)))
		return fail(err, errlen, -ENAMETOOLONG, "pin dir name is too long: %s", pin_dir);
	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	clear_partial(partial);
	/* decided under the lock: of concurrent stops, only the first finds a state */
	*was_running = tsn_proxy_state(pin_dir, NULL, 0) != TSN_STATE_NONE;
	if (!*was_running) {
		remove_empty_subdirs(pin_dir);
		rmdir(pin_dir);
		proxy_unlock(lock);
		return 0;
	}
	/* withdraw it whole first: a stop killed from here on leaves only the partial dir */
	if (!rename(pin_dir, partial))
		dir = partial;
	teardown(dir, proxy_read_config(dir, &cfg) ? NULL : &cfg);
	proxy_unlock(lock);
	if (!stat(dir, &st))
		return fail(err, errlen, -EBUSY, "the state could not be removed completely: %s",
			    dir);
	return 0;
}
