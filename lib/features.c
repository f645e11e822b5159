// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run-time kernel feature probes. Each probe does the real thing on a small scale (load and
 * attach the program type, create the qdisc in a throwaway netns) instead of reading kernel
 * config or version numbers, which lie on distribution and vendor kernels. Results are cached
 * for the life of the process; not thread-safe (tools probe from main() before any threads).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kfeatures.h"
#include "log.h"
#include "probe.skel.h"
#include "tc.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal, but leaks to user space from the BPF syscall */
#endif

static struct tsn_feature_status status[TSN_FEAT__MAX];

static const char *const names[TSN_FEAT__MAX] = {
	[TSN_FEAT_TP_BTF] = "tp_btf",
	[TSN_FEAT_FENTRY] = "fentry",
	[TSN_FEAT_KPROBE] = "kprobe",
	[TSN_FEAT_KPROBE_MULTI] = "kprobe-multi",
	[TSN_FEAT_TCX] = "tcx",
	[TSN_FEAT_BPF_TIMER] = "bpf_timer",
	[TSN_FEAT_TAPRIO] = "taprio",
	[TSN_FEAT_ETF] = "etf",
	[TSN_FEAT_MQPRIO] = "mqprio",
	[TSN_FEAT_NETKIT] = "netkit",
	[TSN_FEAT_SKB_CLOCK_TAI] = "skb_clock_tai",
	[TSN_FEAT_KERN_CTX] = "kern_ctx",
};

const char *tsn_feature_name(enum tsn_feature f)
{
	if ((unsigned int)f >= TSN_FEAT__MAX)
		return "unknown";
	return names[f];
}

static void set_status(struct tsn_feature_status *st, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_status(struct tsn_feature_status *st, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
	st->ok = ok;
	st->probed = true;
}

/* "EPERM" etc.: reasons are read by people who will grep the kernel source for them */
static const char *errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case ESRCH:
		return "ESRCH";
	case E2BIG:
		return "E2BIG";
	case EACCES:
		return "EACCES";
	case EBUSY:
		return "EBUSY";
	case ENODEV:
		return "ENODEV";
	case EINVAL:
		return "EINVAL";
	case ENOSYS:
		return "ENOSYS";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ENOTSUPP:
		return "ENOTSUPP";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "error";
	}
}

static const char *err_str(int err)
{
	static char buf[64];

	err = err < 0 ? -err : err;
	if (err == ENOTSUPP)
		return "ENOTSUPP: operation not supported";
	snprintf(buf, sizeof(buf), "%s: %s", errno_name(err), strerror(err));
	return buf;
}

/* ---- BPF probes --------------------------------------------------------------------------- */

/*
 * Expected failures (that is the point of probing) must not reach the user as libbpf warnings
 * at -v; the verifier log of a failed probe is still there at -vv.
 */
static libbpf_print_fn_t saved_print;

static int probe_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (tsn_log_get_level() < TSN_LOG_DEBUG || !saved_print)
		return 0;
	return saved_print(LIBBPF_DEBUG, fmt, ap);
}

static void quiet_begin(void)
{
	saved_print = libbpf_set_print(probe_print);
}

static void quiet_end(void)
{
	libbpf_set_print(saved_print);
}

