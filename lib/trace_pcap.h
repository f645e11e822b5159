/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcap-filter expressions for the tracer (tsntrace and tsntop take one after their options):
 * compiled by libpcap for Ethernet and for raw IP, translated into eBPF (lib/cbpf.h, probe-read
 * mode), and put into tsntrace.bpf.o's landing places (progs/tsn_pcap.bpf.h) while the loader
 * (lib/trace_backend.c) loads it.
 *
 * libbpf 1.1 lets a program's instructions be replaced after its subprograms are appended only
 * from a prepare-load callback (bpf_program__set_insns), and offers that callback only through
 * custom section handlers, which stand in for libbpf's own for the sections they match. So the
 * handlers exist only from before the object is opened until it is loaded
 * (tt_pcap_load_begin .. tt_pcap_load_end), they resolve the tracing programs' attach targets
 * themselves, and the loader attaches with calls that do not go through a section handler.
 */
#ifndef TSN_TRACE_PCAP_H
#define TSN_TRACE_PCAP_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct tt_pcap;

/*
 * The expression of words argv[0..argc) (joined with spaces, as tcpdump does). 0 with *out
 * NULL for no words, 0 with a compiled expression, or -EINVAL with libpcap's message on one line
 * in err ("pcap-filter 'udp prot 1': can't parse filter expression: syntax error"), -ENOMEM.
 * An expression libpcap compiles for Ethernet but not for raw IP ("ether host ...") selects no
 * packet where the skb has no MAC header.
 */
int tt_pcap_compile(int argc, char *const argv[], struct tt_pcap **out, char *err, size_t errlen);
const char *tt_pcap_expr(const struct tt_pcap *p);
/* NULL-safe */
void tt_pcap_free(struct tt_pcap *p);

/* Before the object is opened: the handlers. 0 or -errno with the reason in err. */
int tt_pcap_load_begin(struct tt_pcap *p, char *err, size_t errlen);
/*
 * After the object is opened and its programs chosen (autoload): attach targets of the tracing
 * programs, and a check that every chosen program has a handler. 0 or -errno.
 */
int tt_pcap_load_prepare(struct tt_pcap *p, struct bpf_object *obj, char *err, size_t errlen);
/*
 * After the load, or on any failure after tt_pcap_load_begin: the handlers go. Returns the
 * callback's error (the reason of a load it made fail) or, when loaded, -EINVAL if no program
 * got the expression; 0 otherwise. The reason in err.
 */
int tt_pcap_load_end(struct tt_pcap *p, bool loaded, char *err, size_t errlen);

#endif /* TSN_TRACE_PCAP_H */
