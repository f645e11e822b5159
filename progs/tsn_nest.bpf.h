/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU scratch that nests. A program's working copy lives in a per-CPU map (the 512-byte
 * stack is too small), and another program on the same CPU may run in the middle of it: a
 * tracepoint in process context with BH enabled (a datagram freed by its reader's recvmsg())
 * is interrupted by a softirq whose hooks use the same scratch. So each CPU has
 * TSN_NEST_LEVELS copies and a depth: enter takes the next copy, exit gives it back. An
 * interrupting program exits before the interrupted one resumes, so the depth is a stack.
 * Programs that can be preempted by another user of the scratch on the same CPU (fentry on
 * PREEMPT and PREEMPT_RT kernels) break that order; they are not made safe by this.
 *
 * TSN_NEST_SCRATCH(name, elem) defines the map `name` and
 *   elem *name##_enter(struct name##_stack **st)   NULL when all levels are in use
 *   void name##_exit(struct name##_stack *st)      after every enter that did not return NULL
 */
#ifndef TSN_NEST_BPF_H
#define TSN_NEST_BPF_H

#define TSN_NEST_LEVELS 4

#define TSN_NEST_SCRATCH(name, elem)                                                    \
	struct name##_stack {                                                           \
		__u32 depth;                                                            \
		__u32 _pad;                                                             \
		elem level[TSN_NEST_LEVELS];                                            \
	};                                                                              \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                \
		__uint(max_entries, 1);                                                 \
		__type(key, __u32);                                                     \
		__type(value, struct name##_stack);                                     \
	} name SEC(".maps");                                                            \
	static __always_inline elem *name##_enter(struct name##_stack **st)             \
	{                                                                               \
		__u32 zero = 0, d;                                                      \
		struct name##_stack *s = bpf_map_lookup_elem(&name, &zero);             \
                                                                                        \
		if (!s)                                                                 \
			return NULL;                                                    \
		d = s->depth;                                                           \
		if (d >= TSN_NEST_LEVELS)                                               \
			return NULL;                                                    \
		s->depth = d + 1;                                                       \
		*st = s;                                                                \
		return &s->level[d];                                                    \
	}                                                                               \
	static __always_inline void name##_exit(struct name##_stack *s)                 \
	{                                                                               \
		if (s->depth)                                                           \
			s->depth--;                                                     \
	}

#endif /* TSN_NEST_BPF_H */
