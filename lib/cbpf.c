// SPDX-License-Identifier: GPL-2.0-only
/*
 * Classic BPF -> eBPF subprogram (lib/cbpf.h has the calling convention).
 *
 * Registers: A in r6, X in r7, both always holding a zero-extended 32-bit value (every ALU
 * operation on them is a 32-bit one); r8 the frame, r9 its end (direct) or captured length
 * (probe). r1-r5 are scratch for one classic instruction's code, r0 too until the exit.
 *
 * Stack (below r10): the wire length at -4, the probe-read buffer at -16..-9, M[i] at
 * -80 + 4 * i. Only the M[] words the program uses are zeroed in the prologue, since the
 * verifier refuses reads of stack never written.
 *
 * Each reachable classic instruction becomes a fixed sequence; jumps are emitted with the
 * classic target recorded and resolved once every instruction's position is known. Classic
 * instructions no path reaches are not emitted, since the verifier refuses unreachable code;
 * for the same reason the shared "return 0" exit at the end exists only if something jumps to
 * it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "cbpf.h"

_Static_assert(sizeof(struct tsn_cbpf_insn) == sizeof(struct sock_filter), "cBPF insn size");

#define REG_A BPF_REG_6
#define REG_X BPF_REG_7
#define REG_FRAME BPF_REG_8
#define REG_END BPF_REG_9

#define STACK_WIRELEN (-4)
#define STACK_PROBE_BUF (-16)
#define STACK_MEM(i) (-TSN_CBPF_STACK + 4 * (int)(i))
#define MEMWORDS 16

/* a jump's target before positions are known: a classic instruction, or the shared exit */
#define TARGET_FAIL ((size_t)-1)

/* the longest sequence one classic instruction becomes (a probe-mode indirect load) */
#define MAX_INSNS_PER_CBPF 16

struct fixup {
	size_t at;     /* the eBPF jump to patch */
	size_t target; /* classic index, or TARGET_FAIL */
};

struct emitter {
	struct bpf_insn *insns;
	size_t n;
	struct fixup *fixups;
	size_t nfixups;
	enum tsn_cbpf_mode mode;
};

static void emit(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	e->insns[e->n++] =
	    (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* a jump (any jump opcode; JA when code is BPF_JMP | BPF_JA) to a target resolved later */
static void emit_jump(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm, size_t target)
{
	e->fixups[e->nfixups++] = (struct fixup){.at = e->n, .target = target};
	emit(e, code, dst, src, 0, imm);
}

static void emit_mov32_imm(struct emitter *e, __u8 dst, __u32 imm)
{
	emit(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)imm);
}

static void emit_return(struct emitter *e, __u8 src)
{
	emit(e, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, src, 0, 0);
	emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void emit_return_imm(struct emitter *e, __u32 k)
{
	emit_mov32_imm(e, BPF_REG_0, k);
	emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int load_size(__u16 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	case BPF_B:
		return 1;
	}
	return 0;
}

static __u8 bpf_size(int size)
{
	return size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

/*
 * A packet load that no frame can satisfy: its constant part alone (the whole offset for ABS,
 * the minimum for IND and MSH, X being >= 0) ends beyond TSN_CBPF_MAX_OFF. Translated as
 * "return 0", and what follows it only on this path is unreachable.
 */
static bool load_always_fails(const struct tsn_cbpf_insn *in)
{
	__u16 mode = BPF_MODE(in->code);
	int size = load_size(in->code);

	if (BPF_CLASS(in->code) != BPF_LD && BPF_CLASS(in->code) != BPF_LDX)
		return false;
	if (mode != BPF_ABS && mode != BPF_IND && mode != BPF_MSH)
		return false;
	return in->k > TSN_CBPF_MAX_OFF || (__u32)size > TSN_CBPF_MAX_OFF - in->k;
}

/*
 * dst = the size bytes at frame offset off (k for ABS, X + k for IND), in host order; fails
 * (jumps to the shared exit) when they are not all within the frame.
 */
static void emit_packet_load(struct emitter *e, __u8 dst, int size, bool indirect, __u32 k)
{
	/* r1 = the offset, bounded so that the verifier accepts frame + r1 */
	if (indirect) {
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_X, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, (__s32)k);
		emit_jump(e, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_1, 0, TSN_CBPF_MAX_OFF - size,
			  TARGET_FAIL);
	} else {
		emit_mov32_imm(e, BPF_REG_1, k);
	}
	if (e->mode == TSN_CBPF_DIRECT) {
		/* r2 = frame + off, r3 = r2 + size: both the same packet pointer for the verifier,
		 * so checking r3 against data_end gives r2 the range of the load */
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, REG_FRAME, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, size);
		emit_jump(e, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_3, REG_END, 0, TARGET_FAIL);
		emit(e, BPF_LDX | BPF_MEM | bpf_size(size), dst, BPF_REG_2, 0, 0);
	} else {
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, size);
		emit_jump(e, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_2, REG_END, 0, TARGET_FAIL);
		/* bpf_probe_read_kernel(r10 + STACK_PROBE_BUF, size, frame + off) */
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, REG_FRAME, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_3, BPF_REG_1, 0, 0);
		emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0);
		emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, STACK_PROBE_BUF);
		emit_mov32_imm(e, BPF_REG_2, (__u32)size);
		emit(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel);
		emit_jump(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, TARGET_FAIL);
		emit(e, BPF_LDX | BPF_MEM | bpf_size(size), dst, BPF_REG_10, STACK_PROBE_BUF, 0);
	}
	/* classic loads are big-endian; the byte swap also zero-extends */
	if (size > 1)
		emit(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
}

