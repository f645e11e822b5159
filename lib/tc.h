/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attach a BPF program to an interface's tc ingress/egress hook: a tcx link where the kernel
 * has it (raw bpf_link_create with BPF_TCX_INGRESS/EGRESS, since libbpf 1.1 has no wrapper),
 * else a direct-action cls_bpf filter on a clsact qdisc via bpf_tc_*. Programs attached this
 * way must return TC_ACT_UNSPEC (tcx: TCX_NEXT) so that other programs on the hook, e.g. a
 * primary CNI's, still run.
 *
 * Attach is idempotent: with a pin path, an existing pinned tcx link is updated to the new
 * program instead of adding a second one; a clsact filter at the same handle/priority is
 * replaced. Detach removes only what tsn_tc_attach created (the clsact qdisc only if it created
 * it and nothing else is left on it).
 */
#ifndef TSN_TC_H
#define TSN_TC_H

#include <stdbool.h>
#include <linux/types.h>

enum tsn_tc_dir {
	TSN_TC_INGRESS = 0,
	TSN_TC_EGRESS = 1,
};

enum tsn_tc_kind {
	TSN_TC_AUTO = 0,	/* tcx if supported, else clsact */
	TSN_TC_TCX = 1,
	TSN_TC_CLSACT = 2,
};

struct tsn_tc_hook {
	/* in */
	int ifindex;
	enum tsn_tc_dir dir;
	enum tsn_tc_kind kind;		/* TSN_TC_AUTO picks; on return: what was used */
	const char *link_pin;		/* tcx: pin the link here (optional) */
	__u32 handle;			/* clsact: filter handle (default 1) */
	__u32 priority;			/* clsact: filter priority (default 1) */
	bool first;			/* tcx: run before the programs already attached */
	/* out */
	int link_fd;			/* tcx link fd, -1 for clsact */
	__u32 prog_id;
	bool created_qdisc;		/* clsact qdisc was created by this attach */
};

/* 0 or -errno. prog_fd must be a BPF_PROG_TYPE_SCHED_CLS program. */
int tsn_tc_attach(struct tsn_tc_hook *hook, int prog_fd);

/* Remove the attachment described by hook (link pin or clsact handle/priority). 0 or -errno. */
int tsn_tc_detach(struct tsn_tc_hook *hook);

/* prog id attached at this hook by us (link pin or clsact handle/priority), 0 when none. */
__u32 tsn_tc_query(const struct tsn_tc_hook *hook);

#define TSN_TC_MAX_PRIO 16

/* An interface's root qdisc as tsntop shows it. */
struct tsn_qdisc_info {
	char kind[16];			/* "taprio", "mqprio", "htb", "noqueue", ... */
	bool has_map;			/* the qdisc maps priority -> traffic class itself */
	__u8 num_tc;
	__u8 prio_tc_map[TSN_TC_MAX_PRIO];	/* tc = map[priority & 15] (taprio, mqprio, prio) */
};

/* Root qdisc of ifindex in the calling thread's netns. 0, -ENOENT (none) or -errno. */
int tsn_tc_root_qdisc(int ifindex, struct tsn_qdisc_info *qi);

/* Does ifindex (in the calling thread's netns) have a clsact qdisc? 1, 0 or -errno. */
int tsn_tc_has_clsact(int ifindex);

/* Does the running kernel support tcx links? Cached. */
bool tsn_tc_have_tcx(void);

#endif /* TSN_TC_H */
