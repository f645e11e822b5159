// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network namespace helpers. Everything works on the calling thread: setns() switches only the
 * thread that calls it, so the "current netns" is /proc/thread-self/ns/net, not /proc/self.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "log.h"
#include "netns.h"

#define SELF_NETNS "/proc/thread-self/ns/net"

/* Files under /run/netns that are not (or no longer) bind mounts of a netns are plain tmpfs
 * files whose inode numbers can collide with a netns inode: only trust nsfs inodes. */
static int nsfs_dev(dev_t *dev)
{
	struct stat st;

	if (stat(SELF_NETNS, &st))
		return -errno;
	*dev = st.st_dev;
	return 0;
}

static bool is_netns_stat(const struct stat *st, dev_t dev)
{
	return st->st_dev == dev;
}

/* Open path and make sure it really is a network namespace. */
static int open_netns_path(const char *path)
{
	int fd, type, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		err = type < 0 ? -errno : -EINVAL;
		/* ENOTTY: not an nsfs file at all (a plain file or directory) */
		if (err == -ENOTTY)
			err = -EINVAL;
		pr_debug("netns: %s is not a network namespace", path);
		close(fd);
		return err;
	}
	return fd;
}

/* Find a path whose netns has this inode: /run/netns first (stable names), then processes. */
static int find_by_inode(__u32 inode, char *path, size_t len)
{
	struct dirent *de;
	struct stat st;
	dev_t dev = 0;
	struct tsn_netns_names names;
	const char *name;
	DIR *dir;
	int err;

	err = nsfs_dev(&dev);
	if (err)
		return err;

	if (!tsn_netns_names_read(&names)) {
		name = tsn_netns_names_find(&names, inode);
		if (name)
			snprintf(path, len, "%s/%s", TSN_NETNS_RUN_DIR, name);
		tsn_netns_names_free(&names);
		if (name)
			return 0;
	}

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, len, "/proc/%s/ns/net", de->d_name);
		/* processes come and go while we scan: errors just mean "not this one" */
		if (!stat(path, &st) && is_netns_stat(&st, dev) && st.st_ino == inode) {
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -ENOENT;
}

int tsn_netns_parse_inode(const char *spec, __u32 *inode)
{
	unsigned long long ino;
	char *end;

	if (!spec || strncmp(spec, "inode:", 6))
		return 0;
	errno = 0;
	ino = strtoull(spec + 6, &end, 0);
	if (errno || end == spec + 6 || *end || !ino || ino > UINT32_MAX)
		return -EINVAL;
	*inode = (__u32)ino;
	return 1;
}

int tsn_netns_open(const char *spec)
{
	char path[PATH_MAX];
	__u32 got = 0, ino;
	int fd, err;

	if (!spec || !*spec)
		return -EINVAL;

	err = tsn_netns_parse_inode(spec, &ino);
	if (err < 0)
		return err;
	if (err) {
		err = find_by_inode(ino, path, sizeof(path));
		if (err)
			return err;
		fd = open_netns_path(path);
		if (fd < 0)
			return fd;
		/* the process we found may have exited and its pid been reused in between */
		if (tsn_netns_inode(fd, &got) || got != ino) {
			close(fd);
			return -ENOENT;
		}
		return fd;
	}

	if (strchr(spec, '/'))
		return open_netns_path(spec);

	if (!strcmp(spec, ".") || !strcmp(spec, ".."))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", TSN_NETNS_RUN_DIR, spec) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return open_netns_path(path);
}

int tsn_netns_inode(int fd, __u32 *inode)
{
	struct stat st;
	int err;

	if (!inode)
		return -EINVAL;
	err = fd < 0 ? stat(SELF_NETNS, &st) : fstat(fd, &st);
	if (err)
		return -errno;
	*inode = (__u32)st.st_ino;
	return 0;
}