static int emit_alu(struct emitter *e, const struct tsn_cbpf_insn *in, char *err, size_t errlen)
{
	__u8 op = BPF_OP(in->code);
	bool by_x = BPF_SRC(in->code) == BPF_X;

	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_MUL:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
		break;
	case BPF_DIV:
	case BPF_MOD:
		if (by_x) {
			emit_jump(e, BPF_JMP32 | BPF_JEQ | BPF_K, REG_X, 0, 0, TARGET_FAIL);
		} else if (!in->k) {
			snprintf(err, errlen, "classic BPF: division by constant 0");
			return -EINVAL;
		}
		break;
	case BPF_LSH:
	case BPF_RSH:
		if (by_x) {
			/* eBPF masks the shift count; libpcap's interpreter gives 0 */
			emit(e, BPF_JMP32 | BPF_JLT | BPF_K, REG_X, 0, 2, 32);
			emit_mov32_imm(e, REG_A, 0);
			emit(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
		} else if (in->k >= 32) {
			snprintf(err, errlen, "classic BPF: shift by constant %u", in->k);
			return -EINVAL;
		}
		break;
	case BPF_NEG:
		emit(e, BPF_ALU | BPF_NEG, REG_A, 0, 0, 0);
		return 0;
	default:
		snprintf(err, errlen, "classic BPF: unknown ALU operation 0x%02x", in->code);
		return -EINVAL;
	}
	if (by_x)
		emit(e, BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0);
	else
		emit(e, BPF_ALU | op | BPF_K, REG_A, 0, 0, (__s32)in->k);
	return 0;
}

static int emit_one(struct emitter *e, const struct tsn_cbpf_insn *in, size_t i, char *err,
		    size_t errlen)
{
	__u16 code = in->code;
	__u8 dst = BPF_CLASS(code) == BPF_LDX ? REG_X : REG_A;

	if (load_always_fails(in)) {
		emit_return_imm(e, 0);
		return 0;
	}
	switch (BPF_CLASS(code)) {
	case BPF_LD:
	case BPF_LDX:
		switch (BPF_MODE(code)) {
		case BPF_ABS:
		case BPF_IND:
			emit_packet_load(e, dst, load_size(code), BPF_MODE(code) == BPF_IND, in->k);
			return 0;
		case BPF_MSH: /* X = (P[k] & 0xf) << 2, the IPv4 header length */
			emit_packet_load(e, REG_X, 1, false, in->k);
			emit(e, BPF_ALU | BPF_AND | BPF_K, REG_X, 0, 0, 0xf);
			emit(e, BPF_ALU | BPF_LSH | BPF_K, REG_X, 0, 0, 2);
			return 0;
		case BPF_LEN:
			emit(e, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, STACK_WIRELEN, 0);
			return 0;
		case BPF_IMM:
			emit_mov32_imm(e, dst, in->k);
			return 0;
		case BPF_MEM:
			emit(e, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, STACK_MEM(in->k), 0);
			return 0;
		}
		break;
	case BPF_ST:
	case BPF_STX:
		emit(e, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10,
		     BPF_CLASS(code) == BPF_ST ? REG_A : REG_X, STACK_MEM(in->k), 0);
		return 0;
	case BPF_ALU:
		return emit_alu(e, in, err, errlen);
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA) {
			emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, i + 1 + in->k);
			return 0;
		}
		/* classic conditions are unsigned 32-bit compares of A: JMP32 has the same */
		if (BPF_SRC(code) == BPF_X)
			emit_jump(e, BPF_JMP32 | BPF_OP(code) | BPF_X, REG_A, REG_X, 0,
				  i + 1 + in->jt);
		else
			emit_jump(e, BPF_JMP32 | BPF_OP(code) | BPF_K, REG_A, 0, (__s32)in->k,
				  i + 1 + in->jt);
		if (in->jf)
			emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, i + 1 + in->jf);
		return 0;
	case BPF_RET:
		if (BPF_RVAL(code) == BPF_A)
			emit_return(e, REG_A);
		else
			emit_return_imm(e, in->k);
		return 0;
	case BPF_MISC:
		if (BPF_MISCOP(code) == BPF_TAX)
			emit(e, BPF_ALU | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0);
		else
			emit(e, BPF_ALU | BPF_MOV | BPF_X, REG_A, REG_X, 0, 0);
		return 0;
	}
	snprintf(err, errlen, "classic BPF: unknown opcode 0x%02x at %zu", code, i);
	return -EINVAL;
}

