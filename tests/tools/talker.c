// SPDX-License-Identifier: GPL-2.0-only
/*
 * talker: the bounded UDP traffic source and sink of the tsnkit tests and demo.
 *
 * Send mode sets the TSN metadata a real TSN talker sets (SO_PRIORITY, SO_TXTIME with a
 * per-packet SCM_TXTIME, SO_MARK, IP_TOS) so that the fixture can show where the kernel loses
 * it. --cmsg-priority sets the priority per datagram instead, as an SO_PRIORITY control message
 * (kernel 6.14+), cycling through a list. Every datagram carries a header with a magic, the talker's pid and a sequence number:
 * packets of concurrent talkers with the same 5-tuple stay distinguishable, which the tracer's
 * content fingerprint relies on.
 *
 * Raw mode (--ethertype, --ifname) sends the same payload as Ethernet frames of that EtherType
 * from an AF_PACKET socket, with the same SO_PRIORITY, SO_TXTIME and SO_MARK: the L2 TSN
 * streams (OPC UA PubSub over Ethernet 0xB62C, AVTP 0x22F0) a pod on a bridged NIC sends.
 *
 * Listen mode counts received datagrams until --count, --duration or SIGINT/SIGTERM and then
 * prints the count; it is always bounded so that a forgotten listener cannot outlive a test
 * by much. With --delays FILE it also writes one line per talker datagram: its receive time and
 * its one-way delay from the talker's sendmsg (bench/delay.sh). Talker and listener run on one
 * machine, so one clock serves both: the talker stamps CLOCK_MONOTONIC just before sendmsg.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <json-c/json.h>

#include "json.h"
#include "log.h"

#ifndef SO_TXTIME
#define SO_TXTIME 61
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME SO_TXTIME
#endif
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

#define TALKER_MAGIC		0x54534e4bU	/* "TSNK" */
#define TALKER_MAX_COUNT	10000000ULL
#define TALKER_MAX_DURATION	86400ULL
#define TALKER_MAX_INTERVAL_US	60000000ULL
#define TALKER_MAX_SIZE		65507	/* largest IPv4 UDP payload */
#define TALKER_LISTEN_DURATION	60	/* default bound of listen mode, seconds */
#define TALKER_MAX_SENDERS	64
#define TALKER_MAX_CMSG_PRIOS	16
#define NSEC_PER_SEC		1000000000ULL

/* On the wire, network byte order; the rest of the payload is zero. */
struct talker_hdr {
	uint32_t magic;
	uint32_t pid;
	uint64_t seq;
	uint64_t tx_ns;		/* CLOCK_REALTIME at send, for humans reading a capture */
	uint64_t tx_mono_ns;	/* CLOCK_MONOTONIC just before sendmsg, for delays */
} __attribute__((packed));

