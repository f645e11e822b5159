// SPDX-License-Identifier: GPL-2.0-only
/*
 * The enforce-mode name tables (lib/proxy_parse.c) through lib/name_table.c: every printed name
 * parses back to its value and every value prints as the word it parses from, aliases parse
 * but never print, and anything else is refused.
 */
#include <json-c/json.h>

#include "proxy.h"
#include "test.h"

static const struct {
	const char *what;
	const struct tsn_name *table;
	__u32 values[4];
	int count;
} enums[] = {
	{ "save hook", tsn_save_hook_names, { TSN_SAVE_TP, TSN_SAVE_TC, TSN_SAVE_AUTO }, 3 },
	{ "policy", tsn_policy_mode_names, { TSN_MODE_REGISTERED, TSN_MODE_ALL }, 2 },
	{ "on-disallowed", tsn_on_disallowed_names, { TSN_POLICY_CLAMP, TSN_POLICY_ZERO }, 2 },
	{ "restore", tsn_restore_names,
	  { TSN_RESTORE_PRIORITY, TSN_RESTORE_TSTAMP, TSN_RESTORE_MARK }, 3 },
	{ "registrar", tsn_registrar_names, { TSN_REG_CLI, TSN_REG_CNI }, 2 },
};

TEST(name_table_round_trip)
{
	unsigned int i;
	int v;

	for (i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		for (v = 0; v < enums[i].count; v++) {
			__u32 want = enums[i].values[v], got = ~0U;
			const char *name = tsn_name_format(enums[i].table, want);

			if (!ASSERT_TRUE(name, enums[i].what))
				continue;
			ASSERT_OK(tsn_name_parse(enums[i].table, name, &got), name);
			ASSERT_EQ(got, want, name);
		}
	}
	ASSERT_STREQ(tsn_name_format(tsn_save_hook_names, TSN_SAVE_TC), "tc", "save hook tc");
	ASSERT_STREQ(tsn_name_format(tsn_save_hook_names, TSN_SAVE_TP), "tracepoint",
		     "save hook tracepoint: the printed name, not the alias");
	ASSERT_STREQ(tsn_name_format(tsn_policy_mode_names, TSN_MODE_ALL), "all", "policy all");
	ASSERT_STREQ(tsn_name_format(tsn_on_disallowed_names, TSN_POLICY_ZERO), "zero",
		     "on-disallowed zero");
}

TEST(name_table_alias_and_rejects)
{
	__u32 v = 7;

	ASSERT_OK(tsn_name_parse(tsn_save_hook_names, "tp", &v), "alias tp parses");
	ASSERT_EQ(v, TSN_SAVE_TP, "alias tp is the tracepoint");
	v = 7;
	ASSERT_EQ(tsn_name_parse(tsn_save_hook_names, "kprobe", &v), -EINVAL, "unknown word");
	ASSERT_EQ(v, 7, "unknown word leaves the value");
	ASSERT_EQ(tsn_name_parse(tsn_save_hook_names, "", &v), -EINVAL, "empty word");
	ASSERT_EQ(tsn_name_parse(tsn_save_hook_names, NULL, &v), -EINVAL, "NULL");
	ASSERT_EQ(tsn_name_parse(tsn_policy_mode_names, "All", &v), -EINVAL, "case matters");
	ASSERT_EQ(tsn_name_parse(tsn_on_disallowed_names, "clamp ", &v), -EINVAL,
		  "trailing space");
	ASSERT_EQ(tsn_name_parse(tsn_restore_names, "priority,tstamp", &v), -EINVAL,
		  "a list is not one name");
	ASSERT_TRUE(!tsn_name_format(tsn_policy_mode_names, 9), "a value without a name: NULL");
	ASSERT_TRUE(!tsn_name_format(tsn_registrar_names, 0), "registrar 0 has no name");
}

TEST(name_table_flags)
{
	char buf[64];
	__u32 f = 0;
	json_object *a;

	ASSERT_OK(tsn_flags_parse(tsn_restore_names, "mark,priority", &f), "two flags");
	ASSERT_EQ(f, TSN_RESTORE_MARK | TSN_RESTORE_PRIORITY, "two flags: value");
	tsn_flags_format(tsn_restore_names, f, buf, sizeof(buf));
	ASSERT_STREQ(buf, "priority,mark", "format in table order");
	ASSERT_OK(tsn_flags_parse(tsn_restore_names, "tstamp,tstamp", &f), "repeated flag");
	ASSERT_EQ(f, TSN_RESTORE_TSTAMP, "repeated flag: once");
	ASSERT_OK(tsn_flags_parse(tsn_restore_names, buf, &f), "formatted text parses back");
	ASSERT_EQ(f, TSN_RESTORE_MARK | TSN_RESTORE_PRIORITY, "round trip");

	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, "", &f), -EINVAL, "empty set");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, NULL, &f), -EINVAL, "NULL");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, "priority,", &f), -EINVAL, "trailing comma");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, ",priority", &f), -EINVAL, "leading comma");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, "priority,,mark", &f), -EINVAL,
		  "empty word");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names, "priority,color", &f), -EINVAL,
		  "unknown word");
	ASSERT_EQ(tsn_flags_parse(tsn_restore_names,
				  "priorityyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
				  &f),
		  -EINVAL, "a word longer than any name");

	tsn_flags_format(tsn_restore_names, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "none", "empty set prints none");
	tsn_flags_format(tsn_restore_names, TSN_RESTORE_TSTAMP | 0x30, buf, sizeof(buf));
	ASSERT_STREQ(buf, "tstamp,0x30", "unnamed bits in hex");
	ASSERT_EQ(tsn_flags_format(tsn_restore_names, 7, buf, 4), 20,
		  "truncated: returns the length needed");
	ASSERT_STREQ(buf, "pri", "truncated: terminated");

	a = tsn_flags_json(tsn_restore_names, TSN_RESTORE_PRIORITY | TSN_RESTORE_MARK | 0x40);
	ASSERT_STREQ(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
		     "[\"priority\",\"mark\"]", "JSON array in table order, unnamed bits left out");
	json_object_put(a);
}

TEST(name_table_choices)
{
	char buf[128];

	tsn_name_choices(tsn_save_hook_names, buf, sizeof(buf));
	ASSERT_STREQ(buf, "auto, tracepoint or tc", "three choices, alias not listed");
	tsn_name_choices(tsn_policy_mode_names, buf, sizeof(buf));
	ASSERT_STREQ(buf, "registered or all", "two choices");
	tsn_name_complaint(buf, sizeof(buf), "--restore", tsn_restore_names, true, "color");
	ASSERT_STREQ(buf, "--restore takes a comma-separated list of priority, tstamp or mark, "
			  "not 'color'", "flag-set complaint");
}