/* the opcodes libpcap's interpreter runs (it aborts on any other) */
static bool opcode_known(__u16 code)
{
	__u16 mode;

	if (code > 0xff)
		return false;
	switch (BPF_CLASS(code)) {
	case BPF_LD:
	case BPF_LDX:
		mode = BPF_MODE(code);
		if (mode == BPF_LEN || mode == BPF_IMM || mode == BPF_MEM)
			return BPF_SIZE(code) == BPF_W;
		if (BPF_CLASS(code) == BPF_LDX)
			return code == (BPF_LDX | BPF_B | BPF_MSH);
		return (mode == BPF_ABS || mode == BPF_IND) && load_size(code);
	case BPF_ST:
	case BPF_STX:
		return code == BPF_ST || code == BPF_STX;
	case BPF_ALU:
		if (BPF_OP(code) == BPF_NEG)
			return code == (BPF_ALU | BPF_NEG);
		return BPF_OP(code) <= BPF_XOR;
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA)
			return code == (BPF_JMP | BPF_JA);
		return BPF_OP(code) >= BPF_JEQ && BPF_OP(code) <= BPF_JSET;
	case BPF_RET:
		return code == (BPF_RET | BPF_K) || code == (BPF_RET | BPF_A);
	case BPF_MISC:
		return code == (BPF_MISC | BPF_TAX) || code == (BPF_MISC | BPF_TXA);
	}
	return false;
}

static bool is_terminal(const struct tsn_cbpf_insn *in)
{
	return BPF_CLASS(in->code) == BPF_RET || load_always_fails(in);
}

/*
 * Check what the translation relies on, and mark the instructions some path reaches
 * (classic jumps only go forward, so one pass in order sees every predecessor first).
 */
static int check_and_mark(const struct tsn_cbpf_insn *insns, size_t cnt, bool *reached,
			  bool *mem_used, char *err, size_t errlen)
{
	size_t i;

	if (!cnt) {
		snprintf(err, errlen, "classic BPF: empty program");
		return -EINVAL;
	}
	reached[0] = true;
	for (i = 0; i < cnt; i++) {
		const struct tsn_cbpf_insn *in = &insns[i];
		__u16 cls = BPF_CLASS(in->code);

		if (!opcode_known(in->code)) {
			snprintf(err, errlen, "classic BPF: unknown opcode 0x%02x at %zu", in->code,
				 i);
			return -EINVAL;
		}
		if (cls == BPF_ST || cls == BPF_STX ||
		    ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(in->code) == BPF_MEM)) {
			if (in->k >= MEMWORDS) {
				snprintf(err, errlen, "classic BPF: M[%u] at %zu out of range",
					 in->k, i);
				return -EINVAL;
			}
			mem_used[in->k] = true;
		}
		if (!reached[i])
			continue;
		if (is_terminal(in))
			continue;
		if (cls == BPF_JMP) {
			size_t t = i + 1 + in->jt, f = i + 1 + in->jf;

			if (BPF_OP(in->code) == BPF_JA)
				t = f = i + 1 + (size_t)in->k;
			if (t >= cnt || f >= cnt) {
				snprintf(err, errlen, "classic BPF: jump out of the program at %zu",
					 i);
				return -EINVAL;
			}
			reached[t] = reached[f] = true;
			continue;
		}
		if (i + 1 >= cnt) {
			snprintf(err, errlen, "classic BPF: falls off the end at %zu", i);
			return -EINVAL;
		}
		reached[i + 1] = true;
	}
	return 0;
}

static int resolve_jumps(struct emitter *e, const size_t *pos, size_t fail_pos, char *err,
			 size_t errlen)
{
	size_t i;

	for (i = 0; i < e->nfixups; i++) {
		const struct fixup *f = &e->fixups[i];
		size_t to = f->target == TARGET_FAIL ? fail_pos : pos[f->target];
		long off = (long)to - (long)f->at - 1;

		if (off < -32768 || off > 32767) {
			snprintf(err, errlen, "classic BPF: program too long for eBPF jumps");
			return -E2BIG;
		}
		e->insns[f->at].off = (__s16)off;
	}
	return 0;
}

