// SPDX-License-Identifier: GPL-2.0-only
/*
 * The BPF object's lifecycle: open -> choose programs (autoload) -> set rodata and map sizes ->
 * load -> attach. Programs of a backend that is not chosen (trace_backend_choice.c) are never
 * loaded, so the tracepoint backend works on kernels without fentry or kprobe-multi.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "counters.h"
#include "kfeatures.h"
#include "log.h"
#include "netns.h"
#include "tc.h"
#include "trace_backend.h"
#include "trace_cause.h"
#include "trace_pcap.h"
#include "tsntrace.skel.h"

/* ---- load and attach ---- */

struct tt_tc_obs {
	struct tsn_tc_hook hook;
	int netns_fd;			/* where the interface lives, -1: ours */
	bool attached;
};

struct tt_bpf {
	struct tsntrace_bpf *skel;
	struct bpf_link **links;
	int nlinks;
	struct tsn_attach *kpm;
	struct tt_tc_obs tc[2 * TT_MAX_TC_OBSERVE];
	int ntc;
	double attach_ms;
	size_t nprogs;
};

static bool is_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Does the kernel (vmlinux or the veth module) have BTF for this function? */
static bool kernel_has_func(struct btf *vmlinux, const char *mod, const char *func)
{
	char path[128];
	struct btf *btf;
	bool ok;

	if (vmlinux && btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) > 0)
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", mod);
	if (!vmlinux || access(path, R_OK))
		return false;
	btf = btf__parse_split(path, vmlinux);
	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return ok;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* IF or IF@NETNS */
static int tc_observe_one(struct tt_bpf *t, const char *spec, char *err, size_t errlen)
{
	char name[IF_NAMESIZE];
	const char *at;
	int fd = -1, saved = -1, ifindex, rc, dir;

	rc = tsn_netns_split_ifspec(spec, name, &at);
	if (rc) {
		snprintf(err, errlen, "--tc-observe %s: %s", spec, rc == -ENAMETOOLONG ?
			 "an interface name has at most 15 characters" : "not IF or IF@NETNS");
		return rc;
	}
	if (at) {
		fd = tsn_netns_open(at);
		if (fd < 0) {
			snprintf(err, errlen, "--tc-observe %s: netns '%s': %s", spec, at,
				 fd == -ENOENT ? "no such network namespace" : strerror(-fd));
			return fd;
		}
	}
	ifindex = tsn_netns_ifindex(fd, name);
	if (ifindex < 0) {
		snprintf(err, errlen, "--tc-observe %s: no interface '%s'%s%s", spec, name,
			 at ? " in netns " : "", at ? at : "");
		if (fd >= 0)
			close(fd);
		return ifindex;
	}
	if (fd >= 0 && (rc = tsn_netns_enter(fd, &saved))) {
		snprintf(err, errlen, "--tc-observe %s: cannot enter netns: %s", spec, strerror(-rc));
		close(fd);
		return rc;
	}
	for (dir = 0; dir < 2; dir++) {
		struct tt_tc_obs *o = &t->tc[t->ntc];
		struct bpf_program *prog = dir ? t->skel->progs.tsn_tc_obs_eg :
						 t->skel->progs.tsn_tc_obs_in;

		memset(o, 0, sizeof(*o));
		o->netns_fd = -1;
		o->hook.ifindex = ifindex;
		o->hook.dir = dir ? TSN_TC_EGRESS : TSN_TC_INGRESS;
		o->hook.kind = TSN_TC_AUTO;
		o->hook.link_fd = -1;
		/* away from the handles other tsnkit tools use on clsact */
		o->hook.handle = 0x75;
		o->hook.priority = 0x7575;
		/*
		 * tcx: ahead of other programs, so that the observer sees what arrives at the hook
		 * and a change by a later program (tsnproxy's restore) shows at the next hop
		 */
		o->hook.first = true;
		rc = tsn_tc_attach(&o->hook, bpf_program__fd(prog));
		if (rc) {
			snprintf(err, errlen, "--tc-observe %s: tc %s attach: %s", spec,
				 dir ? "egress" : "ingress", strerror(-rc));
			break;
		}
		o->attached = true;
		o->netns_fd = fd >= 0 ? dup(fd) : -1;
		t->ntc++;
	}
	if (saved >= 0)
		tsn_netns_leave(saved);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void tc_detach_all(struct tt_bpf *t)
{
	int i, saved;

	for (i = t->ntc - 1; i >= 0; i--) {
		struct tt_tc_obs *o = &t->tc[i];

		if (!o->attached)
			continue;
		saved = -1;
		if (o->netns_fd >= 0 && tsn_netns_enter(o->netns_fd, &saved))
			saved = -1;
		tsn_tc_detach(&o->hook);
		if (saved >= 0)
			tsn_netns_leave(saved);
		if (o->netns_fd >= 0)
			close(o->netns_fd);
		o->attached = false;
	}
	t->ntc = 0;
}

/* syscall programs and bpf_loop (5.17): without them the first pass costs the first events */
static bool rb_warm_supported(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_loop, NULL) == 1;
}

