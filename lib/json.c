// SPDX-License-Identifier: GPL-2.0-only
/*
 * json-c output and input helpers. Text rendering rules (see json.h):
 *   scalar            key: value          (strings unquoted, null as "-")
 *   object            key:                then its members indented by 2
 *   array of scalars  key: a, b, c        ("-" when empty)
 *   array of objects  key:                then one line per element, indented by 2, made of
 *                                         the element's members as k=v (nested values as
 *                                         compact JSON, strings with blanks quoted)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"

#define TEXT_NULL "-"

static bool is_scalar(json_object *v)
{
	return !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array);
}

/* A scalar as text. json_object_get_string() of a non-string gives its JSON spelling, which is
 * what we want for numbers (exact u64 included) and booleans. */
static const char *scalar_str(json_object *v)
{
	if (!v || json_object_is_type(v, json_type_null))
		return TEXT_NULL;
	return json_object_get_string(v);
}

static bool all_scalars(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		if (!is_scalar(json_object_array_get_idx(arr, i)))
			return false;
	return true;
}

static void print_scalar_list(FILE *f, json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	if (!n) {
		fputs(TEXT_NULL, f);
		return;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", scalar_str(json_object_array_get_idx(arr, i)));
}

/* One table row: the element's members as k=v, so a row stays greppable and one line. */
static void print_row(FILE *f, json_object *elem, int indent)
{
	bool first = true;

	fprintf(f, "%*s", indent, "");
	if (!json_object_is_type(elem, json_type_object)) {
		if (json_object_is_type(elem, json_type_array))
			print_scalar_list(f, elem);
		else
			fputs(scalar_str(elem), f);
		fputc('\n', f);
		return;
	}
	json_object_object_foreach(elem, key, val)
	{
		const char *s;

		if (is_scalar(val)) {
			s = scalar_str(val);
			/* quote strings a reader could not split back: empty or with blanks */
			if (json_object_is_type(val, json_type_string) && (!*s || strpbrk(s, " \t=")))
				s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		} else {
			s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE);
		}
		fprintf(f, "%s%s=%s", first ? "" : " ", key, s);
		first = false;
	}
	fputc('\n', f);
}

static void print_value(FILE *f, const char *key, json_object *val, int indent);

static void print_members(FILE *f, json_object *obj, int indent)
{
	json_object_object_foreach(obj, key, val)
		print_value(f, key, val, indent);
}

static void print_value(FILE *f, const char *key, json_object *val, int indent)
{
	size_t i, n;

	if (is_scalar(val)) {
		fprintf(f, "%*s%s: %s\n", indent, "", key, scalar_str(val));
		return;
	}
	if (json_object_is_type(val, json_type_object)) {
		if (!json_object_object_length(val)) {
			fprintf(f, "%*s%s: %s\n", indent, "", key, TEXT_NULL);
			return;
		}
		fprintf(f, "%*s%s:\n", indent, "", key);
		print_members(f, val, indent + 2);
		return;
	}
	/* array */
	if (all_scalars(val)) {
		fprintf(f, "%*s%s: ", indent, "", key);
		print_scalar_list(f, val);
		fputc('\n', f);
		return;
	}
	fprintf(f, "%*s%s:\n", indent, "", key);
	n = json_object_array_length(val);
	for (i = 0; i < n; i++)
		print_row(f, json_object_array_get_idx(val, i), indent + 2);
}

void tsn_out_text(FILE *f, json_object *obj, int indent)
{
	size_t i, n;

	if (indent < 0)
		indent = 0;
	if (json_object_is_type(obj, json_type_object)) {
		print_members(f, obj, indent);
	} else if (json_object_is_type(obj, json_type_array)) {
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			print_row(f, json_object_array_get_idx(obj, i), indent);
	} else {
		fprintf(f, "%*s%s\n", indent, "", scalar_str(obj));
	}
}

