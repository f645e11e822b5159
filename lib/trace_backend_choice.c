// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which tracer backend this kernel can run, from the probed features alone: no BPF object is
 * opened. Its own object file, so that what reports the choice (lib/mechanisms.c, linked into
 * tsnproxy's static build) does not pull in the loader and its libpcap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kfeatures.h"
#include "trace_backend.h"

const char *tt_backend_name(enum tt_backend b)
{
	switch (b) {
	case TT_BACKEND_TRACEPOINT: return "tracepoint";
	case TT_BACKEND_KPROBE_MULTI: return "kprobe-multi";
	case TT_BACKEND_FENTRY: return "fentry";
	default: return "auto";
	}
}

int tt_backend_parse(const char *s, enum tt_backend *b)
{
	static const enum tt_backend all[] = { TT_BACKEND_AUTO, TT_BACKEND_TRACEPOINT,
					       TT_BACKEND_KPROBE_MULTI, TT_BACKEND_FENTRY };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, tt_backend_name(all[i]))) {
			*b = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Why feature f is missing (its probe's reason) in buf, or NULL when the kernel has it. */
static const char *feature_missing(enum tsn_feature f, char *buf, size_t len)
{
	const struct tsn_feature_status *st = tsn_feature_status(f);

	if (st && st->ok)
		return NULL;
	snprintf(buf, len, "%s", st ? st->reason : "not probed");
	return buf;
}

/* Why a backend cannot work here, or NULL when it can. */
static const char *backend_unavailable(enum tt_backend b, char *buf, size_t len)
{
	switch (b) {
	case TT_BACKEND_KPROBE_MULTI:
		if (feature_missing(TSN_FEAT_KPROBE_MULTI, buf, len))
			return buf;
		if (access("/sys/kernel/tracing/available_filter_functions", R_OK) &&
		    access("/sys/kernel/debug/tracing/available_filter_functions", R_OK)) {
			snprintf(buf, len, "tracefs is not mounted (no available_filter_functions)");
			return buf;
		}
		return NULL;
	case TT_BACKEND_FENTRY:
		return feature_missing(TSN_FEAT_FENTRY, buf, len);
	case TT_BACKEND_TRACEPOINT:
		return feature_missing(TSN_FEAT_TP_BTF, buf, len);
	default:
		return NULL;
	}
}

int tt_backend_choose(enum tt_backend want, enum tt_backend *got, char *msg, size_t len)
{
	static const enum tt_backend order[] = { TT_BACKEND_KPROBE_MULTI, TT_BACKEND_FENTRY,
						 TT_BACKEND_TRACEPOINT };
	char why[200];
	size_t i, off = 0;

	msg[0] = '\0';
	if (want != TT_BACKEND_AUTO) {
		if (backend_unavailable(want, why, sizeof(why))) {
			snprintf(msg, len, "--backend %s: %s unavailable: %s", tt_backend_name(want),
				 tt_backend_name(want), why);
			return -EOPNOTSUPP;
		}
		*got = want;
		return 0;
	}
	/* the richest that works; say why the richer ones do not */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!backend_unavailable(order[i], why, sizeof(why))) {
			*got = order[i];
			snprintf(msg + off, len - off, "%susing %s backend", off ? "; " : "",
				 tt_backend_name(order[i]));
			return 0;
		}
		off += snprintf(msg + off, len - off, "%s%s unavailable: %s", off ? "; " : "",
				tt_backend_name(order[i]), why);
		if (off >= len)
			off = len - 1;
	}
	return -EOPNOTSUPP;
}
