// SPDX-License-Identifier: GPL-2.0-only
/* lib/features.c against the running kernel. */
#include <stdlib.h>
#include <string.h>

#include "kfeatures.h"
#include "mechanisms.h"
#include "tc.h"
#include "test.h"

static const char *const expected_names[TSN_FEAT__MAX] = {
	"tp_btf", "fentry", "kprobe", "kprobe-multi", "tcx", "bpf_timer",
	"taprio", "etf", "mqprio", "netkit", "skb_clock_tai", "kern_ctx",
};

TEST(features_names)
{
	int f;

	for (f = 0; f < TSN_FEAT__MAX; f++)
		ASSERT_STREQ(tsn_feature_name(f), expected_names[f], "name");
	ASSERT_STREQ(tsn_feature_name(TSN_FEAT__MAX), "unknown", "out of range name");
	ASSERT_TRUE(tsn_feature_status(TSN_FEAT__MAX) == NULL, "out of range status");
}

TEST(features_probe)
{
	const struct tsn_feature_status *st;
	int f;

	for (f = 0; f < TSN_FEAT__MAX; f++) {
		st = tsn_feature_status(f);
		if (!ASSERT_TRUE(st != NULL, "status"))
			continue;
		printf("  %-14s %-3s %s\n", tsn_feature_name(f), st->ok ? "yes" : "no", st->reason);
		ASSERT_TRUE(st->probed, "probed");
		/* every answer, yes or no, explains itself; a "no" is never silent */
		_ASSERT(st->reason[0] != '\0', tsn_feature_name(f), "empty reason");
		ASSERT_EQ(tsn_feature_has(f), st->ok, "has() agrees with status()");
	}
	/* what tsnkit cannot work without on any supported kernel (>= 6.6) */
	ASSERT_TRUE(tsn_feature_has(TSN_FEAT_TP_BTF), "tp_btf");
	ASSERT_TRUE(tsn_feature_has(TSN_FEAT_TCX), "tcx");
	ASSERT_TRUE(tsn_feature_has(TSN_FEAT_BPF_TIMER), "bpf_timer");
}

TEST(features_cached)
{
	const struct tsn_feature_status *a, *b;

	a = tsn_feature_status(TSN_FEAT_TAPRIO);
	b = tsn_feature_status(TSN_FEAT_TAPRIO);
	ASSERT_TRUE(a == b, "same status object");
	ASSERT_TRUE(a && a->probed, "probed");
}

TEST(features_json)
{
	json_object *all, *one, *v;
	int f;

	all = tsn_features_json();
	if (!ASSERT_TRUE(all != NULL, "tsn_features_json"))
		return;
	ASSERT_EQ(json_object_object_length(all), TSN_FEAT__MAX, "number of features");
	for (f = 0; f < TSN_FEAT__MAX; f++) {
		if (!ASSERT_TRUE(json_object_object_get_ex(all, expected_names[f], &one),
				 expected_names[f]))
			continue;
		ASSERT_TRUE(json_object_object_get_ex(one, "supported", &v) &&
				    json_object_is_type(v, json_type_boolean),
			    "supported is a bool");
		ASSERT_EQ(json_object_get_boolean(v), tsn_feature_has(f), "supported value");
		ASSERT_TRUE(json_object_object_get_ex(one, "reason", &v) &&
				    json_object_get_string_len(v) > 0,
			    "reason is a non-empty string");
	}
	json_object_put(all);
}

/* Every mechanism says what it uses and why; the tc hooks are the ones tc.c attaches with. */
TEST(mechanisms_json)
{
	static const char *const keys[] = { "save_hook_registered", "save_hook_policy_all",
					    "restore_hook", "tai_txtime", "freshness",
					    "tracer_backend", "tracer_backends_usable" };
	json_object *all, *one, *v;
	const char *restore = NULL;
	size_t i;

	all = tsn_mechanisms_json();
	if (!ASSERT_TRUE(all != NULL, "tsn_mechanisms_json"))
		return;
	ASSERT_EQ(json_object_object_length(all), (int)(sizeof(keys) / sizeof(keys[0])),
		  "number of mechanisms");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!ASSERT_TRUE(json_object_object_get_ex(all, keys[i], &one), keys[i]))
			continue;
		ASSERT_TRUE(json_object_object_get_ex(one, "uses", &v) &&
				    json_object_get_string_len(v) > 0,
			    "uses is a non-empty string");
		if (!strcmp(keys[i], "restore_hook"))
			restore = json_object_get_string(v);
		ASSERT_TRUE(json_object_object_get_ex(one, "why", &v) &&
				    json_object_get_string_len(v) > 0,
			    "why is a non-empty string");
	}
	if (ASSERT_TRUE(restore != NULL, "restore_hook.uses"))
		ASSERT_EQ(!strncmp(restore, "tcx", 3), tsn_tc_have_tcx(),
			  "restore hook is tcx iff tc.c attaches with tcx");
	json_object_put(all);
}
