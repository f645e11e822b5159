// SPDX-License-Identifier: GPL-2.0-only
/*
 * The enforce-mode pod registry: register (allow) and unregister (deny) pod netns in the policy
 * map, with the tc save hook's per-pod stub (the pod's tag, then the shared save program) and
 * its links, and the pod's binding in the datapath's tag table (netns and policy).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "log.h"
#include "netns.h"
#include "proxy_priv.h"
#include "tc.h"

/* The tc save hook's link on one interface of a pod: links/save_<netns inode>_<ifindex>. */
static void save_link_path(char *buf, size_t len, const char *pin_dir, __u32 netns, __u32 ifindex)
{
	char name[48];

	snprintf(name, sizeof(name), "save_%u_%u", netns, ifindex);
	proxy_pin_path(buf, len, pin_dir, "links", name);
}

/* Filter handle and priority of a pod's save program on clsact (kernels without tcx). */
#define POD_SAVE_CLSACT_HANDLE 0x75e
#define POD_SAVE_CLSACT_PRIO 1

/* The tc hook of a pod's save program on ifindex: a tcx link pinned at path, or clsact. */
static void pod_save_hook(struct tsn_tc_hook *h, int ifindex, char *path)
{
	memset(h, 0, sizeof(*h));
	h->ifindex = ifindex;
	h->dir = TSN_TC_EGRESS;
	h->link_fd = -1;
	if (tsn_tc_have_tcx()) {
		h->kind = TSN_TC_TCX;
		h->link_pin = path;
	} else {
		h->kind = TSN_TC_CLSACT;
		h->handle = POD_SAVE_CLSACT_HANDLE;
		h->priority = POD_SAVE_CLSACT_PRIO;
	}
}

/* links/save_<netns>_<ifindex>, exactly as save_link_path() writes it: 0, or -EINVAL. */
static int parse_save_link_name(const char *name, __u32 *netns, __u32 *ifindex)
{
	char again[48];

	if (sscanf(name, "save_%u_%u", netns, ifindex) != 2)
		return -EINVAL;
	snprintf(again, sizeof(again), "save_%u_%u", *netns, *ifindex);
	return strcmp(again, name) ? -EINVAL : 0;
}

/* By netns, then in the order the directory listed them (what status shows per pod). */
static int pod_link_name_cmp(const void *a, const void *b)
{
	const struct proxy_pod_link_name *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int proxy_pod_links_read(const char *pin_dir, struct proxy_pod_link_set *set)
{
	struct proxy_pod_link_name *grown;
	char dir[PATH_MAX];
	struct dirent *de;
	int cap = 0, e = 0;
	DIR *d;

	memset(set, 0, sizeof(*set));
	proxy_pin_path(dir, sizeof(dir), pin_dir, "links", "");
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct proxy_pod_link_name l;

		if (parse_save_link_name(de->d_name, &l.netns, &l.ifindex))
			continue;
		if (set->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(set->links, (size_t)cap * sizeof(*grown));
			if (!grown) {
				e = -ENOMEM;
				break;
			}
			set->links = grown;
		}
		l.order = (__u32)set->n;
		set->links[set->n++] = l;
	}
	closedir(d);
	if (e) {
		proxy_pod_links_free(set);
		return e;
	}
	if (set->n)
		qsort(set->links, (size_t)set->n, sizeof(*set->links), pod_link_name_cmp);
	return 0;
}

void proxy_pod_links_free(struct proxy_pod_link_set *set)
{
	free(set->links);
	memset(set, 0, sizeof(*set));
}

int proxy_pod_links_in(const char *pin_dir, const struct proxy_pod_link_set *set, __u32 netns,
		       int (*fn)(const struct proxy_pod_link *l, void *arg), void *arg)
{
	int lo = 0, hi = set->n, e = 0, r, i;

	while (lo < hi) {	/* the first of netns' links */
		int mid = lo + (hi - lo) / 2;

		if (set->links[mid].netns < netns)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < set->n && set->links[i].netns == netns; i++) {
		char path[PATH_MAX];
		struct proxy_pod_link l = { .path = path, .ifindex = set->links[i].ifindex };
		struct tsn_tc_hook h;

		save_link_path(path, sizeof(path), pin_dir, netns, l.ifindex);
		pod_save_hook(&h, (int)l.ifindex, path);
		h.kind = TSN_TC_TCX;	/* only tcx links are pinned */
		l.attached = tsn_tc_query(&h) != 0;
		r = fn(&l, arg);
		e = e ?: r;
	}
	return e;
}

