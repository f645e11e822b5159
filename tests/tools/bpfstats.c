// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfstats: run a command with BPF run-time statistics enabled (BPF_ENABLE_STATS: scoped to
 * this process' fd, no sysctl is changed) and print, as JSON, run_cnt and run_time_ns that
 * every program whose name starts with a prefix accumulated during the command.
 * With --empty IF it also attaches empty programs (bench/progs/bench_empty.bpf.c) to the hooks
 * enforce mode used (tcx egress on IF in the current netns, the three tracepoints): the baseline.
 * --no-stats leaves statistics off (and the counts at 0): what the empty programs alone cost
 * a flood, without the two clock reads per run that statistics add. For the hooks of the tc
 * save configuration instead: --no-xmit leaves the transmit tracepoint out, and --empty-tc
 * NETNS:IF adds a tcx egress program on IF in another netns (the pod's interface); --no-free
 * leaves the two free tracepoints out (the hooks of ABI 4, which has no free hooks).
 * --empty-tp TP,TP... attaches empty programs to exactly these tracepoints instead (no tc
 * program): the hooks tsntrace and tsntop use. Each program's entry names the tracepoint it
 * is attached to ("attach"), so that a tool's program pairs with the empty one on its hook.
 * --ids ID,... counts only these programs and this run's own empty ones: on a machine where
 * other instances of the same tool (or bench) run, their programs have the same names.
 *
 *   bpfstats [--prefix tsn_] [--empty IF [--no-xmit] [--no-free] [--empty-tc NETNS:IF]]
 *            [--empty-tp TP,...] [--no-stats] --
 *            CMD [ARGS...]
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "log.h"
#include "netns.h"
#include "tc.h"
#include "bench_empty.skel.h"

#define MAX_PROGS 256
#define USAGE                                                                            \
	"usage: bpfstats [--prefix P] [--empty IF [--no-xmit] [--no-free] [--empty-tc NETNS:IF]] " \
	"[--empty-tp TP,...] [--ids ID,...] [--no-stats] -- CMD..."

/* Attach (prog_fd >= 0) or detach the empty tc program on "NETNS:IF"'s egress. */
static int netns_tc(const char *spec, struct tsn_tc_hook *h, int prog_fd)
{
	char ns[256];
	const char *colon = strchr(spec, ':');
	int fd, saved, e;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(ns))
		return -EINVAL;
	snprintf(ns, sizeof(ns), "%.*s", (int)(colon - spec), spec);
	fd = tsn_netns_open(ns);
	if (fd < 0)
		return fd;
	e = tsn_netns_enter(fd, &saved);
	close(fd);
	if (e)
		return e;
	if (prog_fd >= 0) {
		h->ifindex = (int)if_nametoindex(colon + 1);
		e = h->ifindex ? tsn_tc_attach(h, prog_fd) : -ENODEV;
	} else {
		e = tsn_tc_detach(h);
		if (h->link_fd >= 0)
			close(h->link_fd);
	}
	tsn_netns_leave(saved);
	return e;
}

struct prog_stat {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	char attach[64];	/* tp_btf: the tracepoint, "" otherwise */
	__u64 cnt, ns;
};

/* Is tracepoint tp one of the comma-separated list? */
static bool tp_listed(const char *list, const char *tp)
{
	size_t n = strlen(tp);
	const char *p = list;

	while ((p = strstr(p, tp))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* The tracepoint a tp_btf program is attached to: its BTF target is "btf_trace_<tp>". */
static void attach_name(const struct bpf_prog_info *info, char *out, size_t len)
{
	static const char pfx[] = "btf_trace_";
	const struct btf_type *t;
	const char *name;
	struct btf *btf;

	out[0] = 0;
	if (info->type != BPF_PROG_TYPE_TRACING || !info->attach_btf_id)
		return;
	btf = btf__load_from_kernel_by_id(info->attach_btf_obj_id);
	if (!btf)
		return;
	t = btf__type_by_id(btf, info->attach_btf_id);
	name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	if (name && !strncmp(name, pfx, sizeof(pfx) - 1))
		snprintf(out, len, "%s", name + sizeof(pfx) - 1);
	btf__free(btf);
}

/* --ids, and the ids of this run's empty programs: when only_ids, nothing else is counted */
static char id_list[4096];
static bool only_ids;

static bool id_wanted(__u32 id)
{
	char key[16];

	snprintf(key, sizeof(key), ",%u,", id);
	return !only_ids || strstr(id_list, key);
}

static void want_empty_ids(struct bench_empty_bpf *skel)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;
	__u32 len;
	size_t n;

	bpf_object__for_each_program(prog, skel->obj) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		n = strlen(id_list);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			snprintf(id_list + n, sizeof(id_list) - n, "%u,", info.id);
	}
}

