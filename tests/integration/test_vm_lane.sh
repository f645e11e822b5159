#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest lanes' runner (tests/vm/lane.sh) on the host, over test files of its own
# (TK_LANE_TESTS): a lane resumed after a guest crash runs only the tests that had not finished
# and still counts those that had, failures included; --scope rt runs only the files
# PREEMPT_RT can change. Each test function of the files leaves a marker when it runs.

LANE=$TK_ROOT/tests/vm/lane.sh

# test files: one in the RT scope (test_enforce_vm), one outside it (test_datapaths_vm)
vm_lane_files() { # DIR
	mkdir -p "$1/tests" "$1/ran" "$1/logs"
	cat >"$1/tests/test_enforce_vm.sh" <<EOT
test_one() { touch "$1/ran/one"; }
test_two() { touch "$1/ran/two"; }
EOT
	cat >"$1/tests/test_datapaths_vm.sh" <<EOT
test_shape() { touch "$1/ran/shape"; }
EOT
}

vm_lane() { # DIR ARGS...
	local d=$1
	shift
	TK_LANE_TESTS=$d/tests TK_LOGDIR=$d/logs "$LANE" "$@"
}

test_vm_lane_resume_runs_only_unfinished_tests() {
	local d=$TK_TMP/lane
	vm_lane_files "$d"
	printf 'PASS\ttest_enforce_vm:test_one\n' >"$d/logs/outcomes.tsv"
	assert_exit "resumed lane" 0 vm_lane "$d" --resume -k _vm:test_
	assert_eq "counts the finished test" "$(echo "$TK_OUT" | tail -n 1)" \
		"3 passed, 0 failed, 0 skipped"
	assert_exit "the finished test did not run again" 1 test -e "$d/ran/one"
	assert_exit "the unfinished ones ran" 0 test -e "$d/ran/two" -a -e "$d/ran/shape"
	assert_eq "one outcome per test" "$(wc -l <"$d/logs/outcomes.tsv")" 3

	# a failure before the crash stays one
	rm -f "$d/ran/"*
	printf 'FAIL\ttest_enforce_vm:test_one\n' >"$d/logs/outcomes.tsv"
	assert_exit "resumed lane with a failure" 1 vm_lane "$d" --resume -k _vm:test_
	assert_eq "counts it" "$(echo "$TK_OUT" | tail -n 1)" "2 passed, 1 failed, 0 skipped"

	# without --resume a lane starts over
	rm -f "$d/ran/"*
	assert_exit "a new lane" 0 vm_lane "$d" -k _vm:test_
	assert_eq "runs all" "$(echo "$TK_OUT" | tail -n 1)" "3 passed, 0 failed, 0 skipped"
	assert_exit "test_one ran" 0 test -e "$d/ran/one"
}

test_vm_lane_rt_scope() {
	local d=$TK_TMP/lane
	vm_lane_files "$d"
	assert_exit "--scope rt" 0 vm_lane "$d" --scope rt -k _vm:test_
	assert_eq "the RT file's tests" "$(echo "$TK_OUT" | tail -n 1)" \
		"2 passed, 0 failed, 0 skipped"
	assert_exit "not the datapath file's" 1 test -e "$d/ran/shape"
	assert_exit "--scope all" 0 vm_lane "$d" --scope all -k _vm:test_
	assert_eq "every file's" "$(echo "$TK_OUT" | tail -n 1)" "3 passed, 0 failed, 0 skipped"
	assert_exit "a bad scope" 2 vm_lane "$d" --scope fast
	assert_eq "says so in one line" "$TK_ERR" "lane.sh: --scope takes all or rt, not 'fast'"
}

# In a guest the lane is the only runner: when its last test has released its id no claim is
# left, and the lane's end (under set -e) still exits with its tests' outcome. Here the lane
# gets a claim directory of its own and this test's id, which no other test of this run holds.
test_vm_lane_exit_status_with_no_claim_left() {
	local d=$TK_TMP/lane left
	vm_lane_files "$d"
	mkdir -p "$d/claims"
	TK_CLAIM_DIR=$d/claims TK_TEST_IDS=$TK_TEST_ID \
		assert_exit "a passing lane" 0 vm_lane "$d" -k _vm:test_
	assert_eq "its summary" "$(echo "$TK_OUT" | tail -n 1)" "3 passed, 0 failed, 0 skipped"
	left=$(find "$d/claims" -mindepth 1 -type d)
	assert_eq "no claim left" "$left" ""
	echo 'test_three() { false; }' >>"$d/tests/test_enforce_vm.sh"
	TK_CLAIM_DIR=$d/claims TK_TEST_IDS=$TK_TEST_ID \
		assert_exit "a lane with a failure" 1 vm_lane "$d" -k _vm:test_
	assert_eq "its summary" "$(echo "$TK_OUT" | tail -n 1)" "3 passed, 1 failed, 0 skipped"
}

# .ci/run's RT lanes run with --scope rt, and each lane's recorded result says the scope it ran
test_vm_lane_ci_scopes_match_results() {
	local line pkg scope n=0
	while read -r line; do
		pkg=$(echo "$line" | awk '{print $2}')
		scope=$(echo "$line" | sed -n 's/.*--scope \([a-z]*\).*/\1/p')
		assert_eq "$pkg: scope in .ci/run and in its result" \
			"$(jq -r .scope "$TK_ROOT/tests/vm/results/$pkg.json")" "${scope:-all}"
		if [[ "$pkg" == *-rt-* ]] || [[ "$pkg" == linux-image-rt-* ]]; then
			assert_eq "$pkg is an RT kernel: its lane runs the RT scope" \
				"${scope:-all}" rt
		fi
		n=$((n + 1))
	done < <(sed -n 's/^[[:space:]]*"\(vm-[^"]*\)"$/\1/p' "$TK_ROOT/.ci/run")
	assert_ge "guest lanes in .ci/run" "$n" 4
}
