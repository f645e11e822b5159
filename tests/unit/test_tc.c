// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/tc.c with real traffic. Fixture: netns "tk<pid>-unit-tc" with a veth pair tkv0/tkv1;
 * UDP to 10.201.0.2 leaves through tkv0 (egress hook) and arrives on tkv1 (ingress hook), with
 * a permanent neighbour entry so no ARP is needed. The counters of tests/progs/test_tc.bpf.c show
 * which programs saw the packets: bpf_prog_test_run cannot show chaining, real packets can.
 * Every test tears its fixture down on every path (asserts only record failures).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netns.h"
#include "tc.h"
#include "test.h"
#include "test_tc.skel.h"

/* kernel's enum bpf_attach_type; the system uapi header predates tcx */
#define TCX_INGRESS 46
#define TCX_EGRESS 47

#define DST_IP "10.201.0.2"
#define NPKT 5

struct fix {
	char ns[64];
	char pin_dir[96];
	char pin[160];
	int nsfd;
	int sock;
	int ifindex[2];			/* [TSN_TC_INGRESS] tkv1, [TSN_TC_EGRESS] tkv0 */
	struct test_tc_bpf *skel;
	__u16 port;
};

static const char *const ifname[2] = { "tkv1", "tkv0" };


/* first line of a shell command's output as a number (-1 on failure) */
static long sh_num(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long sh_num(const char *fmt, ...)
{
	char cmd[512], out[64] = "";
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	return out[0] ? strtol(out, NULL, 10) : -1;
}

static __u32 prog_id(struct bpf_program *p);

static void fix_teardown(struct fix *f)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct bpf_program *p;
	__u32 ids[8];
	int n = 0, i, fd, tries;

	if (f->sock >= 0)
		close(f->sock);
	if (f->nsfd >= 0)
		close(f->nsfd);
	if (f->skel)
		bpf_object__for_each_program(p, f->skel->obj)
			if (n < 8)
				ids[n++] = prog_id(p);
	test_tc_bpf__destroy(f->skel);
	f->skel = NULL;
	/* deleting the netns takes the veth pair, its qdiscs and tcx attachments with it */
	test_sh("ip netns del %s 2>/dev/null", f->ns);
	test_sh("rm -rf %s", f->pin_dir);
	/*
	 * netns cleanup and cls_bpf filter destruction run from kernel work queues: wait (bounded)
	 * until our programs are really gone, so the next leftover check does not see them
	 */
	for (i = 0; i < n; i++) {
		for (tries = 0; ids[i] && tries < 150; tries++) {
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd < 0)
				break;
			close(fd);
			nanosleep(&ts, NULL);
		}
		ASSERT_TRUE(tries < 150, "test program unloaded after teardown");
	}
}

static bool fix_setup(struct fix *f)
{
	int saved = -1, i;

	memset(f, 0, sizeof(*f));
	f->nsfd = f->sock = -1;
	snprintf(f->ns, sizeof(f->ns), "tk%d-unit-tc", getpid());
	snprintf(f->pin_dir, sizeof(f->pin_dir), "/sys/fs/bpf/tk%d-unit", getpid());
	snprintf(f->pin, sizeof(f->pin), "%s/links/tc", f->pin_dir);
	f->port = 40000 + getpid() % 20000;

	if (!ASSERT_OK(test_sh("ip netns add %s && "
			  "ip -n %s link add tkv0 type veth peer name tkv1 && "
			  "ip -n %s link set tkv1 address 02:00:00:00:00:02 up && "
			  "ip -n %s link set tkv0 up && "
			  "ip -n %s addr add 10.201.0.1/24 dev tkv0 && "
			  "ip -n %s neigh add " DST_IP " lladdr 02:00:00:00:00:02 dev tkv0 "
			  "nud permanent",
			  f->ns, f->ns, f->ns, f->ns, f->ns, f->ns),
		       "netns with veth pair"))
		return false;
	f->nsfd = tsn_netns_open(f->ns);
	if (!ASSERT_GE(f->nsfd, 0, "open netns"))
		return false;
	for (i = 0; i < 2; i++) {
		f->ifindex[i] = tsn_netns_ifindex(f->nsfd, ifname[i]);
		if (!ASSERT_GE(f->ifindex[i], 1, ifname[i]))
			return false;
	}
	/* a socket belongs to the netns it was created in, wherever the thread goes after */
	if (!ASSERT_OK(tsn_netns_enter(f->nsfd, &saved), "enter"))
		return false;
	f->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tsn_netns_leave(saved);
	if (!ASSERT_GE(f->sock, 0, "udp socket"))
		return false;

	f->skel = test_tc_bpf__open();
	if (!ASSERT_TRUE(f->skel != NULL, "open test_tc"))
		return false;
	f->skel->rodata->test_port = f->port;
	return ASSERT_OK(test_tc_bpf__load(f->skel), "load test_tc");
}

