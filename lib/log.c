// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "log.h"

static const char *log_prog = "tsnkit";
static int log_level = TSN_LOG_WARN;
static bool log_json;
static FILE *log_file;

static int libbpf_print_bridge(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf warnings are context for our own error line: show them from -v on */
	int need = level == LIBBPF_DEBUG ? TSN_LOG_DEBUG : TSN_LOG_INFO;

	if (log_level < need)
		return 0;
	return vfprintf(log_file ? log_file : stderr, fmt, ap);
}

void tsn_log_init(const char *prog_name)
{
	log_prog = prog_name;
	libbpf_set_print(libbpf_print_bridge);
}

void tsn_log_set_level(int level)
{
	log_level = level;
}

int tsn_log_get_level(void)
{
	return log_level;
}

void tsn_log_set_json(bool json)
{
	log_json = json;
}

void tsn_log_set_file(void *file)
{
	log_file = file;
}

void tsn_log(enum tsn_log_level level, const char *fmt, ...)
{
	FILE *out = log_file ? log_file : stderr;
	char msg[1024];
	va_list ap;
	size_t n;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';

	if (log_json && level == TSN_LOG_WARN) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
		json_object_put(o);
		return;
	}
	fprintf(out, "%s: %s\n", log_prog, msg);
}
