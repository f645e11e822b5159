// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsnproxy: enforce mode. Saves TSN metadata before a pod's netns crossing and restores it at
 * the TSN NIC's egress hook. All state is pinned in bpffs (lib/proxy.h), so `start` returns once
 * the datapath is attached, unless --foreground keeps it in the front as a daemon.
 *
 * The commands are a table (struct cmd: name, handler, synopsis, help), which the dispatcher
 * and --help both read. The global options have one parser (global_opt), used before the
 * command and among each command's own options alike.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>

#include "kfeatures.h"
#include "mechanisms.h"
#include "json.h"
#include "log.h"
#include "metrics_http.h"
#include "netns.h"
#include "proxy.h"

#define EXIT_USAGE 2
/* What option parsing returns once --help is printed: the command then exits 0. */
#define HELP_SHOWN (-1)

static struct {
	const char *pin_dir;
	bool json;
} g = { .pin_dir = TSN_PROXY_PIN_DIR };

static volatile sig_atomic_t stop_requested;

static void print_usage(void);

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

/* The global options, taken before the command and after it alike. */
static const struct option global_opts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, 'j' },
	{ "pin-dir", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{},
};
#define GLOBAL_SHORTOPTS "vjh"
#define GLOBAL_OPTS_N (sizeof(global_opts) / sizeof(global_opts[0]))

/* The one parser of the global options: true when getopt_long's c was one (and is taken). */
static bool global_opt(int c, const char *arg)
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
		g.pin_dir = arg;
		return true;
	}
	return false;
}

/*
 * getopt_long's answer c that is neither a global nor a command's own option: --help (printed:
 * HELP_SHOWN), or an unknown option or missing argument (the usage error). where prefixes the
 * message ("start: ").
 */
static int option_trouble(int c, char **argv, const char *where)
{
	if (c == 'h') {
		print_usage();
		return HELP_SHOWN;
	}
	if (c == ':')
		return usage_error("%soption '%s' needs an argument", where, argv[optind - 1]);
	if (optopt)
		return usage_error("%sunknown option '-%c'", where, optopt);
	return usage_error("%sunknown option '%s'", where, argv[optind - 1]);
}

/* A command's own option c with its argument: 0, or the exit status to end with. */
typedef int (*own_opt_fn)(int c, const char *arg, void *ctx);

/*
 * Parse a command's arguments (argv[0] is its name): its own options own (may be NULL) go to
 * fn with ctx, the global ones to global_opt. No positional arguments. 0, HELP_SHOWN or the
 * exit status of a usage error.
 */
