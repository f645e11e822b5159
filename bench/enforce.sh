#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce-mode benchmark (not a test: it prints figures, it asserts nothing).
#  1. pps of a pod talker through the node to nic0 with enforce mode on, divided by off;
#     rounds alternate on/off in one run on the same fixture, the median ratio is reported.
#  2. per-packet cost of the logic: bpf_stats run_time_ns/run_cnt of each tsnproxy program a
#     packet passes minus the same figure for an empty program on the same hook.
#     (floor) the same with empty programs on the tracepoint configuration's hooks instead.
#  3. (hot) the same programs run back to back on one packet (BPF_PROG_TEST_RUN), where every
#     cache line they touch stays hot: the instruction cost, to set against (2).
# Usage: bench/enforce.sh [ROUNDS=5] [PACKETS=100000] [PARTS=ratio,floor,hook,logic,hot]
#        (root, after make). The pps parts (ratio, floor) run 4 x ROUNDS + 1 rounds: one pps
#        round here varies by +-5 %, and a median of 9 rounds still by +-1.5 %.
# TSNPROXY=PATH benchmarks another build of tsnproxy (A/B comparisons of datapath changes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/bench.bash
source "$ROOT/bench/bench.bash"	# bench_pps; TK_ROOT, TK_BUILD
source "$ROOT/tests/fixture.sh"

ROUNDS=${1:-5}
PPS_ROUNDS=$((ROUNDS * 4 + 1))
PACKETS=${2:-100000}
PARTS=,${3:-ratio,floor,hook,logic,hot},
ID=${BENCH_ID:-231}
PIN=/sys/fs/bpf/tk$ID-bench
FILL=$PIN-fill	# filler programs, see fill_pack
NODE=tk$ID-node

