// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsntrace: follow packets hop by hop through the node and show where TSN metadata
 * (priority, tstamp + clock type, mark, socket) is kept or lost, and why.
 *
 * Exit status: 0 ok (with --expect: every traced packet kept the fields), 1 --expect failed,
 * 2 usage or setup error (nothing is left loaded or attached).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "filter.h"
#include "log.h"
#include "proxy.h"
#include "trace_pcap.h"
#include "tsntrace.h"

#define DEFAULT_RINGBUF (4U << 20)
#define DEFAULT_CAPACITY 16384U
/* after the --count-th packet appeared, how long its remaining hops may take to arrive */
#define COUNT_GRACE_S 0.5
/* the report's stdio buffer: a few hundred NDJSON hops, one write(2) */
#define TT_OUT_BUFSIZE (256U << 10)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsntrace [OPTIONS] [EXPRESSION...]\n"
"Follow packets hop by hop (pod eth0 -> veth -> bridge -> routing -> NIC qdisc -> NIC) and show\n"
"priority, tstamp, tstamp_type, mark and socket at every hop, where each one changed and why.\n"
"\n"
"Backend:\n"
"  --backend auto|tracepoint|kprobe-multi|fentry   (default auto: the richest that works)\n"
"  --filter-func REGEX     kprobe-multi: only functions whose name matches\n"
"  --hooks LIST            tracepoints to attach (every backend has them): all (default), or a\n"
"                          comma list of net_dev_queue, net_dev_start_xmit, net_dev_xmit,\n"
"                          netif_rx, netif_receive_skb, napi_gro_receive_entry, qdisc_enqueue,\n"
"                          qdisc_dequeue, kfree_skb, consume_skb\n"
"  --tc-observe IF[@NETNS] also observe IF's tc ingress and egress, before other tc programs\n"
"                          (repeatable)\n"
"  --pin-dir DIR           tsnproxy's pin dir, read to name its restores (default %s)\n"
"Filters (in the kernel; select a packet at its first matching hop, then follow it):\n"
"  --netns PATH|NAME|inode:N  --pod NAMESPACE/NAME (a tsn CNI pod; both repeatable)\n"
"  --ifname IF  --proto udp|tcp|icmp|N\n"
"  --src ADDR[/PREFIX]  --dst ADDR[/PREFIX]  --sport P  --dport P\n"
"  --priority N  --mark V[/MASK]\n"
"  EXPRESSION              pcap-filter(7), as tcpdump takes it (quote it for the shell);\n"
"                          AND with the options\n"
"Output:\n"
"  --json                  NDJSON: one object per hop, then a counters object\n"
"  --summary               one record per packet at exit: path, first/last value per field,\n"
"                          where it was lost and the cause class\n"
"  --expect FIELDS         priority,tstamp,tstamp_type,mark,sk: exit 1 if a traced packet lost\n"
"                          one of them by its last egress hop (implies --summary)\n"
"  --output FILE           write there instead of stdout\n"
"  --summary-only          only the packet summaries and the counters, no hop records\n"
"  --stack                 the kernel stack at each hop (text: indented under it; JSON: stack)\n"
"  --write FILE.pcapng     the traced packets as pcapng, one interface per netns/device, each\n"
"                          hop's metadata and changes in its comment; - for stdout\n"
"  --time abs|rel|delta    text TIME column: wall clock, since start (default), since the\n"
"                          previous line\n"
"  -o wide                 every column, whatever the terminal's width (a terminal narrower\n"
"                          than the line gets the most useful columns)\n"
"Run control:\n"
"  --duration SEC  --count N (packets)  --ready-file PATH (written once attached)\n"
"  --ringbuf-size BYTES[k|m] (default 4m)  --capacity SLOTS (tracking table, default %u)\n"
"  -v, -vv                 more logging (-vv: libbpf and verifier)\n"
"  -h, --help\n"
"\n"
"Examples:\n"
"  # where does pod1's SO_PRIORITY get lost on its way to the NIC?\n"
"  tsntrace --netns tk1-pod1 --proto udp --dport 5001 --summary --duration 5\n"
"  # CI: fail if priority or tstamp does not reach the NIC's egress\n"
"  tsntrace --netns tk1-pod1 --dport 5001 --expect priority,tstamp --count 10\n"
"  # NDJSON for jq, with the tc hooks of nic0 in the node netns\n"
"  tsntrace --json --dst 198.19.1.0/24 --tc-observe nic0@tk1-node | jq .changes\n"
"  # tcpdump's syntax: pod1's UDP to port 5001 with a DSCP set\n"
"  tsntrace --netns tk1-pod1 --summary 'udp dst port 5001 and ip[1] & 0xfc != 0'\n"
"Exit status: 0 ok, 1 --expect failed, 2 usage or setup error.\n",
		TSN_PROXY_PIN_DIR, DEFAULT_CAPACITY);
}