static int parse_args(int argc, char **argv, const struct option *own, own_opt_fn fn, void *ctx)
{
	struct option opts[16];
	char where[32];
	size_t n = 0;
	int c, e;

	while (own && own[n].name)
		n++;
	if (n + GLOBAL_OPTS_N > sizeof(opts) / sizeof(opts[0]))
		return usage_error("%s: too many options for the parser", argv[0]);
	if (n)	/* own may be NULL: memcpy's source must not be, even for no bytes */
		memcpy(opts, own, n * sizeof(*opts));
	memcpy(opts + n, global_opts, sizeof(global_opts));
	snprintf(where, sizeof(where), "%s: ", argv[0]);
	optind = 0;	/* a full restart of getopt: main has parsed another argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORTOPTS, opts, NULL)) != -1) {
		if (global_opt(c, optarg))
			continue;
		if (c == 'h' || c == '?' || c == ':')
			return option_trouble(c, argv, where);
		e = fn(c, optarg, ctx);
		if (e)
			return e;
	}
	if (optind < argc)
		return usage_error("%sunexpected argument '%s'", where, argv[optind]);
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

struct start_args {
	struct tsn_proxy_opts o;
	bool foreground;
};

static int start_opt(int c, const char *arg, void *ctx)
{
	struct start_args *a = ctx;
	struct tsn_proxy_opts *o = &a->o;

	switch (c) {
	case 'n':
		if (o->nic_count >= TSN_MAX_NICS)
			return usage_error("at most %d --nic", TSN_MAX_NICS);
		o->nics[o->nic_count++] = arg;
		return 0;
	case 'p':
		if (tsn_name_parse(tsn_policy_mode_names, arg, &o->mode))
			return bad_choice("--policy", tsn_policy_mode_names, false, arg);
		return 0;
	case 't':
		if (tsn_parse_u32(arg, &o->ttl_ms) || !o->ttl_ms || o->ttl_ms > 60000)
			return usage_error("--ttl takes milliseconds 1..60000, not '%s'", arg);
		return 0;
	case 'c':
		if (tsn_parse_u32(arg, &o->capacity) || !o->capacity || o->capacity > (1U << 22))
			return usage_error("--capacity takes 1..%u, not '%s'", 1U << 22, arg);
		return 0;
	case 'r':
		if (tsn_flags_parse(tsn_restore_names, arg, &o->restore))
			return bad_choice("--restore", tsn_restore_names, true, arg);
		return 0;
	case 's':
		if (tsn_name_parse(tsn_save_hook_names, arg, &o->save_hook))
			return bad_choice("--save-hook", tsn_save_hook_names, false, arg);
		return 0;
	case 'f':
		a->foreground = true;
		return 0;
	}
	return usage_error("start: unknown option");
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
		{},
	};
	struct start_args a = {};
	char err[TSN_ERRLEN];
	json_object *res;
	bool adopted;
	int e;

	tsn_proxy_opts_default(&a.o);
	e = parse_args(argc, argv, opts, start_opt, &a);
	if (e)
		return e;
	if (!a.o.nic_count)
		return usage_error("start: --nic IF is required");
	if (need_root())
		return EXIT_USAGE;
	a.o.pin_dir = g.pin_dir;
	if (tsn_proxy_start(&a.o, &adopted, err, sizeof(err))) {
		pr_warn("%s", err);
		return EXIT_USAGE;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", adopted ? "adopted" : "started");
	tsn_json_add_str(res, "pin_dir", g.pin_dir);
	emit(res);
	if (!a.foreground)
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

static int cmd_stop(int argc, char **argv)
{
	char err[TSN_ERRLEN];
	bool was_running;
	json_object *res;
	int e = parse_args(argc, argv, NULL, NULL, NULL);

	if (e)
		return e;
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
	int e = parse_args(argc, argv, NULL, NULL, NULL);

	if (e)
		return e;
	if (need_root())
		return EXIT_USAGE;
	if (tsn_proxy_status(g.pin_dir, &st, err, sizeof(err))) {
		pr_warn("%s", err);
		return 1;
	}
	return emit(st);
}

static int metrics_opt(int c, const char *arg, void *ctx)
{
	*(const char **)ctx = arg;
	return 0;
}

/*
 * The metrics once on stdout (for node_exporter's textfile collector), or served over HTTP with
 * --listen until SIGINT/SIGTERM.
 */
static int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{},
	};
	const char *listen = NULL;
	char err[TSN_ERRLEN], *text;
	sigset_t set;
	size_t len;
	int e = parse_args(argc, argv, opts, metrics_opt, &listen), fd;

	if (e)
		return e;
	if (need_root())
		return EXIT_USAGE;
	if (!listen) {
		text = tsn_proxy_metrics(g.pin_dir, &len);
		if (!text) {
			pr_warn("metrics: out of memory");
			return 1;
		}
		fwrite(text, 1, len, stdout);
		free(text);
		return 0;
	}
	/* blocked before the server's thread exists, which inherits the mask: sigwait gets them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fd = metrics_listen(listen, err, sizeof(err));
	if (fd < 0) {
		pr_warn("metrics: %s", err);
		return EXIT_USAGE;
	}
	pr_info("metrics: serving %s on %s", g.pin_dir, listen);
	if (metrics_serve(fd, g.pin_dir, err, sizeof(err))) {
		close(fd);
		pr_warn("metrics: %s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_features(int argc, char **argv)
{
	json_object *all, *mech;
	int e = parse_args(argc, argv, NULL, NULL, NULL);

	if (e)
		return e;
	if (need_root())
		return EXIT_USAGE;
	all = tsn_features_json();
	mech = tsn_mechanisms_json();
	if (!all || !mech || tsn_restore_features_add(all)) {
		json_object_put(all);
		json_object_put(mech);
		pr_warn("features: out of memory");
		return 1;
	}
	/* not a feature: what this kernel's features make tsnkit use, and why */
	json_object_object_add(all, "mechanisms", mech);
	return emit(all);
}

/* The options of allow and deny; deny takes only --netns. */
struct pod_args {
	const char *cmd;
	bool allow;
	const char *netns;
	const char *ifname;
	struct tsn_policy pol;
	bool have_prios;
};

