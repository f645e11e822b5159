// SPDX-License-Identifier: GPL-2.0-only
/*
 * replay: the attacking pod of the enforce tests. It forges IPv4/UDP datagrams through a raw
 * socket (CAP_NET_RAW, which many container runtimes grant) with its own source address and
 * the content another pod's datagrams had, so that a fingerprint over IP id, length and
 * payload cannot tell them apart:
 *
 *   replay --sniff IF --count N --src A --dst B --port P [--timeout-ms T]
 *       capture N IPv4/UDP datagrams arriving on interface IF (a packet socket), re-send each
 *       from A to B:P with the same IP id, length, source port and payload
 *   replay --sweep --src A --dst B --port P --size S --word HEX
 *       one datagram (DF) per IP id 0..65535 with an S-byte payload starting with the 8-byte
 *       (network order) word HEX, the rest zero: a guess of a datagram seen once
 *
 * Prints "sent N" and exits 0; every loop is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define REPLAY_MAX_COUNT 100000
#define REPLAY_MAX_FRAME 2048
#define REPLAY_IP_IDS 65536

struct replay_opts {
	const char *sniff_if;
	bool sweep;
	unsigned long count;
	struct in_addr src, dst;
	unsigned int port;
	unsigned int size;
	uint64_t word;
	unsigned int timeout_ms;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: replay --sniff IF --count N --src A --dst B --port P [--timeout-ms T]\n"
		   "       replay --sweep --src A --dst B --port P --size S --word HEX\n");
}

static int parse_ulong(const char *name, const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *v > max) {
		pr_warn("--%s: '%s' is not a number in [0, %lu]", name, s, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct replay_opts *o)
{
	static const struct option longopts[] = {
		{ "sniff", required_argument, NULL, 'i' }, { "sweep", no_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' }, { "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },   { "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 'z' },  { "word", required_argument, NULL, 'W' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },	   {}
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->sniff_if = optarg;
			break;
		case 'w':
			o->sweep = true;
			break;
		case 'n':
			if (parse_ulong("count", optarg, REPLAY_MAX_COUNT, &o->count))
				return -EINVAL;
			break;
		case 's':
		case 'd':
			if (inet_pton(AF_INET, optarg, c == 's' ? &o->src : &o->dst) != 1) {
				pr_warn("--%s: '%s' is not an IPv4 address", c == 's' ? "src" : "dst",
					optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_ulong("port", optarg, 65535, &v))
				return -EINVAL;
			o->port = v;
			break;
		case 'z':
			if (parse_ulong("size", optarg, REPLAY_MAX_FRAME - 28, &v))
				return -EINVAL;
			o->size = v;
			break;
		case 'W':
			o->word = strtoull(optarg, NULL, 16);
			break;
		case 't':
			if (parse_ulong("timeout-ms", optarg, 60000, &v))
				return -EINVAL;
			o->timeout_ms = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc || !o->src.s_addr || !o->dst.s_addr || !o->port ||
	    !!o->sniff_if == o->sweep || (o->sniff_if && !o->count) || (o->sweep && o->size < 8)) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* A raw IPv4 socket: the datagrams go out with the header this tool writes. */
static int raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	if (fd < 0)
		pr_warn("raw socket: %s (needs CAP_NET_RAW)", strerror(errno));
	return fd;
}

/* Send an IPv4 header + UDP datagram (udp points at the UDP header, ulen bytes) from src to dst. */
static int send_forged(int fd, const struct replay_opts *o, uint16_t ip_id, uint16_t frag_off,
		       const uint8_t *udp, unsigned int ulen)
{
	uint8_t frame[REPLAY_MAX_FRAME];
	struct iphdr *ip = (struct iphdr *)frame;
	struct udphdr *uh = (struct udphdr *)(frame + sizeof(*ip));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = o->dst };

	if (ulen < sizeof(*uh) || ulen + sizeof(*ip) > sizeof(frame))
		return -EINVAL;
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	/* with DF the kernel keeps an id of 0 (unconnected UDP sends 0), else it picks one */
	ip->id = htons(ip_id);
	ip->frag_off = frag_off;
	ip->tot_len = htons(sizeof(*ip) + ulen);
	ip->saddr = o->src.s_addr;
	ip->daddr = o->dst.s_addr;
	memcpy(uh, udp, ulen);
	uh->dest = htons(o->port);
	uh->check = 0;		/* optional over IPv4; the content word stays the payload's */
	if (sendto(fd, frame, sizeof(*ip) + ulen, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_sniff(const struct replay_opts *o, int raw)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	uint8_t buf[REPLAY_MAX_FRAME];
	long deadline = now_ms() + o->timeout_ms;
	unsigned long got = 0, sent = 0;
	int fd, e;

	sll.sll_ifindex = if_nametoindex(o->sniff_if);
	if (!sll.sll_ifindex) {
		pr_warn("--sniff: no interface '%s'", o->sniff_if);
		return -ENODEV;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		pr_warn("packet socket on %s: %s", o->sniff_if, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (got < o->count && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		const struct iphdr *ip = (const struct iphdr *)buf;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		/* what arrives for this pod: not what it sends itself */
		if (n < (ssize_t)sizeof(*ip) || from.sll_pkttype == PACKET_OUTGOING ||
		    ip->version != 4 || ip->protocol != IPPROTO_UDP ||
		    n < ip->ihl * 4 + (ssize_t)sizeof(struct udphdr))
			continue;
		got++;
		e = send_forged(raw, o, ntohs(ip->id), ip->frag_off, buf + ip->ihl * 4,
				n - ip->ihl * 4);
		sent += !e;
	}
	close(fd);
	printf("captured %lu sent %lu\n", got, sent);
	return 0;
}

static int run_sweep(const struct replay_opts *o, int raw)
{
	uint8_t udp[REPLAY_MAX_FRAME] = {};
	struct udphdr *uh = (struct udphdr *)udp;
	uint64_t word = htobe64(o->word);
	unsigned long sent = 0;
	unsigned int id;

	uh->source = htons(o->port);
	uh->len = htons(sizeof(*uh) + o->size);
	memcpy(udp + sizeof(*uh), &word, sizeof(word));
	for (id = 0; id < REPLAY_IP_IDS; id++)
		sent += !send_forged(raw, o, id, htons(IP_DF), udp, sizeof(*uh) + o->size);
	printf("sent %lu\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	struct replay_opts o;
	int raw, e;

	if (parse_args(argc, argv, &o))
		return 2;
	raw = raw_socket();
	if (raw < 0)
		return 1;
	e = o.sweep ? run_sweep(&o, raw) : run_sniff(&o, raw);
	close(raw);
	return e ? 1 : 0;
}