static int rb_skip(void *ctx, void *data, size_t size)
{
	return 0;
}

static int rb_warm_run(struct tt_bpf *t, struct ring_buffer *rb, __u32 chunks)
{
	struct tsn_rb_warm_ctx ctx = { .chunks = chunks };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int rc;

	rc = bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.tsn_rb_warm), &run);
	if (rc)
		return -errno;
	rc = ring_buffer__consume(rb);
	return rc < 0 ? rc : 0;
}

/*
 * Touch every page of the ring buffer once (tsn_rb_warm) and consume the discarded records:
 * the ring is empty again, its producer one lap on. Where the kernel's first write to a page
 * is expensive (a hypervisor that shadows the guest's page tables), the first lap through the
 * ring would otherwise cost each event a share of that (docs/tsntrace.md, Performance). A ring
 * holds one byte less than its size: the lap is all chunks but one, then the last.
 */
static int rb_warm(struct tt_bpf *t, unsigned int size)
{
	struct ring_buffer *rb;
	int rc;

	rb = ring_buffer__new(bpf_map__fd(t->skel->maps.tsn_events), rb_skip, NULL, NULL);
	if (!rb)
		return -errno;
	rc = rb_warm_run(t, rb, size / TSN_RB_CHUNK - 1);
	rc = rc ?: rb_warm_run(t, rb, 1);
	ring_buffer__free(rb);
	return rc;
}

/* Is the tracepoint program prog ("tp_btf/NAME") in the set asked for (0: all)? */
static bool tp_wanted(const struct bpf_program *prog, __u32 tp_hooks)
{
	const char *sec = bpf_program__section_name(prog), *slash = strchr(sec, '/');

	return !tp_hooks || (slash && (tp_hooks & TT_TP_HOOK(tt_hook_tracepoint(slash + 1))));
}

