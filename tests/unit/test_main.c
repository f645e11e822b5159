// SPDX-License-Identifier: GPL-2.0-only
/* Runs every TEST() linked into build/test_unit: test_unit [-k PATTERN] [-l] */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "test.h"

#define MAX_TESTS 256

static struct tsn_unit_test tests[MAX_TESTS];
static int ntests;
int tsn_unit_failed;
char tsn_unit_skip_reason[256];

void tsn_unit_register(const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct tsn_unit_test){ name, fn };
}

int test_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int main(int argc, char **argv)
{
	const char *pattern = NULL;
	int opt, failed = 0, i;
	bool list = false;

	while ((opt = getopt(argc, argv, "k:lv")) != -1) {
		switch (opt) {
		case 'k': pattern = optarg; break;
		case 'l': list = true; break;
		case 'v': tsn_log_set_level(tsn_log_get_level() + 1); break;
		default:
			fprintf(stderr, "usage: test_unit [-k PATTERN] [-l] [-v]\n");
			return 2;
		}
	}
	tsn_log_init("test_unit");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ntests; i++) {
		if (pattern && !strstr(tests[i].name, pattern))
			continue;
		if (list) {
			printf("%s\n", tests[i].name);
			continue;
		}
		tsn_unit_failed = 0;
		tsn_unit_skip_reason[0] = '\0';
		printf("# %s\n", tests[i].name);
		tests[i].fn();
		if (tsn_unit_failed) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		} else if (tsn_unit_skip_reason[0]) {
			printf("SKIP %s: %s\n", tests[i].name, tsn_unit_skip_reason);
		} else {
			printf("PASS %s\n", tests[i].name);
		}
	}
	return failed ? 1 : 0;
}