static void reset_counts(struct fix *f)
{
	f->skel->bss->ours_count = 0;
	f->skel->bss->ours2_count = 0;
	f->skel->bss->foreign_count = 0;
}

static void send_pkts(struct fix *f, int n)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(f->port) };
	int i;

	inet_pton(AF_INET, DST_IP, &dst.sin_addr);
	for (i = 0; i < n; i++)
		ASSERT_EQ(sendto(f->sock, "tsn", 3, 0, (struct sockaddr *)&dst, sizeof(dst)), 3,
			  "sendto");
}

/*
 * Wait until the counters reach the expected values (ingress runs from the backlog softirq,
 * so not necessarily before sendto returns), then assert them exactly.
 */
static void expect_counts(struct fix *f, __u64 ours, __u64 ours2, __u64 foreign, const char *what)
{
	volatile struct test_tc_bpf__bss *b = f->skel->bss;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (b->ours_count == ours && b->ours2_count == ours2 && b->foreign_count == foreign)
			break;
		nanosleep(&ts, NULL);
	}
	nanosleep(&ts, NULL);	/* and nothing more arrives */
	printf("  %s: ours=%llu ours2=%llu foreign=%llu\n", what,
	       (unsigned long long)b->ours_count, (unsigned long long)b->ours2_count,
	       (unsigned long long)b->foreign_count);
	ASSERT_EQ(b->ours_count, ours, "ours count");
	ASSERT_EQ(b->ours2_count, ours2, "ours2 count");
	ASSERT_EQ(b->foreign_count, foreign, "foreign count");
}

static __u32 prog_id(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) ? 0 : info.id;
}

static __u32 link_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	return fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* tc/tcx calls resolve ifindex and talk rtnetlink in the calling thread's netns */
static int ns_attach(struct fix *f, struct tsn_tc_hook *h, struct bpf_program *p)
{
	int saved, err;

	err = tsn_netns_enter(f->nsfd, &saved);
	if (err)
		return err;
	err = tsn_tc_attach(h, bpf_program__fd(p));
	tsn_netns_leave(saved);
	return err;
}

static int ns_detach(struct fix *f, struct tsn_tc_hook *h)
{
	int saved, err;

	err = tsn_netns_enter(f->nsfd, &saved);
	if (err)
		return err;
	err = tsn_tc_detach(h);
	tsn_netns_leave(saved);
	return err;
}

static __u32 ns_query(struct fix *f, const struct tsn_tc_hook *h)
{
	__u32 id = 0;
	int saved;

	if (tsn_netns_enter(f->nsfd, &saved))
		return 0;
	id = tsn_tc_query(h);
	tsn_netns_leave(saved);
	return id;
}

/* programs on the hook, ours or not: tcx via BPF_PROG_QUERY, clsact via tc's filter list */
static long hook_progs(struct fix *f, enum tsn_tc_kind kind, enum tsn_tc_dir dir)
{
	__u32 cnt = 0;
	int saved, err;

	if (kind == TSN_TC_TCX) {
		if (tsn_netns_enter(f->nsfd, &saved))
			return -1;
		err = bpf_prog_query(f->ifindex[dir],
				     (enum bpf_attach_type)(dir == TSN_TC_EGRESS ? TCX_EGRESS
										 : TCX_INGRESS),
				     0, NULL, NULL, &cnt);
		tsn_netns_leave(saved);
		return err ? -1 : (long)cnt;
	}
	return sh_num("tc -n %s filter show dev %s %s | grep -c direct-action", f->ns,
		      ifname[dir], dir == TSN_TC_EGRESS ? "egress" : "ingress");
}

static bool has_clsact(struct fix *f, enum tsn_tc_dir dir)
{
	return test_sh("tc -n %s qdisc show dev %s | grep -q clsact", f->ns, ifname[dir]) == 0;
}

