// SPDX-License-Identifier: GPL-2.0-only
/*
 * tc/tcx attach helper, see tc.h.
 *
 * tcx: libbpf 1.1 has no bpf_program__attach_tcx(), so links are made with the raw
 * bpf_link_create(prog_fd, ifindex, BPF_TCX_*). Without BPF_F_BEFORE/AFTER the kernel appends
 * the program at the end of the hook's list, i.e. after a primary CNI's program; ours returns
 * TCX_NEXT so the rest of the chain (and the stack) still sees the packet.
 *
 * clsact: a direct-action cls_bpf filter at handle/priority (default 1/1). The qdisc is
 * destroyed on detach only when this hook struct created it and no filter of anyone else is
 * left on either direction; a detach from another process (created_qdisc unknown = false)
 * leaves the qdisc in place, which is harmless (an empty clsact costs nothing on the fast path).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tc.h"

/*
 * The system uapi header (and libbpf 1.1's) predate tcx (kernel 6.6). Values from the kernel's
 * enum bpf_attach_type / enum bpf_link_type (checked against progs/vmlinux/x86/vmlinux.h).
 */
#define TSN_BPF_TCX_INGRESS 46
#define TSN_BPF_TCX_EGRESS 47
#define TSN_BPF_LINK_TYPE_TCX 11
/* link_create.flags of a tcx link: with no relative program, the head of the list */
#define TSN_BPF_F_BEFORE (1U << 3)

/* Prefix of the kernel's struct bpf_link_info as filled for tcx links (union at offset 16). */
struct tsn_tcx_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 _pad;
	__u32 ifindex;		/* 0 once the link is detached or its device is gone */
	__u32 attach_type;
} __attribute__((aligned(8)));

static enum bpf_attach_type tcx_type(enum tsn_tc_dir dir)
{
	return (enum bpf_attach_type)(dir == TSN_TC_EGRESS ? TSN_BPF_TCX_EGRESS
							   : TSN_BPF_TCX_INGRESS);
}

static const char *dir_name(enum tsn_tc_dir dir)
{
	return dir == TSN_TC_EGRESS ? "egress" : "ingress";
}

bool tsn_tc_have_tcx(void)
{
	static int cached = -1;
	__u32 cnt = 0;
	int err;

	if (cached >= 0)
		return cached;
	/* lo is ifindex 1 in every netns; an unknown attach type is EINVAL on old kernels */
	err = bpf_prog_query(1, tcx_type(TSN_TC_INGRESS), 0, NULL, NULL, &cnt);
	cached = !err;
	if (err)
		pr_debug("tcx: BPF_PROG_QUERY(lo, BPF_TCX_INGRESS) failed: %s, using clsact",
			 strerror(-err));
	return cached;
}

static enum tsn_tc_kind resolve_kind(enum tsn_tc_kind kind)
{
	if (kind == TSN_TC_AUTO)
		return tsn_tc_have_tcx() ? TSN_TC_TCX : TSN_TC_CLSACT;
	return kind;
}

/* ---- tcx ------------------------------------------------------------------------------------ */

static int tcx_info(int fd, struct tsn_tcx_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return info->type == TSN_BPF_LINK_TYPE_TCX ? 0 : -EINVAL;
}

/* Is fd a live tcx link on exactly this hook? */
static bool tcx_link_matches(int fd, const struct tsn_tc_hook *hook, __u32 *link_id)
{
	struct tsn_tcx_link_info info;

	if (fd < 0 || tcx_info(fd, &info))
		return false;
	if (link_id)
		*link_id = info.id;
	return info.ifindex == (__u32)hook->ifindex && info.attach_type == tcx_type(hook->dir);
}

