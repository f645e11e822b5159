// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsnproxy: enforce mode. Saves TSN metadata before a pod's netns crossing and restores it at
 * the TSN NIC's egress hook. All state is pinned in bpffs (lib/proxy.h), so `start` returns once
 * the datapath is attached, unless --foreground keeps it in the front as a daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfeatures.h"
#include "json.h"
#include "log.h"
#include "netns.h"
#include "proxy.h"

#define EXIT_USAGE 2

static struct {
	const char *pin_dir;
	bool json;
} g = { .pin_dir = TSN_PROXY_PIN_DIR };

static volatile sig_atomic_t stop_requested;

static const char usage_text[] =
	"Usage: tsnproxy [-v] [--json] [--pin-dir DIR] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  start --nic IF [--nic IF]... [--policy registered|all] [--ttl MS] [--capacity N]\n"
	"        [--restore priority,tstamp,mark] [--save-hook auto|tracepoint|tc] [--foreground]\n"
	"                      load, attach and pin enforce mode (adopts a running one);\n"
	"                      save hook auto: tc (tags each registered pod's packets) with\n"
	"                      --policy registered, tracepoint with --policy all\n"
	"  stop                remove every program, link, pin and qdisc start created\n"
	"  status              attachment, policy table, counters, map fill\n"
	"  allow --netns PATH|NAME|inode:N --priorities LIST [--on-disallowed clamp|zero]\n"
	"        [--mark-mask M] [--ifname IF]\n"
	"                      register a pod netns, the priorities and mark bits it may use\n"
	"                      (default: no mark); its save program goes on IF, or on the pod's\n"
	"                      only interface\n"
	"  deny --netns PATH|NAME|inode:N\n"
	"                      unregister a pod netns (inode:N also once it is gone) and purge\n"
	"                      its saved entries\n"
	"  features            which kernel features tsnkit can use here\n"
	"\n"
	"Options:\n"
	"  --pin-dir DIR       bpffs directory of the state (default " TSN_PROXY_PIN_DIR ")\n"
	"  -j, --json          JSON output (errors too)\n"
	"  -v                  more output (-vv: libbpf and verifier debug)\n"
	"\n"
	"Examples:\n"
	"  tsnproxy start --nic eth1                      # priorities and txtime of registered pods\n"
	"  tsnproxy allow --netns pod1 --priorities 1,2   # pod1 may use traffic classes 1 and 2\n"
	"  tsnproxy status --json\n"
	"  tsnproxy start --nic eth1 --policy all --restore priority,tstamp,mark   # lab mode\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s (see tsnproxy --help)", msg);
	return EXIT_USAGE;
}

/* An option's argument that is none of its table's words: say which words it takes. */
static int bad_choice(const char *opt, const struct tsn_name *t, bool flag_set, const char *arg)
{
	char msg[256];

	tsn_name_complaint(msg, sizeof(msg), opt, t, flag_set, arg);
	return usage_error("%s", msg);
}

static int need_root(void)
{
	if (geteuid() != 0) {
		pr_warn("must run as root (needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)");
		return EXIT_USAGE;
	}
	return 0;
}

/* Common options of every subcommand; returns 0, or the getopt code for the caller. */
static bool common_opt(int c)
{
	switch (c) {
	case 'v':
		tsn_log_set_level(tsn_log_get_level() + 1);
		return true;
	case 'j':
		g.json = true;
		tsn_log_set_json(true);
		return true;
	case 'P':
		g.pin_dir = optarg;
		return true;
	}
	return false;
}