int tsn_netns_names_read(struct tsn_netns_names *t)
{
	char path[PATH_MAX];
	struct tsn_netns_named *e;
	struct dirent *de;
	struct stat st;
	unsigned int cap = 0;
	dev_t dev = 0;
	DIR *dir;
	int err;

	memset(t, 0, sizeof(*t));
	err = nsfs_dev(&dev);
	if (err)
		return err;
	dir = opendir(TSN_NETNS_RUN_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", TSN_NETNS_RUN_DIR, de->d_name);
		if (stat(path, &st) || !is_netns_stat(&st, dev))
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 64;
			e = realloc(t->e, cap * sizeof(*e));
			if (!e) {
				err = -ENOMEM;
				break;
			}
			t->e = e;
		}
		t->e[t->n].inode = (__u32)st.st_ino;
		snprintf(t->e[t->n].name, sizeof(e->name), "%s", de->d_name);
		t->n++;
	}
	closedir(dir);
	if (err)
		tsn_netns_names_free(t);
	return err;
}

void tsn_netns_names_free(struct tsn_netns_names *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

const char *tsn_netns_names_find(const struct tsn_netns_names *t, __u32 inode)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].inode == inode)
			return t->e[i].name;
	return NULL;
}

int tsn_netns_name(__u32 inode, char *buf, size_t len)
{
	struct tsn_netns_names t;
	const char *name;
	int err;

	if (!buf || !len)
		return -EINVAL;
	err = tsn_netns_names_read(&t);
	if (err)
		return err;
	name = tsn_netns_names_find(&t, inode);
	err = !name ? -ENOENT : snprintf(buf, len, "%s", name) >= (int)len ? -ENAMETOOLONG : 0;
	tsn_netns_names_free(&t);
	return err;
}

int tsn_netns_enter(int fd, int *saved)
{
	int cur, err;

	if (fd < 0 || !saved)
		return -EINVAL;
	cur = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(cur);
		return err;
	}
	*saved = cur;
	return 0;
}

int tsn_netns_leave(int saved)
{
	int err = 0;

	if (saved < 0)
		return -EBADF;
	if (setns(saved, CLONE_NEWNET)) {
		err = -errno;
		pr_warn("cannot return to the original network namespace: %s", strerror(-err));
	}
	close(saved);
	return err;
}

int tsn_netns_split_ifspec(const char *spec, char *ifname, const char **netns)
{
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);

	if (!n || (at && !at[1]))
		return -EINVAL;
	if (n >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	memcpy(ifname, spec, n);
	ifname[n] = '\0';
	*netns = at ? at + 1 : NULL;
	return 0;
}

int tsn_netns_only_link(int fd)
{
	struct if_nameindex *ifs, *i;
	int saved = -1, err = 0, lerr, sock, ifindex = 0;

	if (fd >= 0) {
		err = tsn_netns_enter(fd, &saved);
		if (err)
			return err;
	}
	ifs = if_nameindex();
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ifs || sock < 0)
		err = -errno;
	for (i = ifs; !err && i->if_index; i++) {
		struct ifreq ifr = {};

		/* lo, and the fallback tunnels (tunl0, sit0...) that are down in every netns */
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) || !(ifr.ifr_flags & IFF_UP) ||
		    (ifr.ifr_flags & IFF_LOOPBACK))
			continue;
		if (ifindex) {
			err = -EMLINK;
			break;
		}
		ifindex = (int)i->if_index;
	}
	if (!err && !ifindex)
		err = -ENODEV;
	if (sock >= 0)
		close(sock);
	if (ifs)
		if_freenameindex(ifs);
	if (fd >= 0) {
		lerr = tsn_netns_leave(saved);
		if (lerr)
			return lerr;
	}
	return err ? err : ifindex;
}

int tsn_netns_find_ifname(const char *ifname, char *name, size_t len)
{
	DIR *d = opendir(TSN_NETNS_RUN_DIR);
	struct dirent *de;
	int fd, found = 0;

	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		fd = tsn_netns_open(de->d_name);
		if (fd < 0)
			continue;
		if (tsn_netns_ifindex(fd, ifname) > 0) {
			snprintf(name, len, "%s", de->d_name);
			found = 1;
		}
		close(fd);
	}
	if (d)
		closedir(d);
	return found ? 0 : -ENOENT;
}

