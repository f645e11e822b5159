// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode CLI text: priority lists and restore flags, parsed and formatted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

void tsn_format_priorities(__u32 mask, char *buf, size_t len)
{
	size_t off = 0;
	int p;

	buf[0] = '\0';
	for (p = 0; p < 32 && off < len; p++)
		if (mask & (1U << p))
			off += snprintf(buf + off, len - off, "%s%d", off ? "," : "", p);
}

int tsn_parse_priorities(const char *s, __u32 *mask)
{
	const char *p = s;

	*mask = 0;
	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;

		if (end == p || a < 0 || a > 31)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b > 31)
				return -EINVAL;
		}
		for (; a <= b; a++)
			*mask |= 1U << a;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -EINVAL;
		p = end;
	}
	return 0;
}

int tsn_parse_restore(const char *s, __u32 *flags)
{
	char buf[128], *tok, *save = NULL;

	*flags = 0;
	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "priority"))
			*flags |= TSN_RESTORE_PRIORITY;
		else if (!strcmp(tok, "tstamp"))
			*flags |= TSN_RESTORE_TSTAMP;
		else if (!strcmp(tok, "mark"))
			*flags |= TSN_RESTORE_MARK;
		else
			return -EINVAL;
	}
	return *flags ? 0 : -EINVAL;
}
