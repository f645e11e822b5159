/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * {name, value} tables for the enums users type and read. An enum's table is the one place its
 * words are spelled: parsing (CLI, CNI configuration), printing (status, JSON) and the list of
 * choices an error message offers all go through it, so they cannot drift apart.
 *
 * A table is an array ending with { NULL }. A value may have several names: the first is the
 * one printed, later ones (alias = true) are only accepted.
 */
#ifndef TSN_NAME_TABLE_H
#define TSN_NAME_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <json-c/json.h>

struct tsn_name {
	const char *name;
	__u32 value;
	bool alias;	/* accepted by parse, never printed nor listed */
};

/* The value named s (aliases included): 0, or -EINVAL for NULL or an unknown word. */
int tsn_name_parse(const struct tsn_name *t, const char *s, __u32 *value);

/* The printed name of value, or NULL when the table has none. */
const char *tsn_name_format(const struct tsn_name *t, __u32 value);

/*
 * A flag set written as "a,b,c" (each entry of t one bit): 0 and the OR of the named bits, or
 * -EINVAL for an empty set, an empty or unknown word.
 */
int tsn_flags_parse(const struct tsn_name *t, const char *s, __u32 *flags);

/*
 * flags as "a,b,c" in table order; bits the table does not name as one trailing "0x..". An
 * empty set is "none". Returns what snprintf would (the length needed).
 */
int tsn_flags_format(const struct tsn_name *t, __u32 flags, char *buf, size_t len);

/* flags as a JSON array of names in table order (bits the table does not name are left out). */
json_object *tsn_flags_json(const struct tsn_name *t, __u32 flags);

/* The printed names as an English list for messages: "auto, tracepoint or tc". */
void tsn_name_choices(const struct tsn_name *t, char *buf, size_t len);

/*
 * The one-line complaint about an option's argument that t does not name: "OPT takes auto,
 * tracepoint or tc, not 'ARG'" (flag_set: "takes a comma-separated list of ...").
 */
void tsn_name_complaint(char *buf, size_t len, const char *opt, const struct tsn_name *t,
			bool flag_set, const char *arg);

#endif /* TSN_NAME_TABLE_H */
