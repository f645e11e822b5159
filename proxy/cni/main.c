// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsn: CNI plugin (specification 1.1.0) that chains after a primary plugin and registers each
 * pod with the enforce-mode datapath of lib/proxy.c, loading and pinning it on first use. The
 * runtime runs it in the node's netns, where the TSN NIC is. No daemon: the datapath and the
 * policy live in bpffs, the plugin's attachment records in /run (lib/cni_state.h).
 *
 * Protocol: the verb in CNI_COMMAND, the configuration on stdin; the result (ADD: prevResult,
 * unchanged) or a {cniVersion, code, msg, details} error on stdout; logs on stderr or logFile.
 * Settings come only from the configuration, since DEL arrives with a stripped environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "config.h"
#include "install.h"
#include "json.h"
#include "log.h"
#include "netns.h"
#include "proxy.h"
#include "cni_state.h"

#define STDIN_MAX (16 << 20)

static const char usage_text[] =
	"Usage: tsn                      CNI plugin: CNI_COMMAND=ADD|DEL|CHECK|STATUS|GC|VERSION,\n"
	"                                network configuration on stdin (docs/cni.md)\n"
	"       tsn install --conf-dir DIR [--conflist FILE] [--nic IF]... [--priorities LIST]\n"
	"                   [--on-disallowed clamp|zero] [--restore LIST] [--pin-dir DIR]\n"
	"                   [--log-file FILE] [--capacity N] [--ttl-ms MS] [--save-hook auto|tracepoint|tc]\n"
	"                   [--plugin JSON] [--wait SECONDS]\n"
	"                                chain tsn at the end of the primary conflist\n"
	"       tsn uninstall --conf-dir DIR [--conflist FILE]\n"
	"                                remove tsn from the conflist(s) again\n";

struct ctx {
	const char *cmd;
	struct tsn_cni_conf conf;
	struct tsn_cni_error err;
	char state_dir[PATH_MAX];
	const char *cid, *netns, *ifname;
};

static void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

static int fail_out(struct ctx *c)
{
	json_object *o = tsn_cni_error_json(c->conf.version, &c->err);

	pr_warn("%s%s%s%serror %d: %s%s%s", c->cmd ? c->cmd : "", c->cid ? " " : "",
		c->cid ? c->cid : "", c->cmd ? ": " : "", c->err.code, c->err.msg,
		c->err.details[0] ? ": " : "", c->err.details);
	print_json(o);
	json_object_put(o);
	return 1;
}

static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *grown;
	ssize_t r;

	while (buf) {
		if (n + 1 >= cap) {
			if (cap >= STDIN_MAX) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				return NULL;
			}
			buf = grown;
		}
		r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int need_env(struct ctx *c, const char *name, const char **out)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL, "%s is not set (required for %s)",
				   name, c->cmd);
	if (!strcmp(name, "CNI_CONTAINERID") && strlen(v) > TSN_CNI_MAX_CONTAINER_ID)
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_CONTAINERID is too long (%zu characters, at most %d)",
				   strlen(v), TSN_CNI_MAX_CONTAINER_ID);
	if (!strcmp(name, "CNI_CONTAINERID") && !tsn_cni_valid_container_id(v))
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_CONTAINERID '%.64s' has characters other than "
				   "alphanumerics, '_', '-', '.'",
				   v);
	if (!strcmp(name, "CNI_NETNS") && strlen(v) > TSN_CNI_NETNS_MAX)
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_NETNS is too long (%zu characters, at most %d)", strlen(v),
				   TSN_CNI_NETNS_MAX);
	if (!strcmp(name, "CNI_IFNAME") && !tsn_cni_valid_ifname(v))
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_IFNAME '%.64s' is not a valid interface name", v);
	*out = v;
	return 0;
}

/* CNI_CONTAINERID, CNI_NETNS (when with_netns) and CNI_IFNAME, in that order */
static int need_pod_env(struct ctx *c, bool with_netns)
{
	int rc = need_env(c, "CNI_CONTAINERID", &c->cid);

	if (!rc && with_netns)
		rc = need_env(c, "CNI_NETNS", &c->netns);
	return rc ? rc : need_env(c, "CNI_IFNAME", &c->ifname);
}

