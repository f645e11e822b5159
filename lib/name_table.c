// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parse and format through {name, value} tables (lib/name_table.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "name_table.h"

/* Append to buf at off, truncating safely; returns the length the whole text needs. */
__attribute__((format(printf, 4, 5))) static int append(char *buf, size_t len, int off,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if ((size_t)off < len)
		n = vsnprintf(buf + off, len - off, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	return off + (n > 0 ? n : 0);
}

int tsn_name_parse(const struct tsn_name *t, const char *s, __u32 *value)
{
	if (!s)
		return -EINVAL;
	for (; t->name; t++) {
		if (!strcmp(t->name, s)) {
			*value = t->value;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tsn_name_format(const struct tsn_name *t, __u32 value)
{
	for (; t->name; t++)
		if (!t->alias && t->value == value)
			return t->name;
	return NULL;
}

int tsn_flags_parse(const struct tsn_name *t, const char *s, __u32 *flags)
{
	const char *p = s, *end;
	char word[64];
	__u32 bit;

	*flags = 0;
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (end == p || (size_t)(end - p) >= sizeof(word))
			return -EINVAL;
		memcpy(word, p, end - p);
		word[end - p] = '\0';
		if (tsn_name_parse(t, word, &bit))
			return -EINVAL;
		*flags |= bit;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

int tsn_flags_format(const struct tsn_name *t, __u32 flags, char *buf, size_t len)
{
	__u32 named = 0;
	int off = 0;

	if (len)
		buf[0] = '\0';
	if (!flags)
		return snprintf(buf, len, "none");
	for (; t->name; t++) {
		if (t->alias || !(flags & t->value) || (named & t->value))
			continue;
		named |= t->value;
		off = append(buf, len, off, "%s%s", off ? "," : "", t->name);
	}
	if (flags & ~named)
		off = append(buf, len, off, "%s0x%x", off ? "," : "", flags & ~named);
	return off;
}

json_object *tsn_flags_json(const struct tsn_name *t, __u32 flags)
{
	json_object *a = json_object_new_array();

	for (; t->name; t++)
		if (!t->alias && (flags & t->value))
			json_object_array_add(a, json_object_new_string(t->name));
	return a;
}

void tsn_name_choices(const struct tsn_name *t, char *buf, size_t len)
{
	size_t n = 0, i = 0;
	int off = 0;
	const struct tsn_name *p;

	for (p = t; p->name; p++)
		n += !p->alias;
	if (len)
		buf[0] = '\0';
	for (p = t; p->name; p++) {
		if (p->alias)
			continue;
		i++;
		off = append(buf, len, off, "%s%s", i == 1 ? "" : i == n ? " or " : ", ", p->name);
	}
}

void tsn_name_complaint(char *buf, size_t len, const char *opt, const struct tsn_name *t,
			bool flag_set, const char *arg)
{
	char choices[128];

	tsn_name_choices(t, choices, sizeof(choices));
	snprintf(buf, len, "%s takes %s%s, not '%.64s'", opt,
		 flag_set ? "a comma-separated list of " : "", choices, arg);
}
