#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Shell library for integration tests. Sourced by tests/run.sh into the process that runs one
# test function. Conventions that keep parallel/failed runs from colliding or leaking:
#   - netns names start with "tk<TK_TEST_ID>-", pin dirs are /sys/fs/bpf/tk<TK_TEST_ID>
#   - BPF program names of tsnkit objects start with "tsn_" (test-only programs: "tk_")
#   - every resource a test creates is registered with tk_defer, run at exit even on failure
#   - the runner claims the test's id and tags its processes (TK_TEST_TAG); after the test it
#     removes what the test left of its own, and only that (see "what a run ... leaves behind")
# A test function returns/exit 0 to pass; tk_fail/any failing assert exits 1; tk_skip exits 77.

TK_ROOT=${TK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TK_BUILD=${TK_BUILD:-$TK_ROOT/build}
TK_TEST_ID=${TK_TEST_ID:-$$}
TK_PIN=/sys/fs/bpf/tk$TK_TEST_ID

# ---- outcome ---------------------------------------------------------------------------------
# A failure in a subshell of the test ($(...), a pipeline, a background job) would end only the
# subshell, its line captured or lost: it goes to the test's log (TK_TEST_LOG) and ends the test.
tk_fail() {
	if [ -n "${TK_TEST_PID:-}" ] && [ "$BASHPID" != "$TK_TEST_PID" ]; then
		echo "FAIL: $*" >>"${TK_TEST_LOG:-/dev/stderr}"
		kill -USR1 "$TK_TEST_PID"
	else
		echo "FAIL: $*"
	fi
	exit 1
}
tk_skip() { echo "SKIP: $*"; exit 77; }
tk_log() { echo "# $*"; }

# ---- asserts: log name and values like selftests' ASSERT_* -----------------------------------
assert_eq() { # name actual expected
	if [ "$2" != "$3" ]; then tk_fail "$1: got '$2', expected '$3'"; fi
	echo "ok $1: '$2'"
}
assert_ne() {
	if [ "$2" = "$3" ]; then tk_fail "$1: got '$2', expected anything else"; fi
	echo "ok $1: '$2' != '$3'"
}
assert_ge() { # name actual min
	if ! [ "$2" -ge "$3" ] 2>/dev/null; then tk_fail "$1: got '$2', expected >= $3"; fi
	echo "ok $1: $2 >= $3"
}
assert_le() {
	if ! [ "$2" -le "$3" ] 2>/dev/null; then tk_fail "$1: got '$2', expected <= $3"; fi
	echo "ok $1: $2 <= $3"
}
assert_match() { # name text regex
	if ! [[ "$2" =~ $3 ]]; then tk_fail "$1: '$2' does not match /$3/"; fi
	echo "ok $1: matches /$3/"
}
assert_no_match() {
	if [[ "$2" =~ $3 ]]; then tk_fail "$1: '$2' unexpectedly matches /$3/"; fi
	echo "ok $1: does not match /$3/"
}
# Run a command, expect exit status; keeps its stderr in $TK_ERR, stdout in $TK_OUT.
assert_exit() { # name expected_rc cmd...
	local name=$1 want=$2 rc
	shift 2
	TK_OUT=$("$@" 2>"$TK_TMP/stderr")
	rc=$?
	TK_ERR=$(cat "$TK_TMP/stderr")
	if [ "$rc" != "$want" ]; then
		tk_fail "$name: exit $rc, expected $want (cmd: $*; stderr: $TK_ERR)"
	fi
	echo "ok $name: exit $rc"
}

# Run CMD and check how many packets each traffic class of the fixture's nic0 got meanwhile
# (tk_tc_snapshot before and after): CHECKS is a list of "TC=N" (exactly N) and "TC>=N" (at
# least N). A failing CMD fails the test: its packets would be missing from every count.
assert_tc_deltas() { # name checks cmd...
	local name=$1 checks=$2 before after c cmp want
	shift 2
	before=$(tk_tc_snapshot)
	"$@" || tk_fail "$name: '$*' failed"
	after=$(tk_tc_snapshot)
	for c in $checks; do
		case $c in
		[0-3]'>='*) cmp=assert_ge want=${c#*>=} ;;
		[0-3]=*) cmp=assert_eq want=${c#*=} ;;
		*) tk_fail "assert_tc_deltas: bad check '$c' (TC=N or TC>=N)" ;;
		esac
		$cmp "$name: tc${c:0:1}" "$(tk_tc_delta "$before" "$after" "${c:0:1}")" "$want"
	done
}

