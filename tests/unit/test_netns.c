// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/netns.c against real namespaces. Each test makes its own netns "tk<pid>-unit-..." (the
 * prefix tests/lib.sh's leftover check knows) and removes it on every path, asserts included:
 * asserts only record failures, so the cleanup at the end of each test always runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "test.h"


static __u32 self_inode(void)
{
	__u32 ino = 0;

	tsn_netns_inode(-1, &ino);
	return ino;
}

TEST(netns_open)
{
	char name[64], path[128], spec[64], buf[64];
	__u32 ino = 0, ino2 = 0, host;
	int fd = -1, fd2 = -1;

	snprintf(name, sizeof(name), "tk%d-unit-ns", getpid());
	snprintf(path, sizeof(path), "%s/%s", TSN_NETNS_RUN_DIR, name);
	host = self_inode();
	ASSERT_NEQ(host, 0, "inode of own netns");
	if (!ASSERT_OK(test_sh("ip netns add %s", name), "ip netns add"))
		return;

	fd = tsn_netns_open(name);
	ASSERT_GE(fd, 0, "open by name");
	ASSERT_OK(tsn_netns_inode(fd, &ino), "inode by fd");
	ASSERT_NEQ(ino, host, "a different netns than ours");
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC");

	fd2 = tsn_netns_open(path);
	ASSERT_GE(fd2, 0, "open by path");
	ASSERT_OK(tsn_netns_inode(fd2, &ino2), "inode by path");
	ASSERT_EQ(ino2, ino, "path and name agree");
	if (fd2 >= 0)
		close(fd2);

	snprintf(spec, sizeof(spec), "inode:%u", ino);
	fd2 = tsn_netns_open(spec);
	ASSERT_GE(fd2, 0, "open by inode (named netns)");
	ino2 = 0;
	tsn_netns_inode(fd2, &ino2);
	ASSERT_EQ(ino2, ino, "inode lookup finds it");
	if (fd2 >= 0)
		close(fd2);

	/* our own netns has no name under /run/netns: found through /proc/<pid>/ns/net */
	snprintf(spec, sizeof(spec), "inode:%u", host);
	fd2 = tsn_netns_open(spec);
	ASSERT_GE(fd2, 0, "open by inode (unnamed netns, via /proc)");
	ino2 = 0;
	tsn_netns_inode(fd2, &ino2);
	ASSERT_EQ(ino2, host, "found our own netns");
	if (fd2 >= 0)
		close(fd2);

	ASSERT_OK(tsn_netns_name(ino, buf, sizeof(buf)), "name by inode");
	ASSERT_STREQ(buf, name, "name");
	ASSERT_EQ(tsn_netns_name(ino, buf, 4), -ENAMETOOLONG, "short buffer");

	ASSERT_EQ(tsn_netns_open("tk-unit-no-such-netns"), -ENOENT, "unknown name");
	ASSERT_EQ(tsn_netns_open("inode:1"), -ENOENT, "unknown inode");
	ASSERT_EQ(tsn_netns_open("inode:abc"), -EINVAL, "bad inode spec");
	ASSERT_EQ(tsn_netns_open("/proc/self/ns/uts"), -EINVAL, "not a net namespace");
	ASSERT_EQ(tsn_netns_open("/etc/hostname"), -EINVAL, "not a namespace at all");
	ASSERT_EQ(tsn_netns_open(""), -EINVAL, "empty spec");
	ASSERT_EQ(tsn_netns_open(".."), -EINVAL, "dot-dot");
	ASSERT_EQ(tsn_netns_name(1, buf, sizeof(buf)), -ENOENT, "no name for unknown inode");

	if (fd >= 0)
		close(fd);
	ASSERT_OK(test_sh("ip netns del %s", name), "ip netns del");
}