int tsn_out_write(FILE *f, json_object *obj, enum tsn_out_format fmt)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *s;

	if (!f)
		return -EINVAL;
	errno = 0;	/* a failed write(2) below leaves its reason (EPIPE: the reader left) */
	switch (fmt) {
	case TSN_OUT_TEXT:
		tsn_out_text(f, obj, 0);
		break;
	case TSN_OUT_JSON:
	case TSN_OUT_JSON_PRETTY:
		flags |= fmt == TSN_OUT_JSON ? JSON_C_TO_STRING_PLAIN
					      : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB;
		s = json_object_to_json_string_ext(obj, flags);
		if (!s)
			return -ENOMEM;
		fputs(s, f);
		fputc('\n', f);
		break;
	default:
		return -EINVAL;
	}
	if (!ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

int tsn_out_emit(FILE *f, json_object *obj, enum tsn_out_format fmt)
{
	int rc = tsn_out_write(f, obj, fmt);

	if (rc)
		return rc;
	/* NDJSON consumers read line by line from a pipe: do not sit on a full buffer */
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- streaming writer ---- */

void tsn_jw_reset(struct tsn_jw *w)
{
	w->len = 0;
	w->comma = false;
	w->oom = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void tsn_jw_free(struct tsn_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool jw_grow(struct tsn_jw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 512;
	char *b;

	if (w->oom)
		return false;
	while (cap < w->len + n + 1)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b) {
		w->oom = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

/* room for n more bytes and the NUL */
static inline bool jw_reserve(struct tsn_jw *w, size_t n)
{
	return w->len + n + 1 <= w->cap || jw_grow(w, n);
}

static inline void jw_put(struct tsn_jw *w, const char *s, size_t n)
{
	if (!jw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* JSON string escaping as json-c's with JSON_C_TO_STRING_NOSLASHESCAPE */
static void jw_quoted(struct tsn_jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	/* the short escapes of the control characters \b..\r (\v has none) */
	static const char ctl_esc[] = { 'b', 't', 'n', 0, 'f', 'r' };
	const char *run = s;
	char esc[8];

	jw_put(w, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_put(w, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
		} else if (c >= '\b' && c <= '\r' && ctl_esc[c - '\b']) {
			esc[1] = ctl_esc[c - '\b'];
		} else {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			n = 6;
		}
		jw_put(w, esc, n);
	}
	jw_put(w, run, (size_t)(s - run));
	jw_put(w, "\"", 1);
}

/* the separator and the key before a value: one copy, a key is a literal needing no escape */
static void jw_key(struct tsn_jw *w, const char *key)
{
	size_t n = key ? strlen(key) : 0;
	char *p;

	if (!jw_reserve(w, n + 4))
		return;
	p = w->buf + w->len;
	if (w->comma)
		*p++ = ',';
	w->comma = true;
	if (key) {
		*p++ = '"';
		memcpy(p, key, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
	}
	*p = '\0';
	w->len = (size_t)(p - w->buf);
}

static void jw_open(struct tsn_jw *w, const char *key, const char *bracket)
{
	jw_key(w, key);
	jw_put(w, bracket, 1);
	w->comma = false;
}

static void jw_close(struct tsn_jw *w, const char *bracket)
{
	jw_put(w, bracket, 1);
	w->comma = true;
}

void tsn_jw_obj_open(struct tsn_jw *w, const char *key)
{
	jw_open(w, key, "{");
}

void tsn_jw_obj_close(struct tsn_jw *w)
{
	jw_close(w, "}");
}

void tsn_jw_arr_open(struct tsn_jw *w, const char *key)
{
	jw_open(w, key, "[");
}

void tsn_jw_arr_close(struct tsn_jw *w)
{
	jw_close(w, "]");
}

/* decimal digits of v, right-aligned in buf[24]; returns the first */
static char *jw_digits(uint64_t v, char buf[24])
{
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void tsn_jw_u64(struct tsn_jw *w, const char *key, uint64_t v)
{
	char buf[24], *d = jw_digits(v, buf);

	jw_key(w, key);
	if (v > TSN_JSON_MAX_SAFE_INT) {
		jw_put(w, "\"", 1);
		jw_put(w, d, strlen(d));
		jw_put(w, "\"", 1);
		return;
	}
	jw_put(w, d, strlen(d));
}

void tsn_jw_int(struct tsn_jw *w, const char *key, int64_t v)
{
	char buf[24], *d = jw_digits(v < 0 ? -(uint64_t)v : (uint64_t)v, buf);

	jw_key(w, key);
	if (v < 0)
		jw_put(w, "-", 1);
	jw_put(w, d, strlen(d));
}

void tsn_jw_bool(struct tsn_jw *w, const char *key, bool v)
{
	jw_key(w, key);
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

void tsn_jw_str(struct tsn_jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_quoted(w, s ? s : "");
}

void tsn_jw_raw(struct tsn_jw *w, const char *key, const char *text)
{
	jw_key(w, key);
	jw_put(w, text, strlen(text));
}

void tsn_jw_json(struct tsn_jw *w, const char *key, json_object *v)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	jw_key(w, key);
	if (!s) {
		w->oom = true;
		return;
	}
	jw_put(w, s, strlen(s));
}

int tsn_jw_write_line(const struct tsn_jw *w, FILE *f)
{
	if (w->oom)
		return -ENOMEM;
	if (fwrite(w->buf, 1, w->len, f) != w->len || fputc('\n', f) == EOF)
		return errno ? -errno : -EIO;
	return 0;
}

json_object *tsn_jw_parse(const struct tsn_jw *w)
{
	if (w->oom || !w->buf)
		return NULL;
	return json_tokener_parse(w->buf);
}

json_object *tsn_json_u64(uint64_t v)
{
	char buf[24];

	/*
	 * JSON readers that hold numbers in a double (jq 1.6, JavaScript) round integers above
	 * 2^53: such a value is written as its decimal string, so every reader gets it exact.
	 */
	if (v > TSN_JSON_MAX_SAFE_INT) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		return json_object_new_string(buf);
	}
	return json_object_new_uint64(v);
}

bool tsn_json_get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return false;
		*out = json_object_get_uint64(v);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* json_object_object_add() takes ownership of val even on failure in json-c >= 0.13 */
static int add(json_object *o, const char *key, json_object *val)
{
	if (!o || !key || !val) {
		json_object_put(val);
		return -EINVAL;
	}
	return json_object_object_add(o, key, val) ? -ENOMEM : 0;
}

int tsn_json_add_u64(json_object *o, const char *key, uint64_t v)
{
	return add(o, key, tsn_json_u64(v));
}

int tsn_json_add_str(json_object *o, const char *key, const char *v)
{
	/* json-c's null is the NULL object: add it directly, add() would see a failed alloc */
	if (!v) {
		if (!o || !key)
			return -EINVAL;
		return json_object_object_add(o, key, NULL) ? -ENOMEM : 0;
	}
	return add(o, key, json_object_new_string(v));
}

int tsn_json_add_bool(json_object *o, const char *key, bool v)
{
	return add(o, key, json_object_new_boolean(v));
}

/* 1-based line and column of byte offset off in text */
static void position(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int tsn_json_parse(const char *text, json_object **out, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	json_object *obj;
	const char *what;
	size_t len, end;
	int line, col;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!text || !out) {
		if (err && errlen)
			snprintf(err, errlen, "no input");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	len = strlen(text);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue && len) {
		/*
		 * A top-level number or literal ("17", "null") at the very end of the input is
		 * still open for the tokener, which cannot tell "17" from the start of "170": a
		 * blank closes it. Anything really unfinished ("{") stays unfinished.
		 */
		obj = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success)
			jerr = json_tokener_continue;
		end = len;
	}
	json_tokener_free(tok);

	if (jerr == json_tokener_success) {
		/* the tokener stops after one value; anything but blanks after it is an error */
		end += strspn(text + end, " \t\r\n");
		if (end == len) {
			*out = obj;
			return 0;
		}
		json_object_put(obj);
		what = "unexpected data after the JSON value";
	} else if (jerr == json_tokener_continue) {
		/* ran out of input inside a value: point at the end, where more was expected */
		end = len;
		what = len ? "unexpected end of input" : "empty input";
	} else {
		/* parse_end is the offset of the offending character */
		what = json_tokener_error_desc(jerr);
	}
	if (err && errlen) {
		position(text, end, &line, &col);
		snprintf(err, errlen, "line %d, column %d (offset %zu): %s", line, col, end, what);
	}
	return -EINVAL;
}
