// SPDX-License-Identifier: GPL-2.0-only
/*
 * mknetkit: test-only tool. Creates a netkit pair (Cilium's netkit datapath, kernel 6.7+) over
 * rtnetlink, since Debian 12's iproute2 predates netkit:
 *
 *   mknetkit --name NAME --peer PEER [--peer-netns PATH] [--mode l3|l2]
 *            [--scrub default|none] [--peer-scrub default|none]
 *
 * NAME (the primary, the host side) is made in the caller's netns; PEER (the pod's side) is
 * moved into the netns bound at PATH (/run/netns/X) as it is created. Scrub settings (6.11+)
 * say what netkit clears when a packet crosses netns through the device that sends it:
 * "default" zeroes skb->mark and skb->priority, "none" keeps both. The peer's own setting
 * governs what the pod sends. A kernel without netkit, or without the scrub setting that was
 * asked for, gets one line on stderr and exit status 3, and nothing is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "log.h"

/*
 * The netkit uapi (include/uapi/linux/if_link.h, 6.7; scrub 6.11): Debian 12's headers are 6.1,
 * so the numbers are spelled out here under names of our own.
 */
enum {
	MKNK_ATTR_PEER_INFO = 1,	/* IFLA_NETKIT_PEER_INFO */
	MKNK_ATTR_MODE = 5,		/* IFLA_NETKIT_MODE */
	MKNK_ATTR_SCRUB = 6,		/* IFLA_NETKIT_SCRUB */
	MKNK_ATTR_PEER_SCRUB = 7,	/* IFLA_NETKIT_PEER_SCRUB */
};

enum { MKNK_MODE_L2 = 0, MKNK_MODE_L3 = 1 };		/* enum netkit_mode */
enum { MKNK_SCRUB_NONE = 0, MKNK_SCRUB_DEFAULT = 1 };	/* enum netkit_scrub */

#define MKNK_EXIT_UNSUPPORTED	3
#define MKNK_BUF		4096

struct name_value {
	const char *name;
	uint32_t value;
};

static const struct name_value modes[] = {
	{ "l3", MKNK_MODE_L3 },
	{ "l2", MKNK_MODE_L2 },
	{ NULL, 0 },
};

static const struct name_value scrubs[] = {
	{ "default", MKNK_SCRUB_DEFAULT },
	{ "none", MKNK_SCRUB_NONE },
	{ NULL, 0 },
};

struct mknk_opts {
	const char *name;
	const char *peer;
	const char *peer_netns;
	uint32_t mode;
	int scrub;		/* -1: not asked for, the kernel's default */
	int peer_scrub;
};

struct nl_req {
	struct nlmsghdr *nh;
	size_t cap;
};

static int lookup(const struct name_value *t, const char *opt, const char *s, uint32_t *out)
{
	for (; t->name; t++) {
		if (!strcmp(t->name, s)) {
			*out = t->value;
			return 0;
		}
	}
	pr_warn("--%s: '%s' is not one of the accepted values (see --help)", opt, s);
	return -EINVAL;
}

static struct nlattr *attr_put(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->nh->nlmsg_len);
	struct nlattr *a = (struct nlattr *)((char *)r->nh + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > r->cap)
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh->nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return a;
}

/* A nest ends where the message ends now: its length is fixed up by nest_end. */
static struct nlattr *nest_start(struct nl_req *r, uint16_t type)
{
	return attr_put(r, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct nl_req *r, struct nlattr *nest)
{
	nest->nla_len = (char *)r->nh + r->nh->nlmsg_len - (char *)nest;
}

static int attr_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	return attr_put(r, type, &v, sizeof(v)) ? 0 : -ENOBUFS;
}

static int attr_put_str(struct nl_req *r, uint16_t type, const char *s)
{
	return attr_put(r, type, s, strlen(s) + 1) ? 0 : -ENOBUFS;
}

static void *body_put(struct nl_req *r, size_t len)
{
	void *p = (char *)r->nh + NLMSG_ALIGN(r->nh->nlmsg_len);

	if (NLMSG_ALIGN(r->nh->nlmsg_len) + NLMSG_ALIGN(len) > r->cap)
		return NULL;
	memset(p, 0, len);
	r->nh->nlmsg_len = NLMSG_ALIGN(r->nh->nlmsg_len) + NLMSG_ALIGN(len);
	return p;
}