static void close_link(struct tsn_tc_hook *h)
{
	if (h->link_fd > 0)
		close(h->link_fd);
	h->link_fd = -1;
}

/* attach, re-attach (same struct and a fresh one, as a restarted process), detach */
static void run_attach(enum tsn_tc_kind kind, enum tsn_tc_dir dir)
{
	struct tsn_tc_hook h = {}, h2 = {};
	__u32 id_ours, id_ours2, lid = 0;
	bool attached = false;
	struct fix f;

	printf("  -- %s %s\n", kind == TSN_TC_TCX ? "tcx" : "clsact",
	       dir == TSN_TC_EGRESS ? "egress" : "ingress");
	if (!fix_setup(&f))
		goto out;
	id_ours = prog_id(f.skel->progs.tk_tc_ours);
	id_ours2 = prog_id(f.skel->progs.tk_tc_ours2);

	h = (struct tsn_tc_hook){ .ifindex = f.ifindex[dir], .dir = dir, .kind = kind,
				  .link_pin = kind == TSN_TC_TCX ? f.pin : NULL };
	if (!ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "attach"))
		goto out;
	attached = true;
	ASSERT_EQ(h.kind, kind, "kind used");
	ASSERT_EQ(h.prog_id, id_ours, "prog_id");
	ASSERT_EQ(ns_query(&f, &h), id_ours, "query");
	ASSERT_EQ(hook_progs(&f, kind, dir), 1, "one program on the hook");
	if (kind == TSN_TC_TCX) {
		ASSERT_GE(h.link_fd, 1, "link fd");
		ASSERT_OK(access(f.pin, F_OK), "link pinned");
		lid = link_id(h.link_fd);
	} else {
		ASSERT_EQ(h.link_fd, -1, "no link fd for clsact");
		ASSERT_TRUE(h.created_qdisc, "clsact created by us");
		ASSERT_EQ(h.handle, 1, "default handle");
		ASSERT_EQ(h.priority, 1, "default priority");
	}
	reset_counts(&f);
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, 0, "attached");

	/* same hook struct, another program: replaced in place */
	ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours2), "re-attach");
	ASSERT_EQ(h.prog_id, id_ours2, "prog_id after re-attach");
	ASSERT_EQ(ns_query(&f, &h), id_ours2, "query after re-attach");
	ASSERT_EQ(hook_progs(&f, kind, dir), 1, "still one program");
	if (kind == TSN_TC_TCX)
		ASSERT_EQ(link_id(h.link_fd), lid, "same link");
	else
		ASSERT_TRUE(h.created_qdisc, "still remembers creating clsact");
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, NPKT, 0, "re-attached");

	/* a fresh struct (another process): finds the pin / the filter at handle/priority */
	h2 = (struct tsn_tc_hook){ .ifindex = f.ifindex[dir], .dir = dir, .kind = kind,
				   .link_pin = h.link_pin };
	ASSERT_OK(ns_attach(&f, &h2, f.skel->progs.tk_tc_ours), "attach from a fresh hook");
	ASSERT_EQ(hook_progs(&f, kind, dir), 1, "still one program");
	ASSERT_EQ(ns_query(&f, &h2), id_ours, "query");
	if (kind == TSN_TC_TCX)
		ASSERT_EQ(link_id(h2.link_fd), lid, "the pinned link");
	else
		ASSERT_FALSE(h2.created_qdisc, "clsact was there already");
	close_link(&h2);
	send_pkts(&f, NPKT);
	expect_counts(&f, 2 * NPKT, NPKT, 0, "attached again");

	ASSERT_OK(ns_detach(&f, &h), "detach");
	attached = false;
	ASSERT_EQ(ns_query(&f, &h), 0, "query after detach");
	ASSERT_EQ(hook_progs(&f, kind, dir), 0, "hook empty");
	if (kind == TSN_TC_TCX) {
		ASSERT_EQ(h.link_fd, -1, "link fd closed");
		ASSERT_ERR(access(f.pin, F_OK), "pin removed");
	} else {
		ASSERT_FALSE(has_clsact(&f, dir), "clsact we created is gone");
	}
	send_pkts(&f, NPKT);
	expect_counts(&f, 2 * NPKT, NPKT, 0, "detached");
	ASSERT_EQ(ns_detach(&f, &h), -ENOENT, "second detach");
