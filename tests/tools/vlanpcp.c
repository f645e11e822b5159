// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlanpcp: test-only tool. Captures on one interface (AF_PACKET) and prints one NDJSON line per
 * received UDP/IPv4 datagram to the given port, with the 802.1Q tag it arrived with, so that
 * tests check the PCP a VLAN device put on the wire rather than what the sender meant to send.
 *
 *   vlanpcp --ifname IF [--dport P] [--duration S] [--ready-file F]
 *
 * The kernel moves a received tag out of the frame into the skb before AF_PACKET sees it
 * (skb_vlan_untag), and hands it back as auxiliary data; an in-band tag (a kernel or driver
 * that leaves it in the frame) is read from the frame itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "json.h"
#include "log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct frame {
	bool tagged;
	unsigned int tci;
	unsigned int dport;
};

/* false when the frame is no UDP/IPv4 datagram */
static bool parse(const unsigned char *p, size_t len, const struct tpacket_auxdata *aux,
		  struct frame *f)
{
	const struct iphdr *ip;
	const struct udphdr *udp;
	size_t off = ETH_HLEN;
	unsigned int proto;

	if (len < ETH_HLEN)
		return false;
	proto = p[12] << 8 | p[13];
	f->tagged = aux && (aux->tp_status & TP_STATUS_VLAN_VALID);
	f->tci = f->tagged ? aux->tp_vlan_tci : 0;
	if (!f->tagged && proto == ETH_P_8021Q && len >= ETH_HLEN + 4) {
		f->tagged = true;
		f->tci = p[14] << 8 | p[15];
		proto = p[16] << 8 | p[17];
		off += 4;
	}
	if (proto != ETH_P_IP || len < off + sizeof(*ip))
		return false;
	ip = (const struct iphdr *)(p + off);
	off += ip->ihl * 4;
	if (ip->protocol != IPPROTO_UDP || len < off + sizeof(*udp))
		return false;
	udp = (const struct udphdr *)(p + off);
	f->dport = ntohs(udp->dest);
	return true;
}

static void emit(const struct frame *f)
{
	json_object *o = json_object_new_object();

	tsn_json_add_bool(o, "tagged", f->tagged);
	if (f->tagged) {
		tsn_json_add_u64(o, "vid", f->tci & 0xfff);
		tsn_json_add_u64(o, "pcp", f->tci >> 13);
	}
	tsn_json_add_u64(o, "dport", f->dport);
	tsn_out_emit(stdout, o, TSN_OUT_JSON);
	json_object_put(o);
}

static int open_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd, one = 1;

	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		pr_warn("--ifname %s: %s", ifname, strerror(errno));
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		pr_warn("AF_PACKET socket on %s: %s", ifname, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* one frame from fd; prints it when it is a datagram to dport (0: any) */
static void read_one(int fd, unsigned int dport)
{
	unsigned char buf[2048], cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct sockaddr_ll from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	const struct tpacket_auxdata *aux = NULL;
	struct cmsghdr *cmsg;
	struct frame f;
	ssize_t n;

	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	/* what this host sends is not what it received */
	if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
		return;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_PACKET && cmsg->cmsg_type == PACKET_AUXDATA)
			aux = (const struct tpacket_auxdata *)CMSG_DATA(cmsg);
	if (parse(buf, n, aux, &f) && (!dport || f.dport == dport))
		emit(&f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dport", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{},
	};
	const char *ifname = NULL, *ready = NULL;
	unsigned int dport = 0, duration = 60;
	time_t end;
	struct pollfd pfd = { .events = POLLIN };
	int c;

	tsn_log_init("vlanpcp");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'p':
			dport = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			ifname = NULL;
			optind = argc;
			break;
		}
	}
	if (!ifname || dport > 65535) {
		pr_warn("usage: vlanpcp --ifname IF [--dport P] [--duration S] [--ready-file F]");
		return 2;
	}
	pfd.fd = open_socket(ifname);
	if (pfd.fd < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the socket is bound: from now on every frame is seen */
	if (ready && close(open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644))) {
		pr_warn("--ready-file %s: %s", ready, strerror(errno));
		return 1;
	}
	end = time(NULL) + duration;
	while (!stop && time(NULL) < end) {
		if (poll(&pfd, 1, 100) > 0)
			read_one(pfd.fd, dport);
	}
	/* frames that arrived before the signal are still counted */
	while (poll(&pfd, 1, 0) > 0)
		read_one(pfd.fd, dport);
	close(pfd.fd);
	return 0;
}