int tt_bpf_open(struct tt_bpf **out, const struct tt_bpf_opts *o, enum tt_backend backend,
		char *err, size_t errlen)
{
	struct bpf_program *prog, *kpm[TSN_ATTACH_MAX_ARGS];
	struct btf *vmlinux = NULL;
	struct tt_bpf *t;
	double t0;
	int rc, i;

	*out = NULL;
	if (o->n_tc_observe && !tsn_feature_has(TSN_FEAT_KERN_CTX)) {
		snprintf(err, errlen, "--tc-observe: %s", tsn_feature_status(TSN_FEAT_KERN_CTX)->reason);
		return -EOPNOTSUPP;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (o->pcap) {
		rc = tt_pcap_load_begin(o->pcap, err, errlen);
		if (rc) {
			free(t);
			return rc;
		}
	}
	t->skel = tsntrace_bpf__open();
	if (!t->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-rc));
		goto fail;
	}
	vmlinux = btf__load_vmlinux_btf();

	/* choose the programs */
	bpf_object__for_each_program(prog, t->skel->obj) {
		const char *name = bpf_program__name(prog);
		bool load = false;

		if (is_prefix(name, "tsn_tp_"))
			load = tp_wanted(prog, o->tp_hooks);
		else if (is_prefix(name, "tsn_tc_obs"))
			load = o->n_tc_observe > 0;
		else if (is_prefix(name, "tsn_fe_") || is_prefix(name, "tsn_fx_"))
			load = backend == TT_BACKEND_FENTRY;
		else if (is_prefix(name, "tsn_kpm"))
			load = backend == TT_BACKEND_KPROBE_MULTI;
		if (prog == t->skel->progs.tsn_rb_warm) {
			bpf_program__set_autoload(prog, !o->aggregate && rb_warm_supported());
			continue;
		}
		if (load && prog == t->skel->progs.tsn_fx_veth_xdp)
			load = kernel_has_func(vmlinux, "veth", "veth_convert_skb_to_xdp_buff");
		if (load && prog == t->skel->progs.tsn_fx_segment)
			load = kernel_has_func(vmlinux, "vmlinux", "skb_segment");
		bpf_program__set_autoload(prog, load);
		if (load)
			t->nprogs++;
	}

	/* rodata and sizes */
	t->skel->rodata->tsn_filter = o->filter;
	t->skel->rodata->tsn_track_mask = o->capacity - 1;
	t->skel->rodata->tsn_track_fp_mask = o->capacity - 1;
	t->skel->rodata->tsn_aggregate = o->aggregate;
	t->skel->rodata->tsn_headers_btf = tsn_feature_has(TSN_FEAT_KERN_CTX);
	t->skel->rodata->tsn_pcap_on = !!o->pcap;
	t->skel->rodata->tsn_event_extra = o->aggregate ? 0 : o->event_extra;
	rc = bpf_map__set_max_entries(t->skel->maps.tsn_track, o->capacity);
	rc = rc ?: bpf_map__set_max_entries(t->skel->maps.tsn_track_fp, o->capacity);
	rc = rc ?: bpf_map__set_max_entries(t->skel->maps.tsn_events, o->ringbuf_size);
	if (o->aggregate) {
		rc = rc ?: bpf_map__set_max_entries(t->skel->maps.tsn_agg_pkts, o->capacity);
		rc = rc ?: bpf_map__set_max_entries(t->skel->maps.tsn_agg_flows, o->max_flows);
		rc = rc ?: bpf_map__set_max_entries(t->skel->maps.tsn_agg_hops, o->max_hops);
	}
	if (rc) {
		snprintf(err, errlen, "cannot size maps: %s", strerror(-rc));
		goto fail;
	}

	if (o->pcap) {
		rc = tt_pcap_load_prepare(o->pcap, t->skel->obj, err, errlen);
		if (rc)
			goto fail;
	}
	rc = tsntrace_bpf__load(t->skel);
	if (o->pcap && tt_pcap_load_end(o->pcap, !rc, err, errlen)) {
		rc = rc ?: -EINVAL;
		goto fail;
	}
	if (rc) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (-vv shows the verifier log)",
			 strerror(-rc));
		goto fail;
	}

	if (bpf_program__autoload(t->skel->progs.tsn_rb_warm)) {
		rc = rb_warm(t, o->ringbuf_size);
		if (rc) {
			snprintf(err, errlen, "cannot prepare the ring buffer: %s", strerror(-rc));
			goto fail;
		}
	}

	/* attach: tracing programs one by one (the kprobe-multi ones go through tsn_attach) */
	t0 = mono_ms();
	t->links = calloc(t->nprogs, sizeof(*t->links));
	if (!t->links) {
		rc = -ENOMEM;
		goto fail;
	}
	bpf_object__for_each_program(prog, t->skel->obj) {
		const char *name = bpf_program__name(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || is_prefix(name, "tsn_kpm") ||
		    is_prefix(name, "tsn_tc_obs") || prog == t->skel->progs.tsn_rb_warm)
			continue;
		/* not bpf_program__attach(): with an expression the section handlers that loaded
		 * the programs are gone (lib/trace_pcap.h); all these are tracing programs */
		link = bpf_program__attach_trace(prog);
		if (!link) {
			rc = -errno;
			snprintf(err, errlen, "cannot attach %s: %s", name, strerror(-rc));
			goto fail;
		}
		t->links[t->nlinks++] = link;
	}
	if (backend == TT_BACKEND_KPROBE_MULTI) {
		struct tsn_attach_opts aopts = { .filter_func = o->filter_func, .btf = vmlinux };

		rc = tsn_attach_new(&aopts, &t->kpm);
		if (rc) {
			snprintf(err, errlen, "--filter-func '%s': not a valid regular expression",
				 o->filter_func);
			goto fail;
		}
		rc = tsn_attach_collect(t->kpm);
		if (rc) {
			snprintf(err, errlen, "kprobe-multi: %s", tsn_attach_error(t->kpm));
			goto fail;
		}
		if (!tsn_attach_count(t->kpm)) {
			rc = -ENOENT;
			snprintf(err, errlen, "kprobe-multi: no traceable function matches%s%s",
				 o->filter_func ? " --filter-func " : "",
				 o->filter_func ? o->filter_func : "");
			goto fail;
		}
		kpm[0] = t->skel->progs.tsn_kpm1;
		kpm[1] = t->skel->progs.tsn_kpm2;
		kpm[2] = t->skel->progs.tsn_kpm3;
		kpm[3] = t->skel->progs.tsn_kpm4;
		kpm[4] = t->skel->progs.tsn_kpm5;
		rc = tsn_attach_kprobe_multi(t->kpm, kpm);
		if (rc) {
			snprintf(err, errlen, "%s", tsn_attach_error(t->kpm));
			goto fail;
		}
		pr_info("kprobe-multi: attached %zu of %zu functions taking struct sk_buff * in %.1f ms",
			tsn_attach_attached(t->kpm), tsn_attach_btf_candidates(t->kpm),
			tsn_attach_ms(t->kpm));
	}
	for (i = 0; i < o->n_tc_observe; i++) {
		rc = tc_observe_one(t, o->tc_observe[i], err, errlen);
		if (rc)
			goto fail;
	}
	/* only now may a packet start being followed: every hook it takes is there */
	t->skel->bss->tsn_armed = 1;
	t->attach_ms = mono_ms() - t0;
	btf__free(vmlinux);
	*out = t;
	return 0;