/* Open CNI_NETNS; 0 and fd/inode, or a CNI code: 3 when it does not exist (any more). */
static int open_netns(struct ctx *c, const char *path, int *fd, __u32 *ino)
{
	int e;

	*fd = -1;
	if (path[0] != '/')
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_NETNS '%.64s' must be an absolute path", path);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		if (e == ENOENT)
			return tsn_cni_err(&c->err, TSN_CNI_E_NO_CONTAINER, strerror(e),
					   "netns %.200s does not exist", path);
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, strerror(e),
				   "cannot open netns %.200s", path);
	}
	if (ioctl(*fd, NS_GET_NSTYPE) != CLONE_NEWNET || tsn_netns_inode(*fd, ino)) {
		close(*fd);
		*fd = -1;
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_NETNS %.200s is not a network namespace", path);
	}
	return 0;
}

static void fill_opts(const struct tsn_cni_conf *conf, struct tsn_proxy_opts *o)
{
	int i;

	tsn_proxy_opts_default(o);
	o->pin_dir = conf->pin_dir;
	for (i = 0; i < conf->nic_count; i++)
		o->nics[i] = conf->nics[i];
	o->nic_count = conf->nic_count;
	o->mode = TSN_MODE_REGISTERED;
	o->restore = conf->restore;
	o->capacity = conf->capacity;
	o->ttl_ms = conf->ttl_ms;
	o->save_hook = conf->save_hook;
}

static int check_nics(struct ctx *c, int code)
{
	int i;

	for (i = 0; i < c->conf.nic_count; i++)
		if (!if_nametoindex(c->conf.nics[i]))
			return tsn_cni_err(&c->err, code, strerror(errno),
					   "tsnIfname '%s' does not exist in the plugin's netns "
					   "(the node's)",
					   c->conf.nics[i]);
	return 0;
}

static int pod_priorities(struct ctx *c, __u32 *mask)
{
	bool set;
	__u32 args;
	int rc = tsn_cni_parse_args(getenv("CNI_ARGS"), &args, &set, &c->err);

	return rc ? rc : tsn_cni_effective_priorities(&c->conf, args, set, mask, &c->err);
}

/* Does a record other than (cid, ifname) still use this netns? Then it stays registered. */
static bool ino_in_use(const char *dir, __u32 ino, const char *cid, const char *ifname)
{
	struct tsn_cni_record *recs;
	bool used = false;
	int n, i;

	n = tsn_cni_state_by_netns(dir, ino, &recs);
	for (i = 0; i < n; i++)
		if (strcmp(recs[i].container_id, cid) || strcmp(recs[i].ifname, ifname))
			used = true;
	free(recs);
	return used;
}

/* When an ADD registered its policy: CLOCK_BOOTTIME, which no clock step moves back (the
 * records live in /run, gone with the boot). */