struct talker_opts {
	bool listen;
	bool json;
	const char *dst;
	unsigned int port;
	unsigned long long count;
	bool count_set;
	unsigned long long interval_us;
	unsigned long long duration_s;
	bool priority_set;
	unsigned int priority;
	/* datagram seq carries cmsg_prio[seq % n_cmsg_prio] as an SO_PRIORITY cmsg */
	unsigned int cmsg_prio[TALKER_MAX_CMSG_PRIOS];
	unsigned int n_cmsg_prio;
	bool mark_set;
	unsigned int mark;
	bool tos_set;
	unsigned int tos;
	int txtime_clock;	/* -1: no SO_TXTIME */
	unsigned long long txtime_delay_ns;
	bool txtime_delay_set;
	unsigned int size;
	unsigned int src_port;
	unsigned int ethertype;	/* raw mode: frames of this EtherType on ifname */
	const char *ifname;
	const char *delays;	/* listen: per-datagram delays to this file */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: talker --dst IP --port P [--count N] [--interval-us N] [--priority P]\n"
		"              [--txtime tai|mono [--txtime-delay-ns N]] [--mark M] [--tos T]\n"
		"              [--size BYTES] [--duration S] [--src-port P] [--cmsg-priority P[,P...]]\n"
		"              [--json] [-v]\n"
		"       talker --ethertype N --ifname IF [--count N] [--interval-us N] [--priority P]\n"
		"              [--txtime tai|mono [--txtime-delay-ns N]] [--mark M] [--size BYTES]\n"
		"              [--duration S] [--json] [-v]\n"
		"       talker --listen --port P [--duration S] [--count N] [--delays FILE] [--json]\n"
		"              [-v]\n"
		"  send: N datagrams (default 10, max %llu), one every --interval-us (default 1000)\n"
		"  --cmsg-priority: datagram k gets the k-th priority of the list (cycling) as an\n"
		"  SO_PRIORITY control message (6.14+), over the socket's --priority\n"
		"  raw: the same payload as broadcast Ethernet frames of EtherType N on IF\n"
		"  listen: count datagrams until N, S seconds (default %d) or SIGINT/SIGTERM\n"
		"  --delays: per talker datagram a line 'RX_REALTIME_NS KERNEL_DELAY_NS APP_DELAY_NS'\n"
		"  (from the talker's sendmsg to the socket's receive stamp, and to recvmsg's return)\n",
		TALKER_MAX_COUNT, TALKER_LISTEN_DURATION);
}

/* Strict unsigned parse: the whole string, in [min, max]. */
static int parse_ull(const char *name, const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	pr_warn("--%s: '%s' is not a number in [%llu, %llu]", name, s ? s : "", min, max);
	return -EINVAL;
}

static int parse_uint(const char *name, const char *s, unsigned long long min,
		      unsigned long long max, unsigned int *out)
{
	unsigned long long v;
	int err;

	err = parse_ull(name, s, min, max, &v);
	if (!err)
		*out = (unsigned int)v;
	return err;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void ns_to_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

enum {
	OPT_DST = 256, OPT_PORT, OPT_COUNT, OPT_INTERVAL, OPT_PRIORITY, OPT_TXTIME,
	OPT_TXTIME_DELAY, OPT_MARK, OPT_TOS, OPT_SIZE, OPT_DURATION, OPT_SRC_PORT, OPT_JSON,
	OPT_LISTEN, OPT_ETHERTYPE, OPT_IFNAME, OPT_CMSG_PRIORITY, OPT_DELAYS, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "dst", required_argument, NULL, OPT_DST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "interval-us", required_argument, NULL, OPT_INTERVAL },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "txtime", required_argument, NULL, OPT_TXTIME },
	{ "txtime-delay-ns", required_argument, NULL, OPT_TXTIME_DELAY },
	{ "mark", required_argument, NULL, OPT_MARK },
	{ "tos", required_argument, NULL, OPT_TOS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "src-port", required_argument, NULL, OPT_SRC_PORT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "listen", no_argument, NULL, OPT_LISTEN },
	{ "ethertype", required_argument, NULL, OPT_ETHERTYPE },
	{ "ifname", required_argument, NULL, OPT_IFNAME },
	{ "cmsg-priority", required_argument, NULL, OPT_CMSG_PRIORITY },
	{ "delays", required_argument, NULL, OPT_DELAYS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* "P[,P...]": up to TALKER_MAX_CMSG_PRIOS priorities */
static int parse_prio_list(const char *s, struct talker_opts *o)
{
	char buf[256], *tok, *save = NULL;
	int err;

	if (strlen(s) >= sizeof(buf)) {
		pr_warn("--cmsg-priority: list too long");
		return -EINVAL;
	}
	strcpy(buf, s);
	o->n_cmsg_prio = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_cmsg_prio == TALKER_MAX_CMSG_PRIOS) {
			pr_warn("--cmsg-priority: at most %d priorities", TALKER_MAX_CMSG_PRIOS);
			return -EINVAL;
		}
		err = parse_uint("cmsg-priority", tok, 0, UINT32_MAX,
				 &o->cmsg_prio[o->n_cmsg_prio++]);
		if (err)
			return err;
	}
	if (!o->n_cmsg_prio) {
		pr_warn("--cmsg-priority: '%s' has no priority", s);
		return -EINVAL;
	}
	return 0;
}

