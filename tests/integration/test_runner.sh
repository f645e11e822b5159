#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test runner itself (tests/run.sh): a run touches only what its own tests made. A second
# run, nested in this test, runs a suite of two tests, one of which leaves everything behind;
# meanwhile a user's fixture (`tests/fixture.sh up`, as the docs suggest), its talker and a
# foreign BPF pin are up on the id this test holds. The nested run must fail its leftover check
# naming exactly what its test left, remove that, and leave the rest alone.

# The leaky test: a fixture, a netns, a pinned map and a process of its own, and no cleanup.
# shellcheck disable=SC2016 # expanded by the nested run
RUNNER_SUITE='
test_leaves_everything() {
	echo "$TK_TEST_ID" >"$RUNNER_OUT/id"
	tk_fixture_up "$TK_TEST_ID" 1
	ip netns add "tk$TK_TEST_ID-leak"
	mkdir -p "$TK_PIN"
	bpftool map create "$TK_PIN/leak" type array key 4 value 4 entries 1 name tk_leak
	# in the root netns: only its tag says whose it is
	sleep 300 &
	echo $! >"$RUNNER_OUT/pid"
	TK_DEFERRED=()
}
test_cleans_up() {
	tk_fixture_up "$TK_TEST_ID" 1
}
'

test_runner_removes_only_its_own() {
	local u=$TK_TEST_ID range out own foreign rc=0 n pid listener
	# the nested run's ids: a small range without this test's id
	range=241-250
	((u >= 241)) && range=231-240
	"$TK_ROOT/tests/fixture.sh" up "$u" --pods 1 >/dev/null || tk_fail "fixture.sh up $u"
	tk_defer "tk_fixture_down $u"
	tk_fixture_vars "$u"
	tk_listen "$u" 5001
	listener=$(cat "/run/tsnkit-fixture/tk$u/listen.5001.pid")
	mkdir -p "$TK_PIN"
	tk_defer "rm -rf $TK_PIN"
	bpftool map create "$TK_PIN/user" type array key 4 value 4 entries 1 name tk_user ||
		tk_fail "cannot pin a map"

	mkdir -p "$TK_TMP/suite" "$TK_TMP/out" "$TK_TMP/logs"
	echo "$RUNNER_SUITE" >"$TK_TMP/suite/test_leaky.sh"
	out=$(RUNNER_OUT=$TK_TMP/out TK_TEST_IDS=$range TK_LOGDIR=$TK_TMP/logs \
		"$TK_ROOT/tests/run.sh" "$TK_TMP/suite/test_leaky.sh" 2>&1) || rc=$?
	echo "$out" | sed 's/^/    | /'
	n=$(cat "$TK_TMP/out/id")
	pid=$(cat "$TK_TMP/out/pid")
	assert_eq "nested run fails" "$rc" 1
	assert_ge "id within the range" "$n" "${range%-*}"
	assert_le "id within the range" "$n" "${range#*-}"
	assert_match "the tests themselves pass" "$out" \
		$'PASS test_leaky:test_cleans_up\nPASS test_leaky:test_leaves_everything'
	own=$(grep '^FAIL suite:no-leftovers: ' <<<"$out")
	foreign=$(grep "^# not this run's, left alone: " <<<"$out")
	assert_match "leftovers named, with the test" "$own" \
		"^FAIL suite:no-leftovers: test_leaky:test_leaves_everything: .*pid:$pid\(sleep\)"
	assert_match "its netns named" "$own" " netns:tk$n-leak( |$)"
	assert_match "its fixture named" "$own" " netns:tk$n-node( |$)"
	assert_match "its pin named" "$own" " pin:/sys/fs/bpf/tk$n( |$)"
	assert_match "its fixture state named" "$own" " state:/run/tsnkit-fixture/tk$n( |$)"
	assert_no_match "the user's fixture is not its own" "$own" "tk$u-"
	assert_match "the user's fixture reported" "$foreign" " netns:tk$u-net( |$)"
	assert_match "the user's pin reported" "$foreign" " pin:/sys/fs/bpf/tk$u( |$)"
	assert_match "the user's talker reported" "$foreign" " pid:$listener\(talker\)"

	# its own: removed
	assert_eq "leaked process ended" "$(kill -0 "$pid" 2>/dev/null && echo alive)" ""
	assert_eq "leaked netns removed" "$(tk_netns_matching "^tk$n-")" ""
	assert_exit "leaked pin removed" 1 test -e "/sys/fs/bpf/tk$n"
	assert_exit "leaked fixture state removed" 1 test -e "/run/tsnkit-fixture/tk$n"
	# everything else: untouched and working
	assert_exit "user's pinned map still there" 0 bpftool map show pinned "$TK_PIN/user"
	assert_exit "user's talker still running" 0 kill -0 "$listener"
	assert_exit "user's fixture carries traffic" 0 tk_talk "$u" 1 --port 5001 --count 10 \
		--interval-us 0
	assert_eq "user's talker got it" "$(tk_listen_count "$u" 5001)" 10
}

