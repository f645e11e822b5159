/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Output through json-c. Every printer builds a json_object and hands it to tsn_out_emit(),
 * which writes it either as one NDJSON line or as text; there is no second, text-only code path
 * for the same data. Text rendering of an object is "key: value" lines (nested objects indented,
 * arrays of objects as tables of their scalar fields), which is what status/features commands
 * print; tools with a columnar text format (tsntrace) format the same object themselves.
 */
#ifndef TSN_JSON_H
#define TSN_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

enum tsn_out_format {
	TSN_OUT_TEXT = 0,
	TSN_OUT_JSON = 1,	/* one compact object per line (NDJSON) */
	TSN_OUT_JSON_PRETTY = 2,
};

/* Write obj to f in the given format and flush f; returns 0 or -errno. Does not take ownership. */
int tsn_out_emit(FILE *f, json_object *obj, enum tsn_out_format fmt);
/*
 * The same without the flush, for a producer of many objects a second that flushes once per
 * batch itself (tsntrace: once per ring-buffer poll), not a write(2) per line.
 */
int tsn_out_write(FILE *f, json_object *obj, enum tsn_out_format fmt);

/* Text rendering used by tsn_out_emit for TSN_OUT_TEXT, with a starting indent. */
void tsn_out_text(FILE *f, json_object *obj, int indent);

/* Small constructors that keep printers short. */
/* the largest integer a double holds exactly, and every smaller one too: 2^53 - 1 */
#define TSN_JSON_MAX_SAFE_INT ((1ULL << 53) - 1)
/* a number up to TSN_JSON_MAX_SAFE_INT, above it the decimal as a string (exact in any reader) */
json_object *tsn_json_u64(uint64_t v);
int tsn_json_add_u64(json_object *o, const char *key, uint64_t v);
/* Member key of o as tsn_json_u64() writes it (a number, or a decimal string): false if not. */
bool tsn_json_get_u64(json_object *o, const char *key, uint64_t *out);
int tsn_json_add_str(json_object *o, const char *key, const char *v);
int tsn_json_add_bool(json_object *o, const char *key, bool v);

/*
 * A streaming writer of one JSON value into a growing buffer, for records written at event rate
 * (tsntrace's hops: a million a second in a flood), where building a json_object (a malloc per
 * member, a hash insert per key) costs more than the work being traced. A record has one home
 * either way: a text rendering of it parses the buffer back (tsn_jw_parse()). key is NULL for a
 * value inside an array or at the top, else a literal that needs no escaping (values are
 * escaped). Out of memory is remembered and reported by
 * tsn_jw_write_line() and tsn_jw_parse().
 */
struct tsn_jw {
	char *buf;		/* NUL-terminated */
	size_t len, cap;
	bool comma;		/* a member or element was written at this level */
	bool oom;
};

void tsn_jw_reset(struct tsn_jw *w);
void tsn_jw_free(struct tsn_jw *w);
void tsn_jw_obj_open(struct tsn_jw *w, const char *key);
void tsn_jw_obj_close(struct tsn_jw *w);
void tsn_jw_arr_open(struct tsn_jw *w, const char *key);
void tsn_jw_arr_close(struct tsn_jw *w);
/* as tsn_json_u64(): a number up to TSN_JSON_MAX_SAFE_INT, above it a string */
void tsn_jw_u64(struct tsn_jw *w, const char *key, uint64_t v);
void tsn_jw_int(struct tsn_jw *w, const char *key, int64_t v);
void tsn_jw_bool(struct tsn_jw *w, const char *key, bool v);
void tsn_jw_str(struct tsn_jw *w, const char *key, const char *s);
/* a value the caller formatted as JSON (a number, a cached fragment), written as it is */
void tsn_jw_raw(struct tsn_jw *w, const char *key, const char *text);
/* a json-c value, serialized as tsn_out_emit() would (NULL: null) */
void tsn_jw_json(struct tsn_jw *w, const char *key, json_object *v);
/* the buffer and a newline to f (no flush); 0 or -errno */
int tsn_jw_write_line(const struct tsn_jw *w, FILE *f);
/* the buffer as a json_object (caller puts it), NULL when out of memory or malformed */
json_object *tsn_jw_parse(const struct tsn_jw *w);

/* Parse helpers for config input (the CNI plugin): 0 or -EINVAL with a message in err. */
int tsn_json_parse(const char *text, json_object **out, char *err, size_t errlen);

#endif /* TSN_JSON_H */