static __u64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * DEL of one of a pod's attachments, others left: the pod's policy becomes that of the newest
 * ADD left (it was the newest ADD's, maybe the deleted one's: a network detached must take
 * what it granted along). A registration that cannot be narrowed so is removed: the pod keeps
 * less than it was given, never more. Records without a policy (an older plugin's) leave it.
 */
static void policy_of_newest_left(struct ctx *c, __u32 ino, int netns_fd)
{
	struct tsn_policy pol = { .registered_by = TSN_REG_CNI }, now;
	struct tsn_cni_record *recs, *newest = NULL;
	char err[TSN_ERRLEN];
	int n, i, e;

	/* only a registration there is narrowed: none (denied by hand, a new datapath) stays none */
	if (tsn_proxy_lookup(c->conf.pin_dir, ino, &now))
		return;
	n = tsn_cni_state_by_netns(c->state_dir, ino, &recs);
	for (i = 0; i < n; i++) {
		if (!strcmp(recs[i].container_id, c->cid) && !strcmp(recs[i].ifname, c->ifname))
			continue;
		if (!recs[i].has_policy) {
			newest = NULL;
			break;
		}
		if (!newest || recs[i].added_at > newest->added_at)
			newest = &recs[i];
	}
	if (!newest)
		goto out;
	pol.allowed = newest->allowed;
	pol.on_disallowed = newest->on_disallowed;
	/* the registration already is that (the deleted attachment was not the newest, or granted
	 * alike): no new stub to load and link */
	if (pol.allowed == now.allowed && pol.on_disallowed == now.on_disallowed &&
	    pol.mark_mask == now.mark_mask && pol.registered_by == now.registered_by)
		goto out;
	e = tsn_proxy_allow(c->conf.pin_dir, ino, &pol, newest->ifname, netns_fd, err,
			    sizeof(err));
	if (e) {
		pr_warn("DEL %s: cannot give netns inode %u the policy of %s/%s: %s; unregistering "
			"it", c->cid, ino, newest->container_id, newest->ifname, err);
		tsn_proxy_deny(c->conf.pin_dir, ino, err, sizeof(err));
	} else {
		pr_info("DEL %s: netns inode %u keeps the policy of %s/%s, priorities 0x%x", c->cid,
			ino, newest->container_id, newest->ifname, pol.allowed);
	}
out:
	free(recs);
}

/* ADD failed after it loaded the datapath itself: unload it again unless someone uses it. */
static void rollback_start(struct ctx *c, bool started)
{
	char err[TSN_ERRLEN];
	__u32 ino;
	bool was;

	if (started && tsn_proxy_list(c->conf.pin_dir, &ino, 1) == 0 &&
	    tsn_proxy_stop(c->conf.pin_dir, &was, err, sizeof(err)))
		pr_warn("rolling back the datapath in %s: %s", c->conf.pin_dir, err);
}

/*
 * Networks that share a pin dir share its pods, so they must share the records too: with two
 * state dirs, GC of one network would take the other's registrations for leaked ones and
 * remove them. Under the plugin's lock; 0 or code 7.
 */
static int check_pin_owner(struct ctx *c)
{
	char owner[PATH_MAX];

	if (tsn_cni_pin_owned_by(c->conf.pin_dir, c->state_dir) ||
	    tsn_cni_pin_owner(c->conf.pin_dir, owner, sizeof(owner)) ||
	    !strcmp(owner, c->state_dir))
		return 0;
	return tsn_cni_err(&c->err, TSN_CNI_E_CONFIG, NULL,
			   "pinDir %.100s holds pods recorded in stateDir %.100s, not in %.100s: "
			   "networks that share a pinDir must share its stateDir",
			   c->conf.pin_dir, owner, c->state_dir);
}

static int cmd_add(struct ctx *c)
{
	struct tsn_policy pol = { .registered_by = TSN_REG_CNI };
	struct tsn_cni_record rec = {};
	struct tsn_proxy_opts opts;
	struct tsn_cni_record *recs;
	char err[TSN_ERRLEN], pod[sizeof(rec.pod_namespace) + sizeof(rec.pod_name)];
	bool adopted, started;
	__u32 ino, own;
	int rc, fd, lock, e, n, i;

	rc = need_pod_env(c, true);
	if (rc)
		return rc;
	/* the network a registration is recorded under, which GC goes by */
	if (!c->conf.name)
		return tsn_cni_err(&c->err, TSN_CNI_E_CONFIG, NULL,
				   "name (the network's) is missing: GC finds a network's "
				   "attachments by it");
	if (!c->conf.prev_result)
		return tsn_cni_err(&c->err, TSN_CNI_E_CONFIG, NULL,
				   "prevResult is missing: tsn is a chained plugin and goes after "
				   "the plugin that creates the pod interface");
	rc = pod_priorities(c, &pol.allowed);
	if (!rc)
		rc = tsn_cni_parse_pod(getenv("CNI_ARGS"), rec.pod_namespace,
				       sizeof(rec.pod_namespace), rec.pod_name, sizeof(rec.pod_name),
				       &c->err);
	if (rc)
		return rc;
	pol.on_disallowed = c->conf.on_disallowed;
	rc = open_netns(c, c->netns, &fd, &ino);
	if (rc)
		return rc;
	if (!tsn_netns_inode(-1, &own) && own == ino) {
		close(fd);
		return tsn_cni_err(&c->err, TSN_CNI_E_ENV, NULL,
				   "CNI_NETNS %.200s is the plugin's own netns (the node), not a "
				   "pod's",
				   c->netns);
	}
	if (tsn_netns_ifindex(fd, c->ifname) < 0) {
		close(fd);
		return tsn_cni_err(&c->err, TSN_CNI_E_REGISTER, NULL,
				   "no interface '%s' in netns %.200s: the previous plugin did not "
				   "create it",
				   c->ifname, c->netns);
	}
	rc = check_nics(c, TSN_CNI_E_NIC);
	if (rc) {
		close(fd);
		return rc;
	}

	lock = tsn_cni_lock();
	if (lock < 0) {
		close(fd);
		return tsn_cni_err(&c->err, TSN_CNI_E_RETRY, strerror(-lock),
				   "cannot take the plugin's lock");
	}
	rc = check_pin_owner(c);
	if (rc)
		goto out;
	fill_opts(&c->conf, &opts);
	e = tsn_proxy_start(&opts, &adopted, err, sizeof(err));
	if (e) {
		rc = tsn_cni_err(&c->err, e == -EEXIST ? TSN_CNI_E_CONFLICT : TSN_CNI_E_DATAPATH,
				 err, "cannot %s the datapath in %s",
				 tsn_proxy_running(c->conf.pin_dir) ? "adopt" : "load",
				 c->conf.pin_dir);
		goto out;
	}
	started = !adopted;	/* loaded by this ADD: a failure below unloads it again */
	pr_info("ADD %s: datapath %s in %s", c->cid, adopted ? "adopted" : "loaded",
		c->conf.pin_dir);
	e = tsn_proxy_allow(c->conf.pin_dir, ino, &pol, c->ifname, fd, err, sizeof(err));
	if (e) {
		rc = tsn_cni_err(&c->err, TSN_CNI_E_REGISTER, err, "cannot register netns %.200s",
				 c->netns);
		rollback_start(c, started);
		goto out;
	}
	snprintf(rec.container_id, sizeof(rec.container_id), "%s", c->cid);
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", c->ifname);
	snprintf(rec.network, sizeof(rec.network), "%s", c->conf.name ? c->conf.name : "");
	snprintf(rec.netns, sizeof(rec.netns), "%s", c->netns);
	rec.netns_ino = ino;
	rec.has_policy = true;
	rec.allowed = pol.allowed;
	rec.on_disallowed = pol.on_disallowed;
	rec.added_at = boottime_ns();
	e = tsn_cni_pin_owner_write(c->conf.pin_dir, c->state_dir);
	if (!e)
		e = tsn_cni_state_write(c->state_dir, &rec);
	if (e) {
		rc = tsn_cni_err(&c->err, TSN_CNI_E_STATE, strerror(-e),
				 "cannot write the attachment record in %s", c->state_dir);
		if (!ino_in_use(c->state_dir, ino, c->cid, c->ifname))
			tsn_proxy_deny(c->conf.pin_dir, ino, err, sizeof(err));
		rollback_start(c, started);
		goto out;
	}
	/*
	 * Netns inodes are reused: a record of another container with this inode belongs to a
	 * netns that is gone, and its late DEL must not unregister this pod.
	 */
	n = tsn_cni_state_by_netns(c->state_dir, ino, &recs);
	for (i = 0; i < n; i++)
		if (strcmp(recs[i].container_id, c->cid))
			tsn_cni_state_remove(c->state_dir, &recs[i]);
	free(recs);
	pr_info("ADD %s: registered netns %s (inode %u) %s, priorities 0x%x%s%s", c->cid,
		c->netns, ino, c->ifname, pol.allowed, rec.pod_name[0] ? ", pod " : "",
		tsn_cni_pod_str(&rec, pod, sizeof(pod)));
out:
	tsn_cni_unlock(lock);
	close(fd);
	if (!rc)
		print_json(c->conf.prev_result);
	return rc;
}

static int cmd_del(struct ctx *c)
{
	struct tsn_cni_record rec;
	char err[TSN_ERRLEN];
	const char *netns = getenv("CNI_NETNS");
	__u32 ino = 0;
	int rc, lock, fd, e;
	bool in_use;

	rc = need_pod_env(c, false);
	if (rc)
		return rc;
	lock = tsn_cni_lock();
	if (lock < 0)
		return tsn_cni_err(&c->err, TSN_CNI_E_RETRY, strerror(-lock),
				   "cannot take the plugin's lock");
	/* the record first: the netns may be gone, or its inode already someone else's */
	if (!tsn_cni_state_read(c->state_dir, c->cid, c->ifname, &rec)) {
		ino = rec.netns_ino;
	} else {
		struct ctx probe = *c;

		/* none to read: only what has its name is removed below */
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.container_id, sizeof(rec.container_id), "%s", c->cid);
		snprintf(rec.ifname, sizeof(rec.ifname), "%s", c->ifname);
		/* DEL after a failed ADD: no record, but the netns may still be there */
		if (netns && *netns && !open_netns(&probe, netns, &fd, &ino))
			close(fd);
		else
			ino = 0;
	}
	in_use = ino && ino_in_use(c->state_dir, ino, c->cid, c->ifname);
	if (ino && !in_use) {
		e = tsn_proxy_deny(c->conf.pin_dir, ino, err, sizeof(err));
		/* it fails when no datapath runs: then there is nothing to unregister */
		if (e && tsn_proxy_running(c->conf.pin_dir)) {
			rc = tsn_cni_err(&c->err, TSN_CNI_E_RETRY, err,
					 "cannot unregister netns inode %u", ino);
			goto out;
		}
		if (!e)
			pr_info("DEL %s: unregistered netns inode %u", c->cid, ino);
	} else if (in_use && netns && *netns && tsn_proxy_running(c->conf.pin_dir)) {
		/* the pod keeps another attachment: only this interface loses its save hook */
		struct ctx probe = *c;
		__u32 now_ino;
		int ifindex;

		if (!open_netns(&probe, netns, &fd, &now_ino)) {
			ifindex = now_ino == ino ? tsn_netns_ifindex(fd, c->ifname) : -ENOENT;
			if (ifindex > 0)
				tsn_proxy_detach_save(c->conf.pin_dir, ino, (__u32)ifindex);
			if (now_ino == ino)
				policy_of_newest_left(c, ino, fd);
			close(fd);
		}
	}
	e = tsn_cni_state_remove(c->state_dir, &rec);
	if (e)
		rc = tsn_cni_err(&c->err, TSN_CNI_E_STATE, strerror(-e),
				 "cannot remove the attachment record in %s", c->state_dir);
out:
	tsn_cni_unlock(lock);
	return rc;
}

