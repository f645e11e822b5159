/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng writer (draft-ietf-opsawg-pcapng): one section, interface description blocks added as
 * they are needed, enhanced packet blocks with a comment, nanosecond timestamps. Host byte
 * order, as the format allows (readers look at the section's byte-order magic).
 */
#ifndef TSN_PCAPNG_H
#define TSN_PCAPNG_H

#include <stdio.h>
#include <linux/types.h>

/* link types (LINKTYPE_*, tcpdump.org/linktypes.html) */
#define TSN_LINKTYPE_ETHERNET 1
#define TSN_LINKTYPE_RAW 101	/* raw IPv4 or IPv6, told apart by the version nibble */

struct tsn_pcapng;

/* Writes the section header block; appl is the writing application (shb_userappl). */
struct tsn_pcapng *tsn_pcapng_open(FILE *f, const char *appl);
/* An interface description block; returns its interface id (0, 1, ...) or -errno. */
int tsn_pcapng_add_if(struct tsn_pcapng *w, __u16 linktype, __u32 snaplen, const char *name,
		      const char *desc);
/* An enhanced packet block; ts_ns is nanoseconds since the epoch, comment may be NULL. */
int tsn_pcapng_packet(struct tsn_pcapng *w, int ifid, __u64 ts_ns, const void *data,
		      __u32 caplen, __u32 wire_len, const char *comment);
/* Flushes and frees (the FILE stays open); 0, or -errno of the first write that failed. */
int tsn_pcapng_close(struct tsn_pcapng *w);

#endif /* TSN_PCAPNG_H */
