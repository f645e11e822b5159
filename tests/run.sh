#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsnkit test runner: unit tests (build/test_unit) then integration tests (tests/integration/
# test_*.sh, one shell function test_* per test, each in its own process over its own netns
# fixture). One PASS/FAIL/SKIP line per test, then exactly one "N passed, N failed, N skipped".
# A skip names the missing kernel feature. Exit 1 on any failure.
#
#   tests/run.sh [-k PATTERN] [-v] [FILE...]
#     PATTERN: substring of "file:function" or unit test name; FILEs: integration test files to
#     run instead of tests/integration/test_*.sh (and no unit tests)
#   TK_TEST_IDS: the fixture ids this run may claim ("100-150", "7,20-29"; default 1-250)
#
# The run touches only what its tests made: after each test it removes what that test left of
# its own (processes by pid, the netns and pin dirs of its ids) and the last check,
# suite:no-leftovers, fails if there was any; what else it sees is reported, never removed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TK_ROOT=$ROOT
export TK_BUILD=${TK_BUILD:-$ROOT/build}
export TK_LOGDIR=${TK_LOGDIR:-$TK_BUILD/test-logs}
PATTERN=
VERBOSE=0
FILES=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) PATTERN=$2; shift 2 ;;
	-v) VERBOSE=1; shift ;;
	-*) echo "run.sh: unknown argument '$1' (usage: run.sh [-k PATTERN] [-v] [FILE...])" >&2
		exit 2 ;;
	*) FILES+=("$1"); shift ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the tests load BPF programs and create netns: run as root" >&2
	exit 2
fi

# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
tk_ids >/dev/null || exit 2
mkdir -p "$TK_LOGDIR"
tk_run_begin
trap tk_run_end EXIT

passed=0 failed=0 skipped=0
failed_names=() skipped_names=()

record() { # status name [detail]
	case "$1" in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)); failed_names+=("$2") ;;
	SKIP) skipped=$((skipped + 1)); skipped_names+=("$2${3:+ ($3)}") ;;
	esac
	echo "$1 $2${3:+: $3}"
}

# --- unit tests: the binary prints PASS/FAIL/SKIP lines itself -------------------------------
if [ ${#FILES[@]} = 0 ] && [ -x "$TK_BUILD/test_unit" ]; then
	log=$TK_LOGDIR/unit.log
	# "-k unit" runs them all, "-k unit/json" (or "-k json") the matching ones
	upat=${PATTERN#unit}
	upat=${upat#/}
	"$TK_BUILD/test_unit" ${upat:+-k "$upat"} >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"PASS "* | "FAIL "* | "SKIP "*)
			st=${line%% *} rest=${line#* }
			name=${rest%%: *} detail=
			[ "$name" != "$rest" ] && detail=${rest#*: }
			record "$st" "unit/$name" "$detail" ;;
		esac
	done <"$log"
	if [ "$rc" -gt 1 ]; then
		record FAIL "unit/harness" "test_unit exited $rc, see $log"
	fi
	[ "$VERBOSE" = 1 ] && cat "$log"
fi

# --- integration tests --------------------------------------------------------------------------
((${#FILES[@]})) || FILES=("$ROOT"/tests/integration/test_*.sh)
for file in "${FILES[@]}"; do
	[ -e "$file" ] || continue
	base=$(basename "$file" .sh)
	fns=$(bash -c "source '$ROOT/tests/lib.sh'; source '$file'; declare -F" |
		awk '$3 ~ /^test_/ {print $3}')
	for fn in $fns; do
		name="$base:$fn"
		if [ -n "$PATTERN" ] && [[ "$name" != *"$PATTERN"* ]]; then
			continue
		fi
		idx=$(TK_TEST_TAG=$(tk_test_tag "$name") tk_claim_id) ||
			{ record FAIL "$name" "no free fixture id in ${TK_TEST_IDS:-1-250}"; continue; }
		log=$TK_LOGDIR/$base.$fn.log
		# a test may need longer than TK_TEST_TIMEOUT: its file sets TK_TIMEOUT_<function>
		tmo=$(bash -c "source '$ROOT/tests/lib.sh'; source '$file'; echo \${TK_TIMEOUT_$fn:-0}")
		((tmo > ${TK_TEST_TIMEOUT:-300})) || tmo=${TK_TEST_TIMEOUT:-300}
		outcome=$(tk_run_isolated "$file" "$fn" "$idx" "$name" "$tmo" "$log")
		record "${outcome%%$'\t'*}" "$name" "$([[ $outcome == *$'\t'* ]] && echo "${outcome#*$'\t'}")"
		[[ $outcome == FAIL* ]] && tail -n 25 "$log" | sed 's/^/    /'
		[ "$VERBOSE" = 1 ] && sed 's/^/    /' "$log"
	done
done

# --- nothing of this run may be left behind; what is not this run's is only reported ----------
if left=$(tk_suite_leftovers); then
	record PASS "suite:no-leftovers"
else
	record FAIL "suite:no-leftovers" "$left"
fi
foreign=$(tk_foreign_leftovers)
[ -z "$foreign" ] || echo "# not this run's, left alone: $foreign"

if ((${#skipped_names[@]})); then
	echo "skipped (missing kernel features): ${skipped_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
