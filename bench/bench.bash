# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the fixture benchmarks (bench/tsntrace.sh, bench/tsntop.sh; bench/enforce.sh uses
# only the helpers below bench_init); not a benchmark itself
# (bench/run.sh runs *.sh only). Sets N, ROUNDS, ID and PARTS from --packets/--rounds/--id/
# --parts (defaults given by the caller; PARTS is ",a,b," for bench_part), checks root, and loads
# tests/lib.sh with a temp dir and the cleanup stack run at exit, like a test.
#
#   source bench/bench.bash; bench_init NAME DEFAULT_N DEFAULT_ROUNDS DEFAULT_ID "$@"

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TK_ROOT=$BENCH_ROOT TK_BUILD=${TK_BUILD:-$BENCH_ROOT/build}

bench_init() { # NAME DEFAULT_N DEFAULT_ROUNDS DEFAULT_ID DEFAULT_PARTS ARGS...
	local name=$1
	N=$2
	ROUNDS=$3
	ID=$4
	PARTS=,$5,
	shift 5
	while [ $# -gt 0 ]; do
		case $1 in
		--packets) N=$2; shift 2 ;;
		--rounds) ROUNDS=$2; shift 2 ;;
		--id) ID=$2; shift 2 ;;
		--parts) PARTS=,$2,; shift 2 ;;
		*) echo "usage: bench/$name [--packets N] [--rounds R] [--id ID] [--parts LIST]" >&2
		   exit 2 ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "bench/$name: run as root" >&2; exit 2; }
	TK_TEST_ID=$ID
	# shellcheck source=tests/lib.sh
	source "$TK_ROOT/tests/lib.sh"
	TK_TMP=$(mktemp -d /tmp/tk-bench.XXXXXX)
	trap tk_run_deferred EXIT
}

# pps of one flood of N datagrams from pod1 to the listener on PORT, as fast as it can send
bench_pps() { # PRIORITY
	local t0 t1
	t0=$(date +%s%N)
	tk_talk "$ID" 1 --port "$PORT" --count "$N" --interval-us 0 --priority "$1" >/dev/null
	t1=$(date +%s%N)
	echo $((N * 1000000000 / (t1 - t0)))
}

# A / B with three decimals: the figure every ratio part reports
bench_ratio() { # A B
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'
}

# Median of the numbers given, 0 for none
bench_median() { # NUMBERS...
	printf '%s\n' "$@" | sort -g |
		awk 'NF {a[++n] = $1} END {if (n) print a[int((n + 1) / 2)]; else print 0}'
}

# Start CMD in the background (stdout to OUT, stderr to ERR), killed at exit; wait until WAIT is
# a non-empty file (a ready file, a first output line). The pid is in BG_PID. Returns 1 when CMD
# ended before that (its exit status is then reaped; ERR says why).
bench_bg_try() { # WAIT OUT ERR CMD...
	local wait=$1 out=$2 err=$3
	shift 3
	rm -f "$wait"
	"$@" >"$out" 2>"$err" &
	BG_PID=$!
	tk_defer "kill $BG_PID"
	while [ ! -s "$wait" ]; do
		if ! kill -0 "$BG_PID" 2>/dev/null; then
			wait "$BG_PID"
			return 1
		fi
		sleep 0.02
	done
}
# The same, for a CMD the bench cannot go on without: its stderr and exit 1 when it ends early
bench_bg() { # WAIT OUT ERR CMD...
	bench_bg_try "$@" || { cat "$3"; exit 1; }
}

# Is part NAME in --parts?
bench_part() { [[ $PARTS == *,$1,* ]]; }

# The tracepoints tsntrace's tracepoint backend (and so tsntop) attaches to, as
# subsystem:name: the hooks of the floor and of the bpftrace peer.
BENCH_TT_TPS="net:net_dev_queue net:net_dev_start_xmit net:net_dev_xmit net:netif_rx
net:netif_receive_skb net:napi_gro_receive_entry qdisc:qdisc_enqueue qdisc:qdisc_dequeue
skb:kfree_skb skb:consume_skb"

# BENCH_TT_TPS narrowed to the tracepoints named (a tool's JSON "hooks"), subsystems kept
bench_tt_tps_of() { # NAME...
	local tp name out=
	for tp in $BENCH_TT_TPS; do
		for name in "$@"; do
			[ "${tp#*:}" = "$name" ] && out+=${out:+ }$tp
		done
	done
	echo "$out"
}

