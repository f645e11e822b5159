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
 * --ids N[,N...] counts only those program ids and the empty programs it attached itself
 * (statistics are node-wide: on a shared machine other tsnproxy instances, and other bpfstats'
 * empty programs, run programs of the same names).
 *
 *   bpfstats [--prefix tsn_] [--ids N[,N...]]
 *            [--empty IF [--no-xmit] [--no-free] [--empty-tc NETNS:IF]] [--no-stats] --
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
#include <bpf/libbpf.h>

#include "json.h"
#include "log.h"
#include "netns.h"
#include "tc.h"
#include "bench_empty.skel.h"

#define MAX_PROGS 256
#define MAX_IDS 16
#define USAGE                                                                            \
	"usage: bpfstats [--prefix P] [--ids N[,N...]] "                                    \
	"[--empty IF [--no-xmit] [--no-free] [--empty-tc NETNS:IF]] [--no-stats] -- CMD..."

/* --ids: the only program ids counted, none when n is 0 */
static __u32 only_ids[MAX_IDS];
static int n_only_ids;

static bool id_wanted(__u32 id)
{
	int i;

	for (i = 0; i < n_only_ids; i++)
		if (only_ids[i] == id)
			return true;
	return !n_only_ids;
}

/* With --ids, the program of fd counts too (an empty program this run attached). */
static void want_prog(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (n_only_ids && n_only_ids < MAX_IDS && !bpf_obj_get_info_by_fd(fd, &info, &len))
		only_ids[n_only_ids++] = info.id;
}

/* "N[,N...]" into only_ids; -EINVAL (message printed) when it is not such a list */
static int parse_ids(const char *s)
{
	const char *p = s;
	char *end;

	while (*p) {
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || !v || v > UINT32_MAX || n_only_ids == MAX_IDS ||
		    (*end && *end != ','))
			goto bad;
		only_ids[n_only_ids++] = (__u32)v;
		p = *end ? end + 1 : end;
	}
	if (n_only_ids)
		return 0;
bad:
	pr_warn("--ids: '%s' is not a list of up to %d program ids", s, MAX_IDS);
	return -EINVAL;
}

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
	__u64 cnt, ns;
};

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
		{ "ids", required_argument, NULL, 'i' },
		{},
	};
	struct prog_stat before[MAX_PROGS], after[MAX_PROGS];
	struct tsn_tc_hook hook = { .dir = TSN_TC_EGRESS, .kind = TSN_TC_AUTO };
	struct tsn_tc_hook hook2 = { .dir = TSN_TC_EGRESS, .kind = TSN_TC_AUTO, .link_fd = -1 };
	struct bench_empty_bpf *skel = NULL;
	const char *prefix = "tsn_", *empty_if = NULL, *empty_tc = NULL;
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
		case 'i':
			if (parse_ids(optarg))
				return 2;
			break;
		default:
			pr_warn(USAGE);
			return 2;
		}
	}
	if (optind >= argc || ((!xmit || !frees || empty_tc) && !empty_if)) {
		pr_warn(USAGE);
		return 2;
	}
	if (stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats && stats_fd < 0) {
		pr_warn("BPF_ENABLE_STATS: %s", strerror(errno));
		return 1;
	}
	if (empty_if) {
		hook.ifindex = if_nametoindex(empty_if);
		skel = bench_empty_bpf__open_and_load();
		if (skel) {
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
		want_prog(bpf_program__fd(skel->progs.tk_empty_tc));
		want_prog(bpf_program__fd(skel->progs.tk_empty_xmit));
		want_prog(bpf_program__fd(skel->progs.tk_empty_kfree));
		want_prog(bpf_program__fd(skel->progs.tk_empty_cons));
	}
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
