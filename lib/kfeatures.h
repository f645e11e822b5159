/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run-time kernel feature probe. Every tool asks here instead of assuming; a missing feature
 * comes with a reason that the tool prints as is ("kprobe-multi: kernel has no CONFIG_FPROBE
 * (EOPNOTSUPP)").
 */
#ifndef TSN_KFEATURES_H
#define TSN_KFEATURES_H

#include <stdbool.h>

#include <json-c/json.h>

enum tsn_feature {
	TSN_FEAT_TP_BTF = 0,
	TSN_FEAT_FENTRY,
	TSN_FEAT_KPROBE,
	TSN_FEAT_KPROBE_MULTI,
	TSN_FEAT_TCX,
	TSN_FEAT_BPF_TIMER,
	TSN_FEAT_TAPRIO,
	TSN_FEAT_ETF,
	TSN_FEAT_MQPRIO,
	TSN_FEAT_NETKIT,
	TSN_FEAT_SKB_CLOCK_TAI,
	TSN_FEAT_KERN_CTX,	/* kfuncs bpf_cast_to_kern_ctx, bpf_rdonly_cast (6.2) */
	TSN_FEAT__MAX,
};

struct tsn_feature_status {
	bool probed;
	bool ok;
	char reason[160];	/* why not, or a detail when ok */
};

/* "tp_btf", "fentry", "kprobe", "kprobe-multi", "tcx", ... */
const char *tsn_feature_name(enum tsn_feature f);

/* Probe one feature (cached after the first call). */
bool tsn_feature_has(enum tsn_feature f);
const struct tsn_feature_status *tsn_feature_status(enum tsn_feature f);

/* All features as {"name": {"supported": bool, "reason": "..."}}. */
json_object *tsn_features_json(void);

/* Add one entry of that shape to all (a tool's own, beside the kernel's); -ENOMEM on failure. */
int tsn_features_json_add(json_object *all, const char *name, bool ok, const char *reason);

#endif /* TSN_KFEATURES_H */
