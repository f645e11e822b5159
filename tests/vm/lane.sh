#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# VM lane test runner; runs inside the guest (tests/vm/run.sh --lane boots the VM and calls it).
# Same conventions as tests/run.sh: tests/vm/test_*.sh hold one shell function test_* per test,
# each run in its own process with tests/lib.sh sourced (tk_defer, tk_skip, asserts, netns
# names "tk<TK_TEST_ID>-"). One PASS/FAIL/SKIP line per test, then exactly one
# "N passed, N failed, N skipped". Exit 1 on any failure.
#
#   tests/vm/lane.sh [--scope all|rt] [--resume] [-k PATTERN] [-v]
#     PATTERN: substring of "file:function"
#     --scope rt: only the files whose outcome PREEMPT_RT can change (RT_SCOPE_FILES); a kernel
#       version's other behaviour is the non-RT lane of that version's
#     --resume: keep the outcomes a crashed run of this lane left in TK_LOGDIR and run only the
#       tests it did not finish (tests/vm/run.sh, after a guest crash)
#   TK_LANE_TESTS: the directory of test_*.sh files (default tests/vm; the host's tests of this
#   runner point it at files of their own)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TK_ROOT=$ROOT
export TK_BUILD=${TK_BUILD:-$ROOT/build}
export TK_LOGDIR=${TK_LOGDIR:-$TK_BUILD/vm-test-logs}
# The seed schedule's 10 us gates, 100x longer, for the fixture's traffic tests: under TCG its
# hrtimer firing every 10 us took up to 1.3 ms per interrupt, and the guest crashed right after
# such a test in about a third of the lanes (docs/testing.md). Gate order and shares stay.
# test_kernel_features:test_taprio_seed_schedule still sets up the verbatim schedule.
export TK_FIXTURE_TAPRIO_GATES=${TK_FIXTURE_TAPRIO_GATES:-1000000 1000000 2000000}
PATTERN=
VERBOSE=0
SCOPE=all
RESUME=0
# What PREEMPT_RT changes for tsnkit: preemptible softirqs and BPF programs (per-CPU state,
# the table's freshness, the sweep), timers under taprio/etf, which features the kernel
# offers and which backends the tracer can use. The datapath shapes (tunnels, ipvlan, netkit)
# run the same programs on the same kernel version: the non-RT lane of the version runs them.
RT_SCOPE_FILES="test_enforce_vm test_kernel_features test_tsntrace_vm"
declare -A done_tests=()
passed=0 failed=0 skipped=0
skipped_names=()

record() { # status name [detail]
	case "$1" in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)); skipped_names+=("$2${3:+ ($3)}") ;;
	esac
	echo "$1 $2${3:+: $3}"
	printf '%s\t%s\n' "$1" "$2" >>"$TK_LOGDIR/outcomes.tsv"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-k) PATTERN=${2:?-k needs a pattern}; shift 2 ;;
		-v) VERBOSE=1; shift ;;
		--resume) RESUME=1; shift ;;
		--scope)
			case "${2:-}" in
			all | rt) SCOPE=$2 ;;
			*) echo "lane.sh: --scope takes all or rt, not '${2:-}'" >&2; exit 2 ;;
			esac
			shift 2 ;;
		*) echo "lane.sh: unknown argument '$1' (usage: lane.sh [--scope all|rt]" \
			"[--resume] [-k PATTERN] [-v])" >&2
			exit 2 ;;
		esac
	done
}

# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"

list_tests() { # file -> function names, in definition order
	bash -c "source '$ROOT/tests/lib.sh'; source '$1'; declare -F" | awk '$3 ~ /^test_/ { print $3 }'
}

