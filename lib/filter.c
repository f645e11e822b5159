// SPDX-License-Identifier: GPL-2.0-only
/* Flow filter parsing for tsntrace/tsntop; see filter.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "log.h"
#include "json.h"
#include "cni_state.h"
#include "netns.h"
#include "tsn_filter.h"

const char *const tsn_filter_opts[] = {
	"netns", "pod", "ifname", "proto", "src", "dst", "sport", "dport", "priority", "mark", NULL,
};

void tsn_filter_init(struct tsn_filter *f)
{
	memset(f, 0, sizeof(*f));
}

bool tsn_filter_is_opt(const char *name)
{
	int i;

	for (i = 0; tsn_filter_opts[i]; i++)
		if (!strcmp(tsn_filter_opts[i], name))
			return true;
	return false;
}

/* Whole-string unsigned number (decimal, 0x hex) not above max. */
static int parse_u32(const char *s, unsigned long max, __u32 *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

/* The bits of addr past the first plen: the host part of a prefix. */
static bool host_bits_set(const __u8 addr[16], __u32 plen)
{
	__u32 i;

	for (i = plen; i < 128; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

int tsn_filter_parse_addr(const char *s, __u8 addr[16], __u8 *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	struct in_addr a4;
	__u32 p;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (slash && parse_u32(slash, 32, &p))
			return -EINVAL;
		addr[10] = addr[11] = 0xff;
		memcpy(&addr[12], &a4, 4);
		/* the mapped prefix ::ffff:0:0/96 always takes part: IPv4 never matches IPv6 */
		*plen = (__u8)(96 + (slash ? p : 32));
		return host_bits_set(addr, *plen) ? -EDOM : 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		if (slash && parse_u32(slash, 128, &p))
			return -EINVAL;
		*plen = (__u8)(slash ? p : 128);
		return host_bits_set(addr, *plen) ? -EDOM : 0;
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	__u8 proto;
} protos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 }, { "sctp", 132 },
};

int tsn_filter_parse_proto(const char *s, __u8 *proto)
{
	size_t i;
	__u32 v;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (s && !strcasecmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	if (parse_u32(s, 255, &v))
		return -EINVAL;
	*proto = (__u8)v;
	return 0;
}

int tsn_filter_add_longopts(struct option *opts, int n, int first_val)
{
	int i;

	for (i = 0; tsn_filter_opts[i]; i++)
		opts[n++] = (struct option){ tsn_filter_opts[i], required_argument, NULL,
					     first_val + i };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	return n;
}

int tsn_getopt_fail(int opt, char *const argv[], int optind)
{
	if (opt == ':')
		pr_warn("option '%s' needs a value (see --help)", argv[optind - 1]);
	else
		pr_warn("unknown option '%s' (see --help)", argv[optind - 1]);
	return 2;
}

const char *tsn_proto_str(__u8 proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

int tsn_filter_parse_mark(const char *s, __u32 *mark, __u32 *mask)
{
	char buf[64], *slash;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	*mask = 0xffffffffU;
	if (parse_u32(buf, 0xffffffffUL, mark) || (slash && parse_u32(slash, 0xffffffffUL, mask)))
		return -EINVAL;
	/* bits outside the mask could never match: reject rather than silently drop them */
	if (*mark & ~*mask)
		return -EINVAL;
	return 0;
}

const char *tsn_addr_str(const __u8 addr[16], char *buf, size_t len)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(addr, mapped, sizeof(mapped)))
		return inet_ntop(AF_INET, addr + 12, buf, len) ?: "?";
	return inet_ntop(AF_INET6, addr, buf, len) ?: "?";
}

const char *tsn_addr_port_str(const __u8 addr[16], char *buf, size_t len)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char a[INET6_ADDRSTRLEN];

	if (!memcmp(addr, mapped, sizeof(mapped)))
		return tsn_addr_str(addr, buf, len);
	snprintf(buf, len, "[%s]", tsn_addr_str(addr, a, sizeof(a)));
	return buf;
}

