/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging for every tsnkit binary: pr_warn/pr_info/pr_debug with -v levels, bridged to libbpf's
 * print callback so that `-vv` also shows the verifier and libbpf's own debug output.
 * In JSON mode (tsn_log_set_json) warnings are written as {"error": "..."} objects on stdout,
 * like bpftool -j, so a consumer parsing stdout sees the failure.
 */
#ifndef TSN_LOG_H
#define TSN_LOG_H

#include <stdbool.h>

enum tsn_log_level {
	TSN_LOG_WARN = 0,	/* always shown */
	TSN_LOG_INFO = 1,	/* -v */
	TSN_LOG_DEBUG = 2,	/* -vv, includes libbpf debug */
};

/* name printed before every message ("tsnproxy: ...") */
void tsn_log_init(const char *prog_name);
void tsn_log_set_level(int level);
int tsn_log_get_level(void);
void tsn_log_set_json(bool json);
/* route messages to this FILE (default stderr); the CNI plugin logs to a file */
void tsn_log_set_file(void *file);

void tsn_log(enum tsn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) tsn_log(TSN_LOG_WARN, __VA_ARGS__)
#define pr_info(...) tsn_log(TSN_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) tsn_log(TSN_LOG_DEBUG, __VA_ARGS__)

#endif /* TSN_LOG_H */