# ---- cleanup stack -----------------------------------------------------------------------------
TK_DEFERRED=()
tk_defer() { TK_DEFERRED+=("$*"); }
tk_run_deferred() {
	local i
	for ((i = ${#TK_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${TK_DEFERRED[$i]}" >/dev/null 2>&1 || true
	done
	TK_DEFERRED=()
	[ -n "${TK_TMP:-}" ] && rm -rf "$TK_TMP"
}

tk_run_test() { # fn
	TK_TMP=$(mktemp -d /tmp/tk.XXXXXX)
	trap tk_run_deferred EXIT
	trap 'exit 130' INT TERM
	trap 'exit 1' USR1	# a tk_fail in a subshell
	TK_TEST_PID=$BASHPID
	set -o pipefail
	echo "# test $TK_TEST_NAME (id $TK_TEST_ID)"
	"$1"
}

# Run one test function of FILE in its own bounded process, output in LOG, and print its
# outcome for a runner (tests/run.sh, tests/vm/lane.sh): "PASS", or "SKIP" / "FAIL", a tab and
# the reason the test gave. Then remove what the test left of its own (tk_test_cleanup; the
# suite's leftover check reports it) and release its ids. Needs tk_run_begin first.
tk_run_isolated() { # file fn id name timeout log
	local rc=0 tag
	tag=$(tk_test_tag "$4")
	TK_TEST_ID=$3 TK_TEST_NAME=$4 TK_TEST_TAG=$tag TK_TEST_LOG=$6 timeout --kill-after=10 "$5" \
		bash -c "source '$TK_ROOT/tests/lib.sh'; source '$1'; tk_run_test $2" \
		</dev/null >"$6" 2>&1 || rc=$?
	tk_test_cleanup "$tag" "$3" ||
		echo "# left behind, removed: $(tail -n 1 "$TK_RUN_DIR/leftovers")" >>"$6"
	case $rc in
	0) echo PASS ;;
	77) printf 'SKIP\t%s\n' "$(sed -n 's/^SKIP: //p' "$6" | tail -n 1)" ;;
	124 | 137) printf 'FAIL\ttimed out after %s s, see %s\n' "$5" "$6" ;;
	*) printf 'FAIL\t%s\n' "$(sed -n 's/^FAIL: //p' "$6" | tail -n 1)" ;;
	esac
}