TEST(netns_enter_leave_ifindex)
{
	char name[64];
	__u32 host, ino = 0, now = 0;
	int fd = -1, saved = -1, idx, err, sock;

	snprintf(name, sizeof(name), "tk%d-unit-ns", getpid());
	host = self_inode();
	if (!ASSERT_OK(test_sh("ip netns add %s", name), "ip netns add"))
		return;
	if (!ASSERT_OK(test_sh("ip -n %s link add tkv0 type veth peer name tkv1", name), "veth"))
		goto out;
	fd = tsn_netns_open(name);
	if (!ASSERT_GE(fd, 0, "open"))
		goto out;
	tsn_netns_inode(fd, &ino);

	err = tsn_netns_enter(fd, &saved);
	if (ASSERT_OK(err, "enter")) {
		tsn_netns_inode(-1, &now);
		ASSERT_EQ(now, ino, "inside the test netns");
		ASSERT_OK(tsn_netns_leave(saved), "leave");
		tsn_netns_inode(-1, &now);
		ASSERT_EQ(now, host, "back in the original netns");
	}
	ASSERT_EQ(tsn_netns_enter(-1, &saved), -EINVAL, "enter bad fd");
	ASSERT_EQ(tsn_netns_leave(-1), -EBADF, "leave bad fd");

	/* a file that is not a netns: setns fails and we must stay where we are */
	saved = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (saved >= 0) {
		int s2 = -1;

		ASSERT_ERR(tsn_netns_enter(saved, &s2), "enter a non-netns fd");
		close(saved);
		tsn_netns_inode(-1, &now);
		ASSERT_EQ(now, host, "still at home after a failed enter");
	}

	ASSERT_EQ(tsn_netns_ifindex(fd, "lo"), 1, "lo inside");
	idx = tsn_netns_ifindex(fd, "tkv1");
	ASSERT_GE(idx, 2, "tkv1 inside");
	ASSERT_NEQ(idx, tsn_netns_ifindex(fd, "tkv0"), "tkv0 has its own index");
	ASSERT_EQ(tsn_netns_ifindex(-1, "tkv1"), -ENODEV, "tkv1 not in our netns");
	ASSERT_EQ(tsn_netns_ifindex(fd, "nosuchif0"), -ENODEV, "unknown interface");
	ASSERT_EQ(tsn_netns_ifindex(fd, "a-name-much-too-long-for-linux"), -EINVAL, "long name");
	ASSERT_EQ(tsn_netns_ifindex(-1, "lo"), 1, "lo outside");
	tsn_netns_inode(-1, &now);
	ASSERT_EQ(now, host, "ifindex lookups return to the original netns");

	/* a socket made in the netns answers for it from outside: names and cookie */
	sock = tsn_netns_socket(fd);
	if (ASSERT_GE(sock, 0, "socket in the test netns")) {
		char ifname[IF_NAMESIZE] = "";
		__u64 in = 0, via = 1, home = 0;

		tsn_netns_inode(-1, &now);
		ASSERT_EQ(now, host, "socket made, back in the original netns");
		ASSERT_OK(tsn_netns_sock_ifname(sock, idx, ifname), "name through the socket");
		ASSERT_STREQ(ifname, "tkv1", "the test netns' interface, not ours");
		ASSERT_EQ(tsn_netns_sock_ifname(sock, 999999, ifname), -ENODEV, "unknown index");
		ASSERT_OK(tsn_netns_cookie(fd, &in), "cookie by entering");
		ASSERT_OK(tsn_netns_sock_cookie(sock, &via), "cookie through the socket");
		ASSERT_EQ(via, in, "the same netns");
		ASSERT_OK(tsn_netns_cookie(-1, &home), "our own cookie");
		ASSERT_NEQ(via, home, "not ours");
		close(sock);
	}
out:
	if (fd >= 0)
		close(fd);
	ASSERT_OK(test_sh("ip netns del %s", name), "ip netns del");
}

/* IF@NETNS: a netns path of any length stays whole (it was cut at 63 characters of the spec). */
TEST(netns_split_ifspec)
{
	const char *longpath = "eth0@/run/netns/./././././././././././././././././././././././pod";
	char ifname[IF_NAMESIZE];
	const char *ns = "x";

	ASSERT_OK(tsn_netns_split_ifspec("nic0", ifname, &ns), "IF");
	ASSERT_STREQ(ifname, "nic0", "IF: the name");
	ASSERT_TRUE(ns == NULL, "IF: no netns");
	ASSERT_OK(tsn_netns_split_ifspec(longpath, ifname, &ns), "IF@NETNS, a long path");
	ASSERT_STREQ(ifname, "eth0", "IF@NETNS: the name");
	ASSERT_STREQ(ns, longpath + 5, "IF@NETNS: the whole path");
	ASSERT_EQ(tsn_netns_split_ifspec("averyveryverylongname@pod", ifname, &ns), -ENAMETOOLONG,
		  "an interface name of 21 characters");
	ASSERT_EQ(tsn_netns_split_ifspec("@pod", ifname, &ns), -EINVAL, "no IF");
	ASSERT_EQ(tsn_netns_split_ifspec("eth0@", ifname, &ns), -EINVAL, "no NETNS");
}
