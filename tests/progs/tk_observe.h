/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Event of the test-only observer (tests/progs/tk_observe.bpf.c, tests/tools/observe.c). */
#ifndef TK_OBSERVE_H
#define TK_OBSERVE_H

struct tk_obs_event {
	__u64 time_ns;
	__u64 tstamp;
	__u64 seq;		/* talker sequence number */
	__u32 pid;		/* talker pid */
	__u32 priority;
	__u32 mark;
	__u32 ifindex;
	__u32 netns;
	__u16 sport;
	__u16 dport;
	__u8 tstamp_type;
	__u8 has_sk;
	__u16 queue;
	__u16 ethertype;	/* skb->protocol, host order */
	__u8 tunnel;		/* the datagram was inside a tunnel packet */
	__u8 _pad;
};

#endif