int proxy_pod_links(const char *pin_dir, __u32 netns,
		    int (*fn)(const struct proxy_pod_link *l, void *arg), void *arg)
{
	struct proxy_pod_link_set set;
	int e = proxy_pod_links_read(pin_dir, &set);

	if (e)
		return e;
	e = proxy_pod_links_in(pin_dir, &set, netns, fn, arg);
	proxy_pod_links_free(&set);
	return e;
}

struct relink_arg {
	__u32 ifindex;	/* 0: every link of the pod */
	int prog_fd;	/* < 0: detach and unpin */
	bool attached_only;	/* skip the links whose interface is gone (unpinned already) */
};

/* Point a pod's pinned link at another program, in place; or detach it. 0 or -errno. */
static int relink(const struct proxy_pod_link *l, void *arg)
{
	const struct relink_arg *a = arg;
	int fd, e;

	if ((a->ifindex && l->ifindex != a->ifindex) || (a->attached_only && !l->attached))
		return 0;
	if (a->prog_fd < 0) {
		proxy_unpin_link(l->path);
		return 0;
	}
	fd = bpf_obj_get(l->path);
	if (fd < 0)
		return -errno;
	e = bpf_link_update(fd, a->prog_fd, NULL) ? -errno : 0;
	close(fd);
	return e;
}

/*
 * Detach and unpin the save links of a pod (prog_fd < 0), or point them at prog_fd: on one
 * interface, or on all (ifindex 0). Returns the first error.
 */
static int for_save_links(const char *pin_dir, __u32 netns, __u32 ifindex, int prog_fd)
{
	struct relink_arg a = { .ifindex = ifindex, .prog_fd = prog_fd };

	return proxy_pod_links(pin_dir, netns, relink, &a);
}

static void detach_save_links(const char *pin_dir, __u32 netns, __u32 ifindex)
{
	for_save_links(pin_dir, netns, ifindex, -1);
}

/*
 * A link the kernel detached because its interface went away (deleted, or recreated as a new
 * device) can never run again, and bpf_link_update refuses it (ENOLINK): unpin it.
 */
static int unpin_dead_link(const struct proxy_pod_link *l, void *arg)
{
	if (!l->attached) {
		pr_info("removing save link %s: its interface (ifindex %u) is gone", l->path,
			l->ifindex);
		proxy_unpin_link(l->path);
	}
	return 0;
}

/* Write tag's entry in the datapath's tag table: 0 or -errno. */
static int write_binding(const char *pin_dir, __u32 tag, const struct tsn_pod_binding *b)
{
	int fd = proxy_map_fd(pin_dir, "pods"), e;

	if (fd < 0)
		return -errno;
	e = bpf_map_update_elem(fd, &tag, b, BPF_ANY) ? -errno : 0;
	close(fd);
	return e;
}

/*
 * Bind tag to netns in the datapath's tag table with the pod's policy as the save program
 * applies it. The restore trusts a tagged packet only while its tag is bound, and the save
 * program saves nothing for an unbound tag, so unbinding stops every save and restore for the
 * pod at once.
 */
static int bind_tag(const char *pin_dir, const struct tsn_proxy_config *cfg, __u32 tag,
		    __u32 netns, const struct tsn_policy *pol)
{
	struct tsn_pod_binding b = {
		.netns = netns,
		.allowed = cfg->mode == TSN_MODE_ALL ? ~0U : pol->allowed,
		.mark_mask = cfg->mode == TSN_MODE_ALL ? ~0U : pol->mark_mask,
		.on_disallowed = pol->on_disallowed,
	};

	return write_binding(pin_dir, tag, &b);
}