/* bpf_obj_pin() needs the directory; create the path below bpffs like `mkdir -p`. */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Open the pinned link, or -ENOENT; a pin of a dead or foreign link is an error/removed. */
static int tcx_open_pin(const struct tsn_tc_hook *hook)
{
	struct tsn_tcx_link_info info;
	int fd, err;

	fd = bpf_obj_get(hook->link_pin);
	if (fd < 0)
		return fd == -ENOENT ? -ENOENT : fd;
	err = tcx_info(fd, &info);
	if (err) {
		pr_warn("%s is not a tcx link pin", hook->link_pin);
		close(fd);
		return -EINVAL;
	}
	if (!info.ifindex) {
		/* the device went away (pod restarted) or someone detached it: start over */
		pr_debug("tcx: link pin %s is defunct, replacing it", hook->link_pin);
		close(fd);
		unlink(hook->link_pin);
		return -ENOENT;
	}
	if (info.ifindex != (__u32)hook->ifindex || info.attach_type != tcx_type(hook->dir)) {
		pr_warn("link pin %s belongs to ifindex %u/%s, not ifindex %d/%s", hook->link_pin,
			info.ifindex,
			info.attach_type == TSN_BPF_TCX_EGRESS ? "egress" : "ingress",
			hook->ifindex, dir_name(hook->dir));
		close(fd);
		return -EBUSY;
	}
	return fd;
}

static int tcx_pin(const struct tsn_tc_hook *hook, int fd)
{
	int err;

	err = mkdir_parents(hook->link_pin);
	if (!err && bpf_obj_pin(fd, hook->link_pin))
		err = -errno;
	if (err)
		pr_warn("tcx: pinning link at %s: %s", hook->link_pin, strerror(-err));
	return err;
}

static int tcx_attach(struct tsn_tc_hook *hook, int prog_fd)
{
	struct tsn_tcx_link_info info;
	__u32 id_old = 0, id_pin = 0;
	int fd = -1, pin_fd = -ENOENT, err;
	bool have_old;

	/* a link from an earlier attach with this hook struct (link_fd 0 is what zero-init
	 * leaves, never trust it) */
	have_old = hook->link_fd > 0 && tcx_link_matches(hook->link_fd, hook, &id_old);
	if (hook->link_pin) {
		pin_fd = tcx_open_pin(hook);
		if (pin_fd < 0 && pin_fd != -ENOENT)
			return pin_fd;
	}

	if (pin_fd >= 0 && have_old && tcx_link_matches(pin_fd, hook, &id_pin) &&
	    id_pin == id_old) {
		close(pin_fd);
		fd = hook->link_fd;
	} else if (pin_fd >= 0) {
		/* the pin wins; a second link of ours on the same hook would run us twice */
		if (have_old)
			close(hook->link_fd);
		hook->link_fd = -1;
		fd = pin_fd;
	} else if (have_old) {
		fd = hook->link_fd;
		/* someone removed the pin: put it back so that a later detach finds it */
		if (hook->link_pin) {
			err = tcx_pin(hook, fd);
			if (err)
				return err;
		}
	}

	if (fd >= 0) {
		/* idempotent re-attach: swap the program inside the existing link, which keeps
		 * its place in the chain instead of appending a second program */
		if (bpf_link_update(fd, prog_fd, NULL)) {
			err = -errno;
			pr_warn("tcx: updating link on ifindex %d %s: %s", hook->ifindex,
				dir_name(hook->dir), strerror(-err));
			if (fd != hook->link_fd)
				close(fd);
			return err;
		}
	} else {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = hook->first ? TSN_BPF_F_BEFORE : 0);

		fd = bpf_link_create(prog_fd, hook->ifindex, tcx_type(hook->dir), &lo);
		if (fd < 0) {
			err = -errno;
			pr_warn("tcx: attaching to ifindex %d %s: %s", hook->ifindex,
				dir_name(hook->dir), strerror(-err));
			return err;
		}
		if (hook->link_pin) {
			err = tcx_pin(hook, fd);
			if (err) {
				bpf_link_detach(fd);
				close(fd);
				return err;
			}
		}
	}
	err = tcx_info(fd, &info);
	if (err) {
		if (fd != hook->link_fd)
			close(fd);
		return err;
	}
	hook->link_fd = fd;
	hook->prog_id = info.prog_id;
	return 0;
}

