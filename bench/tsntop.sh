#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntop benchmark (not a test: it prints figures, it asserts nothing). Over the fixture, a pod
# floods the NIC as fast as it can; rounds alternate without and with tsntop running (no filter:
# every packet of the node is followed and aggregated in the kernel), side by side with the floor
# (empty programs on the tracepoints tsntop attaches by default, statistics off), a peer (a
# bpftrace script counting packets per hook, device and priority over the same tracepoints;
# skipped when bpftrace is not installed), and tsntop --hooks all with the floor of all the
# tracepoints (what the default leaves out is worth). Reported: pps with / pps without; per
# hook, ns per run of tsntop's programs minus an empty program's on the same tracepoint
# (bpf_stats, both in the same flood); tsntop's own CPU use (utime + stime from /proc/PID/stat,
# in % of one CPU) at -d 1 over 10 s with a talker at 20000 pps, and on an idle node. tsntop
# judges at nic0 (--nic). The datapath cost of the BPF programs is in the pps ratio (it is
# charged to the senders), not in tsntop's CPU.
#
#   bench/tsntop.sh [--packets N] [--rounds R] [--id ID] [--parts ratio,hook,cpu]
set -uo pipefail

# shellcheck source=bench/bench.bash
source "$(dirname "$0")/bench.bash"
bench_init tsntop.sh 100000 3 241 ratio,hook,cpu "$@"
TOP=${TSNTOP:-$TK_BUILD/tsntop}	# TSNTOP=PATH: another build (A/B)
PORT=5001
HZ=$(getconf CLK_TCK)

tk_fixture_up "$ID" 1 >/dev/null
tk_listen "$ID" "$PORT" 600

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# attached once the first snapshot is out; judging at nic0, as a user watching a NIC does (every
# packet's transmit there is counted for the verdict)
start_top() { # [TSNTOP_ARGS...]
	bench_bg "$TK_TMP/top.json" "$TK_TMP/top.json" "$TK_TMP/top.err" "$TOP" --json -d 1 \
		--nic "nic0@tk$ID-node" "$@"
	TOP_PID=$BG_PID
}
stop_top() {
	kill -TERM "$TOP_PID"
	wait "$TOP_PID"
}

flood_pps() { bench_pps 1; }

# the tracepoints tsntop attaches by default, as it names them (a build from before --hooks
# names none: it attached all), and all of them
ALL_TPS=$BENCH_TT_TPS
start_top
# shellcheck disable=SC2046
DEFAULT_TPS=$(bench_tt_tps_of $(head -n 1 "$TK_TMP/top.json" | jq -r '.hooks // [] | .[]'))
DEFAULT_TPS=${DEFAULT_TPS:-$ALL_TPS}
stop_top
BENCH_TT_TPS=$DEFAULT_TPS

# What a user would write instead of tsntop: packets per hook, device and priority
PEER_SCRIPT="$(bench_tt_bt_probes) {
	\$skb = (struct sk_buff *)args->skbaddr;
	@pkts[probe, \$skb->dev->ifindex, \$skb->priority] = count();
}"

echo "# tsntop bench: $(uname -r), $(nproc) CPUs, $N packets per flood, $ROUNDS rounds"
if bench_part ratio; then
command -v bpftrace >/dev/null || echo "# peer part skipped: bpftrace is not installed"
ratios=() floors=() peers=() alls=() all_floors=()
for ((r = 1; r <= ROUNDS; r++)); do
	off=$(flood_pps)
	floor=$(bench_floor_pps 1)
	start_top
	on=$(flood_pps)
	stop_top
	lost=$(grep -a '}$' "$TK_TMP/top.json" | tail -n 1 | jq -c .lost)
	BENCH_TT_TPS=$ALL_TPS
	all_floor=$(bench_floor_pps 1)
	BENCH_TT_TPS=$DEFAULT_TPS
	start_top --hooks all
	all=$(flood_pps)
	stop_top
	alls+=("$(bench_ratio "$all" "$off")")
	all_floors+=("$(bench_ratio "$all_floor" "$off")")
	peer=
	if bench_bpftrace "$TK_TMP/bt.out" "$PEER_SCRIPT"; then
		peer=$(flood_pps)
		bench_bpftrace_stop
		peers+=("$(bench_ratio "$peer" "$off")")
	fi
	ratio=$(bench_ratio "$on" "$off")
	ratios+=("$ratio")
	floors+=("$(bench_ratio "$floor" "$off")")
	printf "round %d: without %d pps, floor %d (%s), with tsntop %d pps, ratio %s" \
		"$r" "$off" "$floor" "${floors[-1]}" "$on" "$ratio"
	printf " (tsntop lost %s)%s; all hooks: floor %s, tsntop %s\n" "$lost" \
		"${peer:+, bpftrace $peer (${peers[-1]})}" "${all_floors[-1]}" "${alls[-1]}"
done
echo "pps ratio to without (median of $ROUNDS): floor $(bench_median "${floors[@]}")," \
	"tsntop $(bench_median "${ratios[@]}"), bpftrace peer $(bench_median "${peers[@]}");" \
	"all hooks: floor $(bench_median "${all_floors[@]}"), tsntop --hooks all" \
	"$(bench_median "${alls[@]}")"
fi

if bench_part hook; then
samples=$(for ((r = 1; r <= ROUNDS; r++)); do
	start_top
	bench_hook_costs tsn_tp_ 1 "$TOP_PID" | sed "s/\$/ $r/"
	stop_top
done)
echo "# per-hook cost of tsntop, $ROUNDS rounds (bpf_stats, paired with empty programs)"
bench_hook_table "$samples"
fi

bench_part cpu || exit 0

# tsntop's own CPU over SECS seconds of the current traffic
top_cpu() { # LABEL SECS
	local c0 c1
	start_top
	c0=$(cpu_ticks "$TOP_PID")
	sleep "$2"
	c1=$(cpu_ticks "$TOP_PID")
	flows=$(grep -a '}$' "$TK_TMP/top.json" | tail -n 1 | jq '.flows | length')
	stop_top
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v s="$2" -v l="$1" -v f="$flows" \
		'BEGIN {printf "tsntop CPU %s: %.1f%% of one CPU (-d 1, %d s, %d flows)\n", l, 100 * c / hz / s, s, f}'
}
tk_talk "$ID" 1 --port "$PORT" --count 400000 --interval-us 50 --priority 1 >/dev/null &
TALK=$!
tk_defer "kill $TALK"
top_cpu "with a 20000 pps flow" 10
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null
top_cpu "idle" 5