const char *tsn_tcp_flags_str(__u8 flags, char *buf, size_t len)
{
	static const struct {
		__u8 bit;
		char letter;
	} letters[] = {		/* tcpdump's order */
		{ 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
	};
	size_t i, n = 0;

	if (!flags) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < len; i++)
		if (flags & letters[i].bit)
			buf[n++] = letters[i].letter;
	buf[n] = '\0';
	return buf;
}

static const struct {
	const char *name;
	__u8 proto;
	__u8 type;
} icmp_types[] = {
	{ "echo-reply", 1, 0 },
	{ "dest-unreachable", 1, 3 },
	{ "redirect", 1, 5 },
	{ "echo-request", 1, 8 },
	{ "time-exceeded", 1, 11 },
	{ "dest-unreachable", 58, 1 },
	{ "packet-too-big", 58, 2 },
	{ "time-exceeded", 58, 3 },
	{ "echo-request", 58, 128 },
	{ "echo-reply", 58, 129 },
	{ "router-solicitation", 58, 133 },
	{ "router-advertisement", 58, 134 },
	{ "neighbor-solicitation", 58, 135 },
	{ "neighbor-advertisement", 58, 136 },
};

const char *tsn_icmp_type_name(__u8 proto, __u8 type)
{
	size_t i;

	for (i = 0; i < sizeof(icmp_types) / sizeof(icmp_types[0]); i++)
		if (icmp_types[i].proto == proto && icmp_types[i].type == type)
			return icmp_types[i].name;
	return NULL;
}

static void arp_str(const struct tsn_tuple *t, char *buf, size_t len)
{
	char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];
	const __u8 *m = t->arp_sha;

	inet_ntop(AF_INET, t->arp_spa, spa, sizeof(spa));
	inet_ntop(AF_INET, t->arp_tpa, tpa, sizeof(tpa));
	if (t->arp_op == 1)
		snprintf(buf, len, "arp who-has %s tell %s", tpa, spa);
	else if (t->arp_op == 2)
		snprintf(buf, len, "arp reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", spa, m[0],
			 m[1], m[2], m[3], m[4], m[5]);
	else if (t->arp_op)
		snprintf(buf, len, "arp op %u %s > %s", t->arp_op, spa, tpa);
	else	/* not Ethernet/IPv4 ARP: the tracer did not read it */
		snprintf(buf, len, "arp");
}

const char *tsn_tuple_str(const struct tsn_tuple *t, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN + 2], d[INET6_ADDRSTRLEN + 2], pbuf[16], fl[16];
	const char *name, *p;

	if (t->l3proto == ETH_P_ARP) {
		arp_str(t, buf, len);
		return buf;
	}
	if (t->l3proto != ETH_P_IP && t->l3proto != ETH_P_IPV6) {
		snprintf(buf, len, "ethertype 0x%04x", t->l3proto);
		return buf;
	}
	p = tsn_proto_str(t->l4proto, pbuf, sizeof(pbuf));
	if (tsn_tuple_has_ports(t)) {
		/* per packet: a flow (tsntop's key) has them cleared, and shows no brackets */
		bool flags = t->l4proto == IPPROTO_TCP && t->tcp_flags;

		snprintf(buf, len, "%s %s:%u > %s:%u%s%s%s", p,
			 tsn_addr_port_str(t->saddr, s, sizeof(s)), t->sport,
			 tsn_addr_port_str(t->daddr, d, sizeof(d)), t->dport, flags ? " [" : "",
			 flags ? tsn_tcp_flags_str(t->tcp_flags, fl, sizeof(fl)) : "",
			 flags ? "]" : "");
		return buf;
	}
	tsn_addr_str(t->saddr, s, sizeof(s));
	tsn_addr_str(t->daddr, d, sizeof(d));
	if (t->l4proto != IPPROTO_ICMP && t->l4proto != IPPROTO_ICMPV6) {
		snprintf(buf, len, "%s %s > %s", p, s, d);
		return buf;
	}
	name = tsn_icmp_type_name(t->l4proto, t->icmp_type);
	if (tsn_icmp_is_echo(t->l4proto, t->icmp_type))
		snprintf(buf, len, "%s %s > %s %s id %u (type %u code %u)", p, s, d, name,
			 t->icmp_id, t->icmp_type, t->icmp_code);
	else
		snprintf(buf, len, "%s %s > %s %s%s(type %u code %u)", p, s, d, name ?: "",
			 name ? " " : "", t->icmp_type, t->icmp_code);
	return buf;
}

