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

/* Write obj to f in the given format; returns 0 or -errno. Does not take ownership. */
int tsn_out_emit(FILE *f, json_object *obj, enum tsn_out_format fmt);

/* Text rendering used by tsn_out_emit for TSN_OUT_TEXT, with a starting indent. */
void tsn_out_text(FILE *f, json_object *obj, int indent);

/* Small constructors that keep printers short. */
/* the largest integer a double holds exactly, and every smaller one too: 2^53 - 1 */
#define TSN_JSON_MAX_SAFE_INT ((1ULL << 53) - 1)
/* a number up to TSN_JSON_MAX_SAFE_INT, above it the decimal as a string (exact in any reader) */
json_object *tsn_json_u64(uint64_t v);
int tsn_json_add_u64(json_object *o, const char *key, uint64_t v);
int tsn_json_add_str(json_object *o, const char *key, const char *v);
int tsn_json_add_bool(json_object *o, const char *key, bool v);

/* Parse helpers for config input (the CNI plugin): 0 or -EINVAL with a message in err. */
int tsn_json_parse(const char *text, json_object **out, char *err, size_t errlen);

#endif /* TSN_JSON_H */
