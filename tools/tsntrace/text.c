// SPDX-License-Identifier: GPL-2.0-only
/*
 * The text mode's hop lines. Each column has a rank: on a terminal narrower than the full line,
 * the columns of the highest ranks are left out until the rest fits, and the CHANGE text, when
 * it does not fit behind them, goes on indented lines of its own, wrapped at the width. Without
 * a width (not a terminal, -o wide) every column is printed at its full width, as before.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "tsntrace.h"

enum tt_col_id {
	TT_COL_TIME,
	TT_COL_PKT,
	TT_COL_HOP,
	TT_COL_SKB,
	TT_COL_NETNS,
	TT_COL_IFNAME,
	TT_COL_HOOK,
	TT_COL_TUPLE,
	TT_COL_LEN,
	TT_COL_PRIO,
	TT_COL_TSTAMP,
	TT_COL_TT,
	TT_COL_MARK,
	TT_COL_SK,
	TT_COL__MAX,
};

static const struct tt_col {
	const char *name;
	int width;		/* without a width limit: as the table always was */
	int narrow;		/* on a terminal: values cut to this */
	bool right;		/* numbers: right-aligned */
	int rank;		/* narrow terminals keep the lower ranks */
} cols[TT_COL__MAX] = {
	[TT_COL_TIME] = { "TIME", 12, 9, false, 6 },
	[TT_COL_PKT] = { "PKT", 5, 4, false, 0 },
	[TT_COL_HOP] = { "HOP", 3, 3, true, 1 },
	[TT_COL_SKB] = { "SKB", 18, 18, false, 13 },
	[TT_COL_NETNS] = { "NETNS", 13, 12, false, 4 },
	[TT_COL_IFNAME] = { "IFNAME", 10, 9, false, 3 },
	[TT_COL_HOOK] = { "HOOK", 18, 18, false, 2 },
	[TT_COL_TUPLE] = { "TUPLE", 44, 44, false, 9 },
	[TT_COL_LEN] = { "LEN", 5, 5, true, 12 },
	[TT_COL_PRIO] = { "PRIO", 4, 4, true, 5 },
	[TT_COL_TSTAMP] = { "TSTAMP", 19, 19, false, 10 },
	[TT_COL_TT] = { "TT", 4, 4, false, 7 },
	[TT_COL_MARK] = { "MARK", 10, 10, false, 8 },
	[TT_COL_SK] = { "SK", 2, 2, false, 11 },
};

/* the header's last word: the columns before it must leave room for it */
#define TT_CHANGE_HDR "CHANGE"

/* where the change text goes when it does not fit behind the columns */
#define TT_WRAP_INDENT 6

struct tt_text {
	FILE *out;
	unsigned int width;		/* 0: no limit */
	int time_width;
	bool shown[TT_COL__MAX];
	int change_col;			/* the column where CHANGE starts */
	bool header_done;
};

static int col_width(const struct tt_text *t, int c)
{
	if (c == TT_COL_TIME)
		return t->time_width;
	return t->width ? cols[c].narrow : cols[c].width;
}

unsigned int tt_text_width(FILE *f)
{
	struct winsize ws;
	int fd = fileno(f);

	if (fd < 0 || !isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

struct tt_text *tt_text_new(FILE *out, unsigned int width, enum tt_time_mode time_mode)
{
	struct tt_text *t = calloc(1, sizeof(*t));
	int c, used = 0, rank;

	if (!t)
		return NULL;
	t->out = out;
	t->width = width;
	/* "08:45:12.123456" */
	t->time_width = time_mode == TT_TIME_ABS ? 15 :
			width ? cols[TT_COL_TIME].narrow : cols[TT_COL_TIME].width;
	for (c = 0; c < TT_COL__MAX; c++) {
		t->shown[c] = true;
		used += col_width(t, c) + 1;
	}
	/* leave out the least needed columns until the others fit */
	for (rank = TT_COL__MAX - 1;
	     width && used + (int)strlen(TT_CHANGE_HDR) > (int)width && rank > 0; rank--) {
		for (c = 0; c < TT_COL__MAX; c++) {
			if (cols[c].rank == rank && t->shown[c]) {
				t->shown[c] = false;
				used -= col_width(t, c) + 1;
			}
		}
	}
	t->change_col = used;
	return t;
}

void tt_text_free(struct tt_text *t)
{
	free(t);
}

/* bytes of s that make up at most n characters (UTF-8: "→" is one) */
static size_t utf8_prefix(const char *s, size_t n)
{
	size_t i = 0, chars = 0;

	while (s[i]) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == n)
				break;
			chars++;
		}
		i++;
	}
	return i;
}

