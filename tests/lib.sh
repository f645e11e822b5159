#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Shell library for integration tests. Sourced by tests/run.sh into the process that runs one
# test function. Conventions that keep parallel/failed runs from colliding or leaking:
#   - netns names start with "tk<TK_TEST_ID>-", pin dirs are /sys/fs/bpf/tk<TK_TEST_ID>
#   - BPF program names of tsnkit objects start with "tsn_" (test-only programs: "tk_")
#   - every resource a test creates is registered with tk_defer, run at exit even on failure
# A test function returns/exit 0 to pass; tk_fail/any failing assert exits 1; tk_skip exits 77.

TK_ROOT=${TK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TK_BUILD=${TK_BUILD:-$TK_ROOT/build}
TK_TEST_ID=${TK_TEST_ID:-$$}
TK_PIN=/sys/fs/bpf/tk$TK_TEST_ID

# ---- outcome ---------------------------------------------------------------------------------
tk_fail() { echo "FAIL: $*"; exit 1; }
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
	set -o pipefail
	echo "# test $TK_TEST_NAME (id $TK_TEST_ID)"
	"$1"
}

# Run one test function of FILE in its own bounded process, output in LOG, and print its
# outcome for a runner (tests/run.sh, tests/vm/lane.sh): "PASS", or "SKIP" / "FAIL", a tab and
# the reason the test gave.
tk_run_isolated() { # file fn id name timeout log
	local rc=0
	TK_TEST_ID=$3 TK_TEST_NAME=$4 timeout --kill-after=10 "$5" \
		bash -c "source '$TK_ROOT/tests/lib.sh'; source '$1'; tk_run_test $2" \
		</dev/null >"$6" 2>&1 || rc=$?
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

# ---- kernel features ----------------------------------------------------------------------------
# tk_require FEATURE: skip the test when the running kernel lacks it (names as `tsnproxy features`).
tk_require() {
	local f=$1 out
	out=$("$TK_BUILD/tsnproxy" features --json 2>/dev/null) ||
		tk_fail "tsnproxy features failed"
	if [ "$(echo "$out" | jq -r ".\"$f\".supported")" != true ]; then
		tk_skip "kernel lacks $f: $(echo "$out" | jq -r ".\"$f\".reason")"
	fi
}

# ---- leftovers ------------------------------------------------------------------------------------
tk_leftovers() {
	local i
	# the kernel frees programs a moment after their last reference: give it that moment
	for ((i = 0; i < 30; i++)); do
		bpftool prog show 2>/dev/null | grep -qE ' name (tsn_|tk_)' || break
		sleep 0.1
	done
	ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^tk[0-9]+-' | sed 's/^/netns:/'
	ls -d /sys/fs/bpf/tk[0-9]* 2>/dev/null | sed 's/^/pin:/'
	bpftool prog show 2>/dev/null | awk '/ name (tsn_|tk_)/ {print "prog:" $4}' | sort -u
	pgrep -f "$TK_BUILD/(tsntrace|tsnproxy|tsntop|talker)" 2>/dev/null | sed 's/^/pid:/'
}
# The suite's last check: prints what was left behind on one line and removes it (status 1),
# or prints nothing (status 0). Runs in a shell of its own, so that the runners need no lib.sh.
tk_suite_leftovers() {
	local left
	left=$(tk_leftovers)
	[ -z "$left" ] && return 0
	echo "$left" | tr '\n' ' '
	tk_cleanup_leftovers >/dev/null 2>&1
	return 1
}
tk_cleanup_leftovers() {
	pkill -f "$TK_BUILD/(tsntrace|tsnproxy|tsntop|talker)" 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^tk[0-9]+-'); do
		ip netns del "$ns"
	done
	rm -rf /sys/fs/bpf/tk[0-9]*
}

# shellcheck source=tests/fixture.sh
[ -f "$TK_ROOT/tests/fixture.sh" ] && source "$TK_ROOT/tests/fixture.sh"
true