enum {
	OPT_BACKEND = 256,
	OPT_FILTER_FUNC,
	OPT_HOOKS,
	OPT_TC_OBSERVE,
	OPT_JSON,
	OPT_SUMMARY,
	OPT_EXPECT,
	OPT_OUTPUT,
	OPT_DURATION,
	OPT_COUNT,
	OPT_READY,
	OPT_RINGBUF,
	OPT_CAPACITY,
	OPT_PIN_DIR,
	OPT_STACK,
	OPT_WRITE,
	OPT_TIME,
	OPT_SUMMARY_ONLY,
	OPT_FILTER,		/* + index in tsn_filter_opts */
};

static int parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	if (*end || v > max / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static unsigned int pow2_at_least(unsigned long long v, unsigned int min)
{
	unsigned int p = min;

	while (p < v && p < (1U << 30))
		p <<= 1;
	return p;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Flush f after a poll: 0, or the errno of a write that failed since the last flush. A reader
 * that went away (`tsntrace | head`) is EPIPE: it ends the run as Ctrl-C does, quietly, as it
 * ends tcpdump; another error (a full disk) ends it too, with one line.
 */
static int output_flush(FILE *f)
{
	if (!f || (fflush(f) == 0 && !ferror(f)))
		return 0;
	return errno ?: EIO;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct tsn_trace_event_x *ex = data;

	if (size >= sizeof(*ex))
		tt_report_event(ctx, &ex->ev, &ex->x);
	else if (size >= sizeof(struct tsn_trace_event))
		tt_report_event(ctx, data, NULL);
	return 0;
}

static const struct {
	const char *name;
	enum tt_time_mode value;
} time_modes[] = {
	{ "rel", TT_TIME_REL },
	{ "abs", TT_TIME_ABS },
	{ "delta", TT_TIME_DELTA },
};

static int parse_time_mode(const char *s, enum tt_time_mode *out)
{
	size_t i;

	for (i = 0; i < sizeof(time_modes) / sizeof(time_modes[0]); i++) {
		if (!strcmp(s, time_modes[i].name)) {
			*out = time_modes[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static int write_ready(const char *path, enum tt_backend b)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d %s\n", getpid(), tt_backend_name(b));
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

/* 0 ok, 1 --help shown, 2 usage error (message printed) */
static int parse_args(int argc, char **argv, struct tt_opts *o)
{
	static struct option base[] = {
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "filter-func", required_argument, NULL, OPT_FILTER_FUNC },
		{ "hooks", required_argument, NULL, OPT_HOOKS },
		{ "tc-observe", required_argument, NULL, OPT_TC_OBSERVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "capacity", required_argument, NULL, OPT_CAPACITY },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "stack", no_argument, NULL, OPT_STACK },
		{ "write", required_argument, NULL, OPT_WRITE },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "summary-only", no_argument, NULL, OPT_SUMMARY_ONLY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option longopts[sizeof(base) / sizeof(base[0]) + 16];
	unsigned long long v;
	char err[512], *end;
	int n = sizeof(base) / sizeof(base[0]), opt, idx;

	memcpy(longopts, base, sizeof(base));
	n = tsn_filter_add_longopts(longopts, n, OPT_FILTER);

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vho:", longopts, &idx)) != -1) {
		switch (opt) {
		case OPT_BACKEND:
			if (tt_backend_parse(optarg, &o->backend)) {
				pr_warn("--backend: '%s' is not auto, tracepoint, kprobe-multi or fentry",
					optarg);
				return 2;
			}
			break;
		case OPT_FILTER_FUNC: o->bpf.filter_func = optarg; break;
		case OPT_HOOKS:
			if (tt_hook_parse_list(optarg, &o->bpf.tp_hooks)) {
				pr_warn("--hooks: '%s' is not all or a list of %s", optarg,
					tt_hook_list_str(TT_TP_HOOKS_ALL, err, sizeof(err)));
				return 2;
			}
			break;
		case OPT_TC_OBSERVE:
			if (o->bpf.n_tc_observe >= TT_MAX_TC_OBSERVE) {
				pr_warn("--tc-observe: at most %d interfaces", TT_MAX_TC_OBSERVE);
				return 2;
			}
			o->bpf.tc_observe[o->bpf.n_tc_observe++] = optarg;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_SUMMARY: o->summary = true; break;
		case OPT_SUMMARY_ONLY: o->summary = o->summary_only = true; break;
		case OPT_STACK:
			o->stack = true;
			o->bpf.event_extra |= TSN_EXTRA_STACK;
			break;
		case OPT_WRITE:
			o->write = optarg;
			o->bpf.event_extra |= TSN_EXTRA_SNAP;
			break;
		case OPT_TIME:
			if (parse_time_mode(optarg, &o->time_mode)) {
				pr_warn("--time: '%s' is not abs, rel or delta", optarg);
				return 2;
			}
			break;
		case 'o':
			if (strcmp(optarg, "wide")) {
				pr_warn("-o: '%s' is not wide", optarg);
				return 2;
			}
			o->wide = true;
			break;
		case OPT_EXPECT:
			if (tt_field_parse_list(optarg, &o->expect)) {
				pr_warn("--expect: '%s' is not a list of priority, tstamp, tstamp_type, mark, sk",
					optarg);
				return 2;
			}
			o->summary = true;
			break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_DURATION:
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || o->duration <= 0 ||
			    o->duration > 86400 * 365) {
				pr_warn("--duration: '%s' is not a positive number of seconds", optarg);
				return 2;
			}
			break;
		case OPT_COUNT:
			if (parse_size(optarg, 1ULL << 40, &v) || !v) {
				pr_warn("--count: '%s' is not a positive number", optarg);
				return 2;
			}
			o->count = v;
			break;
		case OPT_READY: o->ready_file = optarg; break;
		case OPT_PIN_DIR: o->pin_dir = optarg; break;
		case OPT_RINGBUF:
			if (parse_size(optarg, 1ULL << 30, &v) || !v) {
				pr_warn("--ringbuf-size: '%s' is not a size (BYTES, or with k/m; max 1g)",
					optarg);
				return 2;
			}
			/* the kernel wants a power of two, at least a page */
			o->bpf.ringbuf_size = pow2_at_least(v, (unsigned int)sysconf(_SC_PAGESIZE));
			break;
		case OPT_CAPACITY:
			if (parse_size(optarg, 1ULL << 24, &v) || v < 64) {
				pr_warn("--capacity: '%s' is not a number in 64..16777216", optarg);
				return 2;
			}
			o->bpf.capacity = pow2_at_least(v, 64);
			break;
		case 'v': tsn_log_set_level(tsn_log_get_level() + 1); break;
		case 'h': usage(stdout); return 1;
		case ':':
		case '?':
			return tsn_getopt_fail(opt, argv, optind);
		default:
			if (opt >= OPT_FILTER && opt < OPT_FILTER + n) {
				if (tsn_filter_set(&o->bpf.filter, tsn_filter_opts[opt - OPT_FILTER], optarg,
						   err, sizeof(err))) {
					pr_warn("%s", err);
					return 2;
				}
				break;
			}
			pr_warn("unknown option (see --help)");
			return 2;
		}
	}
	/* what follows the options is a pcap-filter expression: compiled now, before anything
	 * loads, so that a bad one costs nothing */
	if (tt_pcap_compile(argc - optind, argv + optind, &o->bpf.pcap, err, sizeof(err))) {
		pr_warn("%s", err);
		return 2;
	}
	if (o->bpf.filter_func && o->backend != TT_BACKEND_KPROBE_MULTI &&
	    o->backend != TT_BACKEND_AUTO) {
		pr_warn("--filter-func applies to the kprobe-multi backend only");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tt_opts o = { .backend = TT_BACKEND_AUTO,
			     .bpf = { .ringbuf_size = DEFAULT_RINGBUF, .capacity = DEFAULT_CAPACITY },
			     .pin_dir = TSN_PROXY_PIN_DIR };
	struct ring_buffer *rb = NULL;
	struct tt_report *rep = NULL;
	struct tt_bpf *bpf = NULL;
	struct tt_pcap *pcap = NULL;
	FILE *pcap_file = NULL;
	__u64 counters[TSN_CNT__MAX] = {}, *lost_per_cpu = NULL;
	enum tt_backend backend;
	struct sigaction sa = { .sa_handler = on_signal };
	double start, count_reached = 0;
	char msg[512], err[512];
	struct timespec ts;
	FILE *out = stdout;
	int rc, ret = TT_EXIT_USAGE, ncpus, werr = 0;

	tsn_log_init("tsntrace");
	tsn_filter_init(&o.bpf.filter);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? TT_EXIT_OK : TT_EXIT_USAGE;
	if (geteuid() != 0) {
		pr_warn("must run as root: it loads BPF programs");
		return TT_EXIT_USAGE;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		pr_warn("cannot count CPUs");
		return TT_EXIT_USAGE;
	}
	lost_per_cpu = calloc(ncpus, sizeof(*lost_per_cpu));
	if (!lost_per_cpu)
		return TT_EXIT_USAGE;

	rc = tt_backend_choose(o.backend, &backend, msg, sizeof(msg));
	if (rc) {
		pr_warn("%s", msg);
		goto out;
	}
	if (o.bpf.filter_func && backend != TT_BACKEND_KPROBE_MULTI)
		pr_warn("--filter-func ignored: the %s backend attaches no kprobes",
			tt_backend_name(backend));

	if (o.output) {
		out = fopen(o.output, "we");
		if (!out) {
			pr_warn("--output %s: %s", o.output, strerror(errno));
			out = stdout;
			goto out;
		}
	} else if (o.write && !strcmp(o.write, "-")) {
		/* the pcapng owns stdout (tcpdump -w - | wireshark -k -i -): the report goes aside */
		out = stderr;
	}
	if (o.write) {
		pcap_file = strcmp(o.write, "-") ? fopen(o.write, "we") : stdout;
		if (!pcap_file) {
			pr_warn("--write %s: %s", o.write, strerror(errno));
			goto out;
		}
		pcap = tt_pcap_open(pcap_file);
		if (!pcap) {
			pr_warn("--write %s: %s", o.write, strerror(errno ?: EIO));
			goto out;
		}
	}
	/* a hop is a line and a flood is a million lines a second: written in blocks, flushed
	 * after each ring-buffer poll (below), so a reader still sees every batch at once */
	setvbuf(out, NULL, _IOFBF, TT_OUT_BUFSIZE);
	rep = tt_report_new(&o, out);
	if (!rep) {
		pr_warn("out of memory");
		goto out;
	}
	tt_report_set_pcap(rep, pcap);

	/* a closed terminal ends the run like Ctrl-C: summary and counters still written */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tt_report_set_start(rep, (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	rc = tt_bpf_open(&bpf, &o.bpf, backend, err, sizeof(err));
	if (rc) {
		pr_warn("%s", err);
		goto out;
	}
	pr_info("%s backend: %zu programs attached in %.1f ms%s", tt_backend_name(backend),
		tt_bpf_prog_count(bpf), tt_bpf_attach_ms(bpf),
		backend == TT_BACKEND_KPROBE_MULTI ? " (with kprobe-multi)" : "");
	rb = ring_buffer__new(tt_bpf_ringbuf_fd(bpf), handle_event, rep, NULL);
	if (!rb) {
		pr_warn("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	/* one line that says which backend and why (auto), once it works: a setup error is
	 * then the only line; stderr keeps stdout parseable */
	if (o.backend == TT_BACKEND_AUTO)
		fprintf(stderr, "tsntrace: %s\n", msg);
	else
		pr_info("using %s backend", tt_backend_name(backend));
	if (o.ready_file && (rc = write_ready(o.ready_file, backend))) {
		pr_warn("--ready-file %s: %s", o.ready_file, strerror(-rc));
		goto out;
	}

	start = mono_s();
	while (!stop) {
		double now;

		tt_bpf_reader_waits(bpf);
		rc = ring_buffer__poll(rb, TSN_RB_POLL_MS);
		/* a timeout: what is queued sent no wakeup (below a batch), epoll saw nothing */
		if (!rc)
			rc = ring_buffer__consume(rb);
		if (rc < 0 && rc != -EINTR) {
			pr_warn("ring buffer poll: %s", strerror(-rc));
			goto out;
		}
		werr = output_flush(out) ?: output_flush(pcap_file);
		if (werr)
			break;
		now = mono_s();
		if (o.duration && now - start >= o.duration)
			break;
		if (o.count && tt_report_packets(rep) >= o.count) {
			if (!count_reached)
				count_reached = now;
			else if (now - count_reached >= COUNT_GRACE_S)
				break;
		}
	}
	/* no new events from here on; then drain what is queued and read the counters, so that
	 * events == seen + (what the ring buffer still held) and lost is final */
	tt_bpf_detach(bpf);
	ring_buffer__consume(rb);
	tt_bpf_counters(bpf, counters, lost_per_cpu, ncpus);
	ret = tt_report_finish(rep, counters, lost_per_cpu, ncpus);
	if (pcap) {
		rc = tt_pcap_close(pcap);
		pcap = NULL;
		if (rc && rc != -EPIPE) {	/* its reader gone: as above */
			pr_warn("--write %s: %s", o.write, strerror(-rc));
			ret = ret ?: TT_EXIT_USAGE;
		}
	}
	if (!werr)	/* the summary, written last */
		werr = output_flush(out) ?: output_flush(pcap_file);
	if (werr && werr != EPIPE) {
		pr_warn("writing the output: %s", strerror(werr));
		ret = ret ?: TT_EXIT_USAGE;
	}
	if (counters[TSN_CNT_EVENTS_LOST])
		pr_warn("%llu events lost (ring buffer full): the report is incomplete; raise --ringbuf-size",
			(unsigned long long)counters[TSN_CNT_EVENTS_LOST]);
out:
	ring_buffer__free(rb);
	tt_bpf_close(bpf);
	tt_pcap_free(o.bpf.pcap);
	tt_report_free(rep);
	tt_pcap_close(pcap);
	tt_names_free();
	if (out != stdout && out != stderr)
		fclose(out);
	if (pcap_file && pcap_file != stdout)
		fclose(pcap_file);
	free(lost_per_cpu);
	return ret;
}