out:
	if (attached)
		ns_detach(&f, &h);
	close_link(&h);
	close_link(&h2);
	fix_teardown(&f);
}

TEST(tc_have_tcx)
{
	struct tsn_tc_hook h = { .ifindex = 1, .kind = TSN_TC_AUTO };

	/* tsnkit's minimum kernel (6.6) has tcx */
	ASSERT_TRUE(tsn_tc_have_tcx(), "tcx supported");
	ASSERT_EQ(tsn_tc_have_tcx(), tsn_tc_have_tcx(), "cached");
	ASSERT_EQ(tsn_tc_query(&h), 0, "nothing of ours on lo");
	ASSERT_EQ(tsn_tc_attach(&h, -1), -EINVAL, "bad prog fd");
	h.ifindex = 0;
	ASSERT_EQ(tsn_tc_detach(&h), -EINVAL, "bad ifindex");
}

TEST(tc_attach_tcx)
{
	run_attach(TSN_TC_TCX, TSN_TC_EGRESS);
	run_attach(TSN_TC_TCX, TSN_TC_INGRESS);
}

TEST(tc_attach_clsact)
{
	run_attach(TSN_TC_CLSACT, TSN_TC_EGRESS);
	run_attach(TSN_TC_CLSACT, TSN_TC_INGRESS);
}

TEST(tc_attach_auto)
{
	struct tsn_tc_hook h = {};
	struct fix f;

	if (!fix_setup(&f))
		goto out;
	h = (struct tsn_tc_hook){ .ifindex = f.ifindex[TSN_TC_EGRESS], .dir = TSN_TC_EGRESS,
				  .link_pin = f.pin };
	if (!ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "attach auto"))
		goto out;
	ASSERT_EQ(h.kind, tsn_tc_have_tcx() ? TSN_TC_TCX : TSN_TC_CLSACT, "auto picked");
	h.kind = TSN_TC_AUTO;	/* a detach that does not know either */
	ASSERT_OK(ns_detach(&f, &h), "detach auto");
	ASSERT_EQ(hook_progs(&f, TSN_TC_TCX, TSN_TC_EGRESS), 0, "hook empty");
out:
	close_link(&h);
	fix_teardown(&f);
}

/*
 * tcx: ours is attached first, the foreign program (as a CNI attaching later would) is appended
 * after it; ours returns TCX_NEXT, so the foreign one must still see every packet, also after an
 * idempotent re-attach and after ours is gone.
 */
static void run_chain_tcx(enum tsn_tc_dir dir)
{
	enum bpf_attach_type type = (enum bpf_attach_type)(dir == TSN_TC_EGRESS ? TCX_EGRESS
										  : TCX_INGRESS);
	struct tsn_tc_hook h = {};
	int foreign = -1, saved;
	bool attached = false;
	struct fix f;

	printf("  -- tcx chain %s\n", dir == TSN_TC_EGRESS ? "egress" : "ingress");
	if (!fix_setup(&f))
		goto out;
	h = (struct tsn_tc_hook){ .ifindex = f.ifindex[dir], .dir = dir, .kind = TSN_TC_TCX,
				  .link_pin = f.pin };
	if (!ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "attach ours"))
		goto out;
	attached = true;
	if (!ASSERT_OK(tsn_netns_enter(f.nsfd, &saved), "enter"))
		goto out;
	foreign = bpf_link_create(bpf_program__fd(f.skel->progs.tk_tc_foreign), f.ifindex[dir],
				  type, NULL);
	tsn_netns_leave(saved);
	if (!ASSERT_GE(foreign, 0, "attach foreign"))
		goto out;
	ASSERT_EQ(hook_progs(&f, TSN_TC_TCX, dir), 2, "two programs");
	reset_counts(&f);
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, NPKT, "ours then foreign");

	ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "re-attach ours");
	ASSERT_EQ(hook_progs(&f, TSN_TC_TCX, dir), 2, "still two programs");
	send_pkts(&f, NPKT);
	expect_counts(&f, 2 * NPKT, 0, 2 * NPKT, "after re-attach");

	ASSERT_OK(ns_detach(&f, &h), "detach ours");
	attached = false;
	ASSERT_EQ(hook_progs(&f, TSN_TC_TCX, dir), 1, "foreign left");
	send_pkts(&f, NPKT);
	expect_counts(&f, 2 * NPKT, 0, 3 * NPKT, "foreign alone");