/* 0 ok, 1 --help, -EINVAL bad usage (message already printed) */
static int parse_args(int argc, char **argv, struct talker_opts *o)
{
	int verbose = 0;
	int c;

	*o = (struct talker_opts){
		.count = 10,
		.interval_us = 1000,
		.txtime_clock = -1,
		.txtime_delay_ns = 1000000,
		.size = 64,
	};
	opterr = 0;	/* our own one-line message instead of getopt's */
	while ((c = getopt_long(argc, argv, ":v", long_opts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case OPT_DST:
			o->dst = optarg;
			break;
		case OPT_PORT:
			err = parse_uint("port", optarg, 1, 65535, &o->port);
			break;
		case OPT_COUNT:
			err = parse_ull("count", optarg, 1, TALKER_MAX_COUNT, &o->count);
			o->count_set = true;
			break;
		case OPT_INTERVAL:
			err = parse_ull("interval-us", optarg, 0, TALKER_MAX_INTERVAL_US,
					&o->interval_us);
			break;
		case OPT_PRIORITY:
			err = parse_uint("priority", optarg, 0, UINT32_MAX, &o->priority);
			o->priority_set = true;
			break;
		case OPT_TXTIME:
			if (!strcmp(optarg, "tai")) {
				o->txtime_clock = CLOCK_TAI;
			} else if (!strcmp(optarg, "mono")) {
				o->txtime_clock = CLOCK_MONOTONIC;
			} else {
				pr_warn("--txtime: '%s' is not tai or mono", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_TXTIME_DELAY:
			err = parse_ull("txtime-delay-ns", optarg, 0, 3600 * NSEC_PER_SEC,
					&o->txtime_delay_ns);
			o->txtime_delay_set = true;
			break;
		case OPT_MARK:
			err = parse_uint("mark", optarg, 0, UINT32_MAX, &o->mark);
			o->mark_set = true;
			break;
		case OPT_TOS:
			err = parse_uint("tos", optarg, 0, 255, &o->tos);
			o->tos_set = true;
			break;
		case OPT_SIZE:
			err = parse_uint("size", optarg, sizeof(struct talker_hdr), TALKER_MAX_SIZE,
					 &o->size);
			break;
		case OPT_DURATION:
			err = parse_ull("duration", optarg, 1, TALKER_MAX_DURATION, &o->duration_s);
			break;
		case OPT_SRC_PORT:
			err = parse_uint("src-port", optarg, 1, 65535, &o->src_port);
			break;
		case OPT_JSON:
			o->json = true;
			tsn_log_set_json(true);
			break;
		case OPT_LISTEN:
			o->listen = true;
			break;
		case OPT_ETHERTYPE:
			/* below 0x0600 the field is an 802.3 length, not a type */
			err = parse_uint("ethertype", optarg, 0x0600, 0xffff, &o->ethertype);
			break;
		case OPT_IFNAME:
			o->ifname = optarg;
			break;
		case OPT_CMSG_PRIORITY:
			err = parse_prio_list(optarg, o);
			break;
		case OPT_DELAYS:
			o->delays = optarg;
			break;
		case 'v':
			tsn_log_set_level(++verbose);
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case ':':
			pr_warn("option '%s' needs a value (see --help)", argv[optind - 1]);
			return -EINVAL;
		default:
			pr_warn("unknown option '%s' (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (o->ethertype || o->ifname) {
		if (!o->ethertype || !o->ifname || o->listen || o->dst || o->port || o->tos_set ||
		    o->src_port) {
			pr_warn("raw mode takes --ethertype and --ifname together, without --listen, "
				"--dst, --port, --tos or --src-port");
			return -EINVAL;
		}
	} else if (!o->port) {
		pr_warn("--port is required");
		return -EINVAL;
	}
	if (o->listen) {
		if (o->dst || o->priority_set || o->mark_set || o->tos_set ||
		    o->txtime_clock >= 0 || o->src_port || o->n_cmsg_prio) {
			pr_warn("--listen takes only --port, --duration, --count, --delays and --json");
			return -EINVAL;
		}
		return 0;
	}
	if (o->delays) {
		pr_warn("--delays needs --listen");
		return -EINVAL;
	}
	if (!o->dst && !o->ethertype) {
		pr_warn("--dst is required");
		return -EINVAL;
	}
	if (o->txtime_delay_set && o->txtime_clock < 0) {
		pr_warn("--txtime-delay-ns needs --txtime tai|mono");
		return -EINVAL;
	}
	return 0;
}

static int parse_dst(const char *dst, unsigned int port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, dst, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, dst, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	pr_warn("--dst: '%s' is not an IPv4 or IPv6 address", dst);
	return -EINVAL;
}

/* Raw mode's destination: the Ethernet broadcast address on ifname, frames of ethertype. */
static int raw_dst(const char *ifname, unsigned int ethertype, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_ll *sll = (struct sockaddr_ll *)ss;

	memset(ss, 0, sizeof(*ss));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons((uint16_t)ethertype);
	sll->sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll->sll_ifindex) {
		pr_warn("--ifname: no interface '%s' in this netns", ifname);
		return -EINVAL;
	}
	sll->sll_halen = 6;
	memset(sll->sll_addr, 0xff, 6);
	*len = sizeof(*sll);
	return 0;
}

static int set_sockopt(int fd, int level, int name, const void *val, socklen_t len,
		       const char *what)
{
	if (setsockopt(fd, level, name, val, len)) {
		pr_warn("setsockopt(%s): %s", what, strerror(errno));
		return -errno;
	}
	return 0;
}

static int setup_send_socket(const struct talker_opts *o, int family)
{
	int fd, v;

	/* protocol 0 on a packet socket: it sends, it never receives */
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_warn("socket: %s", strerror(errno));
		return -errno;
	}
	/* IP_TOS sets sk_priority from the TOS (rt_tos2priority): it goes before SO_PRIORITY */
	v = o->tos;
	if (o->tos_set &&
	    (family == AF_INET ? set_sockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v), "IP_TOS") :
	     set_sockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v), "IPV6_TCLASS")))
		goto err;
	v = o->priority;
	if (o->priority_set && set_sockopt(fd, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v), "SO_PRIORITY"))
		goto err;
	v = o->mark;
	if (o->mark_set && set_sockopt(fd, SOL_SOCKET, SO_MARK, &v, sizeof(v), "SO_MARK"))
		goto err;
	if (o->txtime_clock >= 0) {
		/*
		 * No SOF_TXTIME_REPORT_ERRORS: nobody reads the error queue, and without etf the
		 * kernel never reports a missed deadline anyway.
		 */
		struct sock_txtime st = { .clockid = o->txtime_clock, .flags = 0 };

		if (set_sockopt(fd, SOL_SOCKET, SO_TXTIME, &st, sizeof(st), "SO_TXTIME"))
			goto err;
	}
	if (o->src_port) {
		struct sockaddr_storage ss = { 0 };
		socklen_t len;

		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(o->src_port);
			len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(o->src_port);
			len = sizeof(*sin6);
		}
		if (bind(fd, (struct sockaddr *)&ss, len)) {
			pr_warn("bind to source port %u: %s", o->src_port, strerror(errno));
			goto err;
		}
	}
	return fd;
