#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntrace benchmark (not a test): attach time, event throughput without loss, and the
# datapath cost as talker pps with tsntrace attached (filter matching nothing; filter matching
# the flow) divided by pps without it, measured in one run, alternating, over the fixture.
#
#   bench/tsntrace.sh [--packets N] [--rounds R] [--id ID]
set -uo pipefail

# shellcheck source=bench/bench.bash
source "$(dirname "$0")/bench.bash"
bench_init tsntrace.sh 20000 3 240 "$@"
TT=$TK_BUILD/tsntrace
PORT=5001

now() { date +%s.%N; }

tk_fixture_up "$ID" 1 >/dev/null
tk_listen "$ID" "$PORT" 600

start_tt() { # OUT ARGS...
	local out=$1
	shift
	bench_bg "$TK_TMP/ready" "$out" "$out.err" "$TT" --ready-file "$TK_TMP/ready" "$@"
	TT_PID=$BG_PID
}
stop_tt() {
	sleep 0.3
	kill -INT "$TT_PID"
	wait "$TT_PID"
}

pps() { bench_pps 3; }

echo "# tsntrace bench: $(uname -r), $(nproc) CPUs, $N packets per run, $ROUNDS rounds"

# 1. attach time: from exec to --ready-file (open + load + attach), and the attach part alone
for i in 1 2 3; do
	t0=$(now)
	start_tt "$TK_TMP/attach.out" -v --backend tracepoint
	t1=$(now)
	stop_tt
	ms=$(sed -n 's/.*attached in \([0-9.]*\) ms.*/\1/p' "$TK_TMP/attach.out.err")
	echo "$t0 $t1 $ms" | awk '{printf "attach: exec->ready %.0f ms (attach %s ms)\n", ($2 - $1) * 1000, $3}'
done

# 2. event throughput: every hop of every packet, JSON to /dev/null, must lose nothing
start_tt "$TK_TMP/tp.json" --json --netns "tk$ID-pod1" --dport "$PORT" --ringbuf-size 64m
t0=$(now)
tk_talk "$ID" 1 --port "$PORT" --count "$N" --interval-us 0 >/dev/null
t1=$(now)
stop_tt
c=$(tail -n 1 "$TK_TMP/tp.json")
echo "$(jq .events <<<"$c") $(jq .events_lost <<<"$c") $t0 $t1" |
	awk '{printf "events: %d in %.2f s = %.0f events/s, lost %d\n", $1, $4 - $3, $1 / ($4 - $3), $2}'

# 3. datapath cost, alternating: none | filter matching nothing | filter matching the flow
declare -A sum
for ((r = 1; r <= ROUNDS; r++)); do
	base=$(pps)
	start_tt /dev/null --dst 192.0.2.0/24
	nomatch=$(pps)
	stop_tt
	start_tt "$TK_TMP/m.json" --json --netns "tk$ID-pod1" --dport "$PORT" --ringbuf-size 64m
	match=$(pps)
	stop_tt
	lost=$(tail -n 1 "$TK_TMP/m.json" | jq .events_lost)
	echo "round $r: baseline $base pps, no-match $nomatch pps, match $match pps (lost $lost)"
	sum[base]=$((${sum[base]:-0} + base))
	sum[nomatch]=$((${sum[nomatch]:-0} + nomatch))
	sum[match]=$((${sum[match]:-0} + match))
done
awk -v b="${sum[base]}" -v n="${sum[nomatch]}" -v m="${sum[match]}" 'BEGIN {
	printf "pps ratio (attached / baseline): filter matching nothing %.2f, matching the flow %.2f\n",
		n / b, m / b }'