/* The extended ack's message, if the kernel sent one. */
static const char *extack_msg(const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	a = (const struct nlattr *)((const char *)e + NLMSG_ALIGN(off));
	while ((const char *)a + NLA_HDRLEN <= (const char *)nh + nh->nlmsg_len &&
	       a->nla_len >= NLA_HDRLEN) {
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			return (const char *)a + NLA_HDRLEN;
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

/*
 * Send one request and read its answer into buf: 0 with the first data message for a GET,
 * or -errno from the kernel's ack (*msg: its extended ack message, if any).
 */
static int nl_talk(int fd, struct nlmsghdr *req, char *buf, size_t len, const char **msg)
{
	struct nlmsghdr *nh;
	ssize_t n;

	*msg = NULL;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, len, 0);
	if (n < 0)
		return -errno;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			*msg = extack_msg(nh);
			return e->error;
		}
		if (nh->nlmsg_type == RTM_NEWLINK) {
			if (nh != (struct nlmsghdr *)buf)
				memmove(buf, nh, nh->nlmsg_len);
			return 0;
		}
	}
	return -EPROTO;
}

static int create_pair(int fd, const struct mknk_opts *o, int netns_fd, const char **msg)
{
	uint32_t storage[MKNK_BUF / 4] = { 0 };
	struct nl_req r = { .nh = (struct nlmsghdr *)storage, .cap = sizeof(storage) };
	struct nlattr *linkinfo, *data, *peer;
	char answer[MKNK_BUF];
	int err = 0;

	r.nh->nlmsg_len = NLMSG_HDRLEN;
	r.nh->nlmsg_type = RTM_NEWLINK;
	r.nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	if (!body_put(&r, sizeof(struct ifinfomsg)))
		return -ENOBUFS;
	err |= attr_put_str(&r, IFLA_IFNAME, o->name);
	linkinfo = nest_start(&r, IFLA_LINKINFO);
	if (!linkinfo)
		return -ENOBUFS;
	err |= attr_put_str(&r, IFLA_INFO_KIND, "netkit");
	data = nest_start(&r, IFLA_INFO_DATA);
	if (!data)
		return -ENOBUFS;
	err |= attr_put_u32(&r, MKNK_ATTR_MODE, o->mode);
	if (o->scrub >= 0)
		err |= attr_put_u32(&r, MKNK_ATTR_SCRUB, o->scrub);
	if (o->peer_scrub >= 0)
		err |= attr_put_u32(&r, MKNK_ATTR_PEER_SCRUB, o->peer_scrub);
	/* the peer's attributes follow an ifinfomsg of their own, as in a RTM_NEWLINK */
	peer = nest_start(&r, MKNK_ATTR_PEER_INFO);
	if (!peer || !body_put(&r, sizeof(struct ifinfomsg)))
		return -ENOBUFS;
	err |= attr_put_str(&r, IFLA_IFNAME, o->peer);
	if (netns_fd >= 0)
		err |= attr_put_u32(&r, IFLA_NET_NS_FD, netns_fd);
	if (err)
		return -ENOBUFS;
	nest_end(&r, peer);
	nest_end(&r, data);
	nest_end(&r, linkinfo);
	return nl_talk(fd, r.nh, answer, sizeof(answer), msg);
}

static int delete_link(int fd, const char *name)
{
	uint32_t storage[256] = { 0 };
	struct nl_req r = { .nh = (struct nlmsghdr *)storage, .cap = sizeof(storage) };
	char answer[MKNK_BUF];
	const char *msg;

	r.nh->nlmsg_len = NLMSG_HDRLEN;
	r.nh->nlmsg_type = RTM_DELLINK;
	r.nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (!body_put(&r, sizeof(struct ifinfomsg)) || attr_put_str(&r, IFLA_IFNAME, name))
		return -ENOBUFS;
	return nl_talk(fd, r.nh, answer, sizeof(answer), &msg);
}

static const struct nlattr *attr_find(const void *start, size_t len, uint16_t type)
{
	const struct nlattr *a = start;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		size_t step = NLA_ALIGN(a->nla_len);

		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return NULL;
}

static const struct nlattr *attr_find_in(const struct nlattr *nest, uint16_t type)
{
	return nest ? attr_find((const char *)nest + NLA_HDRLEN, nest->nla_len - NLA_HDRLEN, type)
		    : NULL;
}

/*
 * Kernels before 6.11 ignore the scrub attributes they do not know: read the primary back and
 * fail when it does not report the scrub setting that was asked for.
 */