err:
	close(fd);
	return -EINVAL;
}

/*
 * The control messages of datagram seq: SCM_TXTIME with --txtime, SO_PRIORITY with
 * --cmsg-priority. cbuf has room for both.
 */
static void fill_cmsgs(const struct talker_opts *o, unsigned long long seq, struct msghdr *msg,
		       char *cbuf, size_t len)
{
	struct cmsghdr *cm;
	size_t used = 0;

	memset(cbuf, 0, len);
	msg->msg_control = cbuf;
	msg->msg_controllen = len;
	cm = CMSG_FIRSTHDR(msg);
	if (o->txtime_clock >= 0) {
		uint64_t txtime = now_ns(o->txtime_clock) + o->txtime_delay_ns;

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_TXTIME;
		cm->cmsg_len = CMSG_LEN(sizeof(txtime));
		memcpy(CMSG_DATA(cm), &txtime, sizeof(txtime));
		used += CMSG_SPACE(sizeof(txtime));
		cm = CMSG_NXTHDR(msg, cm);
	}
	if (o->n_cmsg_prio) {
		uint32_t prio = o->cmsg_prio[seq % o->n_cmsg_prio];

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SO_PRIORITY;
		cm->cmsg_len = CMSG_LEN(sizeof(prio));
		memcpy(CMSG_DATA(cm), &prio, sizeof(prio));
		used += CMSG_SPACE(sizeof(prio));
	}
	msg->msg_controllen = used;
}