/* Open the probe object with only one program (and only the maps it needs) enabled. */
static struct probe_bpf *open_only(const struct bpf_program **which, const char *prog_name,
				   bool need_maps)
{
	struct bpf_program *prog;
	struct probe_bpf *skel;
	struct bpf_map *map;

	skel = probe_bpf__open();
	if (!skel)
		return NULL;
	*which = NULL;
	bpf_object__for_each_program(prog, skel->obj) {
		bool mine = !strcmp(bpf_program__name(prog), prog_name);

		bpf_program__set_autoload(prog, mine);
		if (mine)
			*which = prog;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_autocreate(map, need_maps);
	if (!*which) {
		probe_bpf__destroy(skel);
		errno = ENOENT;
		return NULL;
	}
	return skel;
}

static int load(struct probe_bpf *skel)
{
	int err = probe_bpf__load(skel);

	return err ? (errno ? -errno : err) : 0;
}

/* load + attach one tracing program; reason text names the failing step */
static void probe_load_attach(struct tsn_feature_status *st, const char *prog_name,
			      const char *what, const char *eperm_hint)
{
	const struct bpf_program *prog;
	struct probe_bpf *skel;
	struct bpf_link *link;
	int err;

	skel = open_only(&prog, prog_name, false);
	if (!skel) {
		set_status(st, false, "cannot open probe object (%s)", err_str(errno));
		return;
	}
	err = load(skel);
	if (err) {
		if (err == -EPERM && eperm_hint)
			set_status(st, false, "%s: kernel refused to load the program (EPERM): %s",
				   what, eperm_hint);
		else if (err == -ESRCH || err == -ENOENT)
			set_status(st, false, "%s: attach target not found in kernel BTF (%s)", what,
				   errno_name(err));
		else
			set_status(st, false, "%s: program load failed (%s)", what, err_str(err));
		goto out;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		set_status(st, false, "%s: attach failed (%s)", what, err_str(errno));
		goto out;
	}
	bpf_link__destroy(link);
	set_status(st, true, "%s loads and attaches", what);
out:
	probe_bpf__destroy(skel);
}

static void probe_tp_btf(struct tsn_feature_status *st)
{
	probe_load_attach(st, "tsn_probe_tp_btf", "tp_btf/net_dev_queue", NULL);
}

/*
 * EPERM as root means policy, not capability: kernel lockdown or an LSM. Name the lockdown mode
 * when securityfs shows it ("none [integrity] confidentiality").
 */
static void lockdown_hint(char *buf, size_t len)
{
	char line[128] = "", *b, *e;
	FILE *f;

	f = fopen("/sys/kernel/security/lockdown", "re");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	b = strchr(line, '[');
	e = b ? strchr(b, ']') : NULL;
	if (b && e && strncmp(b + 1, "none", 4)) {
		*e = '\0';
		snprintf(buf, len, "kernel lockdown (%s) forbids it", b + 1);
	} else {
		snprintf(buf, len, "root is not enough, kernel lockdown or an LSM forbids it");
	}
}

static void probe_fentry(struct tsn_feature_status *st)
{
	/*
	 * fentry needs a BPF trampoline on the target. A locked-down kernel (seen: lockdown from
	 * the kernel config on a VM image) or an LSM refuses the *load* with EPERM even for
	 * root, while tp_btf on the same kernel works; kernels without direct-call ftrace say
	 * ENOTSUPP instead.
	 */
	char hint[96];

	lockdown_hint(hint, sizeof(hint));
	probe_load_attach(st, "tsn_probe_fentry", "fentry/skb_clone", hint);
}

static bool path_exists(const char *p)
{
	return !access(p, F_OK);
}

static void probe_kprobe(struct tsn_feature_status *st)
{
	probe_load_attach(st, "tsn_probe_kprobe", "kprobe/skb_clone", NULL);
	if (st->ok)
		return;
	/* libbpf attaches through the kprobe PMU or tracefs kprobe_events; neither without
	 * CONFIG_KPROBES, which gives a bare ENOENT: say what it means */
	if (!path_exists("/sys/bus/event_source/devices/kprobe/type") &&
	    !path_exists("/sys/kernel/tracing/kprobe_events") &&
	    !path_exists("/sys/kernel/debug/tracing/kprobe_events"))
		set_status(st, false, "kernel has no CONFIG_KPROBES (no kprobe PMU, no kprobe_events)");
}

static void probe_kprobe_multi(struct tsn_feature_status *st)
{
	const char *sym = "skb_clone";
	LIBBPF_OPTS(bpf_link_create_opts, opts, .kprobe_multi.syms = &sym, .kprobe_multi.cnt = 1);
	const struct bpf_program *prog;
	struct probe_bpf *skel;
	int err, fd;

	skel = open_only(&prog, "tsn_probe_kprobe_multi", false);
	if (!skel) {
		set_status(st, false, "cannot open probe object (%s)", err_str(errno));
		return;
	}
	err = load(skel);
	if (err) {
		/* expected_attach_type BPF_TRACE_KPROBE_MULTI is unknown before 5.18 */
		set_status(st, false, "kprobe.multi program load failed (%s)%s", err_str(err),
			   err == -EINVAL ? ", kernel older than 5.18?" : "");
		goto out;
	}
	fd = bpf_link_create(bpf_program__fd(prog), 0, BPF_TRACE_KPROBE_MULTI, &opts);
	if (fd < 0) {
		err = -errno;
		if (err == -EOPNOTSUPP)
			set_status(st, false, "kernel has no CONFIG_FPROBE (EOPNOTSUPP)");
		else if (err == -ESRCH || err == -ENOENT)
			set_status(st, false, "skb_clone not attachable by kprobe-multi (%s)",
				   errno_name(err));
		else
			set_status(st, false, "kprobe-multi link on skb_clone failed (%s)",
				   err_str(err));
		goto out;
	}
	close(fd);
	set_status(st, true, "kprobe-multi link on skb_clone works");
out:
	probe_bpf__destroy(skel);
}

static void probe_tcx(struct tsn_feature_status *st)
{
	if (tsn_tc_have_tcx())
		set_status(st, true, "BPF_PROG_QUERY with BPF_TCX_INGRESS works");
	else
		set_status(st, false, "kernel has no tcx (BPF_TCX_INGRESS unknown, needs 6.6)");
}

static void probe_bpf_timer(struct tsn_feature_status *st)
{
	static const char *const steps[] = { "ok", "map lookup", "bpf_timer_init",
					     "bpf_timer_set_callback", "bpf_timer_start" };
	const struct bpf_program *prog;
	struct probe_bpf *skel;
	char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	int err;

	skel = open_only(&prog, "tsn_probe_timer", true);
	if (!skel) {
		set_status(st, false, "cannot open probe object (%s)", err_str(errno));
		return;
	}
	err = load(skel);
	if (err) {
		set_status(st, false, "program using bpf_timer rejected (%s)", err_str(err));
		goto out;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	if (err) {
		set_status(st, false, "BPF_PROG_TEST_RUN failed (%s)", err_str(errno));
		goto out;
	}
	if (topts.retval) {
		set_status(st, false, "%s failed at run time",
			   topts.retval < 5 ? steps[topts.retval] : "timer program");
		goto out;
	}
	set_status(st, true, "bpf_timer_init/set_callback/start work");
out:
	/* frees the map, which cancels the armed timer */
	probe_bpf__destroy(skel);
}

/* ---- qdiscs and links, tried in a throwaway netns ------------------------------------------- */

/*
 * Run the commands (each a NULL-terminated argv, list ends with NULL) in a child in a fresh
 * netns, so nothing touches the host and everything vanishes with the child. Returns the
 * index+1 of the failing command (0: all ok, -errno: could not run) and its last output line.
 */
static int run_in_scratch_netns(const char *const *const *cmds, char *line, size_t len)
{
	char out[4096], *p, *start;
	int pfd[2], status, i, rc;
	size_t used = 0;
	ssize_t n;
	pid_t pid, c;

	line[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		/* child: unshare once, then each command as a grandchild inherits the netns */
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (unshare(CLONE_NEWNET)) {
			dprintf(STDERR_FILENO, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
			_exit(100);
		}
		for (i = 0; cmds[i]; i++) {
			c = fork();
			if (c < 0)
				_exit(100);
			if (c == 0) {
				execvp(cmds[i][0], (char *const *)cmds[i]);
				dprintf(STDERR_FILENO, "%s: %s\n", cmds[i][0], strerror(errno));
				_exit(127);
			}
			if (waitpid(c, &status, 0) < 0 || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				_exit(i + 1);
		}
		_exit(0);
	}
	close(pfd[1]);
	while (used < sizeof(out) - 1 && (n = read(pfd[0], out + used, sizeof(out) - 1 - used)))
		if (n > 0)
			used += n;
		else if (errno != EINTR)
			break;
	out[used] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
	if (rc == 100)
		rc = -ECHILD;

	/* last non-empty line of the output: iproute2 prints one "Error: ..." line */
	while (used && (out[used - 1] == '\n' || out[used - 1] == ' '))
		out[--used] = '\0';
	p = strrchr(out, '\n');
	start = p ? p + 1 : out;
	used = strlen(start);
	if (used >= len)
		used = len - 1;	/* a reason is one line of bounded size: cut, do not fail */
	memcpy(line, start, used);
	line[used] = '\0';
	return rc;
}

#define MQ_VETH "ip", "link", "add", "tkp0", "numtxqueues", "4", "type", "veth", "peer", "name", \
		"tkp1", "numtxqueues", "4", NULL

static void probe_cmds(struct tsn_feature_status *st, const char *what,
		       const char *const *const *cmds, int ncmds)
{
	char line[sizeof(st->reason)];
	int rc;

	rc = run_in_scratch_netns(cmds, line, sizeof(line));
	if (rc == 0)
		set_status(st, true, "%s works", what);
	else if (rc < 0)
		set_status(st, false, "cannot run probe (%s)%s%s", err_str(rc), *line ? ": " : "",
			   line);
	else if (rc < ncmds)	/* a setup step, not the feature itself */
		set_status(st, false, "probe setup failed: %s", *line ? line : "unknown error");
	else
		set_status(st, false, "%s", *line ? line : "command failed without a message");
}

static void probe_taprio(struct tsn_feature_status *st)
{
	static const char *const veth[] = { MQ_VETH };
	static const char *const qd[] = { "tc", "qdisc", "add", "dev", "tkp0", "root", "handle",
		"100:", "taprio", "num_tc", "2", "map", "0", "1", "queues", "1@0", "1@1",
		"base-time", "0", "sched-entry", "S", "03", "1000000", "clockid", "CLOCK_TAI",
		NULL };
	static const char *const *const cmds[] = { veth, qd, NULL };

	probe_cmds(st, "taprio (software mode)", cmds, 2);
}

static void probe_etf(struct tsn_feature_status *st)
{
	static const char *const veth[] = { "ip", "link", "add", "tkp0", "type", "veth", "peer",
		"name", "tkp1", NULL };
	static const char *const qd[] = { "tc", "qdisc", "add", "dev", "tkp0", "root", "etf",
		"clockid", "CLOCK_TAI", "delta", "200000", NULL };
	static const char *const *const cmds[] = { veth, qd, NULL };

	probe_cmds(st, "etf", cmds, 2);
}

static void probe_mqprio(struct tsn_feature_status *st)
{
	static const char *const veth[] = { MQ_VETH };
	static const char *const qd[] = { "tc", "qdisc", "add", "dev", "tkp0", "root", "handle",
		"100:", "mqprio", "num_tc", "2", "map", "0", "1", "queues", "1@0", "1@1", "hw",
		"0", NULL };
	static const char *const *const cmds[] = { veth, qd, NULL };

	probe_cmds(st, "mqprio (software mode)", cmds, 2);
}

static void probe_netkit(struct tsn_feature_status *st)
{
	static const char *const nk[] = { "ip", "link", "add", "tkn0", "type", "netkit", NULL };
	static const char *const *const cmds[] = { nk, NULL };

	probe_cmds(st, "netkit", cmds, 1);
}

/* ---- BTF --------------------------------------------------------------------------------- */

static void probe_skb_clock_tai(struct tsn_feature_status *st)
{
	const struct btf_enum *e;
	const struct btf_type *t;
	struct btf *btf;
	int id, i, err;

	btf = btf__load_vmlinux_btf();
	err = libbpf_get_error(btf);
	if (err) {
		set_status(st, false, "cannot load kernel BTF (%s)", err_str(err));
		return;
	}
	id = btf__find_by_name_kind(btf, "skb_tstamp_type", BTF_KIND_ENUM);
	if (id < 0) {
		/* before 6.11 the kernel had a mono_delivery_time bit, no tstamp type */
		set_status(st, false, "kernel BTF has no enum skb_tstamp_type (needs 6.11)");
		goto out;
	}
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		if (!strcmp(btf__name_by_offset(btf, e->name_off), "SKB_CLOCK_TAI")) {
			set_status(st, true, "enum skb_tstamp_type has SKB_CLOCK_TAI = %d", e->val);
			goto out;
		}
	}
	set_status(st, false, "enum skb_tstamp_type has no SKB_CLOCK_TAI (needs 6.11)");
out:
	btf__free(btf);
}

/*
 * tsntrace's tc observers cast their ctx to read struct sk_buff fields __sk_buff lacks; the
 * tracepoint save hook reads headers through bpf_rdonly_cast. Both kfuncs came with 6.2.
 */
static void probe_kern_ctx(struct tsn_feature_status *st)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err = libbpf_get_error(btf);

	if (err) {
		set_status(st, false, "cannot load kernel BTF (%s)", err_str(err));
		return;
	}
	if (btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0 &&
	    btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0)
		set_status(st, true, "kfuncs bpf_cast_to_kern_ctx, bpf_rdonly_cast");
	else
		set_status(st, false,
			   "kernel has no kfunc bpf_cast_to_kern_ctx or bpf_rdonly_cast (needs 6.2)");
	btf__free(btf);
}

/* ---- API -------------------------------------------------------------------------------- */

static void (*const probes[TSN_FEAT__MAX])(struct tsn_feature_status *) = {
	[TSN_FEAT_TP_BTF] = probe_tp_btf,
	[TSN_FEAT_FENTRY] = probe_fentry,
	[TSN_FEAT_KPROBE] = probe_kprobe,
	[TSN_FEAT_KPROBE_MULTI] = probe_kprobe_multi,
	[TSN_FEAT_TCX] = probe_tcx,
	[TSN_FEAT_BPF_TIMER] = probe_bpf_timer,
	[TSN_FEAT_TAPRIO] = probe_taprio,
	[TSN_FEAT_ETF] = probe_etf,
	[TSN_FEAT_MQPRIO] = probe_mqprio,
	[TSN_FEAT_NETKIT] = probe_netkit,
	[TSN_FEAT_SKB_CLOCK_TAI] = probe_skb_clock_tai,
	[TSN_FEAT_KERN_CTX] = probe_kern_ctx,
};

const struct tsn_feature_status *tsn_feature_status(enum tsn_feature f)
{
	struct tsn_feature_status *st;

	if ((unsigned int)f >= TSN_FEAT__MAX)
		return NULL;
	st = &status[f];
	if (!st->probed) {
		quiet_begin();
		probes[f](st);
		quiet_end();
		if (!st->reason[0])
			snprintf(st->reason, sizeof(st->reason), "%s", st->ok ? "ok" : "unknown");
		st->probed = true;
		pr_debug("feature %s: %s (%s)", names[f], st->ok ? "yes" : "no", st->reason);
	}
	return st;
}

bool tsn_feature_has(enum tsn_feature f)
{
	const struct tsn_feature_status *st = tsn_feature_status(f);

	return st && st->ok;
}

int tsn_features_json_add(json_object *all, const char *name, bool ok, const char *reason)
{
	json_object *one = json_object_new_object();

	if (!one)
		return -ENOMEM;
	json_object_object_add(one, "supported", json_object_new_boolean(ok));
	json_object_object_add(one, "reason", json_object_new_string(reason));
	json_object_object_add(all, name, one);
	return 0;
}

json_object *tsn_features_json(void)
{
	const struct tsn_feature_status *st;
	json_object *all;
	int f;

	all = json_object_new_object();
	if (!all)
		return NULL;
	for (f = 0; f < TSN_FEAT__MAX; f++) {
		st = tsn_feature_status(f);
		if (tsn_features_json_add(all, names[f], st->ok, st->reason)) {
			json_object_put(all);
			return NULL;
		}
	}
	return all;
}
