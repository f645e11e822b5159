/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal ASSERT-style harness for C unit tests (after kernel selftests/bpf): every assert logs
 * its name and values; a test is a function registered with TEST(name); main() in test_main.c
 * runs them and prints one PASS/FAIL/SKIP line each.
 */
#ifndef TSN_UNIT_TEST_H
#define TSN_UNIT_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct tsn_unit_test {
	const char *name;
	void (*fn)(void);
};

void tsn_unit_register(const char *name, void (*fn)(void));
/* Run a shell command (test set-up: ip, tc); its exit status, -1 if it could not run. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* set by asserts / test_skip; read by the runner after fn returns */
extern int tsn_unit_failed;
extern char tsn_unit_skip_reason[256];

#define TEST(name)                                                                     \
	static void test_##name(void);                                                 \
	__attribute__((constructor)) static void register_##name(void)                \
	{                                                                              \
		tsn_unit_register(#name, test_##name);                                 \
	}                                                                              \
	static void test_##name(void)

#define test_skip(...)                                                                 \
	do {                                                                           \
		snprintf(tsn_unit_skip_reason, sizeof(tsn_unit_skip_reason), __VA_ARGS__); \
	} while (0)

#define _ASSERT(cond, name, fmt, ...)                                                  \
	({                                                                             \
		bool ___ok = (cond);                                                   \
		if (!___ok) {                                                          \
			tsn_unit_failed = 1;                                           \
			printf("  %s:%d: %s: " fmt "\n", __FILE__, __LINE__, name,     \
			       ##__VA_ARGS__);                                         \
		}                                                                      \
		___ok;                                                                 \
	})

#define ASSERT_TRUE(a, name) _ASSERT((a), name, "unexpected false")
#define ASSERT_FALSE(a, name) _ASSERT(!(a), name, "unexpected true")
#define ASSERT_EQ(a, b, name)                                                          \
	({                                                                             \
		long long ___a = (long long)(a), ___b = (long long)(b);               \
		_ASSERT(___a == ___b, name, "got %lld, expected %lld", ___a, ___b);    \
	})
#define ASSERT_NEQ(a, b, name)                                                         \
	({                                                                             \
		long long ___a = (long long)(a), ___b = (long long)(b);               \
		_ASSERT(___a != ___b, name, "got %lld, expected != %lld", ___a, ___b); \
	})
#define ASSERT_GE(a, b, name)                                                          \
	({                                                                             \
		long long ___a = (long long)(a), ___b = (long long)(b);               \
		_ASSERT(___a >= ___b, name, "got %lld, expected >= %lld", ___a, ___b); \
	})
#define ASSERT_OK(rc, name)                                                            \
	({                                                                             \
		long long ___r = (long long)(rc);                                     \
		_ASSERT(___r == 0, name, "got error %lld (%s)", ___r,                  \
			___r < 0 ? strerror((int)-___r) : "");                         \
	})
#define ASSERT_ERR(rc, name)                                                           \
	({                                                                             \
		long long ___r = (long long)(rc);                                     \
		_ASSERT(___r < 0, name, "got %lld, expected an error", ___r);          \
	})
#define ASSERT_STREQ(a, b, name)                                                       \
	({                                                                             \
		const char *___a = (a), *___b = (b);                                   \
		_ASSERT(___a && ___b && !strcmp(___a, ___b), name,                     \
			"got \"%s\", expected \"%s\"", ___a ? ___a : "(null)",          \
			___b ? ___b : "(null)");                                       \
	})

#endif /* TSN_UNIT_TEST_H */