out:
	if (attached)
		ns_detach(&f, &h);
	close_link(&h);
	if (foreign >= 0)
		close(foreign);	/* an unpinned link goes away with its last fd */
	fix_teardown(&f);
}

/* the foreign filter (another CNI's) at priority 2, on the same clsact qdisc */
static int ns_foreign_clsact(struct fix *f, enum tsn_tc_dir dir, bool add)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = f->ifindex[dir],
			    .attach_point = dir == TSN_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = 1, .priority = 2);
	int saved, err;

	err = tsn_netns_enter(f->nsfd, &saved);
	if (err)
		return err;
	if (add) {
		err = bpf_tc_hook_create(&th);
		if (!err || err == -EEXIST) {
			o.prog_fd = bpf_program__fd(f->skel->progs.tk_tc_foreign);
			err = bpf_tc_attach(&th, &o);
		}
	} else {
		err = bpf_tc_detach(&th, &o);
	}
	tsn_netns_leave(saved);
	return err;
}

/*
 * clsact: (1) the foreign filter and its qdisc are there first, ours goes in front at prio 1;
 * (2) ours creates the qdisc, the foreign filter joins; detaching ours must leave the qdisc
 * and the foreign filter working in both cases.
 */
static void run_chain_clsact(enum tsn_tc_dir dir)
{
	struct tsn_tc_hook h = {};
	bool attached = false;
	struct fix f;

	printf("  -- clsact chain %s\n", dir == TSN_TC_EGRESS ? "egress" : "ingress");
	if (!fix_setup(&f))
		goto out;
	h = (struct tsn_tc_hook){ .ifindex = f.ifindex[dir], .dir = dir, .kind = TSN_TC_CLSACT };

	/* (1) foreign first */
	if (!ASSERT_OK(ns_foreign_clsact(&f, dir, true), "foreign filter"))
		goto out;
	if (!ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "attach ours"))
		goto out;
	attached = true;
	ASSERT_FALSE(h.created_qdisc, "qdisc was there");
	ASSERT_EQ(hook_progs(&f, TSN_TC_CLSACT, dir), 2, "two filters");
	reset_counts(&f);
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, NPKT, "ours then foreign");
	ASSERT_OK(ns_detach(&f, &h), "detach ours");
	attached = false;
	ASSERT_EQ(hook_progs(&f, TSN_TC_CLSACT, dir), 1, "foreign left");
	ASSERT_TRUE(has_clsact(&f, dir), "foreign's qdisc stays");
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, 2 * NPKT, "foreign alone");
	ASSERT_OK(ns_foreign_clsact(&f, dir, false), "remove foreign");
	test_sh("tc -n %s qdisc del dev %s clsact", f.ns, ifname[dir]);

	/* (2) ours first, creating the qdisc */
	h = (struct tsn_tc_hook){ .ifindex = f.ifindex[dir], .dir = dir, .kind = TSN_TC_CLSACT };
	if (!ASSERT_OK(ns_attach(&f, &h, f.skel->progs.tk_tc_ours), "attach ours first"))
		goto out;
	attached = true;
	ASSERT_TRUE(h.created_qdisc, "we created the qdisc");
	ASSERT_OK(ns_foreign_clsact(&f, dir, true), "foreign joins");
	reset_counts(&f);
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, NPKT, "ours then foreign");
	ASSERT_OK(ns_detach(&f, &h), "detach ours");
	attached = false;
	ASSERT_TRUE(has_clsact(&f, dir), "qdisc kept: someone else's filter is on it");
	ASSERT_EQ(hook_progs(&f, TSN_TC_CLSACT, dir), 1, "foreign left");
	send_pkts(&f, NPKT);
	expect_counts(&f, NPKT, 0, 2 * NPKT, "foreign alone");
out:
	if (attached)
		ns_detach(&f, &h);
	fix_teardown(&f);
}

TEST(tc_chain_tcx)
{
	run_chain_tcx(TSN_TC_EGRESS);
	run_chain_tcx(TSN_TC_INGRESS);
}

TEST(tc_chain_clsact)
{
	run_chain_clsact(TSN_TC_EGRESS);
	run_chain_clsact(TSN_TC_INGRESS);
}
