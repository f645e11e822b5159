// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsntop: live view of TSN flows on a node: which carry metadata, whether it survives to the
 * NIC, where it is lost, which traffic class each flow lands in, and what enforce mode does.
 *
 * One thread, one poll() on a timerfd and stdin: a sample + redraw on every tick, a redraw on
 * every key, nothing in between. Signals only set a flag (poll returns EINTR); ncurses turns
 * SIGWINCH into KEY_RESIZE. Every way out (q, Ctrl-C, SIGTERM, SIGHUP, --max-iterations)
 * goes through the same teardown, which detaches every BPF program.
 *
 * Exit status: 0 ok, 2 usage or setup error (one line on stderr, nothing left attached).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "json.h"
#include "log.h"
#include "proxy.h"
#include "source.h"
#include "trace_cause.h"
#include "trace_names.h"
#include "trace_pcap.h"
#include "view.h"

#define DEFAULT_CAPACITY 65536U
#define DEFAULT_MAX_FLOWS 4096U
#define DEFAULT_MAX_HOPS 65536U
#define DEFAULT_IDLE_S 30.0
#define DEFAULT_ROWS 40
#define DEFAULT_COLS 120
/*
 * Without the hooks that add nothing to what tsntop shows: net_dev_xmit carries no metadata
 * (the driver may have freed the skb), and the qdisc's enqueue and dequeue sit between
 * net_dev_queue and net_dev_start_xmit on the same device, which already say what the packet
 * had there and, with the device, where a field was lost. --hooks all brings them back.
 */
#define DEFAULT_HOOKS                                                                              \
	(TT_TP_HOOKS_ALL &                                                                         \
	 ~(TT_TP_HOOK(TSN_HOOK_NET_DEV_XMIT) | TT_TP_HOOK(TSN_HOOK_QDISC_ENQUEUE) |                \
	   TT_TP_HOOK(TSN_HOOK_QDISC_DEQUEUE)))
/* the app's metadata (a packet's first hop) and the verdict (the NIC's transmit) */
#define REQUIRED_HOOKS                                                                             \
	(TT_TP_HOOK(TSN_HOOK_NET_DEV_QUEUE) | TT_TP_HOOK(TSN_HOOK_NET_DEV_START_XMIT))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct top_opts {
	struct top_source_opts src;
	double interval_s;
	bool once;
	int once_rows, once_cols;	/* --once: the frame, from $LINES and $COLUMNS */
	bool json;
	unsigned long max_iterations;	/* 0: until q or a signal */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsntop [OPTIONS] [EXPRESSION...]\n"
"Live view of TSN flows: packets/s, priority and tstamp at the app and at the NIC, the traffic\n"
"class each flow lands in, where metadata is lost (verdict ok | restored | LOST at <device>),\n"
"and what enforce mode (tsnproxy) is doing. Counting happens in the kernel (per-flow and\n"
"per-hop maps), so it keeps up with floods; losses of its own are shown, never hidden.\n"
"\n"
"  -d, --delay SEC         refresh interval (default 1)\n"
"  --nic IF[@NETNS]        judge flows and look up classes at this NIC (repeatable, 8);\n"
"                          default: the proxy's NICs, else each flow's last egress hop\n"
"  --tc-map P0,P1,...      priority -> traffic class map for qdiscs that have none (htb)\n"
"  --idle SEC              forget flows that sent nothing for SEC (default %.0f; 0: never)\n"
"  --pin-dir DIR           enforce-mode pin dir to read (default %s)\n"
"  --hooks LIST            tracepoints to attach: all, or a comma list (tsntrace --help) with\n"
"                          net_dev_queue and net_dev_start_xmit; default: all but\n"
"                          net_dev_xmit, qdisc_enqueue and qdisc_dequeue\n"
"Filters (in the kernel, as tsntrace):\n"
"  --netns PATH|NAME|inode:N  --pod NAMESPACE/NAME (a tsn CNI pod; both repeatable)\n"
"  --ifname IF  --proto udp|tcp|icmp|N\n"
"  --src ADDR[/PREFIX]  --dst ADDR[/PREFIX]  --sport P  --dport P  --priority N  --mark V[/M]\n"
"  EXPRESSION              pcap-filter(7), as tcpdump takes it; AND with the options\n"
"Output without a terminal:\n"
"  --once                  one text frame after one interval ($COLUMNS x $LINES, default\n"
"                          %dx%d, at most 1023x1000), with the path of the busiest flow\n"
"  --json                  one model snapshot per interval as a JSON line\n"
"  --max-iterations N      stop after N refreshes\n"
"  -v, -vv                 more logging\n"
"  -h, --help\n"
"Keys: Up/Down/j/k select, PgUp/PgDn page, Enter path, s sort, / filter, p pause, r reset,\n"
"      ? help, q quit.\n"
"\n"
"Examples:\n"
"  # the fixture's node: judge at nic0, taprio's map on the htb stand-in\n"
"  tsntop --nic nic0@tk1-node --tc-map 0,1,2,3\n"
"  # only pod1's traffic, one frame for a bug report\n"
"  tsntop --netns tk1-pod1 --once -d 2 > frame.txt\n"
"  # every 5 s as JSON for a collector\n"
"  tsntop --json -d 5 | jq -c '.flows[] | {src, dport, verdict}'\n"
"Exit status: 0 ok, 2 usage or setup error.\n",
		DEFAULT_IDLE_S, TSN_PROXY_PIN_DIR, DEFAULT_COLS, DEFAULT_ROWS);
}

