// SPDX-License-Identifier: GPL-2.0-only
/*
 * rbcost: what one tsntrace event's kernel primitives cost on this machine
 * (bench/progs/bench_ringbuf.bpf.c through BPF_PROG_TEST_RUN, timed around the run): a ring
 * buffer record of the event's size on its first lap through a fresh ring and on later laps,
 * a clock read, a 16-byte probe read; each minus the bare loop, ns per operation.
 *
 *   rbcost [--ringbuf-size BYTES] [--laps N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tsnkit.h"
#include "bench_ringbuf.skel.h"

static double mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per iteration of prog run count times, -1 on error */
static double per_op(struct bench_ringbuf_bpf *skel, struct bpf_program *prog, __u32 count)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	double t0;

	skel->bss->bench_count = count;
	t0 = mono_ns();
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &run))
		return -1;
	return (mono_ns() - t0) / count;
}

static int skip(void *ctx, void *data, size_t size)
{
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ringbuf-size", required_argument, NULL, 's' },
		{ "laps", required_argument, NULL, 'l' },
		{},
	};
	unsigned long size = 64UL << 20, laps = 3;
	struct bench_ringbuf_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	double loop, rec, kt, pr;
	__u32 records;
	int c, ret = 1;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			size = strtoul(optarg, &end, 0);
			if (*end || !size || (size & (size - 1)) || size < 4096 || size > (1UL << 30)) {
				fprintf(stderr, "rbcost: --ringbuf-size: a power of 2, 4096..2^30\n");
				return 2;
			}
			break;
		case 'l':
			laps = strtoul(optarg, &end, 0);
			if (*end || !laps || laps > 100) {
				fprintf(stderr, "rbcost: --laps: 1..100\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: rbcost [--ringbuf-size BYTES] [--laps N]\n");
			return 2;
		}
	}
	skel = bench_ringbuf_bpf__open();
	if (!skel || bpf_map__set_max_entries(skel->maps.bench_rb, size) ||
	    bench_ringbuf_bpf__load(skel)) {
		fprintf(stderr, "rbcost: cannot load the programs: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.bench_rb), skip, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "rbcost: cannot open the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	/* one lap: as many records as the ring holds (8-byte header each, one byte kept free) */
	records = (size - 1) / (sizeof(struct tsn_trace_event) + 8);
	loop = per_op(skel, skel->progs.bench_rb_loop, records);
	printf("ring %lu bytes, %u records of %zu bytes a lap\n", size, records,
	       sizeof(struct tsn_trace_event));
	for (unsigned long lap = 1; lap <= laps; lap++) {
		rec = per_op(skel, skel->progs.bench_rb_record, records);
		if (rec < 0 || skel->bss->bench_failed) {
			fprintf(stderr, "rbcost: lap %lu failed\n", lap);
			goto out;
		}
		printf("record, lap %lu: %.1f ns\n", lap, rec - loop);
		ring_buffer__consume(rb);
	}
	kt = per_op(skel, skel->progs.bench_rb_ktime, records);
	pr = per_op(skel, skel->progs.bench_rb_probe_read, records);
	if (kt < 0 || pr < 0) {
		fprintf(stderr, "rbcost: cannot run the programs: %s\n", strerror(errno));
		goto out;
	}
	printf("bpf_ktime_get_ns: %.1f ns\nbpf_probe_read_kernel 16 bytes: %.1f ns\n", kt - loop,
	       pr - loop);
	ret = 0;
out:
	ring_buffer__free(rb);
	bench_ringbuf_bpf__destroy(skel);
	return ret;
}