# One test in its own process, bounded: TCG is ~10x slower than the host, hence the default.
# Its fixture id is claimed as tests/run.sh claims it, so that the lane run on a host (not in
# the VM) never takes a user's fixture or another run's.
run_one() { # file fn
	local file=$1 fn=$2 idx base name log outcome
	base=${file##*/}
	base=${base%.sh}
	name=$base:$fn
	log=$TK_LOGDIR/$base.$fn.log
	if ! idx=$(TK_TEST_TAG=$(tk_test_tag "$name") tk_claim_id); then
		record FAIL "$name" "no free fixture id in ${TK_TEST_IDS:-1-250}"
		return
	fi
	outcome=$(tk_run_isolated "$file" "$fn" "$idx" "$name" "${TK_TEST_TIMEOUT:-600}" "$log")
	record "${outcome%%$'\t'*}" "$name" "$([[ $outcome == *$'\t'* ]] && echo "${outcome#*$'\t'}")"
	if [[ $outcome == FAIL* ]]; then tail -n 25 "$log" | sed 's/^/    /'; fi
	if [ "$VERBOSE" = 1 ]; then sed 's/^/    /' "$log"; fi
}

# A crashed run's finished tests: counted as they ended (their lines are in the console of
# that run), not run again. The test the guest died in has no outcome and runs again.
resume_outcomes() {
	local st name n=0
	while IFS=$'\t' read -r st name; do
		[ -n "$name" ] || continue
		done_tests[$name]=1
		n=$((n + 1))
		case "$st" in
		PASS) passed=$((passed + 1)) ;;
		FAIL) failed=$((failed + 1)) ;;
		SKIP) skipped=$((skipped + 1)); skipped_names+=("$name") ;;
		esac
	done <"$TK_LOGDIR/outcomes.tsv"
	echo "# resumed after a guest crash: $n tests had finished ($passed passed," \
		"$failed failed, $skipped skipped)"
}

# Tests must clean up after themselves even though the VM is thrown away: the same tests
# share one VM, and a leak in one would change what the next one sees.
check_leftovers() {
	local left
	if [ -n "$PATTERN" ] && [[ "suite:no-leftovers" != *"$PATTERN"* ]]; then return 0; fi
	if left=$(bash -c "source '$ROOT/tests/lib.sh'; tk_suite_leftovers"); then
		record PASS "suite:no-leftovers"
	else
		record FAIL "suite:no-leftovers" "$left"
	fi
}

# This kernel's features, mechanisms and skips against its recorded result (tests/vm/matrix.sh):
# the kernel matrix of docs/testing.md stays what the lanes find. Only for a whole lane of
# tests/vm.
check_kernel_matrix() {
	local res=$TK_LOGDIR/kernel-matrix.json out
	if [ -n "$PATTERN" ] || [ -n "${TK_LANE_TESTS:-}" ]; then return 0; fi
	if ! out=$("$ROOT/tests/vm/matrix.sh" result "$TK_LOGDIR/outcomes.tsv" "$SCOPE" \
		2>&1 >"$res"); then
		record FAIL "suite:kernel-matrix" "$out"
	elif out=$("$ROOT/tests/vm/matrix.sh" compare "$res" 2>&1); then
		record PASS "suite:kernel-matrix"
	else
		record FAIL "suite:kernel-matrix" "$out"
	fi
}

main() {
	local file base fn
	parse_args "$@"
	if [ "$(id -u)" != 0 ]; then
		echo "lane.sh: needs root (netns, qdiscs, BPF)" >&2
		exit 2
	fi
	if [ "${TK_IN_VM:-}" != 1 ]; then
		echo "lane.sh: not in the VM (use tests/vm/run.sh --lane); running on $(uname -r) anyway" >&2
	fi
	echo "# vm lane on $(uname -r), scope $SCOPE"
	if ((RESUME)) && [ -s "$TK_LOGDIR/outcomes.tsv" ]; then
		resume_outcomes
	else
		rm -rf "$TK_LOGDIR"
		mkdir -p "$TK_LOGDIR"
		: >"$TK_LOGDIR/outcomes.tsv"
	fi
	tk_run_begin
	trap tk_run_end EXIT
	for file in "${TK_LANE_TESTS:-$ROOT/tests/vm}"/test_*.sh; do
		[ -e "$file" ] || continue
		base=${file##*/}
		base=${base%.sh}
		[ "$SCOPE" = rt ] && [[ " $RT_SCOPE_FILES " != *" $base "* ]] && continue
		for fn in $(list_tests "$file"); do
			[ -n "$PATTERN" ] && [[ "$base:$fn" != *"$PATTERN"* ]] && continue
			[ -n "${done_tests[$base:$fn]:-}" ] && continue
			run_one "$file" "$fn"
		done
	done
	check_kernel_matrix
	check_leftovers
	if ((${#skipped_names[@]})); then
		echo "skipped: ${skipped_names[*]}"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

main "$@"