int tsn_cbpf_translate(const struct tsn_cbpf_insn *insns, size_t cnt, enum tsn_cbpf_mode mode,
		       struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen)
{
	struct emitter e = {.mode = mode};
	bool mem_used[MEMWORDS] = {};
	size_t *pos = NULL, i, fail_pos;
	bool *reached = NULL;
	int ret;

	reached = calloc(cnt + 1, sizeof(*reached));
	pos = calloc(cnt + 1, sizeof(*pos));
	/* prologue: 5 + MEMWORDS, shared exit: 2 */
	e.insns = calloc(cnt * MAX_INSNS_PER_CBPF + MEMWORDS + 8, sizeof(*e.insns));
	/* at most three jumps per classic instruction (a probe-mode indirect load) */
	e.fixups = calloc(cnt * 3 + 1, sizeof(*e.fixups));
	if (!reached || !pos || !e.insns || !e.fixups) {
		snprintf(err, errlen, "classic BPF: out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = check_and_mark(insns, cnt, reached, mem_used, err, errlen);
	if (ret)
		goto cleanup;

	emit(&e, BPF_ALU64 | BPF_MOV | BPF_X, REG_FRAME, BPF_REG_1, 0, 0);
	/* a length is 32 bits; a data_end pointer is taken whole */
	emit(&e, (mode == TSN_CBPF_DIRECT ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, REG_END,
	     BPF_REG_2, 0, 0);
	emit(&e, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_3, STACK_WIRELEN, 0);
	emit_mov32_imm(&e, REG_A, 0);
	emit_mov32_imm(&e, REG_X, 0);
	for (i = 0; i < MEMWORDS; i++)
		if (mem_used[i])
			emit(&e, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, STACK_MEM(i), 0);

	for (i = 0; i < cnt; i++) {
		pos[i] = e.n;
		if (!reached[i])
			continue;
		ret = emit_one(&e, &insns[i], i, err, errlen);
		if (ret)
			goto cleanup;
	}
	fail_pos = e.n;
	for (i = 0; i < e.nfixups; i++)
		if (e.fixups[i].target == TARGET_FAIL)
			break;
	if (i < e.nfixups)
		emit_return_imm(&e, 0);
	ret = resolve_jumps(&e, pos, fail_pos, err, errlen);
	if (ret)
		goto cleanup;
	*out = e.insns;
	*out_cnt = e.n;
	e.insns = NULL;
cleanup:
	free(e.insns);
	free(e.fixups);
	free(pos);
	free(reached);
	return ret;
}

int tsn_pcap_filter(const char *expr, enum tsn_pcap_link link, enum tsn_cbpf_mode mode,
		    struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen)
{
	struct tsn_cbpf_insn *cbpf = NULL;
	size_t n = 0;
	int ret;

	ret = tsn_pcap_compile(expr, link, true, &cbpf, &n, err, errlen);
	if (!ret)
		ret = tsn_cbpf_translate(cbpf, n, mode, out, out_cnt, err, errlen);
	free(cbpf);
	return ret;
}

int tsn_cbpf_load_test_prog(const struct bpf_insn *filter, size_t n, enum tsn_cbpf_mode mode,
			    __u32 hdr_len, char *log, size_t loglen)
{
	struct bpf_insn *prog = calloc(n + 16, sizeof(*prog));
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	size_t nc = 0;
	int fd;

	if (!prog)
		return -ENOMEM;
#define INSN(c, d, s, o, i) (prog[nc++] = (struct bpf_insn){c, d, s, o, i})
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct __sk_buff, data), 0);
	INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_6, offsetof(struct __sk_buff, data_end),
	     0);
	INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_6, offsetof(struct __sk_buff, len), 0);
	INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_6, offsetof(struct __sk_buff, cb[0]), 0);
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
	INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, (__s32)hdr_len);
	if (mode == TSN_CBPF_PROBE) {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_4, 0, 0);
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -(__s32)hdr_len);
	}
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_3, 0, 0);
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_5, 0, 0);
	/* call the instruction after the exit */
	INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
#undef INSN
	memcpy(prog + nc, filter, n * sizeof(*filter));
	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "tsn_cbpf_test", "GPL", prog, nc + n, &opts);
	if (fd < 0) {
		/* again with the verifier's log, for the reason */
		opts.log_buf = log;
		opts.log_size = (__u32)loglen;
		opts.log_level = 1;
		log[0] = '\0';
		fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "tsn_cbpf_test", "GPL", prog, nc + n,
				   &opts);
		fd = fd < 0 ? -errno : fd;
	}
	free(prog);
	return fd;
}