# A tk_fail in a subshell of a test ($(...), a background job) ends the test, with its reason
# on the runner's FAIL line; it used to end only the subshell, and the test went on.
# shellcheck disable=SC2016 # expanded by the nested run
RUNNER_SUBSHELL_SUITE='
test_fails_in_a_substitution() {
	local x
	x=$(tk_fail "in a substitution")
	echo "$x" >"$RUNNER_OUT/after_substitution"
}
test_fails_in_a_background_job() {
	(tk_fail "in a background job") &
	wait
	touch "$RUNNER_OUT/after_job"
}
'

test_runner_fail_in_a_subshell() {
	local range=241-250 out rc=0
	((TK_TEST_ID >= 241)) && range=231-240
	mkdir -p "$TK_TMP/suite" "$TK_TMP/out"
	echo "$RUNNER_SUBSHELL_SUITE" >"$TK_TMP/suite/test_sub.sh"
	out=$(RUNNER_OUT=$TK_TMP/out TK_TEST_IDS=$range TK_LOGDIR=$TK_TMP/logs \
		"$TK_ROOT/tests/run.sh" "$TK_TMP/suite/test_sub.sh" 2>&1) || rc=$?
	echo "$out" | sed 's/^/    | /'
	assert_eq "nested run fails" "$rc" 1
	assert_match "substitution: failed with its reason" "$out" \
		$'(^|\n)FAIL test_sub:test_fails_in_a_substitution: in a substitution\n'
	assert_match "background job: failed with its reason" "$out" \
		$'(^|\n)FAIL test_sub:test_fails_in_a_background_job: in a background job\n'
	assert_exit "substitution: the test ended there" 1 test -e "$TK_TMP/out/after_substitution"
	assert_exit "background job: the test ended there" 1 test -e "$TK_TMP/out/after_job"
}

# TK_TEST_IDS: ranges and lists within 1-250, anything else refused in one line
test_runner_test_ids() {
	assert_eq "a list and a range" "$(TK_TEST_IDS=7,20-22 tk_ids | tr '\n' ' ')" "7 20 21 22 "
	assert_eq "default" "$(TK_TEST_IDS='' tk_ids | wc -l)" 250
	local bad
	for bad in 0-3 5-251 9-8 x 3- 1-2-3; do
		assert_exit "TK_TEST_IDS=$bad" 2 env TK_TEST_IDS="$bad" "$TK_ROOT/tests/run.sh" \
			"$TK_TMP/none.sh"
		assert_match "TK_TEST_IDS=$bad: says why" "$TK_ERR" "^TK_TEST_IDS='$bad': "
		assert_eq "TK_TEST_IDS=$bad: one line" "$(echo "$TK_ERR" | wc -l)" 1
	done
}

