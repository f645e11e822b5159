#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Delay benchmark (not a test: it prints figures, it asserts nothing). One-way delay of a paced
# stream from pod1's sendmsg to the listener's socket in the net netns, on the demo topology.
# The talker stamps CLOCK_MONOTONIC into each datagram just before sendmsg; the listener takes
# the kernel's receive stamp (SO_TIMESTAMPNS, taken when the last veth hands the packet to the
# net netns, after nic0's qdisc and tsnproxy's restore) and converts it to the same clock
# (build/talker --listen --delays, tests/tools/talker.c).
#  stream  enforce mode off / on, rounds alternating in one run (off first in odd rounds, on
#          first in even ones), each round every rate x payload; p50, p99, p99.9, max of the
#          samples of all rounds, and on - off per percentile next to off's odd - even rounds
#          (the same difference where nothing differs: the run's noise; needs ROUNDS >= 2)
#  flood   the same with a best-effort flood (unpaced, priority 0) from pod2 to another port
#          during every stream
#  stats   per-program run time per stream packet (bpf_stats, BPF_ENABLE_STATS scoped to
#          bpfstats' fd) of this bench's tsnproxy programs, paired with an empty program on the
#          same hooks (bpfstats --empty: statistics add two clock reads per run, which the
#          empty program's ns/run carries too); in runs of their own, which the delay rounds
#          must not carry
#  table   enforce mode with the default capacity and with the largest (4 M slots), alternating:
#          the percentiles and the worst delay of each TTL/2 window; then the programs' run
#          time with each capacity (as in stats). Entries expire lazily (a slot past its TTL is
#          counted expired when it is next written, progs/tsnproxy.bpf.c): there is no sweep
#          to stall transmit; this shows whether the table's size reaches the transmit path.
#  status  `tsnproxy status` in a loop on the 4 M-slot table (the only walk over the whole
#          table, in userspace), each walk followed by a CPU burn of the same length (a shell
#          spinning: what any busy process does to the stream on this machine): the delay of
#          packets received during a walk, during a burn and during neither, in the same run
#  gates   needs taprio on nic0 (the VM lane; skipped, saying so, without it): the first
#          stream (BENCH_RATES, BENCH_SIZES) at priority 1, i.e. traffic class 1, whose only
#          gate in the seed schedule is its first entry, with enforce mode off / on, without and
#          with pod2's flood, alternating; an independent observer (build/observe: tp_btf on
#          net_dev_start_xmit) stamps every stream packet leaving nic0 (CLOCK_MONOTONIC, turned
#          into taprio's CLOCK_TAI by an offset read just before), and the packet's gate is the
#          schedule entry (stamp - base-time) mod cycle-time falls in. Per configuration:
#          packets at nic0, how many through TC1's queue, in TC1's gate, in another (which)
# Usage: bench/delay.sh [ROUNDS=5] [SECONDS=4] [PARTS=stream,flood,stats,table,status,gates]
#        (root, after make). BENCH_RATES (default "1000 10000", packets/s) and BENCH_SIZES
#        (default "64 1472", UDP payload bytes; 1472 makes a 1500-byte IP packet, the MTU: a
#        larger payload is sent as two fragments) choose the streams; BENCH_ID the fixture id;
#        BENCH_CAPACITIES (default "65536 4194304") the table part's capacities;
#        BENCH_KEEP=1 keeps the raw delay files (one line per datagram, see stream());
#        BENCH_PRIO the stream's priority (default 3; 0: the same class of nic0 off and on);
#        TSNPROXY=PATH benchmarks another build of tsnproxy (A/B comparisons of datapath changes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/bench.bash
source "$ROOT/bench/bench.bash"	# TK_ROOT, TK_BUILD
source "$ROOT/tests/fixture.sh"

ROUNDS=${1:-5}
SECS=${2:-4}
PARTS=,${3:-stream,flood,stats,table,status,gates},
ID=${BENCH_ID:-232}
RATES=${BENCH_RATES:-1000 10000}
SIZES=${BENCH_SIZES:-64 1472}
PIN=/sys/fs/bpf/tk$ID-delay
NODE=tk$ID-node
NET=tk$ID-net
PORT=5001	# the stream
FLOOD_PORT=5002
# the stream's SO_PRIORITY, which the pod is allowed (the gates part's: 1); BENCH_PRIO=0 keeps the
# stream in nic0's best-effort class with enforce mode on too (what the class change costs)
PRIO=${BENCH_PRIO:-3}
WARMUP=10	# first datagrams of each stream left out (neighbour resolution, cold caches)
BIG=4194304	# tsnproxy's largest --capacity
CAPS=${BENCH_CAPACITIES:-65536 $BIG}	# the table part's
TTL_MS=1000	# tsnproxy's default --ttl