#define COMMON_LONGOPTS                                                                    \
	{ "verbose", no_argument, NULL, 'v' }, { "json", no_argument, NULL, 'j' },          \
		{ "pin-dir", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' }

static int parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffUL || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int emit(json_object *o)
{
	tsn_out_emit(stdout, o, g.json ? TSN_OUT_JSON : TSN_OUT_TEXT);
	json_object_put(o);
	return 0;
}

static void on_signal(int sig)
{
	stop_requested = 1;
}

static int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nic", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "restore", required_argument, NULL, 'r' },
		{ "save-hook", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		COMMON_LONGOPTS,
		{},
	};
	struct tsn_proxy_opts o;
	char err[TSN_ERRLEN];
	bool adopted, foreground = false;
	json_object *res;
	int c;

	tsn_proxy_opts_default(&o);
	while ((c = getopt_long(argc, argv, "vjh", opts, NULL)) != -1) {
		if (common_opt(c))
			continue;
		switch (c) {
		case 'n':
			if (o.nic_count >= TSN_MAX_NICS)
				return usage_error("at most %d --nic", TSN_MAX_NICS);
			o.nics[o.nic_count++] = optarg;
			break;
		case 'p':
			if (tsn_name_parse(tsn_policy_mode_names, optarg, &o.mode))
				return bad_choice("--policy", tsn_policy_mode_names, false, optarg);
			break;
		case 't':
			if (parse_u32(optarg, &o.ttl_ms) || !o.ttl_ms || o.ttl_ms > 60000)
				return usage_error("--ttl takes milliseconds 1..60000, not '%s'",
						   optarg);
			break;
		case 'c':
			if (parse_u32(optarg, &o.capacity) || !o.capacity ||
			    o.capacity > (1U << 22))
				return usage_error("--capacity takes 1..%u, not '%s'", 1U << 22,
						   optarg);
			break;
		case 'r':
			if (tsn_flags_parse(tsn_restore_names, optarg, &o.restore))
				return bad_choice("--restore", tsn_restore_names, true, optarg);
			break;
		case 's':
			if (tsn_name_parse(tsn_save_hook_names, optarg, &o.save_hook))
				return bad_choice("--save-hook", tsn_save_hook_names, false, optarg);
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("start: unknown option");
		}
	}
	if (optind < argc)
		return usage_error("start: unexpected argument '%s'", argv[optind]);
	if (!o.nic_count)
		return usage_error("start: --nic IF is required");
	if (need_root())
		return EXIT_USAGE;
	o.pin_dir = g.pin_dir;
	if (tsn_proxy_start(&o, &adopted, err, sizeof(err))) {
		pr_warn("%s", err);
		return EXIT_USAGE;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", adopted ? "adopted" : "started");
	tsn_json_add_str(res, "pin_dir", g.pin_dir);
	emit(res);
	if (!foreground)
		return 0;

	/* Daemon mode: the datapath is pinned; this process only reports until told to exit. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_requested) {
		sleep(1);
		if (!tsn_proxy_running(g.pin_dir)) {
			pr_warn("state in %s was removed; exiting", g.pin_dir);
			return 1;
		}
	}
	return 0;
}

static int simple_opts(int argc, char **argv, const char *cmd)
{
	static const struct option opts[] = { COMMON_LONGOPTS, {} };
	int c;

	while ((c = getopt_long(argc, argv, "vjh", opts, NULL)) != -1) {
		if (common_opt(c))
			continue;
		if (c == 'h') {
			fputs(usage_text, stdout);
			return -1;
		}
		return usage_error("%s: unknown option", cmd);
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	char err[TSN_ERRLEN];
	bool was_running;
	json_object *res;
	int e = simple_opts(argc, argv, "stop");

	if (e)
		return e < 0 ? 0 : e;
	if (need_root())
		return EXIT_USAGE;
	if (tsn_proxy_stop(g.pin_dir, &was_running, err, sizeof(err))) {
		pr_warn("%s", err);
		return 1;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", was_running ? "stopped" : "not running");
	return emit(res);
}

static int cmd_status(int argc, char **argv)
{
	char err[TSN_ERRLEN];
	json_object *st;
	int e = simple_opts(argc, argv, "status");

	if (e)
		return e < 0 ? 0 : e;
	if (need_root())
		return EXIT_USAGE;
	if (tsn_proxy_status(g.pin_dir, &st, err, sizeof(err))) {
		pr_warn("%s", err);
		return 1;
	}
	return emit(st);
}

static int cmd_features(int argc, char **argv)
{
	int e = simple_opts(argc, argv, "features");

	if (e)
		return e < 0 ? 0 : e;
	if (need_root())
		return EXIT_USAGE;
	return emit(tsn_features_json());
}

static int cmd_allow_deny(int argc, char **argv, bool allow)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "priorities", required_argument, NULL, 'p' },
		{ "on-disallowed", required_argument, NULL, 'o' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "mark-mask", required_argument, NULL, 'm' },
		COMMON_LONGOPTS,
		{},
	};
	const char *cmd = allow ? "allow" : "deny", *netns = NULL, *ifname = NULL;
	struct tsn_policy pol = { .registered_by = TSN_REG_CLI };
	char err[TSN_ERRLEN];
	bool have_prios = false;
	json_object *res;
	__u32 ino, purged;
	int c, fd, e;

	while ((c = getopt_long(argc, argv, "vjh", opts, NULL)) != -1) {
		if (common_opt(c))
			continue;
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'p':
			if (!allow || tsn_parse_priorities(optarg, &pol.allowed))
				return usage_error("%s: bad --priorities '%s' (e.g. 1,2 or 0-3)", cmd,
						   optarg);
			have_prios = true;
			break;
		case 'o': {
			__u32 v;

			if (!allow)
				return usage_error("deny: --on-disallowed is not an option of deny");
			if (tsn_name_parse(tsn_on_disallowed_names, optarg, &v))
				return bad_choice("allow: --on-disallowed", tsn_on_disallowed_names,
						  false, optarg);
			pol.on_disallowed = v;
			break;
		}
		case 'i':
			if (!allow)
				return usage_error("deny: --ifname is not an option of deny");
			ifname = optarg;
			break;
		case 'm': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (!allow || errno || end == optarg || *end || v > UINT32_MAX)
				return usage_error("%s: bad --mark-mask '%s' (a 32-bit number, e.g. "
						   "0xff00)", cmd, optarg);
			pol.mark_mask = (__u32)v;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("%s: unknown option", cmd);
		}
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	if (!netns)
		return usage_error("%s: --netns is required", cmd);
	if (allow && !have_prios)
		return usage_error("allow: --priorities is required");
	if (need_root())
		return EXIT_USAGE;
	fd = tsn_netns_open(netns);
	if (fd == -ENOENT && !allow && tsn_netns_parse_inode(netns, &ino) == 1) {
		/* the netns is gone: its registration is forgotten by inode */
	} else if (fd < 0) {
		pr_warn("%s: netns '%s': %s", cmd, netns, strerror(-fd));
		return EXIT_USAGE;
	} else if (tsn_netns_inode(fd, &ino)) {
		pr_warn("%s: netns '%s': cannot read its inode", cmd, netns);
		close(fd);
		return EXIT_USAGE;
	}
	if (allow)
		e = tsn_proxy_allow(g.pin_dir, ino, &pol, ifname, fd, err, sizeof(err));
	else
		e = tsn_proxy_deny(g.pin_dir, ino, &purged, err, sizeof(err));
	if (fd >= 0)
		close(fd);
	if (e) {
		pr_warn("%s: %s", cmd, err);
		return EXIT_USAGE;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", allow ? "allowed" : "denied");
	tsn_json_add_u64(res, "netns_inode", ino);
	if (!allow)
		tsn_json_add_u64(res, "purged", purged);
	return emit(res);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i;

	tsn_log_init("tsnproxy");
	/* global options before the command */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			tsn_log_set_level(tsn_log_get_level() + 1);
		} else if (!strcmp(argv[i], "-vv")) {
			tsn_log_set_level(TSN_LOG_DEBUG);
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			g.json = true;
			tsn_log_set_json(true);
		} else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc) {
			g.pin_dir = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return usage_error("no command given");
	cmd = argv[i];
	/* getopt_long over the command's own arguments, argv[0] = command */
	argc -= i;
	argv += i;
	optind = 1;
	if (!strcmp(cmd, "start"))
		return cmd_start(argc, argv);
	if (!strcmp(cmd, "stop"))
		return cmd_stop(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "allow"))
		return cmd_allow_deny(argc, argv, true);
	if (!strcmp(cmd, "deny"))
		return cmd_allow_deny(argc, argv, false);
	if (!strcmp(cmd, "features"))
		return cmd_features(argc, argv);
	return usage_error("unknown command '%s'", cmd);
}