static int pod_opt(int c, const char *arg, void *ctx)
{
	struct pod_args *a = ctx;
	unsigned long v;
	char *end;
	__u32 action;

	switch (c) {
	case 'n':
		a->netns = arg;
		return 0;
	case 'p':
		if (tsn_parse_priorities(arg, &a->pol.allowed))
			return usage_error("%s: bad --priorities '%s' (e.g. 1,2 or 0-3)", a->cmd,
					   arg);
		a->have_prios = true;
		return 0;
	case 'o':
		if (tsn_name_parse(tsn_on_disallowed_names, arg, &action))
			return bad_choice("allow: --on-disallowed", tsn_on_disallowed_names, false,
					  arg);
		a->pol.on_disallowed = action;
		return 0;
	case 'i':
		a->ifname = arg;
		return 0;
	case 'm':
		errno = 0;
		v = strtoul(arg, &end, 0);
		if (errno || end == arg || *end || v > UINT32_MAX)
			return usage_error("%s: bad --mark-mask '%s' (a 32-bit number, e.g. 0xff00)",
					   a->cmd, arg);
		a->pol.mark_mask = (__u32)v;
		return 0;
	}
	return usage_error("%s: unknown option", a->cmd);
}

/*
 * allow's and deny's arguments into a, then the pod netns they name open (*fd) with its inode;
 * for deny, inode:N of a netns that is gone gives *fd -1 and that inode. 0, HELP_SHOWN or the
 * exit status.
 */
static int pod_args_netns(int argc, char **argv, const struct option *opts, struct pod_args *a,
			  int *fd, __u32 *ino)
{
	bool allow = a->allow;
	int e = parse_args(argc, argv, opts, pod_opt, a);

	*fd = -1;
	if (e)
		return e;
	if (!a->netns)
		return usage_error("%s: --netns is required", a->cmd);
	if (allow && !a->have_prios)
		return usage_error("allow: --priorities is required");
	if (need_root())
		return EXIT_USAGE;
	*fd = tsn_netns_open(a->netns);
	if (*fd == -ENOENT && !allow && tsn_netns_parse_inode(a->netns, ino) == 1)
		return 0;	/* the netns is gone: its registration is forgotten by inode */
	if (*fd < 0) {
		pr_warn("%s: netns '%s': %s", a->cmd, a->netns, strerror(-*fd));
		return EXIT_USAGE;
	}
	if (tsn_netns_inode(*fd, ino)) {
		pr_warn("%s: netns '%s': cannot read its inode", a->cmd, a->netns);
		close(*fd);
		*fd = -1;
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_allow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "priorities", required_argument, NULL, 'p' },
		{ "on-disallowed", required_argument, NULL, 'o' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "mark-mask", required_argument, NULL, 'm' },
		{},
	};
	struct pod_args a = { .cmd = "allow", .allow = true, .pol = { .registered_by = TSN_REG_CLI } };
	char err[TSN_ERRLEN];
	json_object *res;
	__u32 ino;
	int fd, e;

	e = pod_args_netns(argc, argv, opts, &a, &fd, &ino);
	if (e)
		return e;
	e = tsn_proxy_allow(g.pin_dir, ino, &a.pol, a.ifname, fd, err, sizeof(err));
	close(fd);
	if (e) {
		pr_warn("allow: %s", err);
		return EXIT_USAGE;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", "allowed");
	tsn_json_add_u64(res, "netns_inode", ino);
	return emit(res);
}

static int cmd_deny(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{},
	};
	struct pod_args a = { .cmd = "deny" };
	char err[TSN_ERRLEN];
	json_object *res;
	__u32 ino;
	int fd, e;

	e = pod_args_netns(argc, argv, opts, &a, &fd, &ino);
	if (e)
		return e;
	e = tsn_proxy_deny(g.pin_dir, ino, err, sizeof(err));
	if (fd >= 0)
		close(fd);
	if (e) {
		pr_warn("deny: %s", err);
		return EXIT_USAGE;
	}
	res = json_object_new_object();
	tsn_json_add_str(res, "result", "denied");
	tsn_json_add_u64(res, "netns_inode", ino);
	return emit(res);
}

/* bpftool-style: a command is its name, its handler, and its lines of --help. */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *args;	/* synopsis after the name; '\n' continues it on another line */
	const char *help;	/* what it does; '\n' starts another line */
};

