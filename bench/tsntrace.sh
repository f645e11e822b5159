#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntrace benchmark (not a test): what an event's kernel primitives cost (ring-buffer record on
# a fresh ring and after, clock read, probe read), attach time, events lost and the tracer's
# CPU per event, the datapath cost as talker pps with tsntrace attached (filter matching
# nothing; filter matching the flow) divided by pps without it, measured in one run,
# alternating, over the fixture, side by side with its floor (empty programs on the same
# tracepoints, statistics off) and a peer (a bpftrace script over the same tracepoints with the
# same filter; skipped when bpftrace is not installed); then per hook, ns per run of each
# program minus an empty program's on the same tracepoint (bpf_stats, both in the same flood);
# then per backend the kernel offers (tracepoint, kprobe-multi, fentry), attach time and the
# pps ratios, each divided by the tracepoint backend's in the same run.
#
#   bench/tsntrace.sh [--packets N] [--rounds R] [--id ID]
#                     [--parts primitives,attach,events,ratio,hook,backends]   (default: all)
set -uo pipefail

# shellcheck source=bench/bench.bash
source "$(dirname "$0")/bench.bash"
bench_init tsntrace.sh 20000 3 240 primitives,attach,events,ratio,hook,backends "$@"
TT=${TSNTRACE:-$TK_BUILD/tsntrace}	# TSNTRACE=PATH: another build (A/B)
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

# The filter matching nothing: an address the fixture never sends to
NOMATCH_DST=192.0.2.0/24

# 0. what an event's kernel primitives cost here (tests/tools/rbcost): a ring-buffer record on
#    a fresh ring's first lap and on later laps, a clock read, a probe read
bench_part primitives && "$TK_BUILD/rbcost" --ringbuf-size $((64 << 20)) | sed 's/^/primitives: /'

# 1. attach time: from exec to --ready-file (open + load + attach), and the attach part alone
bench_part attach && for i in 1 2 3; do
	t0=$(now)
	start_tt "$TK_TMP/attach.out" -v --backend tracepoint
	t1=$(now)
	stop_tt
	ms=$(sed -n 's/.*attached in \([0-9.]*\) ms.*/\1/p' "$TK_TMP/attach.out.err")
	echo "$t0 $t1 $ms" | awk '{printf "attach: exec->ready %.0f ms (attach %s ms)\n", ($2 - $1) * 1000, $3}'
done

# 2. events and the tracer's own cost: every hop of every packet as NDJSON to a file, the
#    default ring buffer; once the tracer has drained (its report stops growing), its CPU
#    (user + system, from /proc) and its sleeps (voluntary context switches: ring-buffer
#    wakeups) per hop. A tracer slower than the flood loses events at any ring size.
if bench_part events; then
for interval in 0 100; do
	start_tt "$TK_TMP/tp.json" --json --netns "tk$ID-pod1" --dport "$PORT"
	t0=$(now)
	tk_talk "$ID" 1 --port "$PORT" --count "$N" --interval-us "$interval" >/dev/null
	t1=$(now)
	prev=-1
	for ((i = 0; i < 150; i++)); do
		size=$(stat -c %s "$TK_TMP/tp.json")
		[ "$size" = "$prev" ] && break
		prev=$size
		sleep 0.2
	done
	cpu=$(awk '{print $14, $15}' "/proc/$TT_PID/stat")
	sleeps=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$TT_PID/status")
	stop_tt
	c=$(tail -n 1 "$TK_TMP/tp.json")
	echo "$interval $(jq .events <<<"$c") $(jq .events_lost <<<"$c") $t0 $t1 $cpu" \
		"$(getconf CLK_TCK) $sleeps" |
		awk '{printf "events (%s): %d in %.2f s = %.0f events/s, lost %d (%.1f %%); tracer CPU %.0f ns (user %.0f, system %.0f) and %.3f sleeps per event\n",
			$1 ? "a packet every " $1 " us" : "flood", $2, $5 - $4, $2 / ($5 - $4), $3,
			100 * $3 / ($2 + $3), ($6 + $7) / $8 / $2 * 1e9, $6 / $8 / $2 * 1e9,
			$7 / $8 / $2 * 1e9, $9 / $2}'
