// SPDX-License-Identifier: GPL-2.0-only
/* lib/json.c: output formats, text rendering, exact u64, parse errors. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "test.h"

/* Render obj with tsn_out_emit into a malloc'ed string (caller frees). */
static char *emit(json_object *obj, enum tsn_out_format fmt, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	*rc = tsn_out_emit(f, obj, fmt);
	fclose(f);
	return buf;
}

TEST(json_u64_exact)
{
	const uint64_t big = UINT64_MAX - 5, over = (1ULL << 63) + 1;
	json_object *o, *back = NULL, *v;
	char err[128], *s;
	uint64_t u = 1;
	int rc = -1;

	o = json_object_new_object();
	ASSERT_OK(tsn_json_add_u64(o, "big", big), "add big");
	ASSERT_OK(tsn_json_add_u64(o, "over", over), "add over");
	ASSERT_OK(tsn_json_add_u64(o, "safe", TSN_JSON_MAX_SAFE_INT), "add safe");
	ASSERT_OK(tsn_json_add_u64(o, "unsafe", TSN_JSON_MAX_SAFE_INT + 1), "add unsafe");
	ASSERT_OK(tsn_json_add_u64(o, "zero", 0), "add zero");
	s = emit(o, TSN_OUT_JSON, &rc);
	ASSERT_OK(rc, "emit");
	ASSERT_STREQ(s,
		     "{\"big\":\"18446744073709551610\",\"over\":\"9223372036854775809\","
		     "\"safe\":9007199254740991,\"unsafe\":\"9007199254740992\",\"zero\":0}\n",
		     "ndjson line: above 2^53 - 1 a string");
	ASSERT_OK(tsn_json_parse(s, &back, err, sizeof(err)), "parse back");
	if (back) {
		ASSERT_TRUE(json_object_object_get_ex(back, "big", &v), "big present");
		ASSERT_TRUE(json_object_get_uint64(v) == big, "big round trip");
		ASSERT_TRUE(json_object_object_get_ex(back, "over", &v), "over present");
		ASSERT_TRUE(json_object_get_uint64(v) == over, "over round trip");
		ASSERT_TRUE(json_object_equal(o, back), "equal after round trip");
		/* the reader of the same convention: a number, or the decimal string above 2^53 */
		ASSERT_TRUE(tsn_json_get_u64(back, "big", &u) && u == big, "get big (a string)");
		ASSERT_TRUE(tsn_json_get_u64(back, "safe", &u) && u == TSN_JSON_MAX_SAFE_INT,
			    "get safe (a number)");
		ASSERT_TRUE(tsn_json_get_u64(back, "zero", &u) && u == 0, "get zero");
		ASSERT_TRUE(!tsn_json_get_u64(back, "none", &u), "get a member that is not there");
	}
	free(s);
	json_object_put(back);
	json_object_put(o);
}

TEST(json_ndjson_and_pretty)
{
	json_object *o, *back = NULL;
	char err[128], *s;
	int rc = -1;

	o = json_object_new_object();
	tsn_json_add_str(o, "path", "/sys/fs/bpf/tsn");
	tsn_json_add_bool(o, "ok", true);
	tsn_json_add_str(o, "none", NULL);
	s = emit(o, TSN_OUT_JSON, &rc);
	ASSERT_OK(rc, "emit json");
	/* one line, no escaped slashes (paths stay readable and greppable) */
	ASSERT_STREQ(s, "{\"path\":\"/sys/fs/bpf/tsn\",\"ok\":true,\"none\":null}\n", "ndjson");
	free(s);

	s = emit(o, TSN_OUT_JSON_PRETTY, &rc);
	ASSERT_OK(rc, "emit pretty");
	ASSERT_TRUE(s && strchr(s, '\n') != strrchr(s, '\n'), "pretty spans lines");
	ASSERT_OK(tsn_json_parse(s, &back, err, sizeof(err)), "pretty parses");
	ASSERT_TRUE(back && json_object_equal(o, back), "pretty round trip");
	free(s);
	json_object_put(back);

	ASSERT_EQ(tsn_out_emit(stdout, o, (enum tsn_out_format)7), -EINVAL, "bad format");
	ASSERT_EQ(tsn_json_add_str(NULL, "k", "v"), -EINVAL, "add to NULL");
	json_object_put(o);
}

