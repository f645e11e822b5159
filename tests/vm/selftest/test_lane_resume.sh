#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest lane runner's crash recovery, with a real crash (.ci/run's vm-resume lane:
# TK_LANE_TESTS=tests/vm/selftest tests/vm/run.sh --lane; lane.sh runs the tests in name
# order). The second test panics the guest the first time it runs; tests/vm/run.sh boots a new
# guest and lane.sh --resume goes on at that test, keeping the first one's outcome: 3 tests
# and suite:no-leftovers pass. A runner that started over would panic again (the marker lives
# in the lane's logs, which only a resumed run keeps) and fail the lane after its retries.
# Sourced by tests/vm/lane.sh with tests/lib.sh.

test_1_before_the_crash() { echo "ok ran before the crash"; }

test_2_panics_once() {
	# never the host's kernel: only a guest of tests/vm/run.sh
	[ "${TK_IN_VM:-}" = 1 ] || tk_fail "panics its kernel: runs only in the guest (TK_IN_VM=1)"
	if [ ! -e "$TK_LOGDIR/panicked-once" ]; then
		touch "$TK_LOGDIR/panicked-once"
		sync
		echo c >/proc/sysrq-trigger
		sleep 10
		tk_fail "sysrq c did not panic the guest"
	fi
	echo "ok the guest panicked in this test's first run"
}

test_3_after_the_crash() { echo "ok ran after the crash"; }