done
fi

# What a user would write instead: the same tracepoints, reading priority, tstamp and mark, and
# the same filter (IPv4 destination in 192.0.2.0/24: the first three bytes, little-endian), one
# line per selected hop.
PEER_SCRIPT="$(bench_tt_bt_probes) {
	\$skb = (struct sk_buff *)args->skbaddr;
	\$ip = (struct iphdr *)(\$skb->head + \$skb->network_header);
	if ((\$ip->daddr & 0xffffff) == 0x0200c0) {
		printf(\"%s %d %d %u\\n\", probe, \$skb->priority, \$skb->tstamp, \$skb->mark);
	}
}"

# 3. datapath cost, alternating: none | floor | filter matching nothing | filter matching the
#    flow | the same with the hooks that carry the metadata only (--hooks, as tsntop's default:
#    no net_dev_xmit, qdisc_enqueue, qdisc_dequeue) | peer (bpftrace, filter matching nothing)
FEW_HOOKS=net_dev_queue,net_dev_start_xmit,netif_rx,netif_receive_skb,napi_gro_receive_entry
FEW_HOOKS+=,kfree_skb,consume_skb
if bench_part ratio; then
command -v bpftrace >/dev/null || echo "# peer part skipped: bpftrace is not installed"
r_floor=() r_nomatch=() r_match=() r_few=() r_peer=()
for ((r = 1; r <= ROUNDS; r++)); do
	base=$(pps)
	floor=$(bench_floor_pps 3)
	start_tt /dev/null --dst "$NOMATCH_DST"
	nomatch=$(pps)
	stop_tt
	start_tt "$TK_TMP/m.json" --json --netns "tk$ID-pod1" --dport "$PORT" --ringbuf-size 64m
	match=$(pps)
	stop_tt
	lost=$(tail -n 1 "$TK_TMP/m.json" | jq .events_lost)
	start_tt "$TK_TMP/m.json" --json --netns "tk$ID-pod1" --dport "$PORT" --ringbuf-size 64m \
		--hooks "$FEW_HOOKS"
	few=$(pps)
	stop_tt
	lost_few=$(tail -n 1 "$TK_TMP/m.json" | jq .events_lost)
	peer=
	if bench_bpftrace "$TK_TMP/bt.out" "$PEER_SCRIPT"; then
		peer=$(pps)
		bench_bpftrace_stop
		r_peer+=("$(bench_ratio "$peer" "$base")")
	fi
	r_floor+=("$(bench_ratio "$floor" "$base")")
	r_nomatch+=("$(bench_ratio "$nomatch" "$base")")
	r_match+=("$(bench_ratio "$match" "$base")")
	r_few+=("$(bench_ratio "$few" "$base")")
	echo "round $r: baseline $base pps, floor $floor (${r_floor[-1]}), no-match $nomatch" \
		"(${r_nomatch[-1]}), match $match (${r_match[-1]}, lost $lost), match with" \
		"--hooks $few (${r_few[-1]}, lost $lost_few)${peer:+, bpftrace $peer (${r_peer[-1]})}"
done
echo "pps ratio to baseline (median of $ROUNDS): floor $(bench_median "${r_floor[@]}")," \
	"filter matching nothing $(bench_median "${r_nomatch[@]}"), matching the flow" \
	"$(bench_median "${r_match[@]}"), matching with --hooks $(bench_median "${r_few[@]}")," \
	"bpftrace peer (matching nothing) $(bench_median "${r_peer[@]}")"
fi

# 4. per hook: what each program adds to an empty one on its tracepoint, per packet of the flood
if bench_part hook; then
for mode in nomatch match; do
	samples=$(for ((r = 1; r <= ROUNDS; r++)); do
		if [ "$mode" = nomatch ]; then
			start_tt /dev/null --dst "$NOMATCH_DST"
		else
			start_tt /dev/null --json --netns "tk$ID-pod1" --dport "$PORT" \
				--ringbuf-size 64m
		fi
		bench_hook_costs tsn_tp_ 3 "$TT_PID" | sed "s/\$/ $r/"
		stop_tt
	done)
	echo "# per-hook cost, filter $mode, $ROUNDS rounds (bpf_stats, paired with empty programs)"
	bench_hook_table "$samples"