/* Add a netns inode to the filter's set; opt names the option for the error. */
static int add_netns(struct tsn_filter *f, const char *opt, __u32 ino, char *err, size_t errlen)
{
	if (f->n_netns >= TSN_FILTER_MAX_NETNS) {
		snprintf(err, errlen, "--%s: at most %d namespaces (--netns and --pod together)",
			 opt, TSN_FILTER_MAX_NETNS);
		return -E2BIG;
	}
	f->netns[f->n_netns++] = ino;
	f->flags |= TSN_FILT_NETNS;
	return 0;
}

/* --pod NS/NAME: the netns the tsn CNI plugin recorded for that pod (lib/cni_state.h). */
static int set_pod(struct tsn_filter *f, const char *val, char *err, size_t errlen)
{
	__u32 ino;
	int rc = tsn_cni_pod_netns(val, &ino);

	if (rc == -EINVAL) {
		snprintf(err, errlen, "--pod: '%s' is not NAMESPACE/NAME or NAME", val);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen,
			 "--pod: no pod '%s' on this node (none of the tsn CNI plugin's records in "
			 TSN_CNI_STATE_ROOT " names it)", val);
		return -ENOENT;
	}
	return add_netns(f, "pod", ino, err, errlen);
}

static int set_netns(struct tsn_filter *f, const char *val, char *err, size_t errlen)
{
	__u32 ino;
	int fd, rc;

	fd = tsn_netns_open(val);
	if (fd < 0) {
		snprintf(err, errlen, "--netns: '%s': %s", val,
			 fd == -ENOENT ? "no such network namespace" : strerror(-fd));
		return fd == -ENOENT ? -ENOENT : fd;
	}
	rc = tsn_netns_inode(fd, &ino);
	close(fd);
	if (rc) {
		snprintf(err, errlen, "--netns: '%s': %s", val, strerror(-rc));
		return rc;
	}
	return add_netns(f, "netns", ino, err, errlen);
}

int tsn_filter_set(struct tsn_filter *f, const char *name, const char *val, char *err,
		   size_t errlen)
{
	__u32 v;

	if (!val)
		val = "";
	if (!strcmp(name, "netns"))
		return set_netns(f, val, err, errlen);
	if (!strcmp(name, "pod"))
		return set_pod(f, val, err, errlen);
	if (!strcmp(name, "ifname")) {
		if (!*val || strlen(val) >= TSN_IFNAMSIZ || strpbrk(val, "/ \t")) {
			snprintf(err, errlen, "--ifname: '%s' is not an interface name", val);
			return -EINVAL;
		}
		memset(f->ifname, 0, sizeof(f->ifname));
		memcpy(f->ifname, val, strlen(val));
		f->flags |= TSN_FILT_IFNAME;
		return 0;
	}
	if (!strcmp(name, "proto")) {
		if (tsn_filter_parse_proto(val, &f->l4proto)) {
			snprintf(err, errlen,
				 "--proto: '%s' is not udp, tcp, icmp, icmpv6, sctp or 0..255", val);
			return -EINVAL;
		}
		f->flags |= TSN_FILT_PROTO;
		return 0;
	}
	if (!strcmp(name, "src") || !strcmp(name, "dst")) {
		bool src = name[0] == 's';
		__u8 *addr = src ? f->src : f->dst, *plen = src ? &f->src_plen : &f->dst_plen;
		int rc = tsn_filter_parse_addr(val, addr, plen);

		if (rc == -EDOM) {
			/* refused rather than masked: a typo'd prefix must not widen the filter */
			snprintf(err, errlen, "--%s: '%s' has host bits set past the prefix "
				 "(a network is ADDR/N with zeros after N bits)", name, val);
			return -EINVAL;
		}
		if (rc) {
			snprintf(err, errlen, "--%s: '%s' is not an IPv4/IPv6 address[/prefix]", name,
				 val);
			return -EINVAL;
		}
		f->flags |= src ? TSN_FILT_SRC : TSN_FILT_DST;
		/* IPv6 text always has a ':', IPv4 text never */
		if (strchr(val, ':'))
			f->flags |= src ? TSN_FILT_SRC_V6 : TSN_FILT_DST_V6;
		return 0;
	}
	if (!strcmp(name, "sport") || !strcmp(name, "dport")) {
		if (parse_u32(val, 65535, &v)) {
			snprintf(err, errlen, "--%s: '%s' is not a port (0..65535)", name, val);
			return -EINVAL;
		}
		if (name[0] == 's') {
			f->sport = (__u16)v;
			f->flags |= TSN_FILT_SPORT;
		} else {
			f->dport = (__u16)v;
			f->flags |= TSN_FILT_DPORT;
		}
		return 0;
	}
	if (!strcmp(name, "priority")) {
		if (parse_u32(val, 0xffffffffUL, &f->priority)) {
			snprintf(err, errlen, "--priority: '%s' is not a number (0..4294967295)", val);
			return -EINVAL;
		}
		f->flags |= TSN_FILT_PRIORITY;
		return 0;
	}
	if (!strcmp(name, "mark")) {
		if (tsn_filter_parse_mark(val, &f->mark, &f->mark_mask)) {
			snprintf(err, errlen,
				 "--mark: '%s' is not VALUE[/MASK] (32-bit, no value bits outside the mask)",
				 val);
			return -EINVAL;
		}
		f->flags |= TSN_FILT_MARK;
		return 0;
	}
	snprintf(err, errlen, "unknown filter '--%s'", name);
	return -EINVAL;
}