static int snapshot(const char *prefix, struct prog_stat *out)
{
	__u32 id = 0;
	int n = 0;

	while (n < MAX_PROGS && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!id_wanted(id))
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (!strncmp(info.name, prefix, strlen(prefix)) ||
		     !strncmp(info.name, "tk_empty_", 9))) {
			out[n].id = id;
			memcpy(out[n].name, info.name, sizeof(out[n].name));
			out[n].cnt = info.run_cnt;
			out[n].ns = info.run_time_ns;
			attach_name(&info, out[n].attach, sizeof(out[n].attach));
			n++;
		}
		close(fd);
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "empty", required_argument, NULL, 'e' },
		{ "no-stats", no_argument, NULL, 'n' },
		{ "no-xmit", no_argument, NULL, 'x' },
		{ "no-free", no_argument, NULL, 'f' },
		{ "empty-tc", required_argument, NULL, 't' },
		{ "empty-tp", required_argument, NULL, 'T' },
		{ "ids", required_argument, NULL, 'i' },
		{},
	};
	struct prog_stat before[MAX_PROGS], after[MAX_PROGS];
	struct tsn_tc_hook hook = { .dir = TSN_TC_EGRESS, .kind = TSN_TC_AUTO };
	struct tsn_tc_hook hook2 = { .dir = TSN_TC_EGRESS, .kind = TSN_TC_AUTO, .link_fd = -1 };
	struct bench_empty_bpf *skel = NULL;
	const char *prefix = "tsn_", *empty_if = NULL, *empty_tc = NULL, *empty_tp = NULL;
	int c, i, j, nb, na, status = 0, stats_fd = -1, rc = 1;
	bool stats = true, xmit = true, frees = true;
	json_object *res;
	pid_t pid;

	tsn_log_init("bpfstats");
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'p': prefix = optarg; break;
		case 'e': empty_if = optarg; break;
		case 'n': stats = false; break;
		case 'x': xmit = false; break;
		case 'f': frees = false; break;
		case 't': empty_tc = optarg; break;
		case 'T': empty_tp = optarg; break;
		case 'i':
			only_ids = true;
			snprintf(id_list, sizeof(id_list), ",%s,", optarg);
			break;
		default:
			pr_warn(USAGE);
			return 2;
		}
	}
	if (optind >= argc || ((!xmit || !frees || empty_tc) && !empty_if) ||
	    (empty_if && empty_tp)) {
		pr_warn(USAGE);
		return 2;
	}
	if (stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats && stats_fd < 0) {
		pr_warn("BPF_ENABLE_STATS: %s", strerror(errno));
		return 1;
	}
	if (empty_tp) {
		struct bpf_program *prog;

		skel = bench_empty_bpf__open_and_load();
		if (skel)
			bpf_object__for_each_program(prog, skel->obj) {
				const char *sec = bpf_program__section_name(prog);

				bpf_program__set_autoattach(prog, !strncmp(sec, "tp_btf/", 7) &&
								  tp_listed(empty_tp, sec + 7));
			}
		if (!skel || bench_empty_bpf__attach(skel)) {
			pr_warn("attaching the empty programs to %s failed", empty_tp);
			goto cleanup;
		}
	}
	if (empty_if) {
		hook.ifindex = if_nametoindex(empty_if);
		skel = bench_empty_bpf__open_and_load();
		if (skel) {
			struct bpf_program *prog;

			/* enforce mode's hooks only: the transmit and the two free tracepoints */
			bpf_object__for_each_program(prog, skel->obj)
				bpf_program__set_autoattach(prog, false);
			bpf_program__set_autoattach(skel->progs.tk_empty_xmit, xmit);
			bpf_program__set_autoattach(skel->progs.tk_empty_kfree, frees);
			bpf_program__set_autoattach(skel->progs.tk_empty_cons, frees);
		}
		if (!hook.ifindex || !skel || bench_empty_bpf__attach(skel) ||
		    tsn_tc_attach(&hook, bpf_program__fd(skel->progs.tk_empty_tc))) {
			pr_warn("attaching the empty programs to %s failed", empty_if);
			goto cleanup;
		}
		if (empty_tc && netns_tc(empty_tc, &hook2, bpf_program__fd(skel->progs.tk_empty_tc))) {
			pr_warn("attaching the empty program to %s failed", empty_tc);
			goto cleanup;
		}
	}
	if (skel)
		want_empty_ids(skel);
	nb = snapshot(prefix, before);
	pid = fork();
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	na = snapshot(prefix, after);

	/*
	 * One entry per name, summed over the programs of that name: several can run (one
	 * tsnproxy save copy per pod) or sit unattached (the bench's filler programs).
	 */
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (before[j].id == after[i].id) {
				after[i].cnt -= before[j].cnt;
				after[i].ns -= before[j].ns;
			}
		for (j = 0; j < i; j++)
			if (after[j].id && !strcmp(after[j].name, after[i].name)) {
				after[j].cnt += after[i].cnt;
				after[j].ns += after[i].ns;
				after[i].id = 0;	/* merged */
				break;
			}
	}
	res = json_object_new_object();
	for (i = 0; i < na; i++) {
		json_object *p;

		if (!after[i].id)
			continue;
		p = json_object_new_object();
		tsn_json_add_u64(p, "run_cnt", after[i].cnt);
		tsn_json_add_u64(p, "run_time_ns", after[i].ns);
		if (after[i].attach[0])
			json_object_object_add(p, "attach",
					       json_object_new_string(after[i].attach));
		json_object_object_add(res, after[i].name, p);
	}
	tsn_out_emit(stdout, res, TSN_OUT_JSON);
	json_object_put(res);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	if (hook2.ifindex)
		netns_tc(empty_tc, &hook2, -1);
	if (empty_if && hook.ifindex) {
		tsn_tc_detach(&hook);
		if (hook.link_fd >= 0)
			close(hook.link_fd);
	}
	bench_empty_bpf__destroy(skel);
	if (stats_fd >= 0)
		close(stats_fd);
	return rc;
}
