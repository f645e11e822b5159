// SPDX-License-Identifier: GPL-2.0-only
/* kprobe-multi mass attacher; see attach.h. */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "log.h"

static const char *const avail_paths[] = {
	"/sys/kernel/tracing/available_filter_functions",
	"/sys/kernel/debug/tracing/available_filter_functions",
	NULL,
};

struct tsn_attach_target {
	char *name;
	int arg;
};

struct tsn_attach {
	struct tsn_attach_opts opts;
	regex_t re;
	bool have_re;
	struct tsn_attach_target *targets;
	size_t n, cap;
	size_t candidates;
	struct bpf_link *links[TSN_ATTACH_MAX_ARGS];
	size_t attached;
	double ms;
	char err[256];
};

static int set_err(struct tsn_attach *a, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct tsn_attach *a, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	return rc;
}

int tsn_attach_new(const struct tsn_attach_opts *opts, struct tsn_attach **out)
{
	struct tsn_attach *a = calloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	if (opts)
		a->opts = *opts;
	if (a->opts.filter_func) {
		rc = regcomp(&a->re, a->opts.filter_func, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			free(a);
			return -EINVAL;
		}
		a->have_re = true;
	}
	*out = a;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * The traceable set: names in available_filter_functions, without " [module]" suffixes.
 * A name listed twice is several static functions of that name: kprobe-multi resolves a name to
 * one address only, so such names are left out rather than attached to an arbitrary one.
 */
static int read_avail(struct tsn_attach *a, char ***out, size_t *nout)
{
	const char *path = a->opts.avail_path;
	char line[512], **v = NULL, **nv;
	size_t n = 0, cap = 0, i, j;
	FILE *f = NULL;
	int k;

	if (path) {
		f = fopen(path, "re");
	} else {
		for (k = 0; avail_paths[k] && !f; k++) {
			path = avail_paths[k];
			f = fopen(path, "re");
		}
	}
	if (!f)
		return set_err(a, -ENOENT,
			       "cannot read %s (%s): is tracefs mounted? (mount -t tracefs nodev /sys/kernel/tracing)",
			       path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = '\0';
		if (!*line)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
		}
		v[n] = strdup(line);
		if (!v[n])
			goto nomem;
		n++;
	}
	fclose(f);
	if (n)	/* v is NULL for an empty list: qsort() must not get it */
		qsort(v, n, sizeof(*v), cmp_str);
	/* drop every name that occurs more than once */
	for (i = 0, j = 0; i < n;) {
		size_t e = i + 1;

		while (e < n && !strcmp(v[e], v[i]))
			e++;
		if (e - i == 1)
			v[j++] = v[i];
		else
			while (i < e)
				free(v[i++]);
		i = e;
	}
	*out = v;
	*nout = j;
	return 0;
nomem:
	fclose(f);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return set_err(a, -ENOMEM, "out of memory reading %s", path);
}

/* 1-based position of the first struct sk_buff * among the first MAX_ARGS params, or 0. */
static int skb_arg(const struct btf *btf, const struct btf_type *proto)
{
	const struct btf_param *p = btf_params(proto);
	int i, n = btf_vlen(proto);

	for (i = 0; i < n && i < TSN_ATTACH_MAX_ARGS; i++) {
		const struct btf_type *t = btf__type_by_id(btf, p[i].type);

		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		if (!t || !btf_is_ptr(t))
			continue;
		t = btf__type_by_id(btf, t->type);
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), "sk_buff"))
			return i + 1;
	}
	return 0;
}

static int add_target(struct tsn_attach *a, const char *name, int arg)
{
	struct tsn_attach_target *nt;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		nt = realloc(a->targets, a->cap * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		a->targets = nt;
	}
	a->targets[a->n].name = strdup(name);
	if (!a->targets[a->n].name)
		return -ENOMEM;
	a->targets[a->n++].arg = arg;
	return 0;
}