/* Forget every saved entry of netns: walks the whole table (unbind_tag()'s fallback only). */
static void purge_entries(const char *pin_dir, __u32 netns_ino)
{
	struct tsn_track_slot *t;
	__u32 cap = 0, i;

	t = proxy_track_map(pin_dir, &cap);
	for (i = 0; t && i < cap; i++) {
		if (t[i].saved_at && t[i].netns == netns_ino) {
			t[i].skb = 0;
			t[i].saved_at = 0;
			t[i].check = 0;
		}
	}
	proxy_track_unmap(t, cap);
}

/*
 * Unbind tag, stamped with the datapath's clock as read before the unbind: a save that read
 * the binding before the update may still write an entry up to a jiffy later (alloc_tag()'s
 * margin). Without a clock (damaged pin dir) the tag is stamped 0 and its pod's entries are
 * purged instead, so that reusing it stays safe.
 */
static int unbind_tag(const char *pin_dir, __u32 tag, __u32 netns_ino)
{
	struct tsn_pod_binding b = { 0 };
	struct tsn_clock_sample now;
	int e;

	if (proxy_clock(pin_dir, &now) || !now.jiffies) {
		pr_warn("cannot read the datapath's clock: purging the entries of netns %u", netns_ino);
		now.jiffies = 0;
	}
	b.unbound_at = now.jiffies;
	e = write_binding(pin_dir, tag, &b);
	if (!b.unbound_at)
		purge_entries(pin_dir, netns_ino);
	return e;
}

/*
 * A tag no registered pod holds and none held within the TTL, taken round-robin from
 * cfg->next_tag; advances and stores the allocator. Every entry saved under a tag has
 * saved_at <= its unbound_at + 1 jiffy, and the restore takes an entry only while
 * now - saved_at < ttl_jiffies (tsn_fresh()): so once now - unbound_at > ttl_jiffies + 1, no
 * entry of the tag's last pod can be restored for the next one, and deny needs no walk over
 * the table. 0, -ENOSPC when no tag qualifies, or -errno.
 */
static int alloc_tag(const char *pin_dir, struct tsn_proxy_config *cfg, __u32 *tag)
{
	struct tsn_clock_sample now;
	struct tsn_pod_binding b;
	__u32 t, i;
	int fd, e;

	*tag = 0;
	e = proxy_clock(pin_dir, &now);
	if (e)
		return e;
	fd = proxy_map_fd(pin_dir, "pods");
	if (fd < 0)
		return -errno;
	for (i = 0, t = cfg->next_tag; i < TSN_POD_TAGS; i++, t = t + 1 < TSN_POD_TAGS ? t + 1 : 1) {
		if (!t)
			t = 1;
		if (bpf_map_lookup_elem(fd, &t, &b) || b.netns)
			continue;
		if (b.unbound_at && (__s64)(now.jiffies - b.unbound_at) <= (__s64)cfg->ttl_jiffies + 1)
			continue;
		*tag = t;
		break;
	}
	close(fd);
	if (!*tag)
		return -ENOSPC;
	cfg->next_tag = *tag + 1 < TSN_POD_TAGS ? *tag + 1 : 1;
	proxy_write_config(pin_dir, cfg);
	return 0;
}

/* Instructions of a pod's stub (uapi struct bpf_insn encodings). */
#define STUB_MOV32_IMM(d, k)                                                                       \
	((struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = (d), .imm = (k) })
#define STUB_MOV64_IMM(d, k)                                                                       \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (d), .imm = (k) })
#define STUB_STX_W(d, s, o)                                                                        \
	((struct bpf_insn){ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = (d), .src_reg = (s),      \
			    .off = (o) })
#define STUB_CALL(helper) ((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = (helper) })
#define STUB_EXIT() ((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })

/*
 * A pod's save stub: writes the pod's tag into skb->tc_index of every packet leaving the pod,
 * then tail-calls the shared save program (maps/save_tail, verified once at start). The tag is
 * an immediate of the stub, so the only way a packet gets a tag is through the stub of the pod
 * the tag was allocated to; the pod's netns and policy are its tag's binding (maps/pods).
 * Seven instructions: loading one costs a trivial verifier pass and no BTF, where a copy of
 * the whole save program with the pod's constants cost a full verification plus libbpf's
 * parse of the kernel's BTF (docs/enforce.md, Scale). The fd, or -errno.
 */