# The runners' file readers never fail, so a runner under set -e (tests/vm/lane.sh) goes on:
# a file that is not there reads as empty, /proc/PID/stat as its start time.
test_runner_readers_under_errexit() {
	assert_exit "_tk_read of a missing file" 0 bash -c "set -euo pipefail
		source '$TK_ROOT/tests/lib.sh'; v=x; _tk_read v '$TK_TMP/none'; [ -z \"\$v\" ]"
	printf 'no newline' >"$TK_TMP/partial"
	assert_exit "_tk_read of a line without a newline" 0 bash -c "set -euo pipefail
		source '$TK_ROOT/tests/lib.sh'; _tk_read v '$TK_TMP/partial'; echo \"\$v\""
	assert_eq "reads it" "$TK_OUT" "no newline"
	assert_exit "_tk_proc_start of this test's shell" 0 bash -c "set -euo pipefail
		source '$TK_ROOT/tests/lib.sh'; _tk_proc_start $$"
	assert_eq "its start time" "$TK_OUT" "$(awk '{print $22}' "/proc/$$/stat")"
}

# .ci/run's last line sums its lanes: a lane that exited non-zero with no failed test (its
# runner failed after its tests) or died before its summary line is one failure, not a pass.
test_ci_summary_counts_failed_lanes() {
	local d=$TK_TMP/ci
	mkdir -p "$d"
	printf 'PASS a\n3 passed, 0 failed, 1 skipped\n' >"$d/host.log"
	echo 0 >"$d/host.rc"
	assert_exit "lanes that passed" 0 "$TK_ROOT/.ci/summary" "$d"
	assert_eq "their sum" "$TK_OUT" "3 passed, 0 failed, 1 skipped"
	printf '2 passed, 0 failed, 0 skipped\n' >"$d/vm-a.log"
	echo 1 >"$d/vm-a.rc"
	printf 'PASS b\n' >"$d/vm-b.log"
	echo 1 >"$d/vm-b.rc"
	printf '1 passed, 2 failed\n' >"$d/vm-c.log"
	echo 1 >"$d/vm-c.rc"
	assert_exit "a lane's runner failed, one died, one had failures" 1 \
		"$TK_ROOT/.ci/summary" "$d"
	assert_eq "each counted" "$(echo "$TK_OUT" | tail -n 1)" "6 passed, 4 failed, 1 skipped"
	assert_match "names the lane that exited 1" "$TK_OUT" "lane vm-a: exit 1 with no failed test"
	assert_match "names the lane that died" "$TK_OUT" "lane vm-b: no summary line"
}

# The VM lane's runner run on a host (as a developer may, to try a guest test) claims its ids
# as tests/run.sh does: its test runs on an id of TK_TEST_IDS, never on one it did not claim.
test_vm_lane_runner_claims_ids() {
	local range=241-250 n rc=0
	((TK_TEST_ID >= 241)) && range=231-240
	TK_TEST_IDS=$range TK_LOGDIR=$TK_TMP/lane "$TK_ROOT/tests/vm/lane.sh" \
		-k test_kernel_features:test_guest_kernel_version >"$TK_TMP/lane.out" 2>&1 || rc=$?
	sed 's/^/    | /' "$TK_TMP/lane.out"
	assert_eq "the guest-only test fails on the host" "$rc" 1
	n=$(sed -n 's/^# test .* (id \([0-9]*\))$/\1/p' \
		"$TK_TMP/lane/test_kernel_features.test_guest_kernel_version.log")
	assert_ge "id within the range" "${n:-0}" "${range%-*}"
	assert_le "id within the range" "${n:-0}" "${range#*-}"
}

# scripts/deps.sh works under a machine-wide set-up lock: two runs at once (.ci/run's host lane
# beside a guest lane's, a test's extra packages beside another's) would run apt side by side,
# and on a machine without bpffs mount it over each other's pins. In a mount namespace of its
# own, without bpffs, it waits for a holder of the lock and mounts bpffs after it.
test_deps_waits_for_the_setup_lock() {
	local lock=$TK_TMP/deps.lock done=$TK_TMP/holder.done holder i fd
	(
		exec {fd}>"$lock"
		flock "$fd"
		sleep 1
		echo released >"$done"
	) &
	holder=$!
	tk_defer "kill $holder 2>/dev/null"
	for i in $(seq 100); do # until the holder has the lock
		flock -n "$lock" true || break
		sleep 0.05
	done
	assert_ne "the holder took the lock" "$i" 100
	# shellcheck disable=SC2016 # expanded by the inner shell
	assert_exit "deps.sh without bpffs" 0 unshare -m --propagation private bash -c '
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 3; done
		TK_DEPS_LOCK=$1 "$2/scripts/deps.sh" || exit 4
		mountpoint -q /sys/fs/bpf || exit 5
		cat "$3" 2>/dev/null || echo "not yet released"' _ "$lock" "$TK_ROOT" "$done"
	assert_eq "deps.sh went on after the holder" "$TK_OUT" released
}
