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
#        (root, after make)
# TSNPROXY=PATH benchmarks another build of tsnproxy (A/B comparisons of datapath changes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/bench.bash
source "$ROOT/bench/bench.bash"	# bench_pps; TK_ROOT, TK_BUILD
source "$ROOT/tests/fixture.sh"

ROUNDS=${1:-5}
PACKETS=${2:-100000}
PARTS=,${3:-ratio,floor,hook,logic,hot},
ID=${BENCH_ID:-231}
PIN=/sys/fs/bpf/tk$ID-bench
NODE=tk$ID-node

proxy() {
	nsenter --net="/run/netns/$NODE" -- "${TSNPROXY:-$TK_BUILD/tsnproxy}" --pin-dir "$PIN" "$@"
}
cleanup() {
	[ -e "$PIN" ] && proxy stop >/dev/null 2>&1
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

if part ratio; then
# enforce mode as deployed: defaults (save hook auto), the pod registered with its priority
proxy start --nic nic0 ${BENCH_START_ARGS:-} >/dev/null
hook=$(proxy status --json | jq -r .config.save_hook)
proxy stop >/dev/null
echo "# enforce-mode pps ratio: $ROUNDS rounds x $PACKETS packets, alternating off/on," \
	"save hook $hook"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
	off=$(bench_pps 1)
	proxy start --nic nic0 ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
	on=$(bench_pps 1)
	proxy stop >/dev/null
	ratio=$(bench_ratio "$on" "$off")
	ratios+=("$ratio")
	printf "round %d: off %d pps, on %d pps, ratio %s\n" "$r" "$off" "$on" "$ratio"
done
echo "pps ratio on/off (median): $(bench_median "${ratios[@]}")   (goal >= 0.97)"
fi

if part floor; then
# What the hooks alone cost a flood: empty programs, statistics off, where the tracepoint
# configuration runs its programs (nic0's tcx egress and the transmit and free tracepoints; the
# tc configuration has one program fewer). The pps ratio goal is measured against this floor.
echo "# pps with empty programs on the tracepoint configuration's hooks, $ROUNDS rounds x" \
	"$PACKETS packets, alternating off/empty"
export -f bench_pps tk_talk tk_ns tk_fail
export N PORT ID TK_FIXTURE_NET_PREFIX
floors=()
for ((r = 1; r <= ROUNDS; r++)); do
	off=$(bench_pps 1)
	on=$(nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/bpfstats" --no-stats --empty nic0 -- \
		bash -c 'bench_pps 1' | head -1)
	floors+=("$(bench_ratio "$on" "$off")")
	printf "round %d: off %d pps, empty programs %d pps, ratio %s\n" "$r" "$off" "$on" \
		"${floors[-1]}"
done
echo "pps ratio with empty programs (median): $(bench_median "${floors[@]}")"
fi

if part hook; then
echo "# save hook: tracepoint (node-wide) vs tc (per pod), pps with each, alternating"
for ((r = 1; r <= ROUNDS; r++)); do
	proxy start --nic nic0 --save-hook tracepoint ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
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
best() { # pinned-prog: lowest average ns/run of 3 test runs
	for _ in 1 2 3; do
		bpftool prog run pinned "$1" data_in "$pktdir/pkt" ctx_in "$pktdir/ctx" repeat 1000000 |
			sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'
	done | sort -n | head -1
}
proxy start --nic nic0 --policy all --save-hook tc >/dev/null
bpftool prog loadall "$TK_BUILD/bench_empty.bpf.o" "$EMPTY_PIN"
e=$(best "$EMPTY_PIN/tk_empty_tc") s=$(best "$PIN/progs/save_tc") r=$(best "$PIN/progs/restore")
proxy stop >/dev/null
rm -rf "$EMPTY_PIN" "$pktdir"
printf "empty tc program %d ns/run; tsn_save_tc %d ns/run (logic %d); " "$e" "$s" $((s - e))
printf "tsn_restore, miss %d ns/run (logic %d)\n" "$r" $((r - e))
fi

part logic || exit 0
# Rounds alternate enforce mode and empty programs on the same hooks; each figure is the median
# over the rounds, which keeps a busy neighbour (another job on the other core) from skewing it.
echo "# per-packet logic cost (bpf_stats, BPF_ENABLE_STATS scoped to this run), $ROUNDS rounds"
talk() { tk_talk "$ID" 1 --port 5001 --count "$PACKETS" --interval-us 0 --priority 1 >/dev/null; }
# the node's own traffic through the NIC: what enforce mode costs packets it has nothing for
talk_node() { tk_talk "$ID" node --port 5001 --count "$PACKETS" --interval-us 0 >/dev/null; }
export -f tk_talk tk_ns talk talk_node
export ID PACKETS TK_FIXTURE_NET_PREFIX
# one line per program per round: tag:name runs ns_per_run ns_per_pod_packet
# tsn_save_direct (6.2+) is tsn_save with plain header loads: one role, one row
per_run() { # tag json
	echo "$2" | jq -r --arg t "$1" --argjson n "$PACKETS" '
		to_entries[] | select(.value.run_cnt > 0) | .key |= sub("_direct$"; "") |
		"\($t):\(.key) \(.value.run_cnt) " +
		"\(.value.run_time_ns / .value.run_cnt) \(.value.run_time_ns / $n)"'
}
# enforce mode as deployed: the default policy (registered), the pod allowed its priority; with
# the tracepoint save hook (tag tp) and with the tc save hook on the pod's eth0 (tc, the default
# on 6.2+)
samples=$(for ((r = 1; r <= ROUNDS; r++)); do
	proxy start --nic nic0 --save-hook tracepoint ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 >/dev/null
	per_run tp "$("$TK_BUILD/bpfstats" --prefix tsn_ -- bash -c talk)"
	per_run node "$("$TK_BUILD/bpfstats" --prefix tsn_ -- bash -c talk_node)"
	proxy stop >/dev/null
	proxy start --nic nic0 --save-hook tc ${BENCH_START_ARGS:-} >/dev/null
	proxy allow --netns "tk$ID-pod1" --priorities 1 --ifname eth0 >/dev/null
	per_run tc "$("$TK_BUILD/bpfstats" --prefix tsn_ -- bash -c talk)"
	per_run nodetc "$("$TK_BUILD/bpfstats" --prefix tsn_ -- bash -c talk_node)"
	proxy stop >/dev/null
	per_run empty "$(nsenter --net="/run/netns/$NODE" -- "$TK_BUILD/bpfstats" --prefix tk_empty_ \
		--empty nic0 -- bash -c talk)"
done)
med() { # tag:name column: median of that column over the rounds
	# shellcheck disable=SC2046
	bench_median $(echo "$samples" | awk -v p="$1" -v c="$2" '$1 == p {print $c}')
}
printf "%-20s %10s %12s %10s\n" program runs ns/run logic_ns
for pair in tp:tsn_save:xmit tp:tsn_restore:tc tp:tsn_on_kfree:kfree tp:tsn_on_consume:cons \
	tc:tsn_save_tc:tc tc:tsn_restore:tc node:tsn_save:xmit node:tsn_restore:tc \
	nodetc:tsn_restore:tc; do
	p=${pair%:*} e=empty:tk_empty_${pair##*:}
	a=$(med "$p" 3) b=$(med "$e" 3)
	printf "%-20s %10s %12.1f %10.1f   (%s: %.1f ns/run)\n" "$p" "$(med "$p" 2)" "$a" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN {print a - b}')" "$e" "$b"
done
# logic of a program per pod packet: (its ns/run - the empty one's ns/run) x its runs per packet
logic() { # tag:name empty-name
	awk -v a="$(med "$1" 3)" -v b="$(med "empty:$2" 3)" -v r="$(med "$1" 2)" -v n="$PACKETS" \
		'BEGIN {print (a - b) * r / n}'
}
# tracepoint save runs twice per pod packet (pod eth0: saves; nic0: first-compare exit)
awk -v s="$(logic tp:tsn_save tk_empty_xmit)" -v r="$(logic tp:tsn_restore tk_empty_tc)" \
	-v ts="$(logic tc:tsn_save_tc tk_empty_tc)" -v tr="$(logic tc:tsn_restore tk_empty_tc)" \
	-v k="$(logic tp:tsn_on_kfree tk_empty_kfree)" -v c="$(logic tp:tsn_on_consume tk_empty_cons)" \
	-v ns="$(logic node:tsn_save tk_empty_xmit)" -v nr="$(logic node:tsn_restore tk_empty_tc)" \
	-v ncr="$(logic nodetc:tsn_restore tk_empty_tc)" \
	'BEGIN {
	printf "logic per pod packet, tc save hook, the default (save+restore): %.1f ns   " \
		"(goal <= 50)\n", ts + tr
	printf "logic per pod packet, tracepoint save hook (save+restore): %.1f ns\n", s + r
	printf "free hooks per pod packet: %.1f ns\n", k + c
	printf "logic per node packet through the NIC, tc save hook (restore miss): %.1f ns\n", ncr
	printf "logic per node packet through the NIC, tracepoint save hook (save fast exit + " \
		"restore miss): %.1f ns\n", ns + nr
}'