static const struct cmd cmds[] = {
	{ "start", cmd_start,
	  "--nic IF [--nic IF]... [--policy registered|all] [--ttl MS] [--capacity N]\n"
	  "[--restore priority,tstamp,mark] [--save-hook auto|tracepoint|tc] [--foreground]",
	  "load, attach and pin enforce mode (adopts a running one);\n"
	  "save hook auto: tc (tags each registered pod's packets) with\n"
	  "--policy registered, tracepoint with --policy all" },
	{ "stop", cmd_stop, "", "remove every program, link, pin and qdisc start created" },
	{ "status", cmd_status, "", "attachment, policy table, counters, map fill" },
	{ "metrics", cmd_metrics, "[--listen [ADDR:]PORT]",
	  "counters, map fill, NIC and pod attachment health as\n"
	  "OpenMetrics text; --listen serves it on http://ADDR:PORT/metrics\n"
	  "(ADDR default " METRICS_DEFAULT_ADDR ") until SIGTERM" },
	{ "allow", cmd_allow,
	  "--netns PATH|NAME|inode:N --priorities LIST [--on-disallowed clamp|zero]\n"
	  "[--mark-mask M] [--ifname IF]",
	  "register a pod netns, the priorities and mark bits it may use\n"
	  "(default: no mark); its save program goes on IF, or on the pod's\n"
	  "only interface" },
	{ "deny", cmd_deny, "--netns PATH|NAME|inode:N",
	  "unregister a pod netns (inode:N also once it is gone) and purge\n"
	  "its saved entries" },
	{ "features", cmd_features, "", "which kernel features tsnkit can use here" },
};

/* --help's layout: synopsis continuation lines and the help text start at these columns */
#define ARGS_INDENT 8
#define HELP_COLUMN 22

/*
 * Print text's lines: the first from column first (padding from col, where the cursor is), the
 * others from column indent. Returns the column after the last line.
 */
static int print_lines(const char *text, int col, int first, int indent)
{
	const char *nl;
	int len;

	for (;;) {
		nl = strchr(text, '\n');
		len = nl ? (int)(nl - text) : (int)strlen(text);
		printf("%*s%.*s", first > col ? first - col : 0, "", len, text);
		if (!nl)
			return (first > col ? first : col) + len;
		putchar('\n');
		col = 0;
		first = indent;
		text = nl + 1;
	}
}

static void print_usage(void)
{
	const struct cmd *c;
	int col;

	printf("Usage: tsnproxy [-v] [--json] [--pin-dir DIR] COMMAND [ARGS]\n\nCommands:\n");
	for (c = cmds; c < cmds + sizeof(cmds) / sizeof(cmds[0]); c++) {
		col = printf("  %s", c->name);
		if (c->args[0])
			col = print_lines(c->args, col, col + 1, ARGS_INDENT);
		if (col >= HELP_COLUMN) {
			putchar('\n');
			col = 0;
		}
		print_lines(c->help, col, HELP_COLUMN, HELP_COLUMN);
		putchar('\n');
	}
	fputs("\n"
	      "Options:\n"
	      "  --pin-dir DIR       bpffs directory of the state (default " TSN_PROXY_PIN_DIR ")\n"
	      "  -j, --json          JSON output (errors too)\n"
	      "  -v                  more output (-vv: libbpf and verifier debug)\n"
	      "\n"
	      "Examples:\n"
	      "  tsnproxy start --nic eth1                      # priorities and txtime of "
	      "registered pods\n"
	      "  tsnproxy allow --netns pod1 --priorities 1,2   # pod1 may use traffic classes 1 "
	      "and 2\n"
	      "  tsnproxy status --json\n"
	      "  tsnproxy metrics --listen 9476                 # Prometheus scrapes "
	      "127.0.0.1:9476\n"
	      "  tsnproxy start --nic eth1 --policy all --restore priority,tstamp,mark   # lab mode\n",
	      stdout);
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int opt, e;

	tsn_log_init("tsnproxy");
	opterr = 0;
	/* '+': the global options end at the command's name */
	while ((opt = getopt_long(argc, argv, "+:" GLOBAL_SHORTOPTS, global_opts, NULL)) != -1) {
		if (global_opt(opt, optarg))
			continue;
		e = option_trouble(opt, argv, "");
		return e == HELP_SHOWN ? 0 : e;
	}
	if (optind >= argc)
		return usage_error("no command given");
	for (c = cmds; c < cmds + sizeof(cmds) / sizeof(cmds[0]); c++) {
		if (strcmp(c->name, argv[optind]))
			continue;
		/* the command parses its arguments with argv[0] = its name */
		e = c->func(argc - optind, argv + optind);
		return e == HELP_SHOWN ? 0 : e;
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
