// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes for lib/features.c. One object, one program per probe: the loader enables
 * only the program of the probe it runs (bpf_program__set_autoload), so a kernel that rejects
 * one program type does not fail the others. Nothing here does real work; the programs only
 * have to load (and attach) on a kernel that has the feature.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/net_dev_queue")
int BPF_PROG(tsn_probe_tp_btf, struct sk_buff *skb)
{
	return 0;
}

/* skb_clone: exported, never inlined, present in every kernel config we care about */
SEC("fentry/skb_clone")
int BPF_PROG(tsn_probe_fentry, struct sk_buff *skb, gfp_t gfp)
{
	return 0;
}

SEC("kprobe/skb_clone")
int tsn_probe_kprobe(struct pt_regs *ctx)
{
	return 0;
}

/* no target in the section: userspace creates the link with bpf_link_create() itself */
SEC("kprobe.multi")
int tsn_probe_kprobe_multi(struct pt_regs *ctx)
{
	return 0;
}

struct timer_elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct timer_elem);
} tsn_probe_timers SEC(".maps");

static int timer_cb(void *map, __u32 *key, struct timer_elem *elem)
{
	return 0;
}

#define CLOCK_MONOTONIC 1

/*
 * Run once with bpf_prog_test_run_opts(). The return value tells which step failed, so the
 * reason can name it: 0 ok, 1 no map value, 2 bpf_timer_init, 3 set_callback, 4 start.
 * The timer is armed far in the future; freeing the map on skeleton destroy cancels it.
 */
SEC("tc")
int tsn_probe_timer(struct __sk_buff *skb)
{
	struct timer_elem *e;
	__u32 key = 0;

	e = bpf_map_lookup_elem(&tsn_probe_timers, &key);
	if (!e)
		return 1;
	if (bpf_timer_init(&e->t, &tsn_probe_timers, CLOCK_MONOTONIC))
		return 2;
	if (bpf_timer_set_callback(&e->t, timer_cb))
		return 3;
	if (bpf_timer_start(&e->t, 3600ULL * 1000000000ULL, 0))
		return 4;
	return 0;
}
