/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU scratch that nests. A program's working copy lives in a per-CPU map (the 512-byte
 * stack is too small), and another program on the same CPU may run in the middle of it: a
 * tracepoint in process context with BH enabled (a datagram freed by its reader's recvmsg())
 * is interrupted by a softirq whose hooks use the same scratch, and an fentry program, which
 * runs with migration disabled but preemption enabled, is preempted on PREEMPT and PREEMPT_RT
 * kernels by a task that runs another one. So each CPU has TSN_NEST_LEVELS copies, each with an
 * owner word: enter claims the first free copy with a compare-and-swap, exit frees that copy.
 * The claim is atomic against whatever interrupts or preempts it on the CPU, and it holds while
 * its program is preempted, so copies may be given back in any order: a preempted program's
 * copy is never handed to another, whichever of them resumes first.
 *
 * TSN_NEST_SCRATCH(name, elem) defines the map `name` and
 *   elem *name##_enter(__u64 **claim)   NULL when every copy is in use
 *   void name##_exit(__u64 *claim)      after every enter that did not return NULL
 */
#ifndef TSN_NEST_BPF_H
#define TSN_NEST_BPF_H

#define TSN_NEST_LEVELS 4

#define TSN_NEST_SCRATCH(name, elem)                                                    \
	struct name##_copies {                                                          \
		__u64 busy[TSN_NEST_LEVELS];	/* 1 while a program holds level[i] */  \
		elem level[TSN_NEST_LEVELS];                                            \
	};                                                                              \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                \
		__uint(max_entries, 1);                                                 \
		__type(key, __u32);                                                     \
		__type(value, struct name##_copies);                                    \
	} name SEC(".maps");                                                            \
	static __always_inline elem *name##_enter(__u64 **claim)                        \
	{                                                                               \
		__u32 zero = 0;                                                         \
		struct name##_copies *s = bpf_map_lookup_elem(&name, &zero);            \
		int i;                                                                  \
                                                                                        \
		if (!s)                                                                 \
			return NULL;                                                    \
		_Pragma("unroll") for (i = 0; i < TSN_NEST_LEVELS; i++)                 \
		{                                                                       \
			/* the plain load skips held copies without a locked op */     \
			if (s->busy[i] || __sync_val_compare_and_swap(&s->busy[i], 0, 1)) \
				continue;                                               \
			*claim = &s->busy[i];                                           \
			return &s->level[i];                                            \
		}                                                                       \
		return NULL;                                                            \
	}                                                                               \
	static __always_inline void name##_exit(__u64 *claim)                           \
	{                                                                               \
		/* the copy's last accesses stay before its release (same CPU: program order) */ \
		asm volatile("" ::: "memory");                                          \
		*(volatile __u64 *)claim = 0;                                           \
	}

#endif /* TSN_NEST_BPF_H */