static int tcx_detach(struct tsn_tc_hook *hook)
{
	struct tsn_tcx_link_info info;
	bool own_fd = false;
	int fd = -1, err = 0;

	if (hook->link_fd > 0 && !tcx_info(hook->link_fd, &info) &&
	    (!info.ifindex || tcx_link_matches(hook->link_fd, hook, NULL))) {
		/* ours, possibly already defunct because the device is gone */
		fd = hook->link_fd;
		own_fd = true;
	} else if (hook->link_pin) {
		fd = bpf_obj_get(hook->link_pin);
		if (fd < 0)
			return fd == -ENOENT ? -ENOENT : fd;
	} else {
		return -ENOENT;
	}
	/* detach first: unpinning alone would keep the link while any fd is open */
	if (bpf_link_detach(fd)) {
		err = -errno;
		/* ENOLINK: already detached (device gone); the pin still has to go */
		if (err == -ENOLINK)
			err = 0;
		else
			pr_warn("tcx: detaching link on ifindex %d %s: %s", hook->ifindex,
				dir_name(hook->dir), strerror(-err));
	}
	if (!err && hook->link_pin && unlink(hook->link_pin) && errno != ENOENT) {
		err = -errno;
		pr_warn("tcx: removing pin %s: %s", hook->link_pin, strerror(-err));
	}
	close(fd);
	if (own_fd)
		hook->link_fd = -1;
	if (!err)
		hook->prog_id = 0;
	return err;
}

/* ---- clsact ------------------------------------------------------------------------------- */

static void clsact_defaults(struct tsn_tc_hook *hook)
{
	if (!hook->handle)
		hook->handle = 1;
	if (!hook->priority)
		hook->priority = 1;
}

static int clsact_attach(struct tsn_tc_hook *hook, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = hook->ifindex,
			    .attach_point = hook->dir == TSN_TC_EGRESS ? BPF_TC_EGRESS
								       : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	bool created = false;
	int err;

	clsact_defaults(hook);
	o.handle = hook->handle;
	o.priority = hook->priority;

	err = bpf_tc_hook_create(&h);
	if (err && err != -EEXIST) {
		pr_warn("tc: creating clsact on ifindex %d: %s", hook->ifindex, strerror(-err));
		return err;
	}
	created = !err;

	err = bpf_tc_attach(&h, &o);
	if (err) {
		pr_warn("tc: attaching filter to ifindex %d %s (handle %u prio %u): %s",
			hook->ifindex, dir_name(hook->dir), hook->handle, hook->priority,
			strerror(-err));
		if (created) {
			h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&h);
		}
		return err;
	}
	hook->prog_id = o.prog_id;
	hook->link_fd = -1;
	/* a re-attach finds the qdisc it made the first time: keep remembering that */
	hook->created_qdisc = hook->created_qdisc || created;
	return 0;
}

/*
 * Dump RTM_GET<type> (filters, qdiscs) of ifindex under parent and call cb for each message of
 * type reply; a negative cb return stops the dump with that error. 0 or -errno.
 */
static int tc_dump(__u16 type, __u16 reply, int ifindex, __u32 parent,
		   int (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = type,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = 1,
		.tc.tcm_family = AF_UNSPEC,
		.tc.tcm_ifindex = ifindex,
		.tc.tcm_parent = parent,
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	int fd, n, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				done = true;
				break;
			}
			if (nh->nlmsg_type == reply && !err) {
				int rc = cb(nh, ctx);

				if (rc < 0)
					err = rc;
			}
		}
	}
out:
	close(fd);
	return err;
}