static size_t utf8_len(const char *s)
{
	size_t chars = 0;

	for (; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	return chars;
}

/*
 * s on lines of at most width characters, the first starting at column at (already written),
 * the following ones indented by indent; breaks at spaces where it can.
 */
static void wrap(FILE *f, const char *s, unsigned int width, int at, int indent)
{
	int room = (int)width - at;

	while (*s) {
		size_t n, cut;

		if (room < 8)
			room = 8;	/* a terminal too narrow for anything: keep going */
		n = utf8_prefix(s, room);
		cut = n;
		if (s[n]) {
			/* the last space within the room, if there is one past the start */
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (!cut)
				cut = n;
		}
		fprintf(f, "%.*s\n", (int)cut, s);
		s += cut;
		while (*s == ' ')
			s++;
		if (*s)
			fprintf(f, "%*s", indent, "");
		room = (int)width - indent;
	}
}

void tt_text_wrapped(struct tt_text *t, int indent, const char *line)
{
	if (!t->width || utf8_len(line) <= t->width) {
		fprintf(t->out, "%s\n", line);
		return;
	}
	wrap(t->out, line, t->width, 0, indent);
}

static void put_cols(struct tt_text *t, const char *const val[TT_COL__MAX])
{
	int c;

	for (c = 0; c < TT_COL__MAX; c++) {
		int w = col_width(t, c);

		if (!t->shown[c])
			continue;
		/* with a width, a longer value (a netns:INODE name) is cut to keep the columns */
		if (t->width)
			fprintf(t->out, cols[c].right ? "%*.*s " : "%-*.*s ", w, w, val[c]);
		else
			fprintf(t->out, cols[c].right ? "%*s " : "%-*s ", w, val[c]);
	}
}

static void put_change(struct tt_text *t, const char *change)
{
	if (!*change || !t->width || t->change_col + utf8_len(change) <= t->width) {
		fprintf(t->out, "%s\n", change);
		return;
	}
	fprintf(t->out, "\n%*s", TT_WRAP_INDENT, "");
	wrap(t->out, change, t->width, TT_WRAP_INDENT, TT_WRAP_INDENT);
}

static void header(struct tt_text *t)
{
	const char *names[TT_COL__MAX];
	int c;

	for (c = 0; c < TT_COL__MAX; c++)
		names[c] = cols[c].name;
	put_cols(t, names);
	fprintf(t->out, "%s\n", TT_CHANGE_HDR);
	t->header_done = true;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

/* The text line is a rendering of the hop object, nothing more. */
void tt_text_hop(struct tt_text *t, json_object *o, const char *time_col)
{
	char tuple[160] = "-", hook[64], change[512] = "", mark[16] = "-";
	const char *val[TT_COL__MAX];
	json_object *tj, *chs, *v;
	size_t i, n, off = 0;
	bool has_meta = !json_object_object_get_ex(o, "rc", &v);

	if (!t->header_done)
		header(t);
	if (json_object_object_get_ex(o, "tuple", &tj))
		snprintf(tuple, sizeof(tuple), "%s", jstr(tj, "desc"));
	if (json_object_object_get_ex(o, "func", &v))
		snprintf(hook, sizeof(hook), "%s:%s", jstr(o, "hook"), json_object_get_string(v));
	else
		snprintf(hook, sizeof(hook), "%s", jstr(o, "hook"));
	if (json_object_object_get_ex(o, "changes", &chs)) {
		n = json_object_array_length(chs);
		for (i = 0; i < n && off < sizeof(change) - 1; i++) {
			json_object *c = json_object_array_get_idx(chs, i);

			off += snprintf(change + off, sizeof(change) - off, "%s%s %s→%s (%s: %s)",
					i ? "; " : "", jstr(c, "field"), jstr(c, "from"), jstr(c, "to"),
					jstr(c, "cause"), jstr(c, "detail"));
		}
	}
	if (json_object_object_get_ex(o, "drop_reason", &v) && off < sizeof(change) - 1)
		off += snprintf(change + off, sizeof(change) - off, "%sdrop %s", off ? "; " : "",
				json_object_get_string(v));
	/* net_dev_xmit: the metadata is not read there, see tt_hook_has_meta() */
	if (!has_meta && json_object_object_get_ex(o, "rc", &v))
		snprintf(change, sizeof(change), "rc=%s", json_object_get_string(v));
	if (has_meta && json_object_object_get_ex(o, "mark", &v))
		snprintf(mark, sizeof(mark), "0x%x", (unsigned int)json_object_get_int64(v));

	val[TT_COL_TIME] = time_col;
	val[TT_COL_PKT] = jstr(o, "pkt_id");
	val[TT_COL_HOP] = jstr(o, "hop");
	val[TT_COL_SKB] = jstr(o, "skb");
	val[TT_COL_NETNS] = jstr(o, "netns_name");
	val[TT_COL_IFNAME] = jstr(o, "ifname");
	val[TT_COL_HOOK] = hook;
	val[TT_COL_TUPLE] = tuple;
	val[TT_COL_LEN] = jstr(o, "len");
	val[TT_COL_PRIO] = has_meta ? jstr(o, "priority") : "-";
	val[TT_COL_TSTAMP] = has_meta ? jstr(o, "tstamp") : "-";
	val[TT_COL_TT] = has_meta ? jstr(o, "tstamp_type") : "-";
	val[TT_COL_MARK] = mark;
	val[TT_COL_SK] = !has_meta ? "-" :
			 json_object_object_get_ex(o, "sk", &v) && json_object_get_boolean(v) ? "y" :
											      "n";
	put_cols(t, val);
	put_change(t, change);
}