enum {
	OPT_NIC = 256,
	OPT_TC_MAP,
	OPT_PIN_DIR,
	OPT_ONCE,
	OPT_JSON,
	OPT_MAX_ITER,
	OPT_IDLE,
	OPT_HOOKS,
	OPT_FILTER,		/* + index in tsn_filter_opts */
};

/* A number of seconds in min..max (a NaN is in no range); 0 or -EINVAL. */
static int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

/* 0 ok, 1 --help shown, 2 usage error (message printed) */
/*
 * A frame dimension from the environment: unset or empty gives def; anything but a number in
 * min..max is refused in one line, never replaced silently. 0 or -EINVAL.
 */
static int env_size(const char *name, int def, int min, int max, int *out)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	*out = def;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < (unsigned long)min ||
	    v > (unsigned long)max) {
		pr_warn("--once: %s='%.32s' is not a frame size tsntop draws (%d..%d)", name, s,
			min, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option base[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "nic", required_argument, NULL, OPT_NIC },
		{ "tc-map", required_argument, NULL, OPT_TC_MAP },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "max-iterations", required_argument, NULL, OPT_MAX_ITER },
		{ "idle", required_argument, NULL, OPT_IDLE },
		{ "hooks", required_argument, NULL, OPT_HOOKS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option longopts[sizeof(base) / sizeof(base[0]) + 16];
	int n = sizeof(base) / sizeof(base[0]), opt, idx;
	char err[512], *end;

	memcpy(longopts, base, sizeof(base));
	n = tsn_filter_add_longopts(longopts, n, OPT_FILTER);

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:vh", longopts, &idx)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_seconds(optarg, 0.1, 3600, &o->interval_s)) {
				pr_warn("-d: '%s' is not a number of seconds in 0.1..3600", optarg);
				return 2;
			}
			break;
		case OPT_NIC:
			if (o->src.n_nic_specs >= TOP_MAX_NIC_SPECS) {
				pr_warn("--nic: at most %d interfaces", TOP_MAX_NIC_SPECS);
				return 2;
			}
			o->src.nic_specs[o->src.n_nic_specs++] = optarg;
			break;
		case OPT_TC_MAP:
			if (top_parse_tc_map(optarg, o->src.tc_map, &o->src.tc_map_num)) {
				pr_warn("--tc-map: '%s' is not a list of up to 16 classes 0..15",
					optarg);
				return 2;
			}
			o->src.tc_map_set = true;
			break;
		case OPT_IDLE:
			if (parse_seconds(optarg, 0, 86400, &o->src.idle_s)) {
				pr_warn("--idle: '%s' is not a number of seconds in 0..86400", optarg);
				return 2;
			}
			break;
		case OPT_HOOKS:
			if (tt_hook_parse_list(optarg, &o->src.bpf.tp_hooks)) {
				pr_warn("--hooks: '%s' is not all or a list of %s", optarg,
					tt_hook_list_str(TT_TP_HOOKS_ALL, err, sizeof(err)));
				return 2;
			}
			if ((o->src.bpf.tp_hooks & REQUIRED_HOOKS) != REQUIRED_HOOKS) {
				pr_warn("--hooks: tsntop needs net_dev_queue (the app's metadata) "
					"and net_dev_start_xmit (the verdict at the NIC)");
				return 2;
			}
			break;
		case OPT_PIN_DIR: o->src.pin_dir = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_MAX_ITER:
			errno = 0;
			o->max_iterations = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    !o->max_iterations) {
				pr_warn("--max-iterations: '%s' is not a positive number", optarg);
				return 2;
			}
			break;
		case 'v': tsn_log_set_level(tsn_log_get_level() + 1); break;
		case 'h': usage(stdout); return 1;
		case ':':
		case '?':
			return tsn_getopt_fail(opt, argv, optind);
		default:
			if (opt >= OPT_FILTER && opt < OPT_FILTER + n &&
			    !tsn_filter_set(&o->src.bpf.filter, tsn_filter_opts[opt - OPT_FILTER],
					    optarg, err, sizeof(err)))
				break;
			pr_warn("%s", opt >= OPT_FILTER ? err : "unknown option (see --help)");
			return 2;
		}
	}
	/* what follows the options is a pcap-filter expression: compiled now, before anything
	 * loads, so that a bad one costs nothing */
	if (tt_pcap_compile(argc - optind, argv + optind, &o->src.bpf.pcap, err, sizeof(err))) {
		pr_warn("%s", err);
		return 2;
	}
	if (o->once && o->json) {
		pr_warn("--once and --json exclude each other");
		return 2;
	}
	if (o->once) {
		o->max_iterations = 1;
		/* checked before anything is loaded: a bad size must not cost an interval */
		if (env_size("LINES", DEFAULT_ROWS, TOP_TEXT_MIN_ROWS, TOP_TEXT_MAX_ROWS,
			     &o->once_rows) ||
		    env_size("COLUMNS", DEFAULT_COLS, TOP_TEXT_MIN_COLS, TOP_TEXT_MAX_COLS,
			     &o->once_cols))
			return 2;
	}
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- keys ---- */