static int count_one(const struct nlmsghdr *nh, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

/* Number of filters (any chain, any priority) under a clsact parent; -errno on failure. */
static int count_filters(int ifindex, __u32 parent)
{
	int count = 0, err;

	err = tc_dump(RTM_GETTFILTER, RTM_NEWTFILTER, ifindex, parent, count_one, &count);
	return err ? err : count;
}

/* The priority map of a taprio/mqprio (struct tc_mqprio_qopt) or prio (tc_prio_qopt) qdisc. */
static void qdisc_map(struct tsn_qdisc_info *qi, const struct rtattr *opt)
{
	const void *data = RTA_DATA(opt);
	int len = RTA_PAYLOAD(opt);
	const struct rtattr *a;

	if (!strcmp(qi->kind, "mqprio") && len >= (int)sizeof(struct tc_mqprio_qopt)) {
		const struct tc_mqprio_qopt *q = data;

		qi->num_tc = q->num_tc;
		memcpy(qi->prio_tc_map, q->prio_tc_map, TSN_TC_MAX_PRIO);
		qi->has_map = true;
	} else if (!strcmp(qi->kind, "prio") && len >= (int)sizeof(struct tc_prio_qopt)) {
		const struct tc_prio_qopt *q = data;

		qi->num_tc = q->bands;
		memcpy(qi->prio_tc_map, q->priomap, TSN_TC_MAX_PRIO);
		qi->has_map = true;
	} else if (!strcmp(qi->kind, "taprio")) {
		/* nested; the map is TCA_TAPRIO_ATTR_PRIOMAP */
		for (a = data; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type == TCA_TAPRIO_ATTR_PRIOMAP &&
			    RTA_PAYLOAD(a) >= sizeof(struct tc_mqprio_qopt)) {
				const struct tc_mqprio_qopt *q = RTA_DATA(a);

				qi->num_tc = q->num_tc;
				memcpy(qi->prio_tc_map, q->prio_tc_map, TSN_TC_MAX_PRIO);
				qi->has_map = true;
			}
		}
	}
}

struct root_qdisc_req {
	int ifindex;
	bool found;
	struct tsn_qdisc_info *qi;
};

static int root_qdisc_one(const struct nlmsghdr *nh, void *ctx)
{
	struct root_qdisc_req *r = ctx;
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const struct rtattr *a, *opt = NULL;
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));

	if (r->found || tc->tcm_ifindex != r->ifindex || tc->tcm_parent != TC_H_ROOT)
		return 0;
	r->found = true;
	for (a = (const struct rtattr *)((const char *)tc + NLMSG_ALIGN(sizeof(*tc)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			snprintf(r->qi->kind, sizeof(r->qi->kind), "%s", (const char *)RTA_DATA(a));
		else if (a->rta_type == TCA_OPTIONS)
			opt = a;
	}
	if (opt)
		qdisc_map(r->qi, opt);
	return 0;
}

struct clsact_req {
	int ifindex;
	bool found;
};

static int clsact_one(const struct nlmsghdr *nh, void *ctx)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	struct clsact_req *r = ctx;

	if (tc->tcm_ifindex == r->ifindex && tc->tcm_parent == TC_H_CLSACT &&
	    TC_H_MAJ(tc->tcm_handle) == TC_H_MAJ(TC_H_CLSACT))
		r->found = true;
	return 0;
}

int tsn_tc_has_clsact(int ifindex)
{
	struct clsact_req r = { .ifindex = ifindex };
	int err = tc_dump(RTM_GETQDISC, RTM_NEWQDISC, ifindex, 0, clsact_one, &r);

	return err ? err : r.found;
}

int tsn_tc_root_qdisc(int ifindex, struct tsn_qdisc_info *qi)
{
	struct root_qdisc_req r = { .ifindex = ifindex, .qi = qi };
	int err;

	memset(qi, 0, sizeof(*qi));
	err = tc_dump(RTM_GETQDISC, RTM_NEWQDISC, ifindex, 0, root_qdisc_one, &r);
	if (err)
		return err;
	return r.found ? 0 : -ENOENT;
}