TEST(json_text)
{
	const char *expect =
		"name: veth0\n"
		"ifindex: 7\n"
		"tstamp: 18446744073709551615\n"
		"enforce: true\n"
		"note: -\n"
		"tcx:\n"
		"  ingress: 101\n"
		"  link:\n"
		"    pin: /sys/fs/bpf/tsn/link\n"
		"queues: 0, 1, 2\n"
		"empty: -\n"
		"pods:\n"
		"  name=a prio=3\n"
		"  name=\"b c\" prio=5 tags=[\"x\"]\n";
	json_object *o, *tcx, *link, *arr, *row;
	char *s;
	int rc = -1;

	o = json_object_new_object();
	tsn_json_add_str(o, "name", "veth0");
	tsn_json_add_u64(o, "ifindex", 7);
	tsn_json_add_u64(o, "tstamp", UINT64_MAX);
	tsn_json_add_bool(o, "enforce", true);
	tsn_json_add_str(o, "note", NULL);
	tcx = json_object_new_object();
	tsn_json_add_u64(tcx, "ingress", 101);
	link = json_object_new_object();
	tsn_json_add_str(link, "pin", "/sys/fs/bpf/tsn/link");
	json_object_object_add(tcx, "link", link);
	json_object_object_add(o, "tcx", tcx);
	arr = json_object_new_array();
	json_object_array_add(arr, tsn_json_u64(0));
	json_object_array_add(arr, tsn_json_u64(1));
	json_object_array_add(arr, tsn_json_u64(2));
	json_object_object_add(o, "queues", arr);
	json_object_object_add(o, "empty", json_object_new_array());
	arr = json_object_new_array();
	row = json_object_new_object();
	tsn_json_add_str(row, "name", "a");
	tsn_json_add_u64(row, "prio", 3);
	json_object_array_add(arr, row);
	row = json_object_new_object();
	tsn_json_add_str(row, "name", "b c");
	tsn_json_add_u64(row, "prio", 5);
	json_object_object_add(row, "tags", json_object_new_array());
	json_object_array_add(json_object_object_get(row, "tags"), json_object_new_string("x"));
	json_object_array_add(arr, row);
	json_object_object_add(o, "pods", arr);

	s = emit(o, TSN_OUT_TEXT, &rc);
	ASSERT_OK(rc, "emit text");
	ASSERT_STREQ(s, expect, "text rendering");
	free(s);
	json_object_put(o);
}

TEST(json_text_indent)
{
	json_object *o = json_object_new_object();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	tsn_json_add_u64(o, "a", 1);
	f = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(f != NULL, "memstream")) {
		json_object_put(o);
		return;
	}
	tsn_out_text(f, o, 4);
	fclose(f);
	ASSERT_STREQ(buf, "    a: 1\n", "indent 4");
	free(buf);
	json_object_put(o);
}

TEST(json_parse_errors)
{
	json_object *o = (json_object *)1;
	char err[160];

	ASSERT_EQ(tsn_json_parse("{\"a\": 1,\n  \"b\": ]}", &o, err, sizeof(err)), -EINVAL,
		  "bad token");
	ASSERT_TRUE(o == NULL, "out cleared on error");
	printf("  error: %s\n", err);
	ASSERT_TRUE(strstr(err, "line 2, column 8") != NULL, "position of ']'");

	ASSERT_EQ(tsn_json_parse("{\"a\": [1, 2", &o, err, sizeof(err)), -EINVAL, "truncated");
	printf("  error: %s\n", err);
	ASSERT_TRUE(strstr(err, "end of input") != NULL, "says truncated");

	ASSERT_EQ(tsn_json_parse("{} x", &o, err, sizeof(err)), -EINVAL, "trailing garbage");
	printf("  error: %s\n", err);
	ASSERT_TRUE(strstr(err, "column 4") != NULL, "position of trailing garbage");

	ASSERT_EQ(tsn_json_parse("", &o, err, sizeof(err)), -EINVAL, "empty");
	ASSERT_EQ(tsn_json_parse(NULL, &o, err, sizeof(err)), -EINVAL, "NULL");

	ASSERT_OK(tsn_json_parse(" {\"cniVersion\": \"1.0.0\"}\n", &o, err, sizeof(err)),
		  "valid with blanks");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "cniVersion")), "1.0.0",
		     "value");
	json_object_put(o);

	/* top-level scalars that end the input are whole values, not truncated ones */
	o = (json_object *)1;
	ASSERT_OK(tsn_json_parse("null", &o, err, sizeof(err)), "null at the end of input");
	ASSERT_TRUE(o == NULL, "null is json-c's NULL");
	ASSERT_OK(tsn_json_parse("17", &o, err, sizeof(err)), "number at the end of input");
	ASSERT_EQ(json_object_get_int(o), 17, "all of the number");
	json_object_put(o);
	ASSERT_EQ(tsn_json_parse("tru", &o, err, sizeof(err)), -EINVAL, "unfinished literal");
	ASSERT_EQ(tsn_json_parse("[1", &o, err, sizeof(err)), -EINVAL, "unfinished array");
}