static bool datapath_has_nic(json_object *st, const char *nic)
{
	json_object *nics, *n, *name;
	size_t i;

	if (!json_object_object_get_ex(st, "nics", &nics))
		return false;
	for (i = 0; i < json_object_array_length(nics); i++) {
		n = json_object_array_get_idx(nics, i);
		if (json_object_object_get_ex(n, "ifname", &name) &&
		    !strcmp(json_object_get_string(name), nic))
			return true;
	}
	return false;
}

/* CHECK's checks of the datapath, the netns inode's registration and the record. */
static int check_registration(struct ctx *c, __u32 ino, __u32 mask)
{
	struct tsn_cni_record rec;
	struct tsn_policy pol;
	char err[TSN_ERRLEN], have[128], want[128];
	json_object *st;
	int i;

	if (tsn_proxy_check_attached(c->conf.pin_dir, err, sizeof(err)))
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_ATTACHED, err,
				   "the datapath in %s is not attached", c->conf.pin_dir);
	if (tsn_proxy_status(c->conf.pin_dir, &st, err, sizeof(err)))
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_ATTACHED, err,
				   "cannot read the datapath in %s", c->conf.pin_dir);
	for (i = 0; i < c->conf.nic_count; i++) {
		if (datapath_has_nic(st, c->conf.nics[i]))
			continue;
		json_object_put(st);
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_ATTACHED, NULL,
				   "the datapath in %s is not attached to tsnIfname '%s'",
				   c->conf.pin_dir, c->conf.nics[i]);
	}
	json_object_put(st);
	if (tsn_proxy_lookup(c->conf.pin_dir, ino, &pol))
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_REGISTERED, NULL,
				   "netns %.200s (inode %u) is not registered", c->netns, ino);
	if (pol.allowed != mask || pol.on_disallowed != c->conf.on_disallowed) {
		tsn_format_priorities(pol.allowed, have, sizeof(have));
		tsn_format_priorities(mask, want, sizeof(want));
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_REGISTERED, NULL,
				   "netns %.200s is registered with priorities %s (%s), the "
				   "configuration says %s (%s)",
				   c->netns, have,
				   tsn_name_format(tsn_on_disallowed_names, pol.on_disallowed) ?: "?",
				   want,
				   tsn_name_format(tsn_on_disallowed_names, c->conf.on_disallowed));
	}
	if (tsn_cni_state_read(c->state_dir, c->cid, c->ifname, &rec) || rec.netns_ino != ino)
		return tsn_cni_err(&c->err, TSN_CNI_E_NOT_REGISTERED, NULL,
				   "no attachment record for %s/%s in %s", c->cid, c->ifname,
				   c->state_dir);
	return 0;
}

