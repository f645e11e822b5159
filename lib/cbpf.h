/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Classic BPF (what libpcap's pcap_compile() emits, lib/pcap_expr.h) translated into the body
 * of an eBPF subprogram, for BPF programs that filter with pcap-filter(7) expressions.
 *
 * Calling convention of the translated subprogram (a BPF-to-BPF call, BPF_PSEUDO_CALL):
 *
 *   r0 = filter(r1 = frame, r2 = frame end or captured length, r3 = wire length)
 *
 *   TSN_CBPF_DIRECT  tc / socket-filter programs: r1 is a packet pointer (skb->data, or data +
 *                    the MAC header offset), r2 the program's data_end; loads are plain
 *                    loads after a check against r2.
 *   TSN_CBPF_PROBE   tracing programs: r1 is the kernel address of the frame (any value the
 *                    verifier lets the program add a scalar to), r2 the number of bytes
 *                    readable there; loads go through bpf_probe_read_kernel(). A failed read
 *                    ends the filter with 0.
 *
 *   r3 (low 32 bits) is what `len` compares. r0 is the classic program's result: 0 for no
 *   match, else its return value (the snap length). As in classic BPF, a load outside the frame
 *   or a division/modulo by X == 0 ends the filter with 0; a shift by X >= 32 gives 0, as in
 *   libpcap's interpreter. A load ending beyond TSN_CBPF_MAX_OFF fails as out of bounds: the
 *   verifier tracks packet ranges only up to 0xffff past the packet start, so in direct mode
 *   r1 may be at most 0xffff - TSN_CBPF_MAX_OFF past it (any MAC header offset is).
 *
 *   The subprogram uses r0-r9 (r6-r9 are its own, as for every BPF-to-BPF call) and
 *   TSN_CBPF_STACK bytes of its stack frame; it calls no helper in TSN_CBPF_DIRECT mode.
 */
#ifndef TSN_CBPF_H
#define TSN_CBPF_H

#include <stddef.h>
#include <linux/types.h>

#include "pcap_expr.h"

struct bpf_insn;

enum tsn_cbpf_mode {
	TSN_CBPF_DIRECT = 0,
	TSN_CBPF_PROBE = 1,
};

/* stack bytes the subprogram uses: wire length, probe-read buffer, scratch memory M[16] */
#define TSN_CBPF_STACK 80
/* largest offset + size a load may reach */
#define TSN_CBPF_MAX_OFF 0x7fff

/*
 * Translate cnt classic instructions. 0 with a malloc()ed eBPF subprogram in *out and *out_cnt
 * (ending in exits, ready to be appended after a caller and reached by a pseudo call), or
 * -EINVAL (an opcode libpcap's interpreter does not run, a jump out of the program, falling off
 * its end, M[k] with k >= 16, a constant division by 0 or shift by >= 32), -E2BIG (a jump
 * longer than an eBPF jump reaches), -ENOMEM; the one-line reason in err.
 */
int tsn_cbpf_translate(const struct tsn_cbpf_insn *insns, size_t cnt, enum tsn_cbpf_mode mode,
		       struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen);

/* tsn_pcap_compile() (optimized) then tsn_cbpf_translate(): an expression as eBPF. */
int tsn_pcap_filter(const char *expr, enum tsn_pcap_link link, enum tsn_cbpf_mode mode,
		    struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen);

/*
 * For BPF_PROG_TEST_RUN (the unit test, the bench): load a tc program that calls the translated
 * filter on the frame at skb->data + hdr_len (r2: data_end, or skb->len - hdr_len in probe
 * mode), with the wire length from skb->cb[0], and returns the filter's result. The fd, or
 * -errno with the verifier's log in log.
 */
int tsn_cbpf_load_test_prog(const struct bpf_insn *filter, size_t n, enum tsn_cbpf_mode mode,
			    __u32 hdr_len, char *log, size_t loglen);

#endif /* TSN_CBPF_H */