static int load_pod_stub(int tail_fd, __u32 tag)
{
	union bpf_attr attr;
	const struct bpf_insn insns[] = {
		STUB_MOV32_IMM(BPF_REG_2, (__s32)tag),
		STUB_STX_W(BPF_REG_1, BPF_REG_2, offsetof(struct __sk_buff, tc_index)),
		/* r2 = the prog array (64-bit immediate over two slots), r3 = its index 0 */
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = tail_fd },
		{ 0 },
		STUB_MOV64_IMM(BPF_REG_3, 0),
		STUB_CALL(BPF_FUNC_tail_call),	/* r1: the skb, untouched */
		/* reached only while the array is empty: let the packet go on, tagged, unsaved */
		STUB_MOV64_IMM(BPF_REG_0, TC_ACT_UNSPEC),
		STUB_EXIT(),
	};

	int fd;

	/*
	 * The bpf() syscall itself, not libbpf's bpf_prog_load(): that one first loads two probe
	 * programs of its own in every process (does the kernel take a program name? does it
	 * charge memory to the cgroup?), and the CNI plugin is a process per pod event, where
	 * those two loads, each JIT-compiled, cost more than the stub. Names and memcg accounting
	 * are in every kernel this datapath loads on (5.11+).
	 */
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	attr.insns = (__u64)(unsigned long)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (__u64)(unsigned long)"GPL";
	snprintf(attr.prog_name, sizeof(attr.prog_name), "tsn_pod_save");
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* The stub of the pod with tag, for the pinned state at pin_dir: its fd, or -errno. */
static int pod_stub(const char *pin_dir, __u32 tag)
{
	int tail = proxy_map_fd(pin_dir, "save_tail"), fd;

	if (tail < 0)
		return -errno;
	fd = load_pod_stub(tail, tag);
	close(tail);
	return fd;
}

/* Is a save program of ours attached to ifindex in the pod's netns (netns_fd)? */
static bool save_attached(const char *pin_dir, __u32 netns_ino, int netns_fd, int ifindex)
{
	struct tsn_tc_hook h;
	char path[PATH_MAX];
	__u32 id = 0;
	int saved;

	save_link_path(path, sizeof(path), pin_dir, netns_ino, (__u32)ifindex);
	pod_save_hook(&h, ifindex, path);
	if (!tsn_netns_enter(netns_fd, &saved)) {
		id = tsn_tc_query(&h);
		tsn_netns_leave(saved);
	}
	return id != 0;
}

/*
 * Attach the pod's save program (prog_fd) to ifindex in netns_fd; with tcx, also point the
 * pod's links on its other interfaces at it, in place: the policy is the pod's. links: the save
 * links as listed before (the new link runs prog_fd already; dead ones were unpinned).
 */
static int attach_pod_save(const char *pin_dir, const struct proxy_pod_link_set *links,
			   __u32 netns_ino, int netns_fd, int ifindex, int prog_fd)
{
	struct relink_arg a = { .prog_fd = prog_fd, .attached_only = true };
	struct tsn_tc_hook h;
	char path[PATH_MAX];
	int saved, e;

	save_link_path(path, sizeof(path), pin_dir, netns_ino, (__u32)ifindex);
	pod_save_hook(&h, ifindex, path);
	e = tsn_netns_enter(netns_fd, &saved);
	if (e)
		return e;
	e = tsn_tc_attach(&h, prog_fd);
	tsn_netns_leave(saved);
	if (h.link_fd >= 0)
		close(h.link_fd);
	if (!e && h.kind == TSN_TC_TCX)
		e = proxy_pod_links_in(pin_dir, links, netns_ino, relink, &a);
	return e;
}