enum top_action {
	ACT_NONE = 0,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_DETAIL,
	ACT_SORT,
	ACT_FILTER,
	ACT_PAUSE,
	ACT_RESET,
	ACT_HELP,
	ACT_QUIT,
	ACT_REDRAW,
};

static const struct {
	int key;
	enum top_action action;
} keymap[] = {
	{ KEY_UP, ACT_UP },	{ 'k', ACT_UP },	 { KEY_DOWN, ACT_DOWN },
	{ 'j', ACT_DOWN },	{ KEY_PPAGE, ACT_PAGE_UP }, { KEY_NPAGE, ACT_PAGE_DOWN },
	{ '\n', ACT_DETAIL },	{ '\r', ACT_DETAIL },	 { KEY_ENTER, ACT_DETAIL },
	{ 's', ACT_SORT },	{ '/', ACT_FILTER },	 { 'p', ACT_PAUSE },
	{ 'r', ACT_RESET },	{ '?', ACT_HELP },	 { 'h', ACT_HELP },
	{ 'q', ACT_QUIT },	{ 'Q', ACT_QUIT },	 { KEY_RESIZE, ACT_REDRAW },
	{ 12 /* ^L */, ACT_REDRAW },
};

static enum top_action action_of(int key)
{
	size_t i;

	for (i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
		if (keymap[i].key == key)
			return keymap[i].action;
	return ACT_NONE;
}

/* The filter prompt's line editor: Enter applies, Esc cancels. */
static void filter_key(struct top_view *v, struct top_model *m, int key)
{
	size_t len = strlen(v->filter_buf);

	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		top_model_set_filter(m, v->filter_buf);
		v->filter_edit = false;
		v->selected = v->first = 0;
	} else if (key == 27) {
		v->filter_edit = false;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (len)
			v->filter_buf[len - 1] = '\0';
	} else if (key >= 32 && key < 127 && len + 1 < sizeof(v->filter_buf)) {
		v->filter_buf[len] = (char)key;
		v->filter_buf[len + 1] = '\0';
	}
}