fail:
	if (o->pcap)
		tt_pcap_load_end(o->pcap, false, NULL, 0);	/* no-op once ended */
	btf__free(vmlinux);
	tt_bpf_close(t);
	return rc ? rc : -EINVAL;
}

void tt_bpf_detach(struct tt_bpf *t)
{
	int i;

	if (!t)
		return;
	tc_detach_all(t);
	tsn_attach_free(t->kpm);
	t->kpm = NULL;
	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
}

void tt_bpf_close(struct tt_bpf *t)
{
	if (!t)
		return;
	tt_bpf_detach(t);
	free(t->links);
	tsntrace_bpf__destroy(t->skel);
	free(t);
}

void tt_bpf_reader_waits(struct tt_bpf *t)
{
	t->skel->bss->tt_reader_idle = 1;
}

int tt_bpf_ringbuf_fd(const struct tt_bpf *t)
{
	return bpf_map__fd(t->skel->maps.tsn_events);
}

double tt_bpf_attach_ms(const struct tt_bpf *t)
{
	return t->attach_ms;
}

size_t tt_bpf_kprobe_count(const struct tt_bpf *t)
{
	return tsn_attach_attached(t->kpm);
}

size_t tt_bpf_prog_count(const struct tt_bpf *t)
{
	return t->nprogs;
}

/* Sum a per-CPU array of n __u64 counters. */
static int percpu_sum(int fd, __u32 n, int ncpus, __u64 *sum)
{
	__u64 *vals = calloc(ncpus, sizeof(*vals));
	int cpu;
	__u32 id;

	if (!vals)
		return -ENOMEM;
	for (id = 0; id < n; id++) {
		sum[id] = 0;
		if (bpf_map_lookup_elem(fd, &id, vals))
			continue;
		for (cpu = 0; cpu < ncpus; cpu++)
			sum[id] += vals[cpu];
	}
	free(vals);
	return 0;
}

int tt_bpf_counters(const struct tt_bpf *t, __u64 *sum, __u64 *lost_per_cpu, int ncpus)
{
	return tsn_counters_sum(bpf_map__fd(t->skel->maps.tsn_counters), ncpus, sum,
				TSN_CNT_EVENTS_LOST, lost_per_cpu);
}

int tt_bpf_agg_flows_fd(const struct tt_bpf *t)
{
	return bpf_map__fd(t->skel->maps.tsn_agg_flows);
}

int tt_bpf_agg_hops_fd(const struct tt_bpf *t)
{
	return bpf_map__fd(t->skel->maps.tsn_agg_hops);
}

int tt_bpf_agg_set_judged(struct tt_bpf *t, const struct tsn_agg_nic *nics, int n)
{
	int fd = bpf_map__fd(t->skel->maps.tsn_agg_judge), i, rc;
	struct tsn_agg_nic key, next;
	__u64 ifbits = 0;
	__u32 one = 1;
	bool keep;

	/* drop the NICs no longer judged, then add the current ones */
	rc = bpf_map_get_next_key(fd, NULL, &key);
	while (!rc) {
		rc = bpf_map_get_next_key(fd, &key, &next);
		for (i = 0, keep = false; i < n && !keep; i++)
			keep = nics[i].ifindex == key.ifindex && nics[i].netns == key.netns;
		if (!keep && bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			return -errno;
		key = next;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &nics[i], &one, BPF_ANY))
			return -errno;
		ifbits |= 1ULL << (nics[i].ifindex & 63);
	}
	t->skel->bss->tsn_agg_judge_ifbits = ifbits;
	t->skel->bss->tsn_agg_judging = n;
	return 0;
}

int tt_bpf_agg_stats(const struct tt_bpf *t, __u64 *sum, int ncpus)
{
	return percpu_sum(bpf_map__fd(t->skel->maps.tsn_agg_stats), TSN_AGG__MAX, ncpus, sum);
}