/* Is program id a pod's save stub (load_pod_stub())? Another program at the handle is not ours. */
static bool is_pod_stub(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool stub;

	if (fd < 0)
		return false;
	stub = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "tsn_pod_save");
	close(fd);
	return stub;
}

/* In the pod's netns: remove the save filter from ifindex when it runs a pod stub. */
static void detach_clsact_stub(int ifindex)
{
	struct tsn_tc_hook h;
	__u32 id;

	pod_save_hook(&h, ifindex, NULL);
	id = tsn_tc_query(&h);
	if (id && is_pod_stub(id))
		tsn_tc_detach(&h);
}

/*
 * Remove the clsact save filters (kernels without tcx) from the pod's interface ifindex, or from
 * every interface of its netns (ifindex 0), when the netns is still there. A clsact filter has
 * no pin: stop and deny find a pod's filters by its netns, as a pod registered on several
 * interfaces records none of them (its policy's ifindex is 0). A netns that is gone took its
 * filters along.
 */
static void detach_pod_save_clsact(__u32 netns_ino, __u64 cookie, __u32 ifindex)
{
	struct if_nameindex *ifs, *i;
	int fd, saved;

	if (tsn_tc_have_tcx())
		return;	/* tcx links are pinned, and go with their pins */
	fd = tsn_netns_open_alive(netns_ino, cookie);
	if (fd < 0)
		return;
	if (!tsn_netns_enter(fd, &saved)) {
		if (ifindex) {
			detach_clsact_stub((int)ifindex);
		} else {
			ifs = if_nameindex();
			for (i = ifs; i && i->if_index; i++)
				detach_clsact_stub((int)i->if_index);
			if (ifs)
				if_freenameindex(ifs);
		}
		tsn_netns_leave(saved);
	}
	close(fd);
}

/* A pod's save hooks, tcx links and clsact filters, on ifindex or on all its interfaces (0). */
static void detach_pod_save(const char *pin_dir, __u32 netns_ino, __u64 cookie, __u32 ifindex)
{
	detach_save_links(pin_dir, netns_ino, ifindex);
	detach_pod_save_clsact(netns_ino, cookie, ifindex);
}

void proxy_pods_detach_clsact(const char *pin_dir)
{
	struct tsn_policy pol;
	__u32 key, next, *prev = NULL;
	int fd;

	if (tsn_tc_have_tcx())
		return;
	fd = proxy_map_fd(pin_dir, "policy");
	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &pol))
			detach_pod_save_clsact(key, pol.netns_cookie, 0);
	}
	close(fd);
}

/*
 * Unbind, detach and forget a registration. Its entries stay in the table, refused by the
 * restore from the unbind on (guarantee 4), until they expire or their slots are written.
 */
static void unregister(const char *pin_dir, __u32 netns_ino, const struct tsn_policy *pol)
{
	int fd;

	if (pol->tag)	/* first: no save and no restore for the pod from here on */
		unbind_tag(pin_dir, pol->tag, netns_ino);
	detach_pod_save(pin_dir, netns_ino, pol->netns_cookie, 0);
	fd = proxy_map_fd(pin_dir, "policy");
	if (fd >= 0) {
		bpf_map_delete_elem(fd, &netns_ino);
		close(fd);
	}
}