# ---- netns -------------------------------------------------------------------------------------
# nsenter, not `ip netns exec`, which remounts /sys and hides bpffs and cgroups.
tk_ns() { # netns cmd...
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# Start a background command in a netns; its pid is killed at cleanup. Prints the pid.
tk_bg() { # netns cmd...
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@" & else nsenter --net="/run/netns/$ns" -- "$@" & fi
	local pid=$!
	tk_defer "kill $pid; wait $pid"
	echo "$pid"
}

# Wait until a file exists (bounded). 
tk_wait_file() { # path [timeout_s] [test: -e, it exists (default); -s, it is not empty]
	local i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		test "${3:--e}" "$1" && return 0
		sleep 0.1
	done
	tk_fail "timed out waiting for $1"
}

# ---- observer: build/observe (tp_btf at driver xmit), independent of the proxy ------------------
# Start it for UDP ports PORTS; its NDJSON lands in $TK_TMP/obs.json; TK_OBS_PID is its pid.
tk_observe_start() { # PORTS
	"$TK_BUILD/observe" --dport "$1" --duration 120 --ready-file "$TK_TMP/obs.ready" \
		>"$TK_TMP/obs.json" 2>"$TK_TMP/obs.err" &
	TK_OBS_PID=$!
	tk_defer "kill $TK_OBS_PID"
	tk_wait_file "$TK_TMP/obs.ready"
}
tk_observe_stop() {
	sleep 0.3
	kill -TERM "$TK_OBS_PID" 2>/dev/null
	wait "$TK_OBS_PID" 2>/dev/null
}
# packets the observer saw leave interface IF of netns NS that match a jq condition
tk_observe_count() { # NS IF jq-condition
	local ino ifindex
	ino=$(stat -L -c %i "/run/netns/$1")
	# nsenter keeps the root netns' /sys: ask the netns itself
	ifindex=$(tk_ns "$1" ip -j link show "$2" | jq '.[0].ifindex')
	jq -c "select(.netns == $ino and .ifindex == $ifindex) | select($3)" "$TK_TMP/obs.json" |
		wc -l
}

# ---- a container image's root: busybox and the talker, for runtime tests (--rootfs) -------------
tk_pod_rootfs() { # DIR
	local lib p
	[ -x /bin/busybox ] || tk_fail "no /bin/busybox (scripts/deps.sh cni)"
	mkdir -p "$1"/{bin,proc,sys,dev,etc,tmp}
	cp /bin/busybox "$1/bin/busybox"
	for p in sh sleep; do ln -s busybox "$1/bin/$p"; done
	cp "$TK_BUILD/talker" "$1/bin/talker"
	for lib in $(ldd "$TK_BUILD/talker" | grep -o '/[^ ]*'); do
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
}

# ---- podman configuration for runtime tests ---------------------------------------------------
# DIR/containers.conf and DIR/storage.conf of a podman that keeps everything where it is told
# (store, runtime state, events, CNI configuration and plugins), for CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF; its default network is tknet. ADDITIONAL_IMAGE_STORE: a read-only
# store whose images it sees too.
tk_podman_conf() { # DIR GRAPHROOT RUNROOT DRIVER CNI_BIN CNI_CONF [ADDITIONAL_IMAGE_STORE]
	local hard
	hard=$(ulimit -Hn)
	cat >"$1/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$1/events.log"
tmp_dir = "$3.tmp"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$5"]
network_config_dir = "$6"
default_network = "tknet"
CONF
	cat >"$1/storage.conf" <<CONF
[storage]
driver = "$4"
graphroot = "$2"
runroot = "$3"
[storage.options]
additionalimagestores = [${7:+\"$7\"}]
CONF
}

# ---- metrics -------------------------------------------------------------------------------------
# OpenMetrics text on stdin as JSON {"sample{labels}": value} of every sample, parsed by Debian's
# python3-prometheus-client (its OpenMetrics parser raises on anything that is not valid).
tk_metrics_parse() {
	/usr/bin/python3 -c '
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join(f"{k}=\"{v}\"" for k, v in sorted(s.labels.items()))
        out[s.name + ("{" + labels + "}" if labels else "")] = s.value
print(json.dumps(out))'
}

# ---- tsntrace ------------------------------------------------------------------------------------
# Start build/tsntrace in the background (stdout to OUT, stderr to OUT.err) and wait until every
# probe is attached; TK_TRACE_PID is its pid. TK_TRACE_READY_S bounds the wait (default 10 s;
# kprobe-multi under the VM lane's TCG attaches ~1600 functions).
tk_trace_start() { # OUT ARGS...
	local out=$1 ready=$TK_TMP/trace.ready i n
	shift
	rm -f "$ready"
	"$TK_BUILD/tsntrace" --duration 120 --ready-file "$ready" "$@" >"$out" 2>"$out.err" &
	TK_TRACE_PID=$!
	tk_defer "kill $TK_TRACE_PID; wait $TK_TRACE_PID"
	n=$((${TK_TRACE_READY_S:-10} * 10))
	for ((i = 0; i < n; i++)); do
		[ -e "$ready" ] && return 0
		kill -0 "$TK_TRACE_PID" 2>/dev/null || tk_fail "tsntrace $*: exited: $(cat "$out.err")"
		sleep 0.1
	done
	tk_fail "tsntrace $*: not attached within ${TK_TRACE_READY_S:-10} s"
}

# Let the last packets arrive, stop with SIGINT (the clean path: summary + counters); its exit
# status in TK_TRACE_RC.
tk_trace_stop() {
	sleep 0.3
	kill -INT "$TK_TRACE_PID" 2>/dev/null
	wait "$TK_TRACE_PID"
	TK_TRACE_RC=$?
}

# ---- BPF objects ---------------------------------------------------------------------------------
# How many of these program ids still exist, after the moment the kernel takes to free a program
# after its last reference (bounded: 3 s).
tk_progs_alive() { # JSON-ID-LIST
	local i n
	for ((i = 0; i < 30; i++)); do
		n=$(bpftool prog show -j 2>/dev/null | jq --argjson ids "$1" \
			'[.[] | select(.id as $i | $ids | index($i))] | length')
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	echo "$n"
}

# ---- kernel features ----------------------------------------------------------------------------
# `tsnproxy features --json` into TK_FEATURES, once per test process (tk_features_json: once per
# run). Called in the test's own shell (never in a command substitution), so that its tk_fail
# ends the test.
tk_features_read() {
	[ -n "${TK_FEATURES:-}" ] && return
	TK_FEATURES=$(tk_features_json) || tk_fail "tsnproxy features failed"
}

# Whether the running kernel has feature $1, for tests whose expectation, not whether they
# run, depends on it.
tk_has() {
	tk_features_read
	[ "$(jq -r ".\"$1\".supported" <<<"$TK_FEATURES")" = true ]
}

# tk_require FEATURE: skip the test when the running kernel lacks it (names as `tsnproxy features`).
tk_require() {
	tk_has "$1" || tk_skip "kernel lacks $1: $(jq -r ".\"$1\".reason" <<<"$TK_FEATURES")"
}

# ---- fixture ids: claimed, so that two runs never build the same fixture ----------------------
# A runner claims an id for each test by creating $TK_CLAIM_DIR/<id> under one lock. The claim
# holds its owner (the runner's pid in "owner", for older runners that read only that, and the
# pid's start time in "owner_start": a reused pid owns nothing) and the tag of the test it is for
# ("tag"). A claim whose owner is gone is free again. An id whose fixture exists without a claim
# (a user's `tests/fixture.sh up N`) is never claimed. TK_TEST_IDS chooses the ids a run may
# claim: "100-150", "7,20-29" (default 1-250, the third octet of the fixture's subnets).
TK_CLAIM_DIR=${TK_CLAIM_DIR:-/run/tsnkit-test-ids}
TK_RUNS_DIR=/run/tsnkit-test-runs

# The ids of TK_TEST_IDS, one per line; a bad list is one line on stderr and status 2.
tk_ids() {
	local part a b list=${TK_TEST_IDS:-1-250}
	for part in ${list//,/ }; do
		if [[ "$part" =~ ^([0-9]{1,3})-([0-9]{1,3})$ ]]; then
			a=$((10#${BASH_REMATCH[1]})) b=$((10#${BASH_REMATCH[2]}))
		elif [[ "$part" =~ ^[0-9]{1,3}$ ]]; then
			a=$((10#$part)) b=$a
		else
			a=0 b=0
		fi
		if ((a < 1 || b > 250 || a > b)); then
			echo "TK_TEST_IDS='$list': '$part' is not an id or range within 1-250" >&2
			return 2
		fi
		for ((; a <= b; a++)); do echo "$a"; done
	done
}

# The claims and the cleanup around every test read their files with builtins, not cat or awk:
# a process costs ~40 ms in a TCG guest, where a lane runs over a hundred tests
# (docs/testing.md). _tk_read VAR FILE: FILE's first line into VAR, empty if it is not there.
# Neither a missing file nor one without a final newline is a failure: the runners run under
# `set -e` (tests/vm/lane.sh), where a failing read would end them.
_tk_read() { # VAR FILE
	local -n _tk_read_var=$1
	_tk_read_var=
	{ read -r _tk_read_var <"$2"; } 2>/dev/null || :
}

# Start time of a process (clock ticks since boot), empty if it is gone.
_tk_proc_start() { # PID
	local stat='' f
	# the whole file: the command name may hold spaces and newlines
	# (read -d '' ends at the end of the file, so fails on every read: `|| :` for set -e)
	{ read -r -d '' stat <"/proc/$1/stat"; } 2>/dev/null || :
	[ -n "$stat" ] || return 0
	# the fields after the command name: starttime is the 20th
	read -r -a f <<<"${stat##*) }"
	echo "${f[19]}"
}

_tk_claim_alive() { # claim-dir
	local pid start
	_tk_read pid "$1/owner"
	# just created (owner not written yet): alive
	[ -n "$pid" ] || return 0
	_tk_read start "$1/owner_start"
	kill -0 "$pid" 2>/dev/null || return 1
	[ -z "$start" ] || [ "$start" = "$(_tk_proc_start "$pid")" ]
}

# Something of fixture id ID exists: its netns, its state or its pin dir.
tk_id_in_use() { # ID
	[ -n "$(tk_netns_matching "^tk$1-")" ] ||
		[ -e "/run/tsnkit-fixture/tk$1" ] || [ -e "/sys/fs/bpf/tk$1" ]
}

# Claim a free id of TK_TEST_IDS for the test tagged TK_TEST_TAG, owned by TK_RUN_OWNER (the
# runner; default this shell). Prints it; status 1 when none is free.
tk_claim_id() {
	local owner=${TK_RUN_OWNER:-$$} ids
	ids=$(tk_ids) || return 2
	[ -d "$TK_CLAIM_DIR" ] || mkdir -p "$TK_CLAIM_DIR"
	(
		flock 9
		for id in $ids; do
			c=$TK_CLAIM_DIR/$id
			if [ -e "$c" ]; then
				_tk_claim_alive "$c" && continue
				rm -rf "$c"
			fi
			tk_id_in_use "$id" && continue
			mkdir "$c" 2>/dev/null || continue
			echo "$owner" >"$c/owner"
			_tk_proc_start "$owner" >"$c/owner_start"
			echo "${TK_TEST_TAG:-}" >"$c/tag"
			echo "$id"
			exit 0
		done
		exit 1
	) 9>"$TK_CLAIM_DIR/.lock"
}

# A second fixture id for a test: claimed for the test (the runner checks and releases it after
# the test, with the test's own id), or released at exit when no runner runs the test.
tk_claim_extra_id() {
	local id
	id=$(tk_claim_id) || tk_fail "no free fixture id in ${TK_TEST_IDS:-1-250}"
	[ -n "${TK_TEST_TAG:-}" ] || tk_defer "rm -rf $TK_CLAIM_DIR/$id"
	echo "$id"
}

# Ids claimed for the test tagged TAG.
_tk_claims_of() { # TAG
	local c tag
	for c in "$TK_CLAIM_DIR"/*/; do
		_tk_read tag "${c}tag"
		c=${c%/}
		[ "$tag" = "$1" ] && echo "${c##*/}"
	done
	return 0
}

# ---- what a run and its tests leave behind ----------------------------------------------------
# A run has a tag (TK_RUN) and a state dir (TK_RUN_DIR); each test process runs with
# TK_TEST_TAG=<TK_RUN>:<test name> in its environment, which every process it starts inherits:
# that is how the runner finds the processes of exactly that test, and kills only those (by pid).
# A test's own resources are those processes and, for each id it held, its netns (tk<ID>-*), its
# pin dir (/sys/fs/bpf/tk<ID>), its fixture state and the CNI plugin's state for that pin dir.
# Its BPF programs hang off those (fds, pins, devices in its netns): they go with them.
tk_run_begin() {
	mkdir -p "$TK_RUNS_DIR"
	TK_RUN_DIR=$(mktemp -d "$TK_RUNS_DIR/run.XXXXXX")
	TK_RUN=${TK_RUN_DIR##*/}
	TK_RUN_OWNER=$$
	: >"$TK_RUN_DIR/leftovers"
	export TK_RUN TK_RUN_DIR TK_RUN_OWNER
}

# Release what claims of this run are left (an interrupted run) and drop its state.
tk_run_end() {
	local c tag
	for c in "$TK_CLAIM_DIR"/*/; do
		_tk_read tag "${c}tag"
		[[ $tag == "$TK_RUN:"* ]] && rm -rf "$c"
	done
	rm -rf "${TK_RUN_DIR:?}"
}

tk_test_tag() { echo "$TK_RUN:$1"; } # NAME

# Pids of the processes whose environment has TK_TEST_TAG=TAG, or a tag starting with it (-p).
_tk_tagged_pids() { # [-p] TAG
	local f
	if [ "$1" = -p ]; then
		f=$(grep -lzF "TK_TEST_TAG=$2" /proc/[0-9]*/environ 2>/dev/null)
	else
		f=$(grep -lzxF "TK_TEST_TAG=$1" /proc/[0-9]*/environ 2>/dev/null)
	fi
	for f in $f; do
		f=${f#/proc/}
		echo "${f%/environ}"
	done
}

# "pid:PID(COMM)", nothing if it is gone
_tk_pid_item() {
	local comm
	_tk_read comm "/proc/$1/comm"
	[ -e "/proc/$1" ] && echo "pid:$1($comm)"
}

# What the test tagged TAG, which held the ids IDS, left: one item per line.
_tk_test_leftovers() { # TAG IDS...
	local tag=$1 id pid i pids
	shift
	# a process told to stop in a deferred "kill" may take a moment to detach and exit
	for ((i = 0; i < 30; i++)); do
		pids=$(_tk_tagged_pids "$tag")
		[ -z "$pids" ] && break
		sleep 0.1
	done
	for pid in $pids; do _tk_pid_item "$pid"; done
	for id in "$@"; do
		for i in $(tk_netns_matching "^tk$id-"); do echo "netns:$i"; done
		# the pin dir, and where tsnproxy start/stop build it and take it apart
		for i in "/sys/fs/bpf/tk$id" "/sys/fs/bpf/tk$id-partial"; do
			[ -e "$i" ] && echo "pin:$i"
		done
		for i in "/run/tsnkit-fixture/tk$id" "/run/tsnkit/cni/sys_fs_bpf_tk$id" \
			"/run/tsnkit/cni/sys_fs_bpf_tk$id.statedir"; do
			[ -e "$i" ] && echo "state:$i"
		done
	done
	return 0
}

# After the test tagged TAG (id ID, and whatever extra ids it claimed) ended: record what it
# left in the run's list, remove exactly that, release its claims.
tk_test_cleanup() { # TAG ID
	local tag=$1 ids=$2 left ns id
	for id in $(_tk_claims_of "$tag"); do [ "$id" = "$2" ] || ids+=" $id"; done
	# shellcheck disable=SC2086 # a list of numbers
	left=$(_tk_test_leftovers "$tag" $ids)
	if [ -n "$left" ]; then
		echo "${tag#*:}: $(tr '\n' ' ' <<<"$left" | sed 's/ $//')" >>"$TK_RUN_DIR/leftovers"
		# shellcheck disable=SC2046 # a list of pids
		tk_kill_pids $(_tk_tagged_pids "$tag")
		for id in $ids; do
			# a subshell: its tk_fail must not end the runner
			(tk_fixture_down "$id") >/dev/null 2>&1
			for ns in $(tk_netns_matching "^tk$id-"); do
				ip netns del "$ns" 2>/dev/null
			done
			rm -rf "/sys/fs/bpf/tk$id" "/sys/fs/bpf/tk$id-partial" \
				"/run/tsnkit-fixture/tk$id" \
				"/run/tsnkit/cni/sys_fs_bpf_tk$id" \
				"/run/tsnkit/cni/sys_fs_bpf_tk$id.statedir"
		done
	fi
	for id in $(_tk_claims_of "$tag"); do rm -rf "${TK_CLAIM_DIR:?}/$id"; done
	[ -z "$left" ]
}

# The suite's last check: what tests of this run left (they were removed after each test) and
# processes of this run still alive, on one line and status 1; or nothing and status 0.
tk_suite_leftovers() {
	local left pid
	left=$(cat "$TK_RUN_DIR/leftovers" 2>/dev/null)
	for pid in $(_tk_tagged_pids -p "$TK_RUN:"); do
		left+=$'\n'"$(_tk_pid_item "$pid")"
		tk_kill_pids "$pid"
	done
	left=$(echo "$left" | sed '/^$/d' | tr '\n' ';')
	[ -z "$left" ] && return 0
	echo "${left%;}"
	return 1
}

# What of tsnkit's kind exists that is not this run's (users' fixtures, other runs): reported
# by the suite, never removed. One line, empty if nothing.
tk_foreign_leftovers() {
	{
		tk_netns_matching '^tk[0-9]+-' | sed 's/^/netns:/'
		ls -d /sys/fs/bpf/tk[0-9]* 2>/dev/null | sed 's/^/pin:/'
		pgrep -x 'tsntrace|tsnproxy|tsntop|talker|observe' 2>/dev/null |
			while read -r pid; do _tk_pid_item "$pid"; done
		bpftool prog show 2>/dev/null |
			awk '/ name (tsn_|tk_)/ {sub(":", "", $1); print "prog:" $1 "(" $4 ")"}'
	} | tr '\n' ' ' | sed 's/ $//'
}

# shellcheck source=tests/fixture.sh
[ -f "$TK_ROOT/tests/fixture.sh" ] && source "$TK_ROOT/tests/fixture.sh"
true
