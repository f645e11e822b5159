/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flow filter of tsntrace and tsntop: parse the command-line options into a struct tsn_filter
 * (progs/tsnkit.h), which the BPF side gets as rodata and matches with tsn_filter_match()
 * (progs/tsn_filter.h, the same code userspace uses here).
 *
 *   --netns PATH|NAME|inode:N   repeatable, any of them (up to TSN_FILTER_MAX_NETNS)
 *   --pod NAMESPACE/NAME        a pod's netns, from the tsn CNI plugin's records; repeatable,
 *                               adds to the --netns set
 *   --ifname IF                 device name at the hop, in any netns
 *   --proto udp|tcp|icmp|icmpv6|sctp|N
 *   --src ADDR[/PREFIX], --dst ADDR[/PREFIX]   IPv4 or IPv6; an IPv6 prefix (even ::/0)
 *                               matches IPv6 packets only; host bits past the prefix: refused
 *   --sport P, --dport P
 *   --priority N                skb->priority at the hop
 *   --mark V[/MASK]             (skb->mark & MASK) == V
 */
#ifndef TSN_FILTER_LIB_H
#define TSN_FILTER_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "tsnkit.h"

/* The option names tsn_filter_set() accepts, NULL-terminated (for getopt tables and --help). */
extern const char *const tsn_filter_opts[];

struct option;
/*
 * Append the filter options to a getopt_long() table that has n entries, with val first_val +
 * index in tsn_filter_opts, and terminate it; the table needs room for 16 more. Returns the
 * new count.
 */
int tsn_filter_add_longopts(struct option *opts, int n, int first_val);

/* For getopt_long()'s ':' and '?' returns: print the one-line error, return 2 (usage error). */
int tsn_getopt_fail(int opt, char *const argv[], int optind);

void tsn_filter_init(struct tsn_filter *f);

/* Is name one of tsn_filter_opts? */
bool tsn_filter_is_opt(const char *name);

/*
 * Apply one option (name without the dashes) with its value. 0, or -EINVAL/-ENOENT/-E2BIG with
 * a one-line message in err ("--dst: '1.2.3' is not an IPv4/IPv6 address[/prefix]").
 * --netns resolves the namespace now (it must exist) and stores its inode; so does --pod.
 */
int tsn_filter_set(struct tsn_filter *f, const char *name, const char *val, char *err,
		   size_t errlen);

/*
 * Parsers used by tsn_filter_set, exposed for tests and other tools. 0 or -EINVAL;
 * tsn_filter_parse_addr returns -EDOM for a prefix with host bits set (198.18.1.11/24).
 */
int tsn_filter_parse_addr(const char *s, __u8 addr[16], __u8 *plen);
int tsn_filter_parse_proto(const char *s, __u8 *proto);
int tsn_filter_parse_mark(const char *s, __u32 *mark, __u32 *mask);

/* Userspace evaluation (same code as in BPF); t may be NULL to skip tuple filters. */
bool tsn_filter_matches(const struct tsn_filter *f, __u32 netns, const char *ifname,
			const struct tsn_tuple *t, const struct tsn_meta *m);

/* {"netns": [inodes], "dport": 5001, ...}: only the filters that are set. */
json_object *tsn_filter_json(const struct tsn_filter *f);

/* Address of a tuple as text (IPv4-mapped shown as IPv4). */
const char *tsn_addr_str(const __u8 addr[16], char *buf, size_t len);
/* "udp", "tcp", ... or the number. */
const char *tsn_proto_str(__u8 proto, char *buf, size_t len);

/*
 * One packet's tuple as text, the same in every tool:
 *   udp 198.18.1.11:40001 > 198.19.1.2:5001        tcp [fd00::11]:40001 > [fd00::2]:5001 [S.]
 *   icmp 198.18.1.11 > 198.19.1.2 echo-request id 7 (type 8 code 0)
 *   arp who-has 198.19.1.2 tell 198.18.1.11       arp reply 198.19.1.2 is-at 02:00:00:00:00:02
 *   ethertype 0x88f7
 */
const char *tsn_tuple_str(const struct tsn_tuple *t, char *buf, size_t len);
/* "[fd00::1]" for IPv6, "198.18.1.11" for IPv4: an address before a ":port". */
const char *tsn_addr_port_str(const __u8 addr[16], char *buf, size_t len);
/* tcpdump's flag letters: S F R P U E W, '.' for ACK ("S." for SYN-ACK); "none" for 0. */
const char *tsn_tcp_flags_str(__u8 flags, char *buf, size_t len);
/* "echo-request" ..., NULL for a type without a name. */
const char *tsn_icmp_type_name(__u8 proto, __u8 type);

#endif /* TSN_FILTER_LIB_H */
