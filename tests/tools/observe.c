// SPDX-License-Identifier: GPL-2.0-only
/*
 * observe: test-only tool. Prints one NDJSON line per talker datagram seen at a driver transmit
 * (tests/progs/tk_observe.bpf.c), with the skb metadata at that point, so that tests check what the
 * NIC really got without trusting the proxy's own counters.
 *
 *   observe [--dport LO[-HI]] [--ethertype N] [--duration S] [--ready-file F]
 *
 * UDP over IPv4 and IPv6; --ethertype adds the raw frames of that EtherType (build/ethtalker),
 * reported with sport and dport 0. A VXLAN, Geneve, IPIP or GRE packet is reported by the
 * datagram inside, with "tunnel": true. "time_ns" is the transmit's CLOCK_MONOTONIC time
 * (bpf_ktime_get_ns()).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "log.h"
#include "tk_observe.h"
#include "tk_observe.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct tk_obs_event *e = data;
	static const char *const types[] = { "realtime", "mono", "tai", "3" };
	json_object *o = json_object_new_object();

	tsn_json_add_u64(o, "time_ns", e->time_ns);
	tsn_json_add_u64(o, "ifindex", e->ifindex);
	tsn_json_add_u64(o, "netns", e->netns);
	tsn_json_add_u64(o, "sport", e->sport);
	tsn_json_add_u64(o, "dport", e->dport);
	tsn_json_add_u64(o, "pid", e->pid);
	tsn_json_add_u64(o, "seq", e->seq);
	tsn_json_add_u64(o, "priority", e->priority);
	tsn_json_add_u64(o, "mark", e->mark);
	tsn_json_add_u64(o, "tstamp", e->tstamp);
	tsn_json_add_str(o, "tstamp_type", types[e->tstamp_type & 3]);
	tsn_json_add_bool(o, "has_sk", e->has_sk);
	tsn_json_add_u64(o, "queue", e->queue);
	tsn_json_add_u64(o, "ethertype", e->ethertype);
	tsn_json_add_bool(o, "tunnel", e->tunnel);
	tsn_out_emit(stdout, o, TSN_OUT_JSON);
	json_object_put(o);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dport", required_argument, NULL, 'p' },
		{ "ethertype", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{},
	};
	struct tk_observe_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	const char *ready = NULL;
	unsigned int lo = 0, hi = 65535, duration = 60;
	unsigned long ethertype = 0;
	char *endp;
	struct timespec t0, now;
	int c, err = 1;

	tsn_log_init("observe");
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (sscanf(optarg, "%u-%u", &lo, &hi) == 1)
				hi = lo;
			if (lo > hi || hi > 65535) {
				pr_warn("bad --dport '%s'", optarg);
				return 2;
			}
			break;
		case 'e':
			ethertype = strtoul(optarg, &endp, 0);
			if (*endp || ethertype < 0x600 || ethertype > 0xffff) {
				pr_warn("bad --ethertype '%s' (0x0600-0xffff)", optarg);
				return 2;
			}
			break;
		case 'd':
			duration = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			ready = optarg;
			break;
		case 'v':
			tsn_log_set_level(tsn_log_get_level() + 1);
			break;
		default:
			pr_warn("usage: observe [--dport LO[-HI]] [--ethertype N] [--duration S] "
				"[--ready-file F]");
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	skel = tk_observe_bpf__open();
	if (!skel)
		goto cleanup;
	skel->rodata->port_lo = lo;
	skel->rodata->port_hi = hi;
	skel->rodata->raw_ethertype = (__u16)ethertype;
	if (tk_observe_bpf__load(skel) || tk_observe_bpf__attach(skel)) {
		pr_warn("loading/attaching the observer failed");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.tk_events), on_event, NULL, NULL);
	if (!rb)
		goto cleanup;
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((unsigned int)(now.tv_sec - t0.tv_sec) >= duration)
			break;
	}
	ring_buffer__consume(rb);
	if (skel->bss->tk_lost)
		pr_warn("%llu events lost", (unsigned long long)skel->bss->tk_lost);
	err = 0;
cleanup:
	ring_buffer__free(rb);
	tk_observe_bpf__destroy(skel);
	return err;
}
