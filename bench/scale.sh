#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode at scale (not a test: it prints figures, it asserts nothing). For N registered
# pods, N = 1 16 64 256 by default, each pod a netns with eth0 (a veth onto br0 of a node netns),
# registered through the tsn CNI plugin as a runtime calls it: build/cnirun, one long-lived
# process in the node netns that spawns the plugin for every call (clone(CLONE_VFORK) + execve,
# as Go's os/exec does) with the CNI_* environment, the network configuration with prevResult on
# stdin, kubelet's pod name in CNI_ARGS and the result read from a pipe:
#  - CNI ADD and DEL latency, p50/p99 over the N ADDs that bring the node from 0 to N pods and
#    the N DELs that take it back (the first ADD, which starts the datapath, apart): wall time
#    from the spawn to the plugin's exit, and the plugin's CPU time (user + sys, which
#    contention inflates less); next to two floors spawned the same way: /bin/true (any
#    program) and the plugin's VERSION (its own start, no work);
#  - `tsnproxy allow` / `deny` of one more pod with N registered, and `tsnproxy status --json`;
#  - kernel memory: memlock of the datapath's programs and of the maps they use (bpftool), and
#    the per-pod save programs (number, size) the tc save hook attached.
# Usage: bench/scale.sh [--pods "1 16 64 256"] [--rounds R=5] [--id ID=232] (root, after make)
# TK_BUILD=DIR benchmarks another build (its tsn and tsnproxy), e.g. before/after a change.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TK_BUILD=${TK_BUILD:-$ROOT/build}
SIZES="1 16 64 256"
ROUNDS=5
ID=232
while [ $# -gt 0 ]; do
	case $1 in
	--pods) SIZES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--id) ID=$2; shift 2 ;;
	*) echo "usage: bench/scale.sh [--pods \"1 16 64 256\"] [--rounds R] [--id ID]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/scale.sh: run as root" >&2; exit 2; }
MAX=$(printf '%s\n' $SIZES | sort -n | tail -1)
NODE=tk$ID-node
PIN=/sys/fs/bpf/tk$ID-scale
TMP=$(mktemp -d /tmp/tk-scale.XXXXXX)
# The plugin's records (stateDir) on a tmpfs of the bench's own, as /run is on a node: where /run
# is on a disk (this development VM), each record's create, link and unlink is a journaled write.
STATE=$TMP/state/cni
pod() { echo "tk$ID-s$1"; }	# pod k's netns

