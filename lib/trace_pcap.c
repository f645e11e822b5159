// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcap-filter expressions in tsntrace.bpf.o (lib/trace_pcap.h has why the handlers exist only
 * while the object loads).
 *
 * The splice: after libbpf appended the subprograms, a program's instructions are its main
 * function followed by the functions it calls, each starting where its BTF func_info says. A
 * landing place's body is replaced by the translation of its variant; every other function
 * moves by what the replacements before it added, so BPF-to-BPF calls and callback references
 * between functions, func_info and line_info are rewritten to the new positions (line_info
 * inside a replaced body keeps only the entry at its start, which the kernel requires).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "cbpf.h"
#include "trace_pcap.h"
#include "tsnkit.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* the variants, in the order of the landing places */
enum { VAR_L2, VAR_L3, NVARS };
static const char *const stub_names[NVARS] = {STR(TSN_PCAP_STUB_L2), STR(TSN_PCAP_STUB_L3)};

struct tt_pcap {
	char *expr;
	struct bpf_insn *code[NVARS];
	size_t ncode[NVARS];
	/* load window */
	int handlers[8];
	int nhandlers;
	struct bpf_object *obj;
	void **bufs; /* func_info/line_info arrays handed to the loads */
	size_t nbufs;
	int spliced; /* programs that got the expression */
	int failed;  /* the callback's first error, reason in err */
	char err[256];
};

/* libbpf calls the callbacks without a way to reach us but the cookie; one object loads at a
 * time (the handlers are process-wide anyway) */
static struct tt_pcap *loading;

/* r0 = 0; exit: the variant of an expression that does not compile for its link type */
static int select_none(struct bpf_insn **code, size_t *n)
{
	*code = calloc(2, sizeof(**code));
	if (!*code)
		return -ENOMEM;
	(*code)[0] = (struct bpf_insn){.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0};
	(*code)[1] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
	*n = 2;
	return 0;
}