static int cmd_check(struct ctx *c)
{
	char err[TSN_ERRLEN];
	__u32 ino, mask;
	int rc, fd;

	if (tsn_cni_version_cmp(c->conf.version, "0.4.0") < 0)
		return tsn_cni_err(&c->err, TSN_CNI_E_VERSION, NULL,
				   "config version %s does not allow CHECK (0.4.0 and later)",
				   c->conf.version);
	rc = need_pod_env(c, true);
	if (rc)
		return rc;
	rc = pod_priorities(c, &mask);
	if (rc)
		return rc;
	rc = open_netns(c, c->netns, &fd, &ino);
	if (rc)
		return rc;
	rc = check_registration(c, ino, mask);
	/* registered and recorded: with the tc save hook, also attached to the pod's interface */
	if (!rc && tsn_proxy_check_save(c->conf.pin_dir, ino, fd, c->ifname, err, sizeof(err)))
		rc = tsn_cni_err(&c->err, TSN_CNI_E_NOT_ATTACHED, err,
				 "the pod's %s has no save hook", c->ifname);
	close(fd);
	return rc;
}

static int cmd_status(struct ctx *c)
{
	__u32 hook = tsn_proxy_save_hook(c->conf.save_hook, TSN_MODE_REGISTERED);
	char err[TSN_ERRLEN];
	struct tsn_proxy_opts opts;
	const char *why;
	int rc;

	if (tsn_cni_version_cmp(c->conf.version, "1.1.0") < 0)
		return tsn_cni_err(&c->err, TSN_CNI_E_VERSION, NULL,
				   "config version %s does not allow STATUS (1.1.0 and later)",
				   c->conf.version);
	rc = check_nics(c, TSN_CNI_E_UNAVAILABLE);
	if (rc)
		return rc;
	if (tsn_proxy_check_pin_dir(c->conf.pin_dir, err, sizeof(err)))
		return tsn_cni_err(&c->err, TSN_CNI_E_UNAVAILABLE, NULL, "%s", err);
	why = tsn_proxy_save_hook_unsupported(hook, TSN_MODE_REGISTERED);
	if (why)
		return tsn_cni_err(&c->err, TSN_CNI_E_UNAVAILABLE, NULL, "saveHook tracepoint: %s",
				   why);
	if (tsn_proxy_running(c->conf.pin_dir)) {
		/* an ADD would adopt it: it must have the configuration's settings */
		fill_opts(&c->conf, &opts);
		if (tsn_proxy_adoptable(&opts, err, sizeof(err)))
			return tsn_cni_err(&c->err, TSN_CNI_E_UNAVAILABLE, NULL, "ADD would fail: %s",
					   err);
		return 0;
	}
	/* not loaded yet: prove that the first ADD can load it */
	rc = tsn_proxy_load_check(hook);
	if (rc)
		return tsn_cni_err(&c->err, TSN_CNI_E_UNAVAILABLE, strerror(-rc),
				   "the kernel does not load the datapath");
	return 0;
}