int tsn_netns_ifindex(int fd, const char *ifname)
{
	unsigned int idx;
	int saved = -1, err, lerr;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	if (fd >= 0) {
		err = tsn_netns_enter(fd, &saved);
		if (err)
			return err;
	}
	errno = 0;
	idx = if_nametoindex(ifname);
	err = idx ? (int)idx : (errno && errno != ENXIO ? -errno : -ENODEV);
	if (fd >= 0) {
		lerr = tsn_netns_leave(saved);
		/* being stuck in the wrong netns is worse than any lookup result */
		if (lerr)
			return lerr;
	}
	return err;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

int tsn_netns_socket(int fd)
{
	int saved = -1, sock, err;

	if (fd >= 0) {
		err = tsn_netns_enter(fd, &saved);
		if (err)
			return err;
	}
	/* a socket belongs to the netns it was created in, wherever it is used later */
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = sock < 0 ? -errno : 0;
	if (fd >= 0 && tsn_netns_leave(saved)) {
		if (sock >= 0)
			close(sock);
		return -EIO;	/* stuck in the wrong netns: nothing after this can be trusted */
	}
	return err ?: sock;
}

int tsn_netns_sock_cookie(int sock, __u64 *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) ? -errno : 0;
}

int tsn_netns_sock_ifname(int sock, int ifindex, char *buf)
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };

	/* SIOCGIFNAME looks the index up in the socket's netns (dev_ioctl) */
	if (ioctl(sock, SIOCGIFNAME, &ifr))
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	snprintf(buf, IF_NAMESIZE, "%.*s", IF_NAMESIZE - 1, ifr.ifr_name);
	return 0;
}

int tsn_netns_cookie(int fd, __u64 *cookie)
{
	int sock = tsn_netns_socket(fd), err;

	if (sock < 0)
		return sock;
	err = tsn_netns_sock_cookie(sock, cookie);
	close(sock);
	return err;
}

int tsn_netns_open_alive(__u32 inode, __u64 cookie)
{
	char spec[32];
	__u64 have;
	int fd, err;

	snprintf(spec, sizeof(spec), "inode:%u", inode);
	fd = tsn_netns_open(spec);
	if (fd < 0)
		return fd;
	err = tsn_netns_cookie(fd, &have);
	if (err || have != cookie) {
		close(fd);
		return err ?: -ENOENT;
	}
	return fd;
}

int tsn_netns_open_alive_in(const struct tsn_netns_names *t, __u32 inode, __u64 cookie,
			    int *sockp)
{
	const char *name = tsn_netns_names_find(t, inode);
	int fd = -1, sock = -1;
	char path[PATH_MAX];
	__u64 have = 0;
	__u32 got = 0;

	if (name) {
		snprintf(path, sizeof(path), "%s/%s", TSN_NETNS_RUN_DIR, name);
		fd = open_netns_path(path);
		if (fd >= 0 && !tsn_netns_inode(fd, &got) && got == inode)
			sock = tsn_netns_socket(fd);
		if (sock < 0 || tsn_netns_sock_cookie(sock, &have) || have != cookie) {
			if (sock >= 0)
				close(sock);
			if (fd >= 0)
				close(fd);
			fd = sock = -1;	/* the name went to another netns since t was read */
		}
	}
	if (fd < 0) {	/* search as without t */
		fd = tsn_netns_open_alive(inode, cookie);
		if (fd < 0)
			return fd;
		sock = sockp ? tsn_netns_socket(fd) : -1;
		if (sockp && sock < 0) {
			close(fd);
			return sock;
		}
	}
	if (sockp)
		*sockp = sock;
	else if (sock >= 0)
		close(sock);
	return fd;
}

int tsn_netns_ifname(int fd, int ifindex, char *buf)
{
	int sock = tsn_netns_socket(fd), err;

	if (sock < 0)
		return sock;
	err = tsn_netns_sock_ifname(sock, ifindex, buf);
	close(sock);
	return err;
}