# the same as bpfstats --empty-tp wants them: names only, comma-separated
bench_tt_tp_list() {
	local tp out=
	for tp in $BENCH_TT_TPS; do
		out+=${out:+,}${tp#*:}
	done
	echo "$out"
}

# the same as a bpftrace probe list
bench_tt_bt_probes() {
	local tp out=
	for tp in $BENCH_TT_TPS; do
		out+=${out:+, }tracepoint:$tp
	done
	echo "$out"
}

# Run CMD... with bpfstats around it (BPF_ENABLE_STATS scoped to it); BPFSTATS_ARGS before "--".
# The flood runs in a shell of its own: it loads the fixture's helpers itself.
bench_bpfstats() { # BPFSTATS_ARGS... -- SHELL_CMD
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	export -f bench_pps
	export N PORT ID TK_FIXTURE_NET_PREFIX
	"$TK_BUILD/bpfstats" "${args[@]}" -- bash -c "source \"\$TK_ROOT/tests/fixture.sh\"; $2"
}

# pps of one flood at PRIORITY with empty programs on the hooks tsntrace attaches to, statistics
# off: the floor every tracer on these hooks pays before it does anything
bench_floor_pps() { # PRIORITY
	bench_bpfstats --no-stats --empty-tp "$(bench_tt_tp_list)" -- "bench_pps $1" | head -1
}

# Per-hook cost of the programs named PREFIX* that process PID holds, paired with empty programs
# on the same tracepoints in the same flood (bpf_stats adds some 30 ns per run to both); only
# those: other instances of the tool on the machine have programs of the same names. One line
# per hook: tracepoint runs_per_packet ns/run empty_ns/run logic_ns_per_packet
bench_hook_costs() { # PREFIX PRIORITY PID
	local ids
	# the process' program fds say prog_id in their fdinfo (bpftool's pids need an iterator)
	ids=$(awk '$1 == "prog_id:" {print $2}' "/proc/$3"/fdinfo/* 2>/dev/null | sort -u |
		paste -sd,)
	bench_bpfstats --prefix "$1" --empty-tp "$(bench_tt_tp_list)" --ids "$ids" -- \
		"bench_pps $2 >/dev/null" |
		jq -r --arg p "$1" --argjson n "$N" '
		def per_run: if .run_cnt > 0 then .run_time_ns / .run_cnt else 0 end;
		[to_entries[] | select(.value.attach)] as $all |
		$all[] | select(.key | startswith($p)) | .value.attach as $tp |
		(.value | per_run) as $a |
		([$all[] | select((.key | startswith("tk_empty_")) and .value.attach == $tp)][0].value
		 | per_run) as $b |
		"\($tp) \(.value.run_cnt / $n) \($a) \($b) \(($a - $b) * .value.run_cnt / $n)"'
}

# Print the median table of bench_hook_costs samples (lines with the round appended) and the
# summed logic per packet
bench_hook_table() { # SAMPLES
	local tp col
	printf "%-24s %9s %9s %13s %13s\n" hook runs/pkt ns/run "empty ns/run" "logic/pkt"
	for tp in $(echo "$1" | awk '{print $1}' | sort -u); do
		printf "%-24s" "$tp"
		for col in 2 3 4 5; do
			# shellcheck disable=SC2046
			printf " %*.1f" $((col < 4 ? 9 : 13)) "$(bench_median $(echo "$1" |
				awk -v t="$tp" -v c="$col" '$1 == t {print $c}'))"
		done
		echo
	done
	# shellcheck disable=SC2046
	echo "logic per packet, all hooks: $(bench_median $(echo "$1" |
		awk '{s[$6] += $5} END {for (r in s) print s[r]}')) ns"
}

# Start a bpftrace script in the background (killed at exit), ready once it says it attached;
# BT_PID is its pid. Its tracepoint probes need tracefs: where the host has none mounted, it runs
# in a mount namespace of its own with one, so that nothing is left mounted. Returns 1, saying
# why, when bpftrace is not installed or does not start.
bench_bpftrace() { # OUT SCRIPT
	local out=$1
	command -v bpftrace >/dev/null || return 1
	printf '%s\n' "$2" >"$TK_TMP/peer.bt"
	rm -f "$out"
	unshare -m sh -c '[ -e /sys/kernel/tracing/events ] ||
		mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace "$1"' sh \
		"$TK_TMP/peer.bt" >"$out" 2>"$out.err" &
	BT_PID=$!
	tk_defer "kill $BT_PID"
	while ! grep -q '^Attaching' "$out" 2>/dev/null; do
		if ! kill -0 "$BT_PID" 2>/dev/null; then
			echo "# peer part skipped: bpftrace failed: $(grep ERROR: "$out.err" |
				grep -v RLIMIT_MEMLOCK | head -1)" >&2
			return 1
		fi
		sleep 0.02
	done
}
bench_bpftrace_stop() {
	kill -INT "$BT_PID"
	wait "$BT_PID" 2>/dev/null
}