static bool attachment_valid(const struct tsn_cni_conf *conf, const struct tsn_cni_record *r)
{
	int i;

	for (i = 0; i < conf->nvalid; i++)
		if (!strcmp(conf->valid[i].container_id, r->container_id) &&
		    !strcmp(conf->valid[i].ifname, r->ifname))
			return true;
	return false;
}

static int cmd_gc(struct ctx *c)
{
	struct tsn_cni_record *recs = NULL;
	char err[TSN_ERRLEN];
	__u32 inos[TSN_MAX_PODS];
	bool *drop = NULL;
	int lock, n, m, i, j, rc = 0;

	if (tsn_cni_version_cmp(c->conf.version, "1.1.0") < 0)
		return tsn_cni_err(&c->err, TSN_CNI_E_VERSION, NULL,
				   "config version %s does not allow GC (1.1.0 and later)",
				   c->conf.version);
	lock = tsn_cni_lock();
	if (lock < 0)
		return tsn_cni_err(&c->err, TSN_CNI_E_RETRY, strerror(-lock),
				   "cannot take the plugin's lock");
	n = tsn_cni_state_list(c->state_dir, &recs);
	if (n < 0) {
		rc = tsn_cni_err(&c->err, TSN_CNI_E_STATE, strerror(-n), "cannot list %s",
				 c->state_dir);
		goto out;
	}
	drop = calloc(n ? n : 1, sizeof(*drop));
	if (!drop) {
		rc = tsn_cni_err(&c->err, TSN_CNI_E_IO, NULL, "out of memory");
		goto out;
	}
	/* only this network's attachments: other networks may share the pin dir */
	for (i = 0; i < n; i++)
		drop[i] = !strcmp(recs[i].network, c->conf.name ? c->conf.name : "") &&
			  !attachment_valid(&c->conf, &recs[i]);
	for (i = 0; i < n; i++) {
		bool kept = false;

		if (!drop[i])
			continue;
		for (j = 0; j < n; j++)
			kept |= !drop[j] && recs[j].netns_ino == recs[i].netns_ino;
		if (!kept && tsn_proxy_running(c->conf.pin_dir))
			tsn_proxy_deny(c->conf.pin_dir, recs[i].netns_ino, err,
				       sizeof(err));
		tsn_cni_state_remove(c->state_dir, &recs[i]);
		pr_info("GC: removed %s/%s (netns inode %u)", recs[i].container_id, recs[i].ifname,
			recs[i].netns_ino);
	}
	/*
	 * Registrations of the plugin that no record claims at all were leaked: drop them. Only
	 * when this state dir holds the pin dir's records (or none does): another one's pods
	 * are not this network's to judge.
	 */
	m = tsn_proxy_running(c->conf.pin_dir) ?
		    tsn_proxy_list(c->conf.pin_dir, inos, TSN_MAX_PODS) : 0;
	if (m > 0 && check_pin_owner(c)) {
		pr_info("GC: leaves the registrations alone: %s", c->err.msg);
		memset(&c->err, 0, sizeof(c->err));
		m = 0;
	}
	for (i = 0; i < m; i++) {
		struct tsn_policy pol;
		bool claimed = false;

		if (tsn_proxy_lookup(c->conf.pin_dir, inos[i], &pol) ||
		    pol.registered_by != TSN_REG_CNI)
			continue;
		for (j = 0; j < n; j++)
			claimed |= !drop[j] && recs[j].netns_ino == inos[i];
		if (claimed)
			continue;
		tsn_proxy_deny(c->conf.pin_dir, inos[i], err, sizeof(err));
		pr_info("GC: removed unclaimed registration of netns inode %u", inos[i]);
	}
out:
	free(drop);
	free(recs);
	tsn_cni_unlock(lock);
	return rc;
}

