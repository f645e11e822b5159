#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A/B of two tsnproxy builds' per-packet cost (not a test: it prints figures, it asserts
# nothing), e.g. a datapath change against its base. Runs bench/enforce.sh's paired parts with
# the builds alternating round by round (A, B, A, B, ...), on the same fixture id:
#  - logic: bpf_stats ns per packet of each program, minus an empty program on the same hook in
#    the same run (the floor), for the pod's packets (restore hit) and the node's (tc save hook:
#    untagged exit; tracepoint save hook, --policy all: the full miss path);
#  - hot: the restore's miss path back to back on one packet (BPF_PROG_TEST_RUN), instructions
#    only.
# Per row: the median over rounds for A and for B, and B/A.
# Usage: bench/restore_ab.sh [A_TSNPROXY [B_TSNPROXY [ROUNDS=5 [PACKETS=50000]]]]
#        (root, after make). Without builds, A and B are both this tree's build/tsnproxy: the
#        method's own spread between two copies of one build.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/bench.bash
source "$ROOT/bench/bench.bash"	# bench_median, bench_ratio; TK_BUILD

A=$(realpath "${1:-$TK_BUILD/tsnproxy}")
B=$(realpath "${2:-$TK_BUILD/tsnproxy}")
ROUNDS=${3:-5}
PACKETS=${4:-50000}
export BENCH_ID=${BENCH_ID:-231}

# One enforce.sh run of one build: "row value" lines, value in ns per packet
sample() { # TSNPROXY
	TSNPROXY=$1 "$ROOT/bench/enforce.sh" 1 "$PACKETS" logic,hot 2>/dev/null | awk '
		$1 ~ /^(tp|tc|node|nodetc):tsn_restore$/ || $1 == "tc:tsn_save_tc" { print $1, $5 }
		/tsn_save_tc [0-9]+ ns\/run/ { s = $0; sub(/.*tsn_save_tc [0-9]+ ns\/run \(logic /, "", s);
			sub(/\).*/, "", s); print "hot:tsn_save_tc", s }
		/tsn_restore, miss/ { sub(/.*tsn_restore, miss [0-9]+ ns\/run \(logic /, "");
			sub(/\).*/, ""); print "hot:tsn_restore_miss", $0 }'
}

echo "# restore A/B, $ROUNDS rounds alternating, $PACKETS packets per flow"
echo "# A: $A"
echo "# B: $B"
samples=
for ((r = 1; r <= ROUNDS; r++)); do
	samples+=$(sample "$A" | sed 's/^/A /')$'\n'
	samples+=$(sample "$B" | sed 's/^/B /')$'\n'
done
med() { # build row
	# shellcheck disable=SC2046
	bench_median $(echo "$samples" | awk -v b="$1" -v r="$2" '$1 == b && $2 == r { print $3 }')
}
printf "%-24s %10s %10s %8s\n" row "A ns/pkt" "B ns/pkt" "B/A"
for row in tc:tsn_save_tc tc:tsn_restore nodetc:tsn_restore tp:tsn_restore node:tsn_restore \
	hot:tsn_save_tc hot:tsn_restore_miss; do
	a=$(med A "$row") b=$(med B "$row")
	printf "%-24s %10.1f %10.1f %8s\n" "$row" "$a" "$b" "$(bench_ratio "$b" "$a")"
done
echo "# tc:tsn_save_tc: the tc save hook per pod packet (with a stub: stub + tail call + save);"
echo "# tc: registered pod's packets (hit); nodetc: node's packets, tc save hook (untagged exit);"
echo "# tp: pod's packets, --policy all (hit); node: node's packets, --policy all (miss);"
echo "# hot: the miss path with every cache line hot (--policy all)"