static int clsact_detach(struct tsn_tc_hook *hook)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = hook->ifindex,
			    .attach_point = hook->dir == TSN_TC_EGRESS ? BPF_TC_EGRESS
								       : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o);
	char ifname[IF_NAMESIZE];
	int err, in, eg;

	clsact_defaults(hook);
	o.handle = hook->handle;
	o.priority = hook->priority;
	err = bpf_tc_detach(&h, &o);
	/* without a clsact qdisc the kernel says EINVAL ("cannot find qdisc"): nothing of ours
	 * is attached there, which callers expect as ENOENT like a missing filter */
	if (err == -EINVAL && if_indextoname(hook->ifindex, ifname))
		err = -ENOENT;
	if (err) {
		if (err != -ENOENT)
			pr_warn("tc: detaching filter from ifindex %d %s (handle %u prio %u): %s",
				hook->ifindex, dir_name(hook->dir), hook->handle, hook->priority,
				strerror(-err));
		return err;
	}
	hook->prog_id = 0;
	if (!hook->created_qdisc)
		return 0;

	/* deleting clsact takes both directions' filters with it: only when both are empty */
	in = count_filters(hook->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	eg = count_filters(hook->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	if (in < 0 || eg < 0) {
		pr_debug("tc: cannot list filters on ifindex %d (%s), leaving clsact in place",
			 hook->ifindex, strerror(-(in < 0 ? in : eg)));
	} else if (in || eg) {
		pr_debug("tc: %d/%d other filters on ifindex %d, leaving clsact in place", in, eg,
			 hook->ifindex);
	} else {
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&h);
		if (err && err != -ENOENT)
			pr_warn("tc: removing clsact from ifindex %d: %s", hook->ifindex,
				strerror(-err));
	}
	hook->created_qdisc = false;
	return 0;
}

/* ---- API -------------------------------------------------------------------------------------- */

int tsn_tc_attach(struct tsn_tc_hook *hook, int prog_fd)
{
	if (!hook || hook->ifindex <= 0 || prog_fd < 0 ||
	    (hook->dir != TSN_TC_INGRESS && hook->dir != TSN_TC_EGRESS))
		return -EINVAL;
	hook->kind = resolve_kind(hook->kind);
	switch (hook->kind) {
	case TSN_TC_TCX:
		return tcx_attach(hook, prog_fd);
	case TSN_TC_CLSACT:
		return clsact_attach(hook, prog_fd);
	default:
		return -EINVAL;
	}
}

int tsn_tc_detach(struct tsn_tc_hook *hook)
{
	if (!hook || hook->ifindex <= 0)
		return -EINVAL;
	hook->kind = resolve_kind(hook->kind);
	switch (hook->kind) {
	case TSN_TC_TCX:
		return tcx_detach(hook);
	case TSN_TC_CLSACT:
		return clsact_detach(hook);
	default:
		return -EINVAL;
	}
}

__u32 tsn_tc_query(const struct tsn_tc_hook *hook)
{
	struct tsn_tcx_link_info info;
	struct tsn_tc_hook tmp;
	__u32 id = 0;
	int fd;

	if (!hook || hook->ifindex <= 0)
		return 0;
	switch (resolve_kind(hook->kind)) {
	case TSN_TC_TCX:
		if (hook->link_fd > 0 && tcx_link_matches(hook->link_fd, hook, NULL)) {
			if (!tcx_info(hook->link_fd, &info))
				id = info.prog_id;
			return id;
		}
		if (!hook->link_pin)
			return 0;
		fd = bpf_obj_get(hook->link_pin);
		if (fd < 0)
			return 0;
		if (tcx_link_matches(fd, hook, NULL) && !tcx_info(fd, &info))
			id = info.prog_id;
		close(fd);
		return id;
	case TSN_TC_CLSACT: {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = hook->ifindex,
				    .attach_point = hook->dir == TSN_TC_EGRESS ? BPF_TC_EGRESS
									       : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o);

		tmp = *hook;
		clsact_defaults(&tmp);
		o.handle = tmp.handle;
		o.priority = tmp.priority;
		return bpf_tc_query(&h, &o) ? 0 : o.prog_id;
	}
	default:
		return 0;
	}
}
