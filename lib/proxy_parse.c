// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode text: priority lists, and the name tables of the enums the CLI, the CNI plugin
 * and status share (lib/name_table.h parses and formats through them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

const struct tsn_name tsn_save_hook_names[] = {
	{ "auto", TSN_SAVE_AUTO },
	{ "tracepoint", TSN_SAVE_TP },
	{ "tc", TSN_SAVE_TC },
	{ "tp", TSN_SAVE_TP, .alias = true },
	{},
};

const struct tsn_name tsn_policy_mode_names[] = {
	{ "registered", TSN_MODE_REGISTERED },
	{ "all", TSN_MODE_ALL },
	{},
};

const struct tsn_name tsn_on_disallowed_names[] = {
	{ "clamp", TSN_POLICY_CLAMP },
	{ "zero", TSN_POLICY_ZERO },
	{},
};

const struct tsn_name tsn_restore_names[] = {
	{ "priority", TSN_RESTORE_PRIORITY },
	{ "tstamp", TSN_RESTORE_TSTAMP },
	{ "mark", TSN_RESTORE_MARK },
	{},
};

const struct tsn_name tsn_registrar_names[] = {
	{ "cli", TSN_REG_CLI },
	{ "cni", TSN_REG_CNI },
	{},
};

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

int tsn_parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	if (!s || s[0] < '0' || s[0] > '9')	/* strtoul takes spaces and a sign first */
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}