/* Returns false to quit. */
static bool on_key(int key, struct top_view *v, struct top_model *m, struct top_source *src)
{
	int page = LINES / 2 > 1 ? LINES / 2 : 1;

	if (v->filter_edit) {
		filter_key(v, m, key);
		return true;
	}
	if (v->help && action_of(key) != ACT_QUIT) {
		v->help = false;
		return true;
	}
	switch (action_of(key)) {
	case ACT_UP: v->selected--; break;
	case ACT_DOWN: v->selected++; break;
	case ACT_PAGE_UP: v->selected -= page; break;
	case ACT_PAGE_DOWN: v->selected += page; break;
	case ACT_DETAIL: v->detail = !v->detail; break;
	case ACT_SORT:
		top_model_set_sort(m, (m->sort + 1) % TOP_SORT__MAX);
		top_view_follow(v, m);
		return true;
	case ACT_FILTER:
		v->filter_edit = true;
		snprintf(v->filter_buf, sizeof(v->filter_buf), "%s", m->filter);
		break;
	case ACT_PAUSE: m->hdr.paused = !m->hdr.paused; break;
	case ACT_RESET:
		top_source_reset(src);
		top_model_reset(m);
		break;
	case ACT_HELP: v->help = true; break;
	case ACT_QUIT: return false;
	case ACT_REDRAW: clearok(curscr, TRUE); break;
	default: break;
	}
	top_view_clamp(v, m);
	return true;
}

/* ---- output modes ---- */

/* One NDJSON frame on stdout, flushed: 0 or -errno (-EPIPE: its reader went away). */
static int emit_json(const struct top_model *m)
{
	json_object *o = top_model_json(m);
	int rc = tsn_out_emit(stdout, o, TSN_OUT_JSON);

	json_object_put(o);
	return rc;
}

static int screen_start(struct top_view *v)
{
	if (!newterm(NULL, stdout, stdin))
		return -ENOTTY;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	top_view_init(v);
	return 0;
}

static void redraw(struct top_view *v, const struct top_model *m)
{
	top_view_draw(stdscr, v, m);
	wnoutrefresh(stdscr);
	doupdate();
}