/* VERSION needs no configuration; a cniVersion on stdin only selects the answer's version. */
static int cmd_version(const char *text)
{
	json_object *in = NULL, *v, *o;
	const char *ver = NULL;

	if (text && !tsn_json_parse(text, &in, NULL, 0) &&
	    json_object_object_get_ex(in, "cniVersion", &v))
		ver = json_object_get_string(v);
	o = tsn_cni_version_json(ver);
	print_json(o);
	json_object_put(o);
	json_object_put(in);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = {};
	FILE *log = NULL;
	char *text;
	size_t len;
	int rc;

	tsn_log_init("tsn");
	c.cmd = getenv("CNI_COMMAND");
	if (!c.cmd || !*c.cmd) {
		if (argc > 1 && !strcmp(argv[1], "install"))
			return tsn_cni_install_main(argc - 1, argv + 1, true);
		if (argc > 1 && !strcmp(argv[1], "uninstall"))
			return tsn_cni_install_main(argc - 1, argv + 1, false);
		if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		c.cmd = NULL;
		fputs(usage_text, stderr);
		tsn_cni_err(&c.err, TSN_CNI_E_ENV, NULL, "CNI_COMMAND is not set");
		return fail_out(&c);
	}
	text = read_stdin(&len);
	if (!text) {
		tsn_cni_err(&c.err, TSN_CNI_E_IO, NULL, "cannot read stdin (over %d bytes?)",
			    STDIN_MAX);
		return fail_out(&c);
	}
	if (!strcmp(c.cmd, "VERSION")) {
		rc = cmd_version(text);
		free(text);
		return rc;
	}
	if (strcmp(c.cmd, "ADD") && strcmp(c.cmd, "DEL") && strcmp(c.cmd, "CHECK") &&
	    strcmp(c.cmd, "STATUS") && strcmp(c.cmd, "GC")) {
		tsn_cni_err(&c.err, TSN_CNI_E_ENV, NULL,
			    "CNI_COMMAND '%.32s' is not ADD, DEL, CHECK, STATUS, GC or VERSION",
			    c.cmd);
		free(text);
		return fail_out(&c);
	}
	rc = tsn_cni_conf_parse(text, &c.conf, &c.err);
	if (rc) {
		/* the error speaks the configuration's version when that much is readable */
		json_object *in = NULL, *v;

		if (!tsn_json_parse(text, &in, NULL, 0) &&
		    json_object_object_get_ex(in, "cniVersion", &v))
			c.conf.version = json_object_get_string(v);
		rc = fail_out(&c);
		json_object_put(in);
		free(text);
		return rc;
	}
	free(text);
	if (c.conf.log_file) {
		log = fopen(c.conf.log_file, "ae");
		if (log) {
			setvbuf(log, NULL, _IOLBF, 0);
			tsn_log_set_file(log);
			tsn_log_set_level(TSN_LOG_INFO);
		} else {
			pr_warn("cannot open logFile %s: %s; logging to stderr", c.conf.log_file,
				strerror(errno));
		}
	}
	tsn_cni_state_dir(c.conf.pin_dir, c.conf.state_dir, c.state_dir, sizeof(c.state_dir));
	if (!strcmp(c.cmd, "ADD"))
		rc = cmd_add(&c);
	else if (!strcmp(c.cmd, "DEL"))
		rc = cmd_del(&c);
	else if (!strcmp(c.cmd, "CHECK"))
		rc = cmd_check(&c);
	else if (!strcmp(c.cmd, "STATUS"))
		rc = cmd_status(&c);
	else
		rc = cmd_gc(&c);
	if (rc)
		rc = fail_out(&c);
	else
		pr_info("%s %s: ok", c.cmd, c.cid ? c.cid : "");
	tsn_cni_conf_free(&c.conf);
	if (log)
		fclose(log);
	return rc;
}