static int run_send(const struct talker_opts *o)
{
	char cbuf[CMSG_SPACE(sizeof(uint64_t)) + CMSG_SPACE(sizeof(uint32_t))]
		__attribute__((aligned(8)));
	unsigned long long sent = 0, errors = 0, seq;
	uint64_t next, deadline = 0;
	struct sockaddr_storage ss;
	struct talker_hdr *hdr;
	int first_err = 0;
	socklen_t sslen = 0;
	char *payload;
	int fd, ret;

	if (o->ethertype ? raw_dst(o->ifname, o->ethertype, &ss, &sslen) :
			   parse_dst(o->dst, o->port, &ss, &sslen))
		return 2;
	fd = setup_send_socket(o, ss.ss_family);
	if (fd < 0)
		return 1;
	payload = calloc(1, o->size);
	if (!payload) {
		pr_warn("out of memory");
		close(fd);
		return 1;
	}
	hdr = (struct talker_hdr *)payload;
	hdr->magic = htonl(TALKER_MAGIC);
	hdr->pid = htonl(getpid());

	next = now_ns(CLOCK_MONOTONIC);
	if (o->duration_s)
		deadline = next + o->duration_s * NSEC_PER_SEC;
	for (seq = 0; seq < o->count && !stop; seq++) {
		struct iovec iov = { .iov_base = payload, .iov_len = o->size };
		struct msghdr msg = {
			.msg_name = &ss,
			.msg_namelen = sslen,
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};

		if (deadline && now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		hdr->seq = htobe64(seq);
		hdr->tx_ns = htobe64(now_ns(CLOCK_REALTIME));
		if (o->txtime_clock >= 0 || o->n_cmsg_prio)
			fill_cmsgs(o, seq, &msg, cbuf, sizeof(cbuf));
		/* last before sendmsg: the delay a listener computes starts at the syscall */
		hdr->tx_mono_ns = htobe64(now_ns(CLOCK_MONOTONIC));
		if (sendmsg(fd, &msg, 0) == (ssize_t)o->size) {
			sent++;
		} else {
			if (!first_err)
				first_err = errno ? errno : EIO;
			errors++;
		}
		if (o->interval_us && seq + 1 < o->count) {
			struct timespec ts;

			/* absolute deadlines: the rate does not drift with the send cost */
			next += o->interval_us * 1000;
			ns_to_ts(next, &ts);
			while ((ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) ==
			       EINTR && !stop)
				;
		}
	}
	close(fd);
	free(payload);

	if (errors)
		pr_warn("%llu of %llu sends failed, first: %s", errors, sent + errors,
			strerror(first_err));
	if (o->json) {
		json_object *j = json_object_new_object();

		tsn_json_add_str(j, "mode", "send");
		if (o->ethertype) {
			tsn_json_add_str(j, "ifname", o->ifname);
			tsn_json_add_u64(j, "ethertype", o->ethertype);
		} else {
			tsn_json_add_str(j, "dst", o->dst);
			tsn_json_add_u64(j, "port", o->port);
		}
		tsn_json_add_u64(j, "pid", getpid());
		tsn_json_add_u64(j, "requested", o->count);
		tsn_json_add_u64(j, "sent", sent);
		tsn_json_add_u64(j, "errors", errors);
		if (first_err)
			tsn_json_add_str(j, "first_error", strerror(first_err));
		if (o->priority_set)
			tsn_json_add_u64(j, "priority", o->priority);
		if (o->mark_set)
			tsn_json_add_u64(j, "mark", o->mark);
		if (o->tos_set)
			tsn_json_add_u64(j, "tos", o->tos);
		if (o->n_cmsg_prio) {
			json_object *a = json_object_new_array();
			unsigned int i;

			for (i = 0; i < o->n_cmsg_prio; i++)
				json_object_array_add(a, json_object_new_int64(o->cmsg_prio[i]));
			json_object_object_add(j, "cmsg_priority", a);
		}
		if (o->txtime_clock >= 0) {
			tsn_json_add_str(j, "txtime",
					 o->txtime_clock == CLOCK_TAI ? "tai" : "mono");
			tsn_json_add_u64(j, "txtime_delay_ns", o->txtime_delay_ns);
		}
		tsn_out_emit(stdout, j, TSN_OUT_JSON);
		json_object_put(j);
	} else if (o->ethertype) {
		printf("sent %llu/%llu on %s ethertype 0x%04x (pid %d, priority %u), %llu errors\n",
		       sent, o->count, o->ifname, o->ethertype, getpid(), o->priority, errors);
	} else {
		printf("sent %llu/%llu to %s port %u (pid %d, priority %u), %llu errors\n", sent,
		       o->count, o->dst, o->port, getpid(), o->priority, errors);
	}
	fflush(stdout);
	return errors ? 1 : 0;
}

struct listen_stats {
	unsigned long long received;
	unsigned long long bytes;
	unsigned long long foreign;	/* datagrams without a talker header */
	unsigned int senders;		/* distinct talker pids, saturates at the table size */
	uint32_t pids[TALKER_MAX_SENDERS];
};

static void account(struct listen_stats *st, const char *buf, ssize_t n)
{
	const struct talker_hdr *h = (const struct talker_hdr *)buf;
	unsigned int i;
	uint32_t pid;

	st->received++;
	st->bytes += n;
	if ((size_t)n < sizeof(*h) || ntohl(h->magic) != TALKER_MAGIC) {
		st->foreign++;
		return;
	}
	pid = ntohl(h->pid);
	for (i = 0; i < st->senders; i++)
		if (st->pids[i] == pid)
			return;
	if (st->senders < TALKER_MAX_SENDERS)
		st->pids[st->senders++] = pid;
}

/*
 * The delay line of datagram buf (n bytes), received with msg: its receive stamp (the kernel's,
 * SO_TIMESTAMPNS, CLOCK_REALTIME), the delay from the talker's CLOCK_MONOTONIC stamp to that
 * stamp and to now. REALTIME - MONOTONIC moves only when the clock is stepped, so it is read
 * here, per datagram: the two reads are one clock read apart, which bounds the conversion error.
 */
static void write_delay(FILE *f, struct msghdr *msg, const char *buf, ssize_t n)
{
	const struct talker_hdr *h = (const struct talker_hdr *)buf;
	uint64_t mono = now_ns(CLOCK_MONOTONIC), real = now_ns(CLOCK_REALTIME), rx_real = 0, tx;
	struct cmsghdr *cm;

	if ((size_t)n < sizeof(*h) || ntohl(h->magic) != TALKER_MAGIC)
		return;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		struct timespec ts;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		rx_real = (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	}
	if (!rx_real)
		return;
	tx = be64toh(h->tx_mono_ns);
	fprintf(f, "%llu %lld %lld\n", (unsigned long long)rx_real,
		(long long)(rx_real - (real - mono) - tx), (long long)(mono - tx));
}

/* Take one queued datagram, if any (false: none), into the counts and the delays file. */
static bool receive_one(int fd, char *buf, size_t len, struct listen_stats *st, FILE *delays)
{
	char cbuf[CMSG_SPACE(sizeof(struct timespec))] __attribute__((aligned(8)));
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return false;
	account(st, buf, n);
	if (delays)
		write_delay(delays, &msg, buf, n);
	return true;
}

/* IPv4 and IPv6 on one dual-stack socket; plain IPv4 when the netns has IPv6 disabled. */
static int listen_socket(unsigned int port, bool stamp)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, off = 0, one = 1, rcvbuf = 4 << 20;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
			bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			pr_warn("socket: %s", strerror(errno));
			return -1;
		}
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			pr_warn("bind to UDP port %u: %s", port, strerror(errno));
			close(fd);
			return -1;
		}
	}
	/* bursts from several talkers must not be dropped at the socket: we count them */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (stamp && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
		pr_warn("setsockopt(SO_TIMESTAMPNS): %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int run_listen(const struct talker_opts *o)
{
	static char buf[TALKER_MAX_SIZE + 1];
	struct listen_stats st = { 0 };
	uint64_t start, deadline;
	FILE *delays = NULL;
	int fd;

	fd = listen_socket(o->port, o->delays);
	if (fd < 0)
		return 1;
	if (o->delays) {
		delays = fopen(o->delays, "we");
		if (!delays) {
			pr_warn("--delays: cannot create '%s': %s", o->delays, strerror(errno));
			close(fd);
			return 1;
		}
	}
	pr_info("listening on UDP port %u", o->port);

	start = now_ns(CLOCK_MONOTONIC);
	deadline = start + (o->duration_s ? o->duration_s : TALKER_LISTEN_DURATION) * NSEC_PER_SEC;
	while (!stop && (!o->count_set || st.received < o->count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int timeout_ms;

		if (now >= deadline)
			break;
		/* short polls: a signal that lands just before poll() is seen within 100 ms */
		timeout_ms = (deadline - now) / 1000000 + 1;
		if (timeout_ms > 100)
			timeout_ms = 100;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			continue;
		while ((!o->count_set || st.received < o->count) &&
		       receive_one(fd, buf, sizeof(buf), &st, delays))
			;
	}
	/*
	 * Stopped by a signal: take what is already queued, since the sender's last datagrams may
	 * still have been in the veth backlog when the caller decided to stop us.
	 */
	while (stop && (!o->count_set || st.received < o->count) &&
	       receive_one(fd, buf, sizeof(buf), &st, delays))
		;
	close(fd);
	if (delays && fclose(delays)) {
		pr_warn("--delays: writing '%s': %s", o->delays, strerror(errno));
		return 1;
	}

	if (o->json) {
		json_object *j = json_object_new_object();

		tsn_json_add_str(j, "mode", "listen");
		tsn_json_add_u64(j, "port", o->port);
		tsn_json_add_u64(j, "received", st.received);
		tsn_json_add_u64(j, "bytes", st.bytes);
		tsn_json_add_u64(j, "senders", st.senders);
		tsn_json_add_u64(j, "foreign", st.foreign);
		tsn_json_add_u64(j, "elapsed_ms", (now_ns(CLOCK_MONOTONIC) - start) / 1000000);
		tsn_out_emit(stdout, j, TSN_OUT_JSON);
		json_object_put(j);
	} else {
		printf("received %llu datagrams (%llu bytes) from %u talker(s) on port %u\n",
		       st.received, st.bytes, st.senders, o->port);
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct talker_opts o;
	int ret;

	tsn_log_init("talker");
	ret = parse_args(argc, argv, &o);
	if (ret > 0)
		return 0;
	if (ret < 0)
		return 2;

	/* no SA_RESTART: poll/clock_nanosleep return early so the summary is printed promptly */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	return o.listen ? run_listen(&o) : run_send(&o);
}