/*
 * The streaming writer (tsntrace's hop records) writes what json-c writes for the same record:
 * byte for byte, escapes, exact u64, nesting and empty arrays included; its buffer parses back.
 */
TEST(json_stream_writer_matches_json_c)
{
	static const char *const strs[] = { "plain", "quote\" back\\ slash/", "nl\n tab\t cr\r",
					     "ctl\x01\x1f bs\b ff\f vt\v", "utf-8 → ü", "" };
	json_object *o = json_object_new_object(), *arr, *inner, *emb, *back;
	struct tsn_jw w = {};
	char key[16];
	size_t i;

	tsn_jw_obj_open(&w, NULL);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		tsn_jw_str(&w, key, strs[i]);
		tsn_json_add_str(o, key, strs[i]);
	}
	tsn_jw_u64(&w, "zero", 0);
	tsn_json_add_u64(o, "zero", 0);
	tsn_jw_u64(&w, "safe", TSN_JSON_MAX_SAFE_INT);
	tsn_json_add_u64(o, "safe", TSN_JSON_MAX_SAFE_INT);
	tsn_jw_u64(&w, "big", UINT64_MAX);
	tsn_json_add_u64(o, "big", UINT64_MAX);
	tsn_jw_int(&w, "neg", -95);
	json_object_object_add(o, "neg", json_object_new_int(-95));
	tsn_jw_int(&w, "min", INT64_MIN);
	json_object_object_add(o, "min", json_object_new_int64(INT64_MIN));
	tsn_jw_bool(&w, "yes", true);
	tsn_json_add_bool(o, "yes", true);
	tsn_jw_raw(&w, "t", "1.250000");
	json_object_object_add(o, "t", json_object_new_double_s(1.25, "1.250000"));
	tsn_jw_obj_open(&w, "inner");
	tsn_jw_str(&w, "a", "b");
	tsn_jw_arr_open(&w, "empty");
	tsn_jw_arr_close(&w);
	tsn_jw_obj_close(&w);
	inner = json_object_new_object();
	tsn_json_add_str(inner, "a", "b");
	json_object_object_add(inner, "empty", json_object_new_array());
	json_object_object_add(o, "inner", inner);
	tsn_jw_arr_open(&w, "arr");
	tsn_jw_str(&w, NULL, "x");
	tsn_jw_u64(&w, NULL, 7);
	tsn_jw_arr_close(&w);
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("x"));
	json_object_array_add(arr, json_object_new_uint64(7));
	json_object_object_add(o, "arr", arr);
	emb = json_object_new_array();
	json_object_array_add(emb, json_object_new_string("field"));
	tsn_jw_json(&w, "emb", emb);
	json_object_object_add(o, "emb", emb);
	tsn_jw_obj_close(&w);

	ASSERT_FALSE(w.oom, "no allocation failed");
	ASSERT_STREQ(w.buf,
		     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE),
		     "streamed record == json-c's");
	back = tsn_jw_parse(&w);
	ASSERT_TRUE(back && json_object_equal(back, o), "the record parses back to the same object");
	json_object_put(back);
	json_object_put(o);

	/* a reset starts a new record in the same buffer */
	tsn_jw_reset(&w);
	tsn_jw_arr_open(&w, NULL);
	tsn_jw_arr_close(&w);
	ASSERT_STREQ(w.buf, "[]", "after reset");
	tsn_jw_free(&w);
}

/* A write to a pipe whose reader left is -EPIPE (the tools end quietly on it), not -EIO. */
TEST(json_out_write_reader_gone)
{
	json_object *o = json_object_new_object();
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int fds[2] = { -1, -1 };
	FILE *f = NULL;

	if (ASSERT_OK(pipe(fds), "pipe")) {
		close(fds[0]);
		f = fdopen(fds[1], "w");
	}
	if (ASSERT_TRUE(f, "fdopen")) {
		setvbuf(f, NULL, _IONBF, 0);	/* each fputs a write(2) */
		ASSERT_OK(tsn_json_add_str(o, "k", "v"), "add");
		ASSERT_EQ(tsn_out_write(f, o, TSN_OUT_JSON), -EPIPE, "the reader gone: -EPIPE");
		fclose(f);
	} else if (fds[1] >= 0) {
		close(fds[1]);
	}
	signal(SIGPIPE, old);
	json_object_put(o);
}