[ "$(id -u)" = 0 ] || { echo "bench/delay.sh: run as root" >&2; exit 2; }
for t in talker tsnproxy bpfstats; do
	[ -x "$TK_BUILD/$t" ] || { echo "bench/delay.sh: $TK_BUILD/$t is not built (make)" >&2; exit 2; }
done
OUT=$(mktemp -d /tmp/tk-delay.XXXXXX)
FLOOD_PID=
OBS_PID=	# the gates part's observer

proxy() {
	nsenter --net="/run/netns/$NODE" -- "${TSNPROXY:-$TK_BUILD/tsnproxy}" --pin-dir "$PIN" "$@"
}
cleanup() {
	flood_stop
	[ -n "$OBS_PID" ] && kill "$OBS_PID" 2>/dev/null
	[ -e "$PIN" ] && proxy stop >/dev/null 2>&1
	tk_fixture_down "$ID" >/dev/null 2>&1
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "# raw delay files kept in $OUT" >&2
	else
		rm -rf "$OUT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
part() { [[ $PARTS == *,$1,* ]]; }

tk_fixture_down "$ID" >/dev/null 2>&1
tk_fixture_up "$ID" 2 >/dev/null || exit 1
tk_listen "$ID" "$FLOOD_PORT" 86400	# the flood's sink

enforce() { # on [START ARGS...] | off
	[ -e "$PIN" ] && proxy stop >/dev/null
	[ "$1" = on ] || return 0
	shift
	proxy start --nic nic0 "$@" >/dev/null &&
		proxy allow --netns "tk$ID-pod1" --priorities "$PRIO" >/dev/null
}

# The ids of this bench's tsnproxy programs (the pod's save copy, the NIC's restore): other
# tsnproxy instances on a shared machine run programs of the same names
proxy_prog_ids() {
	local l
	for l in "$PIN"/links/*; do
		bpftool link show pinned "$l" -j | jq -r .prog_id
	done | paste -sd,
}

flood_start() {
	# nsenter execs the talker: FLOOD_PID is the talker's
	nsenter --net="/run/netns/tk$ID-pod2" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port "$FLOOD_PORT" --count 10000000 --interval-us 0 --duration 3600 >/dev/null 2>&1 &
	FLOOD_PID=$!
	sleep 0.3	# past its start, sending at full rate
}
flood_stop() {
	[ -n "$FLOOD_PID" ] || return 0
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	FLOOD_PID=
}

# One stream of RATE packets/s x PAYLOAD bytes for SECS seconds from pod1 into a listener that
# writes the delay lines to FILE (tests/tools/talker.c: rx_realtime_ns kernel_ns app_ns).
# STATS=1 runs the talker under bpfstats (this bench's programs and empty ones on the same
# hooks), its JSON to FILE.stats.
stream() { # RATE PAYLOAD FILE
	local rate=$1 size=$2 file=$3 lpid i talk
	nsenter --net="/run/netns/$NET" -- "$TK_BUILD/talker" --listen --port "$PORT" \
		--duration $((SECS + 30)) --delays "$file" >/dev/null 2>"$OUT/listener.err" &
	lpid=$!
	for ((i = 0; i < 50; i++)); do
		[ -n "$(tk_ns "$NET" ss -Hlun "sport = :$PORT" 2>/dev/null)" ] && break
		kill -0 "$lpid" 2>/dev/null || { cat "$OUT/listener.err" >&2; return 1; }
		sleep 0.1
	done
	talk=(nsenter --net="/run/netns/tk$ID-pod1" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP"
		--port "$PORT" --count $((rate * SECS)) --interval-us $((1000000 / rate))
		--size "$size" --priority "$PRIO")
	if [ "${STATS:-0}" = 1 ]; then
		tk_ns "$NODE" "$TK_BUILD/bpfstats" --prefix tsn_ --ids "$(proxy_prog_ids)" \
			--empty nic0 --no-xmit --no-free --empty-tc "tk$ID-pod1:eth0" -- \
			"${talk[@]}" 2>/dev/null |
			sed -n '/^{/,$p' >"$file.stats"
	else
		"${talk[@]}" >/dev/null
	fi
	sleep 0.2	# the last datagrams through the backlogs
	kill -TERM "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}

# The kernel-stamped delays (column 2) of the files given, each without its warm-up lines
delays() { # FILE...
	local f
	for f in "$@"; do
		awk -v w="$WARMUP" 'FNR > w {print $2}' "$f"
	done
}

# p50 p99 p99.9 max (nearest rank) and the sample count of the numbers on stdin
percentiles() {
	sort -n | awk '{v[NR] = $1}
		function p(q,  i) {i = int(q * NR + 0.999999); if (i < 1) i = 1; return v[i]}
		END {if (NR) print p(0.5), p(0.99), p(0.999), v[NR], NR; else print 0, 0, 0, 0, 0}'
}

us() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1000}'; }
dus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f", (a - b) / 1000}'; }

# One table row: label, off and on percentiles (µs) and on - off per percentile; then the same
# difference between two halves of one configuration, off in odd rounds - off in even rounds
# (nothing differs between them but when they ran: what on - off would show with no effect)
row() { # LABEL OFF_FILES_PREFIX ON_FILES_PREFIX (each followed by .ROUND)
	local off on odd even
	read -r -a off < <(delays "$2".* | percentiles)
	read -r -a on < <(delays "$3".* | percentiles)
	read -r -a odd < <(delays "$2".*[13579] | percentiles)
	read -r -a even < <(delays "$2".*[02468] 2>/dev/null | percentiles)
	printf "| %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s %s %s %s | %s %s %s |\n" \
		"$1" "${off[4]}/${on[4]}" "$(us "${off[0]}")" "$(us "${on[0]}")" \
		"$(us "${off[1]}")" "$(us "${on[1]}")" "$(us "${off[2]}")" "$(us "${on[2]}")" \
		"$(us "${off[3]}")" "$(us "${on[3]}")" "$(dus "${on[0]}" "${off[0]}")" \
		"$(dus "${on[1]}" "${off[1]}")" "$(dus "${on[2]}" "${off[2]}")" \
		"$(dus "${on[3]}" "${off[3]}")" "$(dus "${odd[0]}" "${even[0]}")" \
		"$(dus "${odd[1]}" "${even[1]}")" "$(dus "${odd[2]}" "${even[2]}")"
}
header() {
	echo "| stream | samples off/on | p50 off / on µs | p99 off / on | p99.9 off / on |" \
		"max off / on | on − off: p50 p99 p99.9 max |" \
		"off odd − even rounds: p50 p99 p99.9 |"
	echo "|---|---|---|---|---|---|---|---|"
}

# The delay rounds of parts stream and flood: files OUT/MODE.FLOOD.RATE.SIZE.ROUND
delay_rounds() { # FLOOD(0|1)
	local r mode rate size
	for ((r = 1; r <= ROUNDS; r++)); do
		for mode in $( ((r % 2)) && echo off on || echo on off); do
			enforce "$mode"
			for rate in $RATES; do
				for size in $SIZES; do
					(($1)) && flood_start
					stream "$rate" "$size" "$OUT/$mode.$1.$rate.$size.$r" || exit 1
					flood_stop
				done
			done
		done
		enforce off
		echo "# round $r of $ROUNDS done" >&2
	done
}

delay_table() { # FLOOD(0|1)
	local rate size
	header
	for rate in $RATES; do
		for size in $SIZES; do
			row "$rate pps x $size B" "$OUT/off.$1.$rate.$size" "$OUT/on.$1.$rate.$size"
		done
	done
}

if part stream; then
	echo "# stream delay, enforce mode off/on: $ROUNDS alternating rounds x $SECS s per stream"
	delay_rounds 0
	delay_table 0
fi

if part flood; then
	echo "# stream delay with a best-effort flood from pod2 (unpaced, priority 0), $ROUNDS" \
		"alternating rounds x $SECS s"
	delay_rounds 1
	delay_table 1
fi

# Table rows of a bpfstats JSON (FILE) for a stream of N packets: per tsnproxy program its runs
# per packet, ns/run, the empty tc program's ns/run and (ns/run - empty) x runs per packet; then
# the sum of the last column
stats_rows() { # LABEL N FILE
	jq -r --argjson n "$2" --arg s "$1" '
		def r1: . * 10 | round / 10;
		(.tk_empty_tc | if .run_cnt > 0 then .run_time_ns / .run_cnt else 0 end) as $e |
		[to_entries[] | select((.key | startswith("tsn_")) and .value.run_cnt > 0) |
		 {k: .key, runs: (.value.run_cnt / $n), ns: (.value.run_time_ns / .value.run_cnt)} |
		 .logic = ((.ns - $e) * .runs)] |
		(.[] | "| \($s) | \(.k) | \(.runs * 100 | round / 100) | \(.ns | r1) | \($e | r1) | " +
		 "\(.logic | r1) |"),
		"| \($s) | save + restore | | | | \(map(.logic) | add | r1) |"' "$3"
}

if part stats; then
	echo "# per-program run time per stream packet (bpf_stats), enforce mode on, no flood"
	enforce on
	echo "| stream | program | runs per packet | ns/run | empty program ns/run |" \
		"logic ns per stream packet |"
	echo "|---|---|---|---|---|---|"
	for rate in $RATES; do
		for size in $SIZES; do
			f=$OUT/stats.$rate.$size
			STATS=1 stream "$rate" "$size" "$f" || exit 1
			stats_rows "$rate pps x $size B" $((rate * SECS)) "$f.stats"
		done
	done
	enforce off
fi

# The worst delay of each window of W ns (by receive time) in the files given: the median and
# the largest of those maxima, and the window count
window_max() { # W FILE...
	local w=$1 f
	shift
	for f in "$@"; do
		# relative to the file's first stamp: awk's numbers are doubles
		awk -v w="$w" -v n="$WARMUP" 'FNR == 1 {t0 = $1} FNR > n {b = int(($1 - t0) / w)
			if (!(b in m) || $2 > m[b]) m[b] = $2} END {for (b in m) print m[b]}' "$f"
	done | sort -n | awk '{v[NR] = $1} END {printf "%.1f %.1f %d\n", v[int((NR + 1) / 2)] / 1000,
		v[NR] / 1000, NR}'
}

if part table; then
	rate=${RATES##* } size=${SIZES%% *}
	echo "# enforce mode on, capacity $CAPS (65536: the default), alternating, $ROUNDS rounds" \
		"x $SECS s, $rate pps x $size B"
	for ((r = 1; r <= ROUNDS; r++)); do
		for cap in $( ((r % 2)) && echo "$CAPS" || echo "$CAPS" | tr ' ' '\n' | tac); do
			enforce on --capacity "$cap"
			stream "$rate" "$size" "$OUT/cap$cap.$r" || exit 1
		done
		enforce off
	done
	# the same programs' run time with each capacity, one run each after the delay rounds
	for cap in $CAPS; do
		enforce on --capacity "$cap"
		STATS=1 stream "$rate" "$size" "$OUT/capstats$cap" || exit 1
	done
	enforce off
	echo "| capacity | samples | p50 µs | p99 | p99.9 | max | TTL/2 windows | worst delay per" \
		"window: median / max µs |"
	echo "|---|---|---|---|---|---|---|---|"
	for cap in $CAPS; do
		read -r -a p < <(delays "$OUT/cap$cap".* | percentiles)
		read -r -a wm < <(window_max $((TTL_MS * 500000)) "$OUT/cap$cap".*)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n" "$cap" "${p[4]}" \
			"$(us "${p[0]}")" "$(us "${p[1]}")" "$(us "${p[2]}")" "$(us "${p[3]}")" \
			"${wm[2]}" "${wm[0]}" "${wm[1]}"
	done
	echo "| capacity | program | runs per packet | ns/run | empty program ns/run |" \
		"logic ns per stream packet |"
	echo "|---|---|---|---|---|---|"
	for cap in $CAPS; do
		stats_rows "$cap" $((rate * SECS)) "$OUT/capstats$cap.stats"
	done
fi

if part status; then
	rate=${RATES##* } size=${SIZES%% *}
	echo "# capacity $BIG, \`tsnproxy status\` in a loop during the stream ($rate pps x $size B," \
		"$ROUNDS x $SECS s): delay of packets received during a walk vs the others"
	enforce on --capacity "$BIG"
	: >"$OUT/walks"
	rm -f "$OUT/stop"
	# windows: "walk|burn START_NS END_NS"; CLOCK_REALTIME, like the receive stamps. The loop
	# ends at its next check once OUT/stop exists (the spinner checks it too).
	(
		while [ ! -e "$OUT/stop" ]; do
			t0=$(date +%s%N)
			proxy status --json >/dev/null
			t1=$(date +%s%N)
			echo "walk $t0 $t1" >>"$OUT/walks"
			sleep 0.1
			t2=$(date +%s%N)
			# shellcheck disable=SC2016 # $1 is the spinner's
			timeout "$(awk -v d=$((t1 - t0)) 'BEGIN {print d / 1e9}')" \
				sh -c 'while [ ! -e "$1" ]; do :; done' spin "$OUT/stop"
			echo "burn $t2 $(date +%s%N)" >>"$OUT/walks"
			sleep 0.1
		done
	) &
	walker=$!
	for ((r = 1; r <= ROUNDS; r++)); do
		stream "$rate" "$size" "$OUT/status.$r" || exit 1
	done
	touch "$OUT/stop"
	wait "$walker"
	enforce off
	# split the samples by the window their receive time falls in
	awk -v n="$WARMUP" -v walks="$OUT/walks" -v out="$OUT/split." '
		FILENAME == walks {w[++k] = $1; s[k] = $2; e[k] = $3; next}
		FNR > n {in_w = "none"; for (i = 1; i <= k; i++) if ($1 >= s[i] && $1 <= e[i])
			in_w = w[i]
		print $2 > (out in_w)}' "$OUT/walks" "$OUT"/status.[0-9]*
	walk_ms=$(awk '$1 == "walk" {print ($3 - $2) / 1e6}' "$OUT/walks" | percentiles |
		cut -d' ' -f1)
	echo "status walks: $(grep -c ^walk "$OUT/walks"), p50 $walk_ms ms each (wall clock," \
		"the process start included)"
	echo "| packets received | samples | p50 µs | p99 | p99.9 | max |"
	echo "|---|---|---|---|---|---|"
	for w in walk burn none; do
		read -r -a p < <(percentiles <"$OUT/split.$w" 2>/dev/null)
		printf "| %s | %s | %s | %s | %s | %s |\n" "$w" "${p[4]}" "$(us "${p[0]}")" \
			"$(us "${p[1]}")" "$(us "${p[2]}")" "$(us "${p[3]}")"
	done
fi

# The fixture's taprio schedule (TK_FIXTURE_TAPRIO, what it put on nic0): GATE_BASE (base-time,
# ns of CLOCK_TAI), and per sched-entry GATE_MASKS (hex, bit N = traffic class N open) and
# GATE_IVS (its interval, ns); GATE_CYCLE is their sum (taprio's cycle-time when none is given)
gate_schedule() {
	local w i
	read -r -a w <<<"$TK_FIXTURE_TAPRIO"
	GATE_MASKS=() GATE_IVS=() GATE_CYCLE=0
	for ((i = 0; i < ${#w[@]}; i++)); do
		case ${w[i]} in
		base-time) GATE_BASE=${w[i + 1]} ;;
		sched-entry)
			GATE_MASKS+=("${w[i + 2]}")
			GATE_IVS+=("${w[i + 3]}")
			GATE_CYCLE=$((GATE_CYCLE + w[i + 3])) ;;
		esac
	done
}

# CLOCK_TAI - CLOCK_MONOTONIC, ns: the observer stamps CLOCK_MONOTONIC, taprio's gates run on
# CLOCK_TAI. Of 100 TAI, MONOTONIC, TAI reads, the one with the shortest bracket.
tai_offset() {
	/usr/bin/python3 -c '
import time
best = None
for _ in range(100):
    a = time.clock_gettime_ns(time.CLOCK_TAI)
    m = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    b = time.clock_gettime_ns(time.CLOCK_TAI)
    if best is None or b - a < best[0]:
        best = (b - a, (a + b) // 2 - m)
print(best[1])'
}

# The stream's packets the observer saw leave nic0 (its NDJSON in FILE), one line each: the
# schedule entry its transmit time falls in, and the tx queue it left through (queue N = TC N)
gate_entries() { # FILE TAI_OFFSET
	local ino ifindex
	ino=$(stat -L -c %i "/run/netns/$NODE")
	ifindex=$(tk_ns "$NODE" ip -j link show nic0 | jq '.[0].ifindex')
	# the phase's offset in bash (64-bit): awk's doubles hold time_ns + it exactly, not TAI ns
	jq -r "select(.netns == $ino and .ifindex == $ifindex) | \"\(.time_ns) \(.queue)\"" "$1" |
		awk -v d=$((($2 - GATE_BASE) % GATE_CYCLE)) -v c="$GATE_CYCLE" \
			-v ivs="${GATE_IVS[*]}" 'BEGIN {n = split(ivs, iv, " ")}
			{p = ($1 + d) % c; k = 1; e = iv[1]; while (p >= e && k < n) e += iv[++k]
			 print k - 1, $2}'
}

if part gates; then
	if [ "$(tk_tc_kind "$ID")" != taprio ]; then
		echo "# gates part skipped: nic0 has no taprio (this kernel lacks it; the VM lane has it)"
	else
	PRIO=1	# traffic class 1 (map 0 1 2 3): the seed schedule's first entry is its only gate
	rate=${RATES%% *} size=${SIZES%% *}
	gate_schedule
	echo "# gates: the stream ($rate pps x $size B, priority $PRIO = TC$PRIO) with enforce mode" \
		"off / on, without and with pod2's flood, $ROUNDS alternating rounds x $SECS s;" \
		"schedule$(for ((k = 0; k < ${#GATE_IVS[@]}; k++)); do
			printf ' [%d] S %s %s ns' "$k" "${GATE_MASKS[k]}" "${GATE_IVS[k]}"; done)"
	for ((r = 1; r <= ROUNDS; r++)); do
		for flood in 0 1; do
			for mode in $( ((r % 2)) && echo off on || echo on off); do
				enforce "$mode"
				obs=$OUT/obs.$mode.$flood.$r
				rm -f "$OUT/obs.ready"
				"$TK_BUILD/observe" --dport "$PORT" --duration 3600 \
					--ready-file "$OUT/obs.ready" >"$obs" 2>"$OUT/obs.err" &
				OBS_PID=$!
				while [ ! -e "$OUT/obs.ready" ]; do
					kill -0 "$OBS_PID" 2>/dev/null || { cat "$OUT/obs.err" >&2; exit 1; }
					sleep 0.05
				done
				tai_off=$(tai_offset)
				((flood)) && flood_start
				stream "$rate" "$size" "$OUT/gates.$mode.$flood.$r" || exit 1
				flood_stop
				sleep 0.3	# the observer's last events out of its ring buffer
				kill -TERM "$OBS_PID"
				wait "$OBS_PID"
				OBS_PID=
				gate_entries "$obs" "$tai_off" >>"$OUT/gates.$mode.$flood"
			done
		done
		enforce off
		echo "# round $r of $ROUNDS done" >&2
	done
	echo "| flood | enforce | packets at nic0 | through TC$PRIO's queue | in TC$PRIO's gate |" \
		"in another gate | delay p50 / max µs |"
	echo "|---|---|---|---|---|---|---|"
	for flood in 0 1; do
		for mode in off on; do
			f=$OUT/gates.$mode.$flood
			read -r -a p < <(delays "$OUT/gates.$mode.$flood".[0-9]* | percentiles)
			own=0 other=
			for ((k = 0; k < ${#GATE_MASKS[@]}; k++)); do
				c=$(awk -v k="$k" '$1 == k' "$f" | wc -l)
				if (((16#${GATE_MASKS[k]} >> PRIO) & 1)); then
					own=$((own + c))
				elif ((c)); then
					other+="${other:+, }$c in [$k] S ${GATE_MASKS[k]}"
				fi
			done
			printf "| %s | %s | %s | %s | %s | %s | %s / %s |\n" \
				"$( ((flood)) && echo yes || echo no)" "$mode" "$(wc -l <"$f")" \
				"$(awk -v q="$PRIO" '$2 == q' "$f" | wc -l)" "$own" "${other:-0}" \
				"$(us "${p[0]}")" "$(us "${p[3]}")"
		done
	done
	fi
fi