bool tsn_filter_matches(const struct tsn_filter *f, __u32 netns, const char *ifname,
			const struct tsn_tuple *t, const struct tsn_meta *m)
{
	char name[TSN_IFNAMSIZ] = "";

	/* the BPF side compares whole 16-byte device names: give it the same view */
	if (ifname)
		strncpy(name, ifname, sizeof(name) - 1);
	return tsn_filter_match(f, netns, name, t, m);
}

static void add_prefix(json_object *o, const char *key, const __u8 addr[16], __u8 plen)
{
	char buf[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	bool v4 = addr[10] == 0xff && addr[11] == 0xff && plen >= 96;

	snprintf(buf, sizeof(buf), "%s/%u", tsn_addr_str(addr, a, sizeof(a)),
		 v4 ? plen - 96 : plen);
	tsn_json_add_str(o, key, buf);
}

json_object *tsn_filter_json(const struct tsn_filter *f)
{
	json_object *o = json_object_new_object(), *arr;
	char buf[32];
	__u32 i;

	if (!o)
		return NULL;
	if (f->flags & TSN_FILT_NETNS) {
		arr = json_object_new_array();
		for (i = 0; i < f->n_netns && i < TSN_FILTER_MAX_NETNS; i++)
			json_object_array_add(arr, json_object_new_int64(f->netns[i]));
		json_object_object_add(o, "netns", arr);
	}
	if (f->flags & TSN_FILT_IFNAME) {
		char name[TSN_IFNAMSIZ + 1] = "";

		memcpy(name, f->ifname, TSN_IFNAMSIZ);
		tsn_json_add_str(o, "ifname", name);
	}
	if (f->flags & TSN_FILT_PROTO)
		tsn_json_add_str(o, "proto", tsn_proto_str(f->l4proto, buf, sizeof(buf)));
	if (f->flags & TSN_FILT_SRC)
		add_prefix(o, "src", f->src, f->src_plen);
	if (f->flags & TSN_FILT_DST)
		add_prefix(o, "dst", f->dst, f->dst_plen);
	if (f->flags & TSN_FILT_SPORT)
		tsn_json_add_u64(o, "sport", f->sport);
	if (f->flags & TSN_FILT_DPORT)
		tsn_json_add_u64(o, "dport", f->dport);
	if (f->flags & TSN_FILT_PRIORITY)
		tsn_json_add_u64(o, "priority", f->priority);
	if (f->flags & TSN_FILT_MARK) {
		snprintf(buf, sizeof(buf), "0x%x/0x%x", f->mark, f->mark_mask);
		tsn_json_add_str(o, "mark", buf);
	}
	return o;
}