proxy() { nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/tsnproxy" --pin-dir "$PIN" "$@"; }

# Network configuration of pod k as a runtime passes it to a chained plugin after the bridge.
conf() { # k
	jq -nc --arg pin "$PIN" --arg ns "/run/netns/$(pod "$1")" --arg prio "$(($1 % 8))" \
		--arg state "$STATE" '
		{cniVersion: "1.1.0", name: "tsnscale", type: "tsn", tsnIfname: "nic0", pinDir: $pin,
		 stateDir: $state,
		 priorities: [($prio | tonumber)],
		 prevResult: {cniVersion: "1.1.0",
			      interfaces: [{name: "br0"}, {name: "eth0", sandbox: $ns}], ips: []}}'
}

# Lean node: one `ip netns add` per pod, then every link made by two `ip -batch` runs (the
# fixture's helpers spend a dozen processes per pod). No addresses: nothing is sent.
setup() {
	local k
	mkdir -p "$TMP/state" && mount -t tmpfs tk-scale-state "$TMP/state" || return
	ip netns add "$NODE" || return
	ip -n "$NODE" link add br0 type bridge
	ip -n "$NODE" link add nic0 type veth peer name nic0p
	for k in $(seq 1 "$MAX"); do
		ip netns add "$(pod "$k")" || return
	done
	for k in $(seq 1 "$MAX"); do
		echo "link add vs$k type veth peer name eth0 netns $(pod "$k")"
		echo "link set vs$k master br0 up"
	done | ip -n "$NODE" -batch - || return
	ip -n "$NODE" link set br0 up
	ip -n "$NODE" link set nic0 up
	ip -n "$NODE" link set nic0p up
	for k in $(seq 1 "$MAX"); do
		ip -n "$(pod "$k")" link set eth0 up
		conf "$k" >"$TMP/conf.$k"	# written here: jq is no part of an ADD's time
	done
}
cleanup() {
	local k
	[ -e "$PIN" ] && proxy stop >/dev/null 2>&1
	rm -f "/run/tsnkit/cni/$(echo "${PIN#/}" | tr / _).statedir"	# the owner file
	mountpoint -q "$TMP/state" && umount "$TMP/state"
	for k in $(seq 1 "$MAX"); do
		ip netns del "$(pod "$k")" 2>/dev/null
	done
	ip netns del "$NODE" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One timed command: appends "wall_ms cpu_ms" to FILE; fails if the command does.
TIMEFORMAT='%3R %3U %3S'
timed() { # FILE cmd...
	local f=$1 t rc
	shift
	t=$({ time "$@" >/dev/null 2>"$TMP/err"; } 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { echo "failed ($rc): $* : $(cat "$TMP/err")" >&2; return "$rc"; }
	echo "$t" | awk '{printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000}' >>"$f"
}

# The tsn plugin in the node netns, as a runtime runs it: calls VERB for pods FIRST..LAST, one
# after the other, appending "wall_ms cpu_ms" per call to FILE; fails if a call does.
cni() { # FILE VERB FIRST LAST [PROGRAM]
	local k
	for k in $(seq "$3" "$4"); do
		echo "$2 scale$k /run/netns/$(pod "$k") eth0 $TMP/conf.$k" \
			"K8S_POD_NAMESPACE=scale;K8S_POD_NAME=pod$k"
	done | "$ROOT/build/cnirun" --netns "/run/netns/$NODE" "${5:-$TK_BUILD/tsn}" \
		>"$TMP/calls" 2>"$TMP/err"
	local rc=$?
	[ "$rc" = 0 ] || { echo "failed ($rc): $2 $3..$4: $(cat "$TMP/err")" >&2; return 1; }
	awk '{printf "%.3f %.3f\n", $4 / 1000, $5 / 1000}' "$TMP/calls" >>"$1"
}

# p50 and p99 (nearest rank) of column C of FILE, "p50/p99" ("-" without samples)
pct() { # FILE C
	[ -s "$1" ] || { echo -; return; }
	sort -g -k"$2","$2" "$1" | awk -v c="$2" '{a[++n] = $c}
		END {if (!n) {print "-"; exit}
		     i = int(n * 0.5 + 0.999); j = int(n * 0.99 + 0.999)
		     printf "%.1f/%.1f", a[i < 1 ? 1 : i], a[j < 1 ? 1 : j]}'
}

# Programs of this datapath: the pinned ones, what the links run, what the tail-call array holds.
prog_ids() {
	local f
	for f in "$PIN"/progs/*; do
		[ -e "$f" ] && bpftool prog show pinned "$f" -j | jq .id
	done
	for f in "$PIN"/links/*; do
		[ -e "$f" ] && bpftool link show pinned "$f" -j | jq .prog_id
	done
	[ -e "$PIN/maps/save_tail" ] &&
		bpftool map dump pinned "$PIN/maps/save_tail" -j 2>/dev/null | jq '.[].formatted.value'
}
# "prog_bytes map_bytes" memlock of those programs and of every map they use
memory() {
	local ids p m
	ids=$(prog_ids | sort -un)
	p=$(for i in $ids; do bpftool prog show id "$i" -j; done | jq -s 'map(.bytes_memlock) | add')
	m=$(for i in $ids; do bpftool prog show id "$i" -j | jq '.map_ids[]?'; done | sort -un |
		while read -r i; do bpftool map show id "$i" -j; done | jq -s 'map(.bytes_memlock) | add')
	echo "${p:-0} ${m:-0}"
}
# "count xlated jited memlock" of the programs the pods' links run (distinct programs)
pod_progs() {
	local f
	for f in "$PIN"/links/save_*; do
		[ -e "$f" ] && bpftool link show pinned "$f" -j | jq .prog_id
	done | sort -un | while read -r i; do bpftool prog show id "$i" -j; done |
		jq -rs '"\(length) \(map(.bytes_xlated) | add // 0) \(map(.bytes_jited) | add // 0) " +
			"\(map(.bytes_memlock) | add // 0)"'
}

echo "# bench/scale.sh: N pods registered through the tsn CNI plugin ($TK_BUILD), sizes $SIZES,"
echo "# $ROUNDS allow/deny/status samples per size; $(nproc) CPUs, load average $(cut -d' ' -f1-3 \
	/proc/loadavg) at start"
setup || { echo "setup failed" >&2; exit 1; }
# The floors: the same spawn of a program that does nothing, and of the plugin doing nothing
# (VERSION). An ADD cannot cost less; where process creation is slow, they are most of an ADD.
cni "$TMP/floor" ADD 1 20 /bin/true || exit 1
cni "$TMP/version" VERSION 1 20 || exit 1
printf "floor: spawn /bin/true p50/p99 %s ms wall, %s ms CPU; tsn VERSION %s ms wall, %s ms CPU\n" \
	"$(pct "$TMP/floor" 1)" "$(pct "$TMP/floor" 2)" "$(pct "$TMP/version" 1)" \
	"$(pct "$TMP/version" 2)"
extra=$MAX	# pod MAX is the "one more" for allow/deny: sizes up to MAX - 1 use it untouched
cni "$TMP/first" ADD 1 1 || exit 1	# starts the datapath
cni "$TMP/firstdel" DEL 1 1 || exit 1
printf "first ADD (starts the datapath): %.0f ms wall, %.0f ms CPU\n" $(cat "$TMP/first")
printf "%5s %15s %15s %15s %15s %15s %13s %13s %11s %9s %9s %7s %s\n" N "ADD ms p50/p99" \
	"ADD CPU p50/p99" "DEL ms p50/p99" "DEL CPU p50/p99" "ADD+DEL p50/p99" "allow ms" \
	"deny ms" "status ms" \
	"prog KiB" "map KiB" "KiB/pod" "pod programs (n xlated/jited/memlock B)"
base_mem=
for n in $SIZES; do
	rm -f "$TMP"/add "$TMP"/del "$TMP"/pair "$TMP"/allow "$TMP"/deny "$TMP"/status
	cni "$TMP/add" ADD 1 "$n" || exit 1
	[ "$n" -lt "$MAX" ] || extra=
	for r in $(seq 1 "$ROUNDS"); do
		timed "$TMP/status" proxy status --json || exit 1
		if [ -n "$extra" ]; then
			timed "$TMP/allow" proxy allow --netns "$(pod "$extra")" --priorities 1 || exit 1
			timed "$TMP/deny" proxy deny --netns "$(pod "$extra")" || exit 1
		fi
	done
	read -r pb mb <<<"$(memory)"
	pods=$(pod_progs)
	[ -n "$base_mem" ] || base_mem=$((pb + mb)) base_n=$n
	per=-
	[ "$n" -gt "$base_n" ] &&
		per=$(awk -v a=$((pb + mb - base_mem)) -v d=$((n - base_n)) 'BEGIN {printf "%.1f",
			a / d / 1024}')
	cni "$TMP/del" DEL 1 "$n" || exit 1
	# a pod's ADD + its DEL, wall
	paste -d' ' "$TMP/add" "$TMP/del" | awk '{print $1 + $3}' >"$TMP/pair"
	printf "%5d %15s %15s %15s %15s %15s %13s %13s %11s %9.0f %9.0f %7s %s\n" "$n" \
		"$(pct "$TMP/add" 1)" "$(pct "$TMP/add" 2)" "$(pct "$TMP/del" 1)" "$(pct "$TMP/del" 2)" \
		"$(pct "$TMP/pair" 1)" \
		"$(pct "$TMP/allow" 1)" "$(pct "$TMP/deny" 1)" "$(pct "$TMP/status" 1)" \
		"$(echo "$pb / 1024" | bc -l)" "$(echo "$mb / 1024" | bc -l)" "$per" "$pods"
done
echo "# allow/deny: one more pod with N registered (- at the largest N: no pod left over);"
echo "# KiB/pod: (memory at N - memory at the smallest N) / the pods added; the datapath stays"
echo "# loaded between sizes (the last DEL leaves it, as in a node)"