int tt_pcap_compile(int argc, char *const argv[], struct tt_pcap **out, char *err, size_t errlen)
{
	char l3err[512];
	struct tt_pcap *p;
	size_t len = 1;
	int i, rc;

	*out = NULL;
	if (argc <= 0)
		return 0;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->expr = calloc(1, len))) {
		free(p);
		snprintf(err, errlen, "pcap-filter: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(p->expr, " ");
		strcat(p->expr, argv[i]);
	}
	/* Ethernet is where the expression must make sense: its error is the user's */
	rc = tsn_pcap_filter(p->expr, TSN_PCAP_L2, TSN_CBPF_PROBE, &p->code[VAR_L2],
			     &p->ncode[VAR_L2], err, errlen);
	if (!rc) {
		rc = tsn_pcap_filter(p->expr, TSN_PCAP_L3, TSN_CBPF_PROBE, &p->code[VAR_L3],
				     &p->ncode[VAR_L3], l3err, sizeof(l3err));
		if (rc == -EINVAL)
			rc = select_none(&p->code[VAR_L3], &p->ncode[VAR_L3]);
		if (rc)
			snprintf(err, errlen, "%s",
				 rc == -ENOMEM ? "pcap-filter: out of memory" : l3err);
	}
	if (rc) {
		tt_pcap_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

const char *tt_pcap_expr(const struct tt_pcap *p)
{
	return p ? p->expr : NULL;
}

void tt_pcap_free(struct tt_pcap *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < NVARS; i++)
		free(p->code[i]);
	free(p->expr);
	free(p);
}

/* ---- the splice ---- */

struct func {
	size_t start, end; /* old positions */
	size_t new_start;
	int var; /* landing place of this variant, or -1 */
};

static int fail(struct tt_pcap *p, int rc, const char *prog, const char *why)
{
	if (!p->failed)
		snprintf(p->err, sizeof(p->err), "pcap-filter: program %s: %s", prog, why);
	p->failed = rc;
	return rc;
}

static bool keep_buf(struct tt_pcap *p, void *buf)
{
	void **bufs = realloc(p->bufs, (p->nbufs + 1) * sizeof(*bufs));

	if (!bufs) {
		free(buf);
		return false;
	}
	p->bufs = bufs;
	p->bufs[p->nbufs++] = buf;
	return true;
}

/* the function holding old position pos (funcs sorted, the first starts at 0) */
static struct func *func_of(struct func *f, size_t nf, size_t pos)
{
	size_t i = nf;

	while (i > 1 && f[i - 1].start > pos)
		i--;
	return &f[i - 1];
}

static size_t new_pos(struct func *f, size_t nf, size_t pos)
{
	struct func *fn = func_of(f, nf, pos);

	return fn->new_start + (pos - fn->start);
}

/* BPF-to-BPF call or a callback's address: imm is relative to the next instruction */
static bool insn_is_relative_ref(const struct bpf_insn *in)
{
	if (in->code == (BPF_JMP | BPF_CALL))
		return in->src_reg == BPF_PSEUDO_CALL;
	return in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC;
}

static int splice_prog(struct tt_pcap *p, struct bpf_program *prog, struct bpf_prog_load_opts *opts)
{
	const char *name = bpf_program__name(prog);
	const struct bpf_insn *old = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog), nf = opts->func_info_cnt, i, k, nn = 0, nl = 0;
	size_t frec = opts->func_info_rec_size, lrec = opts->line_info_rec_size;
	const struct btf *btf = bpf_object__btf(p->obj);
	struct bpf_insn *code = NULL;
	__u8 *finfo = NULL, *linfo = NULL;
	struct func *f = NULL;
	bool any = false;
	int rc = -ENOMEM;

	if (!btf || !opts->func_info || !nf || frec < sizeof(struct bpf_func_info))
		return fail(p, -EINVAL, name, "no BTF function info to find the landing places");
	f = calloc(nf, sizeof(*f));
	if (!f)
		goto out;
	for (k = 0; k < nf; k++) {
		const struct bpf_func_info *fi =
		    (const void *)((const __u8 *)opts->func_info + k * frec);
		const struct btf_type *t = btf__type_by_id(btf, fi->type_id);
		const char *fname = t ? btf__name_by_offset(btf, t->name_off) : NULL;
		int v;

		f[k].start = fi->insn_off;
		f[k].var = -1;
		for (v = 0; fname && v < NVARS; v++)
			if (!strcmp(fname, stub_names[v]))
				f[k].var = v;
		any |= f[k].var >= 0;
		if (k && f[k].start <= f[k - 1].start) {
			rc = fail(p, -EINVAL, name, "function info out of order");
			goto out;
		}
	}
	if (!any) {
		rc = 0; /* a program that selects nothing (fexit of a clone) */
		goto out;
	}
	if (f[0].start != 0 || f[nf - 1].start >= n) {
		rc = fail(p, -EINVAL, name, "function info outside the program");
		goto out;
	}
	for (k = 0; k < nf; k++) {
		f[k].end = k + 1 < nf ? f[k + 1].start : n;
		f[k].new_start = nn;
		nn += f[k].var >= 0 ? p->ncode[f[k].var] : f[k].end - f[k].start;
	}
	if (f[0].var >= 0) {
		rc = fail(p, -EINVAL, name, "a landing place is the program itself");
		goto out;
	}

	code = calloc(nn, sizeof(*code));
	finfo = calloc(nf, frec);
	linfo = opts->line_info_cnt ? calloc(opts->line_info_cnt, lrec) : NULL;
	if (!code || !finfo || (opts->line_info_cnt && !linfo))
		goto out;
	for (k = 0; k < nf; k++) {
		struct bpf_func_info *fi = (void *)(finfo + k * frec);

		memcpy(fi, (const __u8 *)opts->func_info + k * frec, frec);
		fi->insn_off = (__u32)f[k].new_start;
		if (f[k].var >= 0) {
			memcpy(code + f[k].new_start, p->code[f[k].var],
			       p->ncode[f[k].var] * sizeof(*code));
			continue;
		}
		for (i = f[k].start; i < f[k].end; i++) {
			struct bpf_insn *in = &code[f[k].new_start + (i - f[k].start)];
			long target;

			*in = old[i];
			if (!insn_is_relative_ref(in))
				continue;
			target = (long)i + in->imm + 1;
			if (target < 0 || (size_t)target >= n) {
				rc = fail(p, -EINVAL, name, "a call outside the program");
				goto out;
			}
			in->imm = (__s32)((long)new_pos(f, nf, (size_t)target) -
					  (long)new_pos(f, nf, i) - 1);
		}
	}
	for (i = 0; i < opts->line_info_cnt; i++) {
		const struct bpf_line_info *li =
		    (const void *)((const __u8 *)opts->line_info + i * lrec);
		struct func *fn = func_of(f, nf, li->insn_off);
		struct bpf_line_info *out = (void *)(linfo + nl * lrec);

		if (fn->var >= 0 && li->insn_off != fn->start)
			continue;
		memcpy(out, li, lrec);
		out->insn_off = (__u32)new_pos(f, nf, li->insn_off);
		nl++;
	}
	rc = bpf_program__set_insns(prog, code, nn);
	if (rc) {
		rc = fail(p, rc, name, "cannot set its instructions");
		goto out;
	}
	if (!keep_buf(p, finfo) || (linfo && !keep_buf(p, linfo))) {
		finfo = linfo = NULL;
		rc = fail(p, -ENOMEM, name, "out of memory");
		goto out;
	}
	opts->func_info = finfo;
	opts->line_info = linfo;
	opts->line_info_cnt = (__u32)nl;
	finfo = linfo = NULL;
	p->spliced++;
	rc = 0;
out:
	if (rc == -ENOMEM && !p->failed)
		fail(p, rc, name, "out of memory");
	free(code);
	free(finfo);
	free(linfo);
	free(f);
	return rc;
}