proxy() {
	nsenter --net="/run/netns/$NODE" -- "${TSNPROXY:-$TK_BUILD/tsnproxy}" --pin-dir "$PIN" "$@"
}
cleanup() {
	[ -e "$PIN" ] && proxy stop >/dev/null 2>&1
	rm -rf "$FILL"
	tk_fixture_down "$ID" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tk_fixture_down "$ID" >/dev/null 2>&1
tk_fixture_up "$ID" 1 >/dev/null || exit 1
tk_listen "$ID" 5001 600

# bench_pps floods N datagrams from pod1 to PORT
N=$PACKETS PORT=5001

part() { [[ $PARTS == *,$1,* ]]; }

# Where the JIT places a program moves its cost by 10-20 ns here (docs/enforce.md), and programs
# loaded in the same order land in the same places every round: each round with enforce mode
# first loads a random number of small filler programs (never attached), so that the rounds
# sample placements.
fill_pack() {
	local k
	rm -rf "$FILL"
	mkdir -p "$FILL"
	for ((k = RANDOM % 12; k > 0; k--)); do
		bpftool prog loadall "$TK_BUILD/bench_empty.bpf.o" "$FILL/$k" || return
	done
}

if part ratio; then
# enforce mode as deployed: defaults (save hook auto), the pod registered with its priority
proxy start --nic nic0 ${BENCH_START_ARGS:-} >/dev/null
hook=$(proxy status --json | jq -r .config.save_hook)
proxy stop >/dev/null
echo "# enforce-mode pps ratio: $PPS_ROUNDS rounds x $PACKETS packets, alternating off/on," \
	"save hook $hook"
ratios=()
for ((r = 1; r <= PPS_ROUNDS; r++)); do
	off=$(bench_pps 1)
	fill_pack
	proxy start --nic nic0 ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
	on=$(bench_pps 1)
	proxy stop >/dev/null
	rm -rf "$FILL"
	ratio=$(bench_ratio "$on" "$off")
	ratios+=("$ratio")
	printf "round %d: off %d pps, on %d pps, ratio %s\n" "$r" "$off" "$on" "$ratio"
done
echo "pps ratio on/off (median): $(bench_median "${ratios[@]}")   (goal >= 0.98)"
fi

if part floor; then
# What the hooks alone cost a flood: empty programs, statistics off, where each configuration
# runs its programs. tracepoint+free hooks: nic0's tcx egress, the transmit tracepoint (every
# veth hop of the node fires it) and the two free tracepoints (ABI 3's --save-hook tracepoint);
# tc+free hooks: nic0's and the pod's tcx egress and the free tracepoints (ABI 3's default);
# tc only: nic0's and the pod's tcx egress, today's default, which has no free hooks.
echo "# pps with empty programs on each configuration's hooks, $PPS_ROUNDS rounds x" \
	"$PACKETS packets, alternating off/tracepoint/tc"
# the flood runs in a shell of its own, which loads the fixture's helpers (tk_talk) itself
export -f bench_pps
export N PORT ID TK_FIXTURE_NET_PREFIX
floors=() floors_tc=() floors_tag=()
empty_pps() { # bpfstats options: pps of one flood with those empty programs attached
	nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/bpfstats" --no-stats --empty nic0 "$@" -- \
		bash -c 'source "$TK_ROOT/tests/fixture.sh"; bench_pps 1' | head -1
}
for ((r = 1; r <= PPS_ROUNDS; r++)); do
	off=$(bench_pps 1)
	tp=$(empty_pps)
	tc=$(empty_pps --no-xmit --empty-tc "tk$ID-pod1:eth0")
	tag=$(empty_pps --no-xmit --no-free --empty-tc "tk$ID-pod1:eth0")
	floors+=("$(bench_ratio "$tp" "$off")")
	floors_tc+=("$(bench_ratio "$tc" "$off")")
	floors_tag+=("$(bench_ratio "$tag" "$off")")
	printf "round %d: off %d pps, empty programs: tracepoint+free hooks %d pps (%s)," \
		"$r" "$off" "$tp" "${floors[-1]}"
	printf " tc+free hooks %d pps (%s), tc only (today's) %d pps (%s)\n" "$tc" \
		"${floors_tc[-1]}" "$tag" "${floors_tag[-1]}"
done
echo "pps ratio with empty programs (median): tracepoint+free hooks" \
	"$(bench_median "${floors[@]}"), tc+free hooks (ABI 3) $(bench_median "${floors_tc[@]}")," \
	"tc only (today's default) $(bench_median "${floors_tag[@]}")"
fi

if part hook; then
echo "# save hook: tracepoint (node-wide) vs tc (per pod), pps with each, alternating"
for ((r = 1; r <= ROUNDS; r++)); do
	proxy start --nic nic0 --policy all --save-hook tracepoint ${BENCH_START_ARGS:-} >/dev/null
	tp=$(bench_pps 1)
	proxy stop >/dev/null
	proxy start --nic nic0 --save-hook tc ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 --ifname eth0 >/dev/null
	tc=$(bench_pps 1)
	proxy stop >/dev/null
	printf "round %d: tracepoint %d pps, tc %d pps, tc/tracepoint %s\n" "$r" "$tp" "$tc" \
		"$(bench_ratio "$tc" "$tp")"
done
fi

if part hot; then
# tc programs only: the tracepoint ones cannot be test-run. The restore runs its miss path (the
# test skb was never saved), which is also what every non-pod packet through the NIC costs.
echo "# hot-cache instruction cost (BPF_PROG_TEST_RUN, 1M runs, best of 3)"
EMPTY_PIN=$PIN-empty
pktdir=$(mktemp -d)
python3 - "$pktdir" <<'PY'
import struct, sys
payload = bytes(range(64))
udp = struct.pack("!HHHH", 40000, 5001, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0, 64, 17, 0,
                 bytes([198, 18, 231, 11]), bytes([198, 19, 231, 2]))
open(sys.argv[1] + "/pkt", "wb").write(b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp)
ctx = bytearray(192)            # struct __sk_buff
struct.pack_into("<I", ctx, 32, 1)      # priority 1: the save path stores it
open(sys.argv[1] + "/ctx", "wb").write(ctx)
PY
best() { # PROG (bpftool's: pinned FILE, id N): lowest average ns/run of 3 test runs
	for _ in 1 2 3; do
		bpftool prog run "$@" data_in "$pktdir/pkt" ctx_in "$pktdir/ctx" repeat 1000000 |
			sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'
	done | sort -n | head -1
}
proxy start --nic nic0 --policy all --save-hook tc >/dev/null
# what allow attaches to the pod (its stub, which tail-calls the shared save program; older
# builds: the pod's copy of it)
proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
save_id=$(bpftool link show pinned "$(echo "$PIN"/links/save_*)" -j | jq .prog_id)
bpftool prog loadall "$TK_BUILD/bench_empty.bpf.o" "$EMPTY_PIN"
e=$(best pinned "$EMPTY_PIN/tk_empty_tc") s=$(best id "$save_id")
r=$(best pinned "$PIN/progs/restore")
proxy stop >/dev/null
rm -rf "$EMPTY_PIN" "$pktdir"
printf "empty tc program %d ns/run; tsn_save_tc %d ns/run (logic %d); " "$e" "$s" $((s - e))
printf "tsn_restore, miss %d ns/run (logic %d)\n" "$r" $((r - e))
fi

part logic || exit 0
# Each run attaches empty programs on the same hooks next to tsnproxy's (bpfstats --empty), so
# that a program's figure and its baseline come from the same packets at the same moment: on
# this VM the empty programs' ns/run drifts by 5-10 ns between runs a few seconds apart (a busy
# neighbour), which a baseline measured in a run of its own adds to the logic figure. Each
# figure is then the median over the rounds of the per-round differences.
echo "# per-packet logic cost (bpf_stats, BPF_ENABLE_STATS scoped to this run), $ROUNDS rounds," \
	"paired with empty programs on the same hooks"
talk() { tk_talk "$ID" 1 --port 5001 --count "$PACKETS" --interval-us 0 --priority 1 >/dev/null; }
# the node's own traffic through the NIC: what enforce mode costs packets it has nothing for
talk_node() { tk_talk "$ID" node --port 5001 --count "$PACKETS" --interval-us 0 >/dev/null; }
export -f talk talk_node
export ID PACKETS TK_FIXTURE_NET_PREFIX
# One line per tsnproxy program per run: tag:name runs ns/run empty_ns/run logic_per_pod_packet.
# tsn_save_direct (6.2+) is tsn_save with plain header loads: one role, one row. A pod's stub
# (tsn_pod_save) runs the shared tsn_save_tc by a tail call, which bpf_stats counts in the stub:
# its row is the tc save hook's (older builds attach tsn_save_tc itself).
paired_run() { # tag talk-function
	nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/bpfstats" --prefix tsn_ --empty nic0 -- \
		bash -c "source \"\$TK_ROOT/tests/fixture.sh\"; $2" | jq -r --arg t "$1" --argjson n "$PACKETS" '
		def hook: if test("^tsn_save(_direct)?$") then "xmit" elif . == "tsn_on_kfree" then
			"kfree" elif . == "tsn_on_consume" then "cons" else "tc" end;
		def per_run: if .run_cnt > 0 then .run_time_ns / .run_cnt else 0 end;
		. as $all | to_entries[] | select((.key | startswith("tsn_")) and .value.run_cnt > 0) |
		(.value | per_run) as $a | ($all["tk_empty_" + (.key | hook)] | per_run) as $b |
		"\($t):\(.key | sub("_direct$"; "") | sub("^tsn_pod_save$"; "tsn_save_tc")) " +
		"\(.value.run_cnt) \($a) \($b) " +
		"\(($a - $b) * .value.run_cnt / $n)"'
}
# enforce mode as deployed: the default policy (registered), the pod allowed its priority; with
# the tracepoint save hook (tag tp) and with the tc save hook on the pod's eth0 (tc, the default
# on 6.2+)
samples=$(for ((r = 1; r <= ROUNDS; r++)); do
	fill_pack
	proxy start --nic nic0 --policy all --save-hook tracepoint ${BENCH_START_ARGS:-} >/dev/null
	paired_run tp talk | sed "s/\$/ $r/"
	paired_run node talk_node | sed "s/\$/ $r/"
	proxy stop >/dev/null
	proxy start --nic nic0 --save-hook tc ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 --ifname eth0 >/dev/null
	paired_run tc talk | sed "s/\$/ $r/"
	paired_run nodetc talk_node | sed "s/\$/ $r/"
	proxy stop >/dev/null
	rm -rf "$FILL"
done)
med() { # tag:name column: median of that column over the rounds
	# shellcheck disable=SC2046
	bench_median $(echo "$samples" | awk -v p="$1" -v c="$2" '$1 == p {print $c}')
}
# median over the rounds of the per-round sum of column 5 over the programs named
med_sum() { # tag:name...
	# shellcheck disable=SC2046
	bench_median $(echo "$samples" | awk -v l=" $* " 'index(l, " " $1 " ") {s[$6] += $5}
		END {for (r in s) print s[r]}')
}
printf "%-20s %10s %10s %14s %14s\n" program runs ns/run "empty ns/run" "logic/pod pkt"
for p in tp:tsn_save tp:tsn_restore tp:tsn_on_kfree tp:tsn_on_consume tc:tsn_save_tc \
	tc:tsn_restore tc:tsn_on_kfree tc:tsn_on_consume node:tsn_save node:tsn_restore \
	nodetc:tsn_restore; do
	echo "$samples" | grep -q "^$p " || continue
	printf "%-20s %10s %10.1f %14.1f %14.1f\n" "$p" "$(med "$p" 2)" "$(med "$p" 3)" \
		"$(med "$p" 4)" "$(med "$p" 5)"
done
# the tracepoint save runs twice per pod packet (pod eth0: saves; nic0: first-compare exit)
echo "logic per pod packet, tc save hook, the default (save+restore):" \
	"$(med_sum tc:tsn_save_tc tc:tsn_restore) ns   (goal <= 50)"
echo "logic per pod packet, tracepoint save hook (save+restore):" \
	"$(med_sum tp:tsn_save tp:tsn_restore) ns"
echo "logic per node packet through the NIC, tc save hook (restore miss):" \
	"$(med_sum nodetc:tsn_restore) ns"
echo "logic per node packet through the NIC, tracepoint save hook (save fast exit + restore" \
	"miss): $(med_sum node:tsn_save node:tsn_restore) ns"
