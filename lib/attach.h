/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mass attacher for kprobe-multi (after retsnoop's): an object with a lifecycle.
 *
 *   tsn_attach_new()        options: --filter-func regex, where to read the traceable list
 *   tsn_attach_collect()    every kernel function (vmlinux BTF) that takes a struct sk_buff *
 *                           in one of its first TSN_ATTACH_MAX_ARGS arguments, kept only when
 *                           it is listed in tracefs available_filter_functions and matches the
 *                           regex. libbpf 1.1 expands kprobe-multi patterns from kallsyms, and
 *                           the kernel then rejects the whole attach for one untraceable
 *                           symbol: the list has to be built here.
 *   tsn_attach_kprobe_multi()  one link per argument position (progs[i] reads argument i + 1)
 *   tsn_attach_attached(), tsn_attach_ms()    what was attached and how long it took
 *   tsn_attach_free()       detaches (destroys the links) and frees
 */
#ifndef TSN_ATTACH_H
#define TSN_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_program;
struct btf;

#define TSN_ATTACH_MAX_ARGS 5

struct tsn_attach_opts {
	const char *filter_func;	/* POSIX extended regex on the function name, or NULL */
	const char *avail_path;		/* available_filter_functions; NULL: tracefs */
	const struct btf *btf;		/* kernel BTF; NULL: /sys/kernel/btf/vmlinux */
};

struct tsn_attach;

/* 0 or -errno (-EINVAL: bad regex, see tsn_attach_error()). */
int tsn_attach_new(const struct tsn_attach_opts *opts, struct tsn_attach **out);

/* Build the target list. 0 (also with 0 targets) or -errno; the reason in tsn_attach_error(). */
int tsn_attach_collect(struct tsn_attach *a);

size_t tsn_attach_count(const struct tsn_attach *a);
/* i-th target: its name, and the 1-based position of its struct sk_buff * argument. */
const char *tsn_attach_func(const struct tsn_attach *a, size_t i, int *arg);
/* how many functions BTF offered before the traceability/regex filters */
size_t tsn_attach_btf_candidates(const struct tsn_attach *a);

/*
 * Attach progs[i] (NULL: skip that position) to every target whose skb is argument i + 1.
 * All or nothing: on error every link made so far is destroyed. 0 or -errno.
 */
int tsn_attach_kprobe_multi(struct tsn_attach *a, struct bpf_program *progs[TSN_ATTACH_MAX_ARGS]);

size_t tsn_attach_attached(const struct tsn_attach *a);
double tsn_attach_ms(const struct tsn_attach *a);
const char *tsn_attach_error(const struct tsn_attach *a);

/* Destroy the links (idempotent). */
void tsn_attach_detach(struct tsn_attach *a);
/* Detach and free; NULL-safe. */
void tsn_attach_free(struct tsn_attach *a);

#endif /* TSN_ATTACH_H */
