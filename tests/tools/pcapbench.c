// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcapbench: what a translated pcap-filter expression (lib/cbpf.h) adds per run. For each
 * expression, two tc programs from tsn_cbpf_load_test_prog(): the filter, and the same caller
 * around a subprogram that returns 1 (the baseline). After one uncounted warm-up round, rounds
 * alternate baseline and filter, each a BPF_PROG_TEST_RUN with --repeat runs over one IPv4/UDP
 * frame (10.0.0.1:40000 -> 10.0.0.2:5001); run_cnt and run_time_ns come from BPF run-time
 * statistics (BPF_ENABLE_STATS, scoped to this process' fd). One line per expression: ns per
 * run of each, the difference, their ratio.
 *
 *   pcapbench [--repeat N] [--rounds R] [--probe] EXPR...
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cbpf.h"

#define USAGE "usage: pcapbench [--repeat N] [--rounds R] [--probe] EXPR..."

struct cost {
	__u64 ns, cnt;
};

static int run_round(int fd, const void *frame, __u32 len, __u32 repeat, struct cost *c)
{
	struct __sk_buff ctx = {.cb = {len}};
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	struct bpf_prog_info before = {}, after = {};
	__u32 ilen = sizeof(before);

	if (bpf_obj_get_info_by_fd(fd, &before, &ilen) || bpf_prog_test_run_opts(fd, &run))
		return -errno;
	ilen = sizeof(after);
	if (bpf_obj_get_info_by_fd(fd, &after, &ilen))
		return -errno;
	c->ns += after.run_time_ns - before.run_time_ns;
	c->cnt += after.run_cnt - before.run_cnt;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"repeat", required_argument, NULL, 'n'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"probe", no_argument, NULL, 'p'},
	    {},
	};
	/* the baseline's subprogram: w0 = 1; exit */
	static const struct bpf_insn ret1[] = {
	    {BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	static char log[1 << 16];
	unsigned char frame[14 + 20 + 8 + 64] = {
	    [0] = 0x02,	      [5] = 0x02,	  [6] = 0x02,	     [11] = 0x01,
	    [12] = 0x08,      [14] = 0x45,	  [16] = 0,	     [17] = 20 + 8 + 64,
	    [22] = 64,	      [23] = 17,	  [26] = 10,	     [29] = 1,
	    [30] = 10,	      [33] = 2,		  [34] = 40000 >> 8, [35] = 40000 & 0xff,
	    [36] = 5001 >> 8, [37] = 5001 & 0xff, [39] = 8 + 64,
	};
	enum tsn_cbpf_mode mode = TSN_CBPF_DIRECT;
	unsigned long repeat = 100000, rounds = 5;
	int opt, stats_fd, i, rc = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			mode = TSN_CBPF_PROBE;
			break;
		default:
			fprintf(stderr, USAGE "\n");
			return 2;
		}
	}
	if (optind >= argc || !repeat || !rounds) {
		fprintf(stderr, USAGE "\n");
		return 2;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "pcapbench: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	for (i = optind; i < argc && !rc; i++) {
		struct cost base = {}, filt = {};
		struct bpf_insn *ebpf = NULL;
		int base_fd = -1, filt_fd = -1;
		size_t n = 0;
		char err[512];
		unsigned long r;

		rc = tsn_pcap_filter(argv[i], TSN_PCAP_L2, mode, &ebpf, &n, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "pcapbench: %s\n", err);
			rc = 2;
			break;
		}
		base_fd = tsn_cbpf_load_test_prog(ret1, 2, mode, 0, log, sizeof(log));
		filt_fd = tsn_cbpf_load_test_prog(ebpf, n, mode, 0, log, sizeof(log));
		free(ebpf);
		if (base_fd < 0 || filt_fd < 0) {
			fprintf(stderr, "pcapbench: '%s': load failed: %s\n", argv[i], log);
			rc = 1;
		}
		/* round 0 warms both up and is not counted */
		for (r = 0; r <= rounds && !rc; r++) {
			if (r == 1)
				base = filt = (struct cost){};
			if (run_round(base_fd, frame, sizeof(frame), (__u32)repeat, &base) ||
			    run_round(filt_fd, frame, sizeof(frame), (__u32)repeat, &filt)) {
				fprintf(stderr, "pcapbench: test run: %s\n", strerror(errno));
				rc = 1;
			}
		}
		if (!rc && base.cnt && filt.cnt) {
			double b = (double)base.ns / (double)base.cnt;
			double f = (double)filt.ns / (double)filt.cnt;

			printf("%-50s base %7.1f ns  filter %7.1f ns  added %7.1f ns  ratio %.3f\n",
			       argv[i], b, f, f - b, f / b);
		}
		if (base_fd >= 0)
			close(base_fd);
		if (filt_fd >= 0)
			close(filt_fd);
	}
	close(stats_fd);
	return rc;
}