static bool prog_of(struct bpf_object *obj, const struct bpf_program *prog)
{
	struct bpf_program *q;

	bpf_object__for_each_program(q, obj) if (q == prog) return true;
	return false;
}

static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	struct tt_pcap *p = loading;

	if (!p || !prog_of(p->obj, prog))
		return 0; /* not the tracer's: nothing else loads in the window */
	return splice_prog(p, prog, opts);
}

/* The sections of tsntrace.bpf.o, as libbpf 1.1 defines them. */
static const struct {
	const char *sec;    /* libbpf_register_prog_handler()'s form */
	const char *prefix; /* the programs' sections: PREFIX/ATTACH_TARGET, or exact */
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
	bool btf_target; /* attach target resolved in BTF */
} handled[] = {
    {"tp_btf+", "tp_btf/", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, true},
    {"fentry+", "fentry/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, true},
    {"fexit+", "fexit/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, true},
    {"kprobe.multi+", "kprobe.multi", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, false},
    {"tc", "tc", BPF_PROG_TYPE_SCHED_CLS, 0, false},
};
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

int tt_pcap_load_begin(struct tt_pcap *p, char *err, size_t errlen)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, hopts, .prog_prepare_load_fn = prepare_load);
	size_t i;
	int id;

	if (loading) {
		snprintf(err, errlen, "pcap-filter: another object is loading");
		return -EBUSY;
	}
	p->nhandlers = 0;
	p->failed = 0;
	p->spliced = 0;
	p->err[0] = '\0';
	for (i = 0; i < NHANDLED; i++) {
		id = libbpf_register_prog_handler(handled[i].sec, handled[i].type,
						  handled[i].attach, &hopts);
		if (id < 0) {
			snprintf(err, errlen, "pcap-filter: cannot register a handler for %s: %s",
				 handled[i].sec, strerror(-id));
			tt_pcap_load_end(p, false, NULL, 0);
			return id;
		}
		p->handlers[p->nhandlers++] = id;
	}
	loading = p;
	return 0;
}

int tt_pcap_load_prepare(struct tt_pcap *p, struct bpf_object *obj, char *err, size_t errlen)
{
	struct bpf_program *prog;
	size_t i;
	int rc;

	p->obj = obj;
	bpf_object__for_each_program(prog, obj)
	{
		const char *sec = bpf_program__section_name(prog), *name = bpf_program__name(prog);
		size_t plen = 0;

		/* a syscall program is run by the loader, sees no packet: libbpf's handler loads it */
		if (!bpf_program__autoload(prog) || !strcmp(sec, "syscall"))
			continue;
		for (i = 0; i < NHANDLED; i++) {
			plen = strlen(handled[i].prefix);
			if (!strncmp(sec, handled[i].prefix, plen))
				break;
		}
		if (i == NHANDLED) {
			snprintf(err, errlen, "pcap-filter: program %s: section %s has no handler",
				 name, sec);
			return -EOPNOTSUPP;
		}
		if (!handled[i].btf_target)
			continue;
		/* what libbpf's own handler does at load: the kernel's BTF id of the target */
		rc = bpf_program__set_attach_target(prog, 0, sec + plen);
		if (rc) {
			snprintf(err, errlen, "pcap-filter: program %s: attach target %s: %s", name,
				 sec + plen, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int tt_pcap_load_end(struct tt_pcap *p, bool loaded, char *err, size_t errlen)
{
	size_t i;
	int rc = 0;

	while (p->nhandlers > 0)
		libbpf_unregister_prog_handler(p->handlers[--p->nhandlers]);
	if (loading == p)
		loading = NULL;
	for (i = 0; i < p->nbufs; i++)
		free(p->bufs[i]);
	free(p->bufs);
	p->bufs = NULL;
	p->nbufs = 0;
	if (p->failed)
		rc = p->failed;
	else if (loaded && !p->spliced) {
		snprintf(p->err, sizeof(p->err),
			 "pcap-filter: no program holds the landing places");
		rc = -EINVAL;
	}
	if (rc && err)
		snprintf(err, errlen, "%s", p->err);
	p->obj = NULL;
	return rc;
}