int tsn_attach_collect(struct tsn_attach *a)
{
	struct btf *own = NULL;
	const struct btf *btf = a->opts.btf;
	char **avail = NULL;
	size_t navail = 0, i;
	__u32 id, cnt;
	int rc;

	if (!btf) {
		own = btf__load_vmlinux_btf();
		if (!own)
			return set_err(a, -errno ?: -ENOENT, "cannot load kernel BTF: %s",
				       strerror(errno));
		btf = own;
	}
	rc = read_avail(a, &avail, &navail);
	if (rc)
		goto out;
	cnt = btf__type_cnt(btf);
	for (id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		int arg;

		if (!btf_is_func(t))
			continue;
		arg = skb_arg(btf, btf__type_by_id(btf, t->type));
		if (!arg)
			continue;
		a->candidates++;
		name = btf__name_by_offset(btf, t->name_off);
		if (a->have_re && regexec(&a->re, name, 0, NULL, 0))
			continue;
		if (!navail || !bsearch(&name, avail, navail, sizeof(*avail), cmp_str))
			continue;	/* notrace, inlined everywhere, or ambiguous */
		rc = add_target(a, name, arg);
		if (rc) {
			set_err(a, rc, "out of memory");
			goto out;
		}
	}
out:
	for (i = 0; i < navail; i++)
		free(avail[i]);
	free(avail);
	btf__free(own);
	return rc;
}

size_t tsn_attach_count(const struct tsn_attach *a)
{
	return a ? a->n : 0;
}

size_t tsn_attach_btf_candidates(const struct tsn_attach *a)
{
	return a ? a->candidates : 0;
}

const char *tsn_attach_func(const struct tsn_attach *a, size_t i, int *arg)
{
	if (!a || i >= a->n)
		return NULL;
	if (arg)
		*arg = a->targets[i].arg;
	return a->targets[i].name;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int tsn_attach_kprobe_multi(struct tsn_attach *a, struct bpf_program *progs[TSN_ATTACH_MAX_ARGS])
{
	const char **syms;
	double t0 = now_ms();
	size_t i, n;
	int arg, rc = 0;

	syms = calloc(a->n ? a->n : 1, sizeof(*syms));
	if (!syms)
		return set_err(a, -ENOMEM, "out of memory");
	for (arg = 1; arg <= TSN_ATTACH_MAX_ARGS; arg++) {
		LIBBPF_OPTS(bpf_kprobe_multi_opts, kopts);
		struct bpf_link *link;

		for (i = 0, n = 0; i < a->n; i++)
			if (a->targets[i].arg == arg)
				syms[n++] = a->targets[i].name;
		if (!n || !progs[arg - 1])
			continue;
		kopts.syms = syms;
		kopts.cnt = n;
		link = bpf_program__attach_kprobe_multi_opts(progs[arg - 1], NULL, &kopts);
		if (!link) {
			rc = -errno;
			set_err(a, rc, "kprobe-multi attach of %zu functions (skb in argument %d): %s",
				n, arg, strerror(-rc));
			tsn_attach_detach(a);
			goto out;
		}
		a->links[arg - 1] = link;
		a->attached += n;
		pr_debug("kprobe-multi: %zu functions with the skb in argument %d", n, arg);
	}
	a->ms = now_ms() - t0;
out:
	free(syms);
	return rc;
}

size_t tsn_attach_attached(const struct tsn_attach *a)
{
	return a ? a->attached : 0;
}

double tsn_attach_ms(const struct tsn_attach *a)
{
	return a ? a->ms : 0;
}

const char *tsn_attach_error(const struct tsn_attach *a)
{
	return a && a->err[0] ? a->err : "unknown error";
}

void tsn_attach_detach(struct tsn_attach *a)
{
	int i;

	if (!a)
		return;
	for (i = 0; i < TSN_ATTACH_MAX_ARGS; i++) {
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
	a->attached = 0;
}

void tsn_attach_free(struct tsn_attach *a)
{
	size_t i;

	if (!a)
		return;
	tsn_attach_detach(a);
	for (i = 0; i < a->n; i++)
		free(a->targets[i].name);
	free(a->targets);
	if (a->have_re)
		regfree(&a->re);
	free(a);
}