static int run(struct top_opts *o, struct top_source *src, struct top_model *m)
{
	struct itimerspec its = {};
	struct top_view v = {};
	struct pollfd pfd[2];
	unsigned long iterations = 0;
	bool tty = !o->once && !o->json;
	int tfd, rc = 0, key;
	__u64 ticks;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (tfd < 0) {
		pr_warn("timerfd: %s", strerror(errno));
		return 2;
	}
	its.it_value.tv_sec = (time_t)o->interval_s;
	its.it_value.tv_nsec = (long)((o->interval_s - (time_t)o->interval_s) * 1e9);
	its.it_interval = its.it_value;
	/* the baseline: rates come from the next sample on */
	top_source_sample(src, m, mono_s());
	if (tty && screen_start(&v)) {
		pr_warn("cannot start the terminal (TERM=%s)", getenv("TERM") ?: "");
		close(tfd);
		return 2;
	}
	timerfd_settime(tfd, 0, &its, NULL);
	if (tty)
		redraw(&v, m);
	pfd[0] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	while (!stop) {
		if (poll(pfd, tty ? 2 : 1, -1) < 0 && errno != EINTR) {
			rc = 2;
			break;
		}
		if (pfd[0].revents & POLLIN && read(tfd, &ticks, sizeof(ticks)) > 0) {
			if (!m->hdr.paused) {
				top_source_sample(src, m, mono_s());
				top_view_follow(&v, m);
			}
			iterations++;
			if (o->json) {
				/* a reader gone (tsntop --json | head) ends the run quietly */
				int werr = emit_json(m);

				if (werr) {
					if (werr != -EPIPE) {
						pr_warn("writing the output: %s", strerror(-werr));
						rc = 2;
					}
					break;
				}
			} else if (tty) {
				redraw(&v, m);
			}
			if (o->max_iterations && iterations >= o->max_iterations)
				break;
		}
		if (!tty)
			continue;
		/* keys, and KEY_RESIZE after SIGWINCH (which woke poll with EINTR) */
		while (!stop && (key = getch()) != ERR) {
			if (!on_key(key, &v, m, src)) {
				stop = 1;
				break;
			}
			redraw(&v, m);
		}
	}
	if (tty)
		endwin();
	if (o->once) {
		/* the busiest flow's path is part of the frame */
		v.detail = true;
		rc = top_view_render_text(&v, m, o->once_rows, o->once_cols, stdout);
		if (rc)
			pr_warn("--once: cannot draw a %dx%d frame: %s", o->once_cols, o->once_rows,
				strerror(-rc));
		rc = rc ? 2 : 0;
	}
	close(tfd);
	return rc;
}

int main(int argc, char **argv)
{
	struct top_opts o = { .interval_s = 1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct top_source *src = NULL;
	struct top_model *m = NULL;
	char err[512];
	int rc;

	tsn_log_init("tsntop");
	tsn_filter_init(&o.src.bpf.filter);
	o.src.pin_dir = TSN_PROXY_PIN_DIR;
	o.src.idle_s = DEFAULT_IDLE_S;
	o.src.backend = TT_BACKEND_AUTO;
	o.src.bpf.capacity = DEFAULT_CAPACITY;
	o.src.bpf.max_flows = DEFAULT_MAX_FLOWS;
	o.src.bpf.max_hops = DEFAULT_MAX_HOPS;
	o.src.bpf.tp_hooks = DEFAULT_HOOKS;
	/* events are not used in aggregate mode: the smallest ring buffer the kernel takes */
	o.src.bpf.ringbuf_size = (unsigned int)sysconf(_SC_PAGESIZE);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (geteuid() != 0) {
		pr_warn("must run as root: it loads BPF programs");
		return 2;
	}
	if (!o.once && !o.json && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		pr_warn("needs a terminal (use --once or --json without one)");
		return 2;
	}
	m = top_model_new();
	if (!m)
		return 2;
	m->hdr.interval_s = o.interval_s;

	/* before attaching: a signal from here on ends the loop, and teardown always runs */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = top_source_open(&src, &o.src, &m->hdr, err, sizeof(err));
	if (rc) {
		pr_warn("%s", err);
		rc = 2;
		goto out;
	}
	pr_info("%s backend attached%s%s", m->hdr.backend, m->hdr.backend_why[0] ? ": " : "",
		m->hdr.backend_why);
	rc = run(&o, src, m);
out:
	top_source_close(src);
	tt_pcap_free(o.src.bpf.pcap);
	top_model_free(m);
	tt_names_free();
	return rc;
}
