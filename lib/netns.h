/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network namespace helpers. `ip netns exec` remounts /sys (hiding bpffs and cgroups), so
 * tsnkit enters namespaces with setns() on an fd and comes back the same way.
 */
#ifndef TSN_NETNS_H
#define TSN_NETNS_H

#include <stddef.h>
#include <linux/types.h>

#define TSN_NETNS_RUN_DIR "/run/netns"

/*
 * Open a netns given as a path ("/proc/123/ns/net", "/run/netns/pod1"), a name under
 * /run/netns ("pod1"), or "inode:N" (searched in /run/netns and /proc/<pid>/ns/net).
 * Returns an O_RDONLY|O_CLOEXEC fd or -errno (-ENOENT when nothing matches).
 */
int tsn_netns_open(const char *spec);

/*
 * An interface spec "IF" or "IF@NETNS" (the tools' --nic, --tc-observe): IF into ifname
 * (IF_NAMESIZE bytes), *netns the NETNS part of spec (any length, not copied), or NULL without
 * '@'. 0, -ENAMETOOLONG (IF longer than an interface name), or -EINVAL (empty IF or NETNS).
 */
int tsn_netns_split_ifspec(const char *spec, char *ifname, const char **netns);

/* Inode of a netns fd, or of the calling thread's netns with fd < 0. 0 or -errno. */
int tsn_netns_inode(int fd, __u32 *inode);

/* Name under /run/netns of the netns with this inode; 0, or -ENOENT when it has no name. */
int tsn_netns_name(__u32 inode, char *buf, size_t len);

/*
 * Switch the calling thread into netns fd; *saved receives an fd of the previous netns for
 * tsn_netns_leave(). 0 or -errno (and the thread stays where it was).
 */
int tsn_netns_enter(int fd, int *saved);
int tsn_netns_leave(int saved);

/*
 * The netns cookie of netns fd (fd < 0: the current one): unlike an inode, never reused while
 * the kernel runs. 0 or -errno (-ENOPROTOOPT before 5.14).
 */
int tsn_netns_cookie(int fd, __u64 *cookie);

/*
 * A socket created in netns fd (fd < 0: the current one), for a caller that asks one netns
 * several things: its cookie and interface names are read through the socket with no further
 * setns. The socket (the caller closes it) or -errno.
 */
int tsn_netns_socket(int fd);
/* tsn_netns_cookie() of the netns socket sock (tsn_netns_socket()) was made in. */
int tsn_netns_sock_cookie(int sock, __u64 *cookie);
/* tsn_netns_ifname() in the netns socket sock (tsn_netns_socket()) was made in. */
int tsn_netns_sock_ifname(int sock, int ifindex, char *buf);

/* "inode:N" -> *inode: 1; another form of spec: 0; "inode:" with no valid N: -EINVAL. */
int tsn_netns_parse_inode(const char *spec, __u32 *inode);

/*
 * Open the netns with this inode if it is still the one with this cookie (not gone, not
 * recycled): an fd as tsn_netns_open() returns, -ENOENT, or -errno.
 */
int tsn_netns_open_alive(__u32 inode, __u64 cookie);

/*
 * The names under /run/netns with their netns inodes, read in one pass, for a caller that looks
 * up many inodes (status of N pods): tsn_netns_name() and tsn_netns_open_alive() scan
 * /run/netns per call, N x names stat calls.
 */
struct tsn_netns_named {
	__u32 inode;
	char name[256];
};

struct tsn_netns_names {
	unsigned int n;
	struct tsn_netns_named *e;
};

/* Read /run/netns into t (empty when it does not exist); free with tsn_netns_names_free. */
int tsn_netns_names_read(struct tsn_netns_names *t);
void tsn_netns_names_free(struct tsn_netns_names *t);
/* The name in t of the netns with this inode, NULL if none. */
const char *tsn_netns_names_find(const struct tsn_netns_names *t, __u32 inode);
/*
 * tsn_netns_open_alive(), trying t's name for inode first. With sock not NULL, *sock is a
 * socket in that netns (tsn_netns_socket(), the one its cookie was read through), for the
 * caller to close.
 */
int tsn_netns_open_alive_in(const struct tsn_netns_names *t, __u32 inode, __u64 cookie,
			    int *sock);

/* Name of interface ifindex inside netns fd into buf (IF_NAMESIZE). 0 or -errno (-ENODEV). */
int tsn_netns_ifname(int fd, int ifindex, char *buf);

/* ifindex of ifname inside netns fd (fd < 0: current netns). >0, or -errno (-ENODEV). */
int tsn_netns_ifindex(int fd, const char *ifname);

/*
 * Where is ifname, when it is not in the current netns? The first /run/netns name that has an
 * interface of that name, into name (NAME_MAX + 1); 0, or -ENOENT when none has it. For the
 * hint of an "unknown NIC" error.
 */
int tsn_netns_find_ifname(const char *ifname, char *name, size_t len);

/*
 * The one interface that is up in netns fd (-1: the current one), loopback aside: its ifindex;
 * -EMLINK when there are several, -ENODEV when there is none.
 */
int tsn_netns_only_link(int fd);

#endif /* TSN_NETNS_H */
