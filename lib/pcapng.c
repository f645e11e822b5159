// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcapng writer. Every block is built in memory and written with one fwrite: a block is
 * type, total length, body, options (each padded to 32 bits, ended by opt_endofopt), total
 * length again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define PCAPNG_SHB 0x0A0D0D0AU
#define PCAPNG_IDB 0x00000001U
#define PCAPNG_EPB 0x00000006U
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4DU

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9

/* a comment longer than this is cut: a block must stay far below readers' limits */
#define PCAPNG_MAX_OPT 8192U

struct tsn_pcapng {
	FILE *f;
	int nifs;
	int err;		/* first error (write, or no memory for a block), -errno */
	unsigned char *buf;
	size_t cap, len;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int buf_reserve(struct tsn_pcapng *w, size_t more)
{
	unsigned char *nb;
	size_t cap = w->cap ? w->cap : 512;

	while (cap < w->len + more)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	nb = realloc(w->buf, cap);
	if (!nb)
		return -ENOMEM;
	w->buf = nb;
	w->cap = cap;
	return 0;
}

/* n bytes of src (NULL: zeros), then zeros up to a multiple of 4 */
static int put(struct tsn_pcapng *w, const void *src, size_t n)
{
	size_t padded = pad4(n);

	if (w->err)
		return w->err;
	if (buf_reserve(w, padded))
		return w->err = -ENOMEM;
	if (src)
		memcpy(w->buf + w->len, src, n);
	else
		memset(w->buf + w->len, 0, n);
	memset(w->buf + w->len + n, 0, padded - n);
	w->len += padded;
	return 0;
}

static int put_u32(struct tsn_pcapng *w, __u32 v)
{
	return put(w, &v, sizeof(v));
}

static int put_opt(struct tsn_pcapng *w, __u16 code, const void *val, size_t n)
{
	__u16 hdr[2] = { code, (__u16)n };

	return put(w, hdr, sizeof(hdr)) ?: put(w, val, n);
}

static int put_opt_str(struct tsn_pcapng *w, __u16 code, const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	return put_opt(w, code, s, n < PCAPNG_MAX_OPT ? n : PCAPNG_MAX_OPT);
}

static void block_begin(struct tsn_pcapng *w, __u32 type)
{
	w->len = 0;
	put_u32(w, type);
	put_u32(w, 0);		/* total length, known at the end */
}

static int block_end(struct tsn_pcapng *w)
{
	__u32 total;

	put_opt(w, OPT_ENDOFOPT, NULL, 0);
	total = (__u32)w->len + 4;
	put_u32(w, total);
	if (w->err)
		return w->err;
	memcpy(w->buf + 4, &total, 4);
	errno = 0;
	if (fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

struct tsn_pcapng *tsn_pcapng_open(FILE *f, const char *appl)
{
	struct tsn_pcapng *w = calloc(1, sizeof(*w));
	__u16 version[2] = { 1, 0 };
	__s64 section_len = -1;	/* not given: the section runs to the end of the file */

	if (!w)
		return NULL;
	w->f = f;
	block_begin(w, PCAPNG_SHB);
	put_u32(w, PCAPNG_BYTE_ORDER_MAGIC);
	put(w, version, sizeof(version));
	put(w, &section_len, sizeof(section_len));
	put_opt_str(w, OPT_SHB_USERAPPL, appl);
	if (block_end(w)) {
		free(w->buf);
		free(w);
		return NULL;
	}
	return w;
}

int tsn_pcapng_add_if(struct tsn_pcapng *w, __u16 linktype, __u32 snaplen, const char *name,
		      const char *desc)
{
	__u16 lt[2] = { linktype, 0 };
	__u8 tsresol = 9;	/* 10^-9 s: the kernel's nanoseconds as they are */
	int rc;

	block_begin(w, PCAPNG_IDB);
	put(w, lt, sizeof(lt));
	put_u32(w, snaplen);
	put_opt_str(w, OPT_IF_NAME, name);
	put_opt_str(w, OPT_IF_DESCRIPTION, desc);
	put_opt(w, OPT_IF_TSRESOL, &tsresol, 1);
	rc = block_end(w);
	return rc ? rc : w->nifs++;
}

int tsn_pcapng_packet(struct tsn_pcapng *w, int ifid, __u64 ts_ns, const void *data,
		      __u32 caplen, __u32 wire_len, const char *comment)
{
	if (ifid < 0 || ifid >= w->nifs)
		return -EINVAL;
	block_begin(w, PCAPNG_EPB);
	put_u32(w, (__u32)ifid);
	put_u32(w, (__u32)(ts_ns >> 32));
	put_u32(w, (__u32)ts_ns);
	put_u32(w, caplen);
	put_u32(w, wire_len < caplen ? caplen : wire_len);
	put(w, data, caplen);
	put_opt_str(w, OPT_COMMENT, comment);
	return block_end(w);
}

int tsn_pcapng_close(struct tsn_pcapng *w)
{
	int rc;

	if (!w)
		return 0;
	rc = w->err;
	if (fflush(w->f) && !rc)
		rc = -errno;
	free(w->buf);
	free(w);
	return rc;
}