static int check_scrub(int fd, const struct mknk_opts *o)
{
	uint32_t storage[256] = { 0 };
	struct nl_req r = { .nh = (struct nlmsghdr *)storage, .cap = sizeof(storage) };
	const struct nlattr *info, *data, *scrub, *peer_scrub;
	uint32_t answer[MKNK_BUF / 4];
	const struct nlmsghdr *nh = (const struct nlmsghdr *)answer;
	size_t off = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	const char *msg;
	int err;

	if (o->scrub < 0 && o->peer_scrub < 0)
		return 0;
	r.nh->nlmsg_len = NLMSG_HDRLEN;
	r.nh->nlmsg_type = RTM_GETLINK;
	r.nh->nlmsg_flags = NLM_F_REQUEST;
	if (!body_put(&r, sizeof(struct ifinfomsg)) || attr_put_str(&r, IFLA_IFNAME, o->name))
		return -ENOBUFS;
	err = nl_talk(fd, r.nh, (char *)answer, sizeof(answer), &msg);
	if (err)
		return err;
	info = attr_find((const char *)nh + NLMSG_ALIGN(off), nh->nlmsg_len - NLMSG_ALIGN(off),
			 IFLA_LINKINFO);
	data = attr_find_in(info, IFLA_INFO_DATA);
	scrub = attr_find_in(data, MKNK_ATTR_SCRUB);
	peer_scrub = attr_find_in(data, MKNK_ATTR_PEER_SCRUB);
	if ((o->scrub >= 0 && (!scrub || *(const uint32_t *)((const char *)scrub + NLA_HDRLEN) !=
				(uint32_t)o->scrub)) ||
	    (o->peer_scrub >= 0 &&
	     (!peer_scrub || *(const uint32_t *)((const char *)peer_scrub + NLA_HDRLEN) !=
				     (uint32_t)o->peer_scrub)))
		return -EOPNOTSUPP;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mknetkit --name NAME --peer PEER [--peer-netns PATH] [--mode l3|l2]\n"
		"                [--scrub default|none] [--peer-scrub default|none]\n"
		"  a netkit pair: NAME here, PEER in the netns bound at PATH (default: here too)\n"
		"  mode default l3; scrub: the kernel's default (\"default\") unless given\n");
}

static int parse_args(int argc, char **argv, struct mknk_opts *o)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "peer-netns", required_argument, NULL, 'N' },
		{ "mode", required_argument, NULL, 'm' },
		{ "scrub", required_argument, NULL, 's' },
		{ "peer-scrub", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int c;

	*o = (struct mknk_opts){ .mode = MKNK_MODE_L3, .scrub = -1, .peer_scrub = -1 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 'p':
			o->peer = optarg;
			break;
		case 'N':
			o->peer_netns = optarg;
			break;
		case 'm':
			if (lookup(modes, "mode", optarg, &o->mode))
				return -EINVAL;
			break;
		case 's':
			if (lookup(scrubs, "scrub", optarg, &v))
				return -EINVAL;
			o->scrub = v;
			break;
		case 'S':
			if (lookup(scrubs, "peer-scrub", optarg, &v))
				return -EINVAL;
			o->peer_scrub = v;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			pr_warn("option '%s' needs a value (see --help)", argv[optind - 1]);
			return -EINVAL;
		default:
			pr_warn("unknown option '%s' (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (!o->name || !o->peer) {
		pr_warn("--name and --peer are required");
		return -EINVAL;
	}
	if (strlen(o->name) >= IFNAMSIZ || strlen(o->peer) >= IFNAMSIZ) {
		pr_warn("interface names must be shorter than %d characters", IFNAMSIZ);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd, netns_fd = -1, one = 1, err, ret = 1;
	struct mknk_opts o;
	const char *msg;

	tsn_log_init("mknetkit");
	err = parse_args(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	if (o.peer_netns) {
		netns_fd = open(o.peer_netns, O_RDONLY | O_CLOEXEC);
		if (netns_fd < 0) {
			pr_warn("--peer-netns %s: %s", o.peer_netns, strerror(errno));
			return 2;
		}
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		pr_warn("netlink socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	err = create_pair(fd, &o, netns_fd, &msg);
	if (err == -EOPNOTSUPP) {
		pr_warn("this kernel has no netkit (CONFIG_NETKIT, 6.7+)");
		ret = MKNK_EXIT_UNSUPPORTED;
		goto out;
	}
	if (err) {
		pr_warn("creating netkit %s/%s: %s%s%s", o.name, o.peer, strerror(-err),
			msg ? ": " : "", msg ? msg : "");
		goto out;
	}
	err = check_scrub(fd, &o);
	if (err) {
		/* deleting the primary deletes its peer too */
		delete_link(fd, o.name);
		if (err == -EOPNOTSUPP) {
			pr_warn("this kernel's netkit has no scrub setting (6.11+)");
			ret = MKNK_EXIT_UNSUPPORTED;
		} else {
			pr_warn("reading netkit %s back: %s", o.name, strerror(-err));
		}
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (netns_fd >= 0)
		close(netns_fd);
	return ret;
}