int tsn_proxy_allow(const char *pin_dir, __u32 netns_ino, const struct tsn_policy *pol,
		    const char *pod_ifname, int netns_fd, char *err, size_t errlen)
{
	struct tsn_proxy_config cfg;
	struct tsn_policy p = *pol, old = { 0 };
	struct proxy_pod_link_set links = { 0 };
	int stub = -1;
	int fd = -1, lock, ifindex, e = 0;
	bool have_old, had_link, fresh_tag = false;
	__u32 own_netns = 0, tag;

	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	e = proxy_config_or_error(pin_dir, &cfg, err, errlen);
	if (e)
		goto out;
	if (cfg.save_hook != TSN_SAVE_TC) {
		e = -EINVAL;
		fail(err, errlen, e, "--policy all with the tracepoint save hook already covers every "
		     "pod with every priority: allow has nothing to register");
		goto out;
	}
	if (netns_fd < 0) {
		e = -EINVAL;
		fail(err, errlen, e, "the pod's netns must exist to register it");
		goto out;
	}
	if (!tsn_netns_inode(-1, &own_netns) && own_netns == netns_ino) {
		e = -EINVAL;
		fail(err, errlen, e, "netns %u is the node's own (the NICs' netns), not a pod's",
		     netns_ino);
		goto out;
	}
	ifindex = pod_ifname ? tsn_netns_ifindex(netns_fd, pod_ifname) :
			       tsn_netns_only_link(netns_fd);
	if (ifindex < 0) {
		e = pod_ifname ? ifindex : -EINVAL;
		if (pod_ifname)
			fail(err, errlen, e, "no interface '%s' in the pod netns", pod_ifname);
		else
			fail(err, errlen, e, "the save hook needs the pod's interface: %s; name it with "
			     "--ifname", ifindex == -EMLINK ? "the pod netns has several" :
							    "the pod netns has none up");
		goto out;
	}
	p.ifindex = (__u32)ifindex;
	e = tsn_netns_cookie(netns_fd, &p.netns_cookie);
	if (e) {
		fail(err, errlen, e, "reading the pod netns' cookie: %s", strerror(-e));
		goto out;
	}
	fd = proxy_map_fd(pin_dir, "policy");
	if (fd < 0) {
		e = -errno;
		fail(err, errlen, e, "%s has no pod registry (maps/policy): run stop", pin_dir);
		goto out;
	}
	have_old = !bpf_map_lookup_elem(fd, &netns_ino, &old);
	if (have_old && old.netns_cookie != p.netns_cookie) {
		/* the inode of a netns that is gone, recycled: nothing of that pod carries over */
		pr_info("netns %u was registered for a netns that no longer exists: replacing it",
			netns_ino);
		unregister(pin_dir, netns_ino, &old);
		have_old = false;
	}
	if (have_old) {
		char old_ifname[IF_NAMESIZE];

		p.tag = old.tag;
		/*
		 * A second interface of the pod: the policy covers both, naming neither. An
		 * interface that replaced the registered one, which is gone, takes its place.
		 */
		if (old.ifindex != p.ifindex &&
		    (!old.ifindex || !tsn_netns_ifname(netns_fd, (int)old.ifindex, old_ifname)))
			p.ifindex = 0;
	} else {
		e = alloc_tag(pin_dir, &cfg, &tag);
		p.tag = (__u16)tag;
		if (e == -ENOSPC) {
			fail(err, errlen, e, "no free pod tag (%u pods registered, or unregistered "
			     "less than a TTL ago)", TSN_POD_TAGS - 1);
			goto out;
		} else if (e) {
			fail(err, errlen, e, "allocating a pod tag: %s", strerror(-e));
			goto out;
		}
		fresh_tag = true;
	}
	/* links left by interfaces that are gone: relinking the pod's links would fail on them */
	e = proxy_pod_links_read(pin_dir, &links);
	if (e) {
		fail(err, errlen, e, "listing the save links in %s: %s", pin_dir, strerror(-e));
		goto undo;
	}
	proxy_pod_links_in(pin_dir, &links, netns_ino, unpin_dead_link, NULL);
	had_link = save_attached(pin_dir, netns_ino, netns_fd, ifindex);
	/*
	 * Bound before the stub runs: its first packet is already trusted. Registering the pod
	 * again changes its policy here, for every packet from now on (each field of the binding
	 * is the old or the new one's while the update runs).
	 */
	e = bind_tag(pin_dir, &cfg, p.tag, netns_ino, &p);
	if (!e) {
		stub = pod_stub(pin_dir, p.tag);
		e = stub < 0 ? stub : 0;
	}
	if (e) {
		fail(err, errlen, e, "loading the pod's save program: %s", strerror(-e));
		goto undo;
	}
	e = attach_pod_save(pin_dir, &links, netns_ino, netns_fd, ifindex, stub);
	close(stub);
	if (e) {
		fail(err, errlen, e, "attaching the save program in the pod netns: %s", strerror(-e));
		if (!had_link)	/* nothing half-attached: the new link goes again */
			detach_pod_save(pin_dir, netns_ino, p.netns_cookie, (__u32)ifindex);
		goto undo;
	}
	if (bpf_map_update_elem(fd, &netns_ino, &p, BPF_ANY)) {
		e = -errno;
		fail(err, errlen, e, "registering netns %u: %s", netns_ino, strerror(errno));
		if (!had_link)
			detach_pod_save(pin_dir, netns_ino, p.netns_cookie, (__u32)ifindex);
		goto undo;
	}
	goto out;
undo:
	if (fresh_tag)
		unbind_tag(pin_dir, p.tag, netns_ino);
	else	/* the registration stays as it was, with its policy */
		bind_tag(pin_dir, &cfg, old.tag, netns_ino, &old);
out:
	if (fd >= 0)
		close(fd);
	proxy_pod_links_free(&links);
	proxy_unlock(lock);
	return e;
}