done
fi

# 5. backends, alternating in one run: per round a baseline, then each backend (the order
#    rotating from round to round) with the filter matching nothing and with the filter matching
#    the flow. Under emulation (the VM lane's TCG guest) pps and ms are not absolute figures:
#    what carries is each backend's ratio divided by the tracepoint backend's of the same
#    round. A backend the kernel lacks fails to start in round 1 and is skipped, by name, with
#    tsntrace's reason.
if bench_part backends; then
all_backends=(tracepoint kprobe-multi fentry)
declare -A skipped=() exec_ms=() attach_ms=() r_nm=() r_m=() rel_nm=() rel_m=() lost_b=()
for ((r = 1; r <= ROUNDS; r++)); do
	base=$(pps)
	line="round $r: baseline $base pps"
	k=$((r % ${#all_backends[@]}))
	for b in "${all_backends[@]:k}" "${all_backends[@]:0:k}"; do
		[ -n "${skipped[$b]:-}" ] && continue
		t0=$(now)
		if ! bench_bg_try "$TK_TMP/ready" /dev/null "$TK_TMP/b.err" "$TT" \
			--ready-file "$TK_TMP/ready" -v --backend "$b" --dst "$NOMATCH_DST"; then
			((r == 1)) || { cat "$TK_TMP/b.err"; exit 1; }
			skipped[$b]=1
			echo "# backend $b skipped: $(tail -n 1 "$TK_TMP/b.err")"
			continue
		fi
		t1=$(now)
		TT_PID=$BG_PID
		nm=$(pps)
		stop_tt
		start_tt "$TK_TMP/m.json" --backend "$b" --json --netns "tk$ID-pod1" --dport "$PORT" \
			--ringbuf-size 64m
		m=$(pps)
		stop_tt
		exec_ms[$b]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", (b - a) * 1000}')"
		attach_ms[$b]+=" $(sed -n 's/.* attached in \([0-9.]*\) ms.*/\1/p' "$TK_TMP/b.err")"
		lost_b[$b]+=" $(tail -n 1 "$TK_TMP/m.json" | jq .events_lost)"
		r_nm[$b]+=" $(bench_ratio "$nm" "$base")"
		r_m[$b]+=" $(bench_ratio "$m" "$base")"
		line+=", $b $nm / $m"
	done
	# this round's ratios against the tracepoint backend's
	tp_nm=${r_nm[tracepoint]##* } tp_m=${r_m[tracepoint]##* }
	for b in "${all_backends[@]}"; do
		[ -n "${skipped[$b]:-}" ] && continue
		rel_nm[$b]+=" $(bench_ratio "${r_nm[$b]##* }" "$tp_nm")"
		rel_m[$b]+=" $(bench_ratio "${r_m[$b]##* }" "$tp_m")"
	done
	echo "$line pps (filter matching nothing / matching the flow)"
done
echo "# per backend, median of $ROUNDS rounds; pps ratio: with / without tsntrace; / tracepoint's:"
echo "# that ratio divided by the tracepoint backend's in the same round"
echo "| backend | exec → ready ms | attach ms | no match: pps ratio | / tracepoint's |" \
	"match: pps ratio | / tracepoint's | events lost (max) |"
echo "|---|---|---|---|---|---|---|---|"
for b in "${all_backends[@]}"; do
	[ -n "${skipped[$b]:-}" ] && continue
	# shellcheck disable=SC2086 # the per-round lists are word lists
	echo "| $b | $(bench_median ${exec_ms[$b]}) | $(bench_median ${attach_ms[$b]}) |" \
		"$(bench_median ${r_nm[$b]}) | $(bench_median ${rel_nm[$b]}) |" \
		"$(bench_median ${r_m[$b]}) | $(bench_median ${rel_m[$b]}) |" \
		"$(printf '%s\n' ${lost_b[$b]} | sort -g | tail -n 1) |"
done
fi
