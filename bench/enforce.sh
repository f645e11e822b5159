#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce-mode benchmark (not a test: it prints figures, it asserts nothing).
#  1. pps of a pod talker through the node to nic0 with enforce mode on, divided by off;
#     rounds alternate on/off in one run on the same fixture, the median ratio is reported.
#  2. per-packet cost of the logic: bpf_stats run_time_ns/run_cnt of each tsnproxy program a
#     packet passes minus the same figure for an empty program on the same hook.
# Usage: bench/enforce.sh [ROUNDS=5] [PACKETS=100000]  (as root, after make)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TK_ROOT=$ROOT TK_BUILD=${TK_BUILD:-$ROOT/build}
source "$ROOT/tests/fixture.sh"

ROUNDS=${1:-5}
PACKETS=${2:-100000}
ID=${BENCH_ID:-231}
PIN=/sys/fs/bpf/tk$ID-bench
NODE=tk$ID-node

proxy() { nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/tsnproxy" --pin-dir "$PIN" "$@"; }
cleanup() {
	[ -e "$PIN" ] && proxy stop >/dev/null 2>&1
	tk_fixture_down "$ID" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tk_fixture_down "$ID" >/dev/null 2>&1
tk_fixture_up "$ID" 1 >/dev/null || exit 1
tk_listen "$ID" 5001 600

# pps of one bounded flood from pod1 (priority 1, no pacing)
flood_pps() {
	local t0 t1
	t0=$(date +%s%N)
	tk_talk "$ID" 1 --port 5001 --count "$PACKETS" --interval-us 0 --priority 1 >/dev/null
	t1=$(date +%s%N)
	echo $((PACKETS * 1000000000 / (t1 - t0)))
}

echo "# enforce-mode pps ratio: $ROUNDS rounds x $PACKETS packets, alternating off/on"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
	off=$(flood_pps)
	proxy start --nic nic0 --policy all >/dev/null
	on=$(flood_pps)
	proxy stop >/dev/null
	ratio=$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", a / b}')
	ratios+=("$ratio")
	printf "round %d: off %d pps, on %d pps, ratio %s\n" "$r" "$off" "$on" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
echo "pps ratio on/off (median): $median   (goal >= 0.97)"

echo "# save hook: tracepoint (node-wide) vs tc (per pod), pps with each, alternating"
for ((r = 1; r <= ROUNDS; r++)); do
	proxy start --nic nic0 >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
	tp=$(flood_pps)
	proxy stop >/dev/null
	proxy start --nic nic0 --save-hook tc >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 --ifname eth0 >/dev/null
	tc=$(flood_pps)
	proxy stop >/dev/null
	printf "round %d: tracepoint %d pps, tc %d pps, tc/tracepoint %s\n" "$r" "$tp" "$tc" \
		"$(awk -v a="$tc" -v b="$tp" 'BEGIN {printf "%.3f", a / b}')"
done

echo "# per-packet logic cost (bpf_stats, BPF_ENABLE_STATS scoped to this run)"
talk() { tk_talk "$ID" 1 --port 5001 --count "$PACKETS" --interval-us 0 --priority 1 >/dev/null; }
export -f tk_talk tk_ns talk
export ID PACKETS TK_FIXTURE_NET_PREFIX
proxy start --nic nic0 --policy all >/dev/null
on_json=$("$TK_BUILD/bpfstats" --prefix tsn_ -- bash -c talk)
proxy stop >/dev/null
empty_json=$(nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/bpfstats" --prefix tk_empty_ --empty nic0 -- bash -c talk)
avg() { # json prog
	echo "$1" | jq -r --arg p "$2" '.[$p] | if . and .run_cnt > 0 then (.run_time_ns / .run_cnt) else 0 end'
}
printf "%-16s %10s %12s %10s\n" program runs ns/run logic_ns
total=0
for pair in tsn_save:tk_empty_xmit tsn_restore:tk_empty_tc tsn_on_kfree:tk_empty_kfree \
	tsn_on_consume:tk_empty_cons; do
	p=${pair%%:*} e=${pair#*:}
	a=$(avg "$on_json" "$p")
	b=$(avg "$empty_json" "$e")
	runs=$(echo "$on_json" | jq -r --arg p "$p" '.[$p].run_cnt // 0')
	logic=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", a - b}')
	printf "%-16s %10s %12.1f %10s   (empty %s: %.1f ns/run)\n" "$p" "$runs" "$a" "$logic" "$e" "$b"
done
# per pod packet: save at pod eth0 + save's fast exit at nic0 + restore at nic0; free hooks
# fire for every skb freed on the node, reported per run above
echo "$on_json" | jq -r --argjson n "$PACKETS" --argjson e "$empty_json" '
	def per(p): (.[p].run_time_ns // 0) / $n;
	def eper(p): ($e[p].run_time_ns // 0) / $n;
	"logic per pod packet (save+restore, minus empty): \((per("tsn_save") + per("tsn_restore") - eper("tk_empty_xmit") - eper("tk_empty_tc")) * 10 | round / 10) ns   (goal <= 50)",
	"free hooks per pod packet (minus empty): \((per("tsn_on_kfree") + per("tsn_on_consume") - eper("tk_empty_kfree") - eper("tk_empty_cons")) * 10 | round / 10) ns"'