int tsn_proxy_check_save(const char *pin_dir, __u32 netns_ino, int netns_fd, const char *ifname,
			 char *err, size_t errlen)
{
	struct tsn_proxy_config cfg;
	int ifindex, e;

	e = proxy_config_or_error(pin_dir, &cfg, err, errlen);
	if (e)
		return e;
	if (cfg.save_hook != TSN_SAVE_TC)
		return 0;	/* the tracepoint needs nothing per pod */
	ifindex = tsn_netns_ifindex(netns_fd, ifname);
	if (ifindex < 0)
		return fail(err, errlen, ifindex, "no interface '%s' in the pod netns", ifname);
	if (!save_attached(pin_dir, netns_ino, netns_fd, ifindex))
		return fail(err, errlen, -ENOLINK,
			    "the save program is not attached to the pod's %s (ifindex %d): the "
			    "interface was recreated or its link removed; registering the pod again "
			    "repairs it", ifname, ifindex);
	return 0;
}

int tsn_proxy_detach_save(const char *pin_dir, __u32 netns_ino, __u32 ifindex)
{
	int lock = proxy_lock();

	struct tsn_policy pol;
	int fd;

	if (lock < 0)
		return lock;
	fd = proxy_map_fd(pin_dir, "policy");
	/* the cookie tells the registered netns from another at a recycled inode */
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &netns_ino, &pol))
		detach_pod_save(pin_dir, netns_ino, pol.netns_cookie, ifindex);
	else
		detach_save_links(pin_dir, netns_ino, ifindex);
	if (fd >= 0)
		close(fd);
	proxy_unlock(lock);
	return 0;
}

int tsn_proxy_deny(const char *pin_dir, __u32 netns_ino, char *err, size_t errlen)
{
	struct tsn_policy pol;
	int fd, lock, e = 0;

	lock = proxy_lock();
	if (lock < 0)
		return fail(err, errlen, lock, "cannot lock %s: %s", LOCK_PATH, strerror(-lock));
	fd = proxy_map_fd(pin_dir, "policy");
	if (fd < 0) {
		e = -ENOENT;
		fail(err, errlen, e, "enforce mode is not running (no state in %s)", pin_dir);
	} else {
		memset(&pol, 0, sizeof(pol));
		bpf_map_lookup_elem(fd, &netns_ino, &pol);
		close(fd);
		unregister(pin_dir, netns_ino, &pol);
	}
	proxy_unlock(lock);
	return e;
}

int tsn_proxy_lookup(const char *pin_dir, __u32 netns_ino, struct tsn_policy *pol)
{
	int fd = proxy_map_fd(pin_dir, "policy"), e;

	if (fd < 0)
		return -errno;
	e = bpf_map_lookup_elem(fd, &netns_ino, pol) ? -errno : 0;
	close(fd);
	return e;
}

int tsn_proxy_list(const char *pin_dir, __u32 *inos, int max)
{
	__u32 key, next;
	int fd = proxy_map_fd(pin_dir, "policy"), n = 0;
	void *prev = NULL;

	if (fd < 0)
		return -errno;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		inos[n++] = next;
		key = next;
		prev = &key;
	}
	close(fd);
	return n;
}
