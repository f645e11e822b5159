#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntrace's outputs beyond the hop table, over the node-in-a-box fixture with real traffic:
# kernel stacks (--stack), pcapng (--write, read back by tshark), the text mode on a terminal
# (width, -o wide), --time, --summary-only.

TT=$TK_BUILD/tsntrace
PORT=5001

out_setup() {
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
}

out_talk() { tk_talk "$TK_TEST_ID" 1 --port "$PORT" "$@" >/dev/null || tk_fail "talker failed: $*"; }

# the hop objects of $TK_TMP/out.json matching a jq condition, counted
hops_where() { jq -s "[.[] | select(.type == \"hop\" and ($1))] | length" "$TK_TMP/out.json"; }

test_stack_of_veth_crossing() {
	out_setup
	tk_trace_start "$TK_TMP/out.json" --json --stack --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 3 --interval-us 2000 --priority 3
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	# the node side of the pod's veth receives the packet from the pod's veth_xmit
	assert_ge "veth crossing hops" "$(hops_where '.ifname == "vethpod1" and
		.hook == "netif_rx"')" 3
	assert_eq "their stacks hold veth_xmit" "$(hops_where '.ifname == "vethpod1" and
		.hook == "netif_rx" and (.stack | any(test("^veth_xmit\\+0x[0-9a-f]+$")))')" \
		"$(hops_where '.ifname == "vethpod1" and .hook == "netif_rx"')"
	# every hop of a tracing program has one; tc observers have none (no helper there)
	assert_eq "a stack at every hop" "$(hops_where '(.stack | length) == 0')" 0
	assert_eq "frames are symbol+offset" "$(jq -s '[.[] | select(.type == "hop") | .stack[] |
		select(test("^[A-Za-z0-9_.$]+\\+0x[0-9a-f]+$") | not)] | length' \
		"$TK_TMP/out.json")" 0
	/usr/bin/python3 - "$TK_ROOT/docs/tsntrace.schema.json" "$TK_TMP/out.json" <<-'EOF' ||
		import json, sys, jsonschema
		validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
		for line in open(sys.argv[2]):
		    validator.validate(json.loads(line))
	EOF
		tk_fail "the stacks do not validate against the schema"
	# text: the frames indented under the hop
	tk_trace_start "$TK_TMP/out.txt" --stack --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 1
	tk_trace_stop
	assert_match "text frames" "$(grep -A40 ' vethpod1 *netif_rx' "$TK_TMP/out.txt")" \
		$'\n        veth_xmit\\+0x[0-9a-f]+'
	# without --stack there is none
	tk_trace_start "$TK_TMP/out.json" --json --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 1
	tk_trace_stop
	assert_eq "no stack unless asked" "$(hops_where 'has("stack")')" 0
}

test_write_pcapng_read_by_tshark() {
	local f=$TK_TMP/trace.pcapng comments
	command -v tshark >/dev/null || tk_fail "no tshark: run scripts/deps.sh"
	out_setup
	tk_trace_start "$TK_TMP/out.json" --json --write "$f" --netns "${TK_PODS[0]}" \
		--dport "$PORT"
	out_talk --count 3 --interval-us 2000 --priority 3 --mark 7 --txtime tai
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	tshark -r "$f" -T fields -e frame.comment >"$TK_TMP/comments" 2>"$TK_TMP/tshark.err" ||
		tk_fail "tshark cannot read it: $(cat "$TK_TMP/tshark.err")"
	comments=$(cat "$TK_TMP/comments")
	# one packet per hop that had packet bytes (all but net_dev_xmit, read after the driver)
	assert_eq "one packet per hop" "$(wc -l <"$TK_TMP/comments")" \
		"$(hops_where '.hook != "net_dev_xmit"')"
	assert_match "pod eth0: the app's metadata" "$comments" \
		"pkt_id=1 hop=[0-9]+ netns_name=tk$TK_TEST_ID-pod1 ifname=eth0 hook=net_dev_queue priority=3 tstamp=[1-9][0-9]+ tstamp_type=tai mark=0x7"
	assert_match "the veth crossing's change and cause" "$comments" \
		"ifname=vethpod1 hook=netif_rx priority=0 .* change: priority 3→0 cause=veth-priority-reset"
	# tshark decodes the bytes: UDP to the listener on every hop with an Ethernet header
	assert_eq "udp dport" "$(tshark -r "$f" -Y "eth" -T fields -e udp.dstport 2>/dev/null | sort -u)" "$PORT"
	assert_eq "priority as the kernel had it at nic0" "$(tshark -r "$f" -T fields \
		-e frame.interface_name -e frame.comment 2>/dev/null | grep -c "^tk$TK_TEST_ID-node/nic0.*priority=0 ")" \
		"$(hops_where '.ifname == "nic0" and .hook != "net_dev_xmit" and .priority == 0 and
			.netns_name == "tk'"$TK_TEST_ID"'-node"')"
	# one interface block per (netns, ifname)
	assert_eq "interfaces" "$(tshark -r "$f" -T fields -e frame.interface_name 2>/dev/null | sort -u)" \
		"$(jq -rs '[.[] | select(.type == "hop" and .hook != "net_dev_xmit") |
			"\(.netns_name)/\(.ifname)"] | unique | .[]' "$TK_TMP/out.json" | sort -u)"
	# "-": the pcapng on stdout, the report aside
	"$TT" --write - --netns "${TK_PODS[0]}" --dport "$PORT" --duration 3 \
		--ready-file "$TK_TMP/ready" >"$TK_TMP/stdout.pcapng" 2>"$TK_TMP/stderr.txt" &
	tk_defer "kill $! 2>/dev/null; wait $!"
	tk_wait_file "$TK_TMP/ready"
	out_talk --count 1 --priority 2
	wait $!
	assert_match "stdout pcapng" "$(tshark -r "$TK_TMP/stdout.pcapng" -T fields \
		-e frame.comment 2>/dev/null)" "ifname=eth0 hook=net_dev_queue priority=2"
	assert_match "report on stderr" "$(cat "$TK_TMP/stderr.txt")" "counters: events"
}

# Run tsntrace on a pseudo-terminal of COLS columns; ARGS after; its stdout in $TK_TMP/tty.txt.
trace_on_tty() { # COLS ARGS...
	local cols=$1 pid
	shift
	rm -f "$TK_TMP/ready"
	# stderr (the backend line, a log message) aside: the report is what must fit
	script -qfec "stty cols $cols rows 50; exec $TT --duration 3 --ready-file $TK_TMP/ready $* \
		2>$TK_TMP/tty.err" /dev/null </dev/null >"$TK_TMP/tty.raw" 2>&1 &
	pid=$!
	tk_defer "kill $pid 2>/dev/null; wait $pid"
	tk_wait_file "$TK_TMP/ready"
	out_talk --count 2 --interval-us 2000 --priority 3 --mark 7
	wait "$pid"
	tr -d '\r' <"$TK_TMP/tty.raw" >"$TK_TMP/tty.txt"
}

# the widest line, in characters
widest() { /usr/bin/python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$1"; }

test_text_fits_terminal() {
	out_setup
	trace_on_tty 80 --netns "${TK_PODS[0]}" --dport "$PORT" --summary
	assert_match "hop lines" "$(cat "$TK_TMP/tty.txt")" "vethpod1 +netif_rx"
	assert_match "the cause is still there" "$(tr -d '\n ' <"$TK_TMP/tty.txt")" \
		"priority3→0\(veth-priority-reset:netnscrossing:tk$TK_TEST_ID-pod1→tk$TK_TEST_ID-nodeviaveth\)"
	assert_le "80 columns" "$(widest "$TK_TMP/tty.txt")" 80
	# -o wide: every column on one line, whatever the terminal
	trace_on_tty 80 -o wide --netns "${TK_PODS[0]}" --dport "$PORT"
	assert_match "wide header" "$(head -n 1 "$TK_TMP/tty.txt")" \
		"^TIME +PKT +HOP +SKB +NETNS +IFNAME +HOOK +TUPLE +LEN +PRIO +TSTAMP +TT +MARK +SK +CHANGE"
	assert_ge "wide lines" "$(widest "$TK_TMP/tty.txt")" 150
}

test_time_modes() {
	local t0 first now
	out_setup
	t0=$(date +%s)
	tk_trace_start "$TK_TMP/out.txt" --time abs --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 1
	tk_trace_stop
	first=$(sed -n 2p "$TK_TMP/out.txt" | awk '{print $1}')
	assert_match "abs: wall clock" "$first" '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}$'
	now=$(date -d "$(date +%F) ${first%.*}" +%s)
	assert_ge "abs: not before the start" "$now" "$((t0 - 1))"
	assert_le "abs: not after now" "$now" "$(($(date +%s) + 1))"
	# delta: the gap since the previous line; 4 packets 300 ms apart never add up
	tk_trace_start "$TK_TMP/out.txt" --time delta --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 4 --interval-us 300000
	tk_trace_stop
	awk 'NR > 1 && $1 ~ /^[0-9.]+$/ {print $1}' "$TK_TMP/out.txt" >"$TK_TMP/times"
	assert_ge "delta lines" "$(wc -l <"$TK_TMP/times")" 20
	assert_eq "delta: no value near the run's length" "$(awk '$1 > 0.5' "$TK_TMP/times" | wc -l)" 0
	assert_eq "delta: the 3 gaps between packets" "$(awk '$1 > 0.2' "$TK_TMP/times" | wc -l)" 3
}

test_summary_only() {
	out_setup
	tk_trace_start "$TK_TMP/out.json" --json --summary-only --netns "${TK_PODS[0]}" \
		--dport "$PORT"
	out_talk --count 2 --interval-us 2000 --priority 3
	tk_trace_stop
	assert_eq "no hop records" "$(hops_where 'true')" 0
	assert_eq "packet summaries" "$(jq -s '[.[] | select(.type == "packet")] | length' \
		"$TK_TMP/out.json")" 2
	assert_eq "counters last" "$(jq -s '.[-1].type' "$TK_TMP/out.json")" '"counters"'
	tk_trace_start "$TK_TMP/out.txt" --summary-only --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 1 --priority 3
	tk_trace_stop
	assert_eq "text: no hop table" "$(grep -c '^TIME ' "$TK_TMP/out.txt")" 0
	assert_match "text: the summary" "$(cat "$TK_TMP/out.txt")" \
		"priority +3 -> 0 +LOST at hop [0-9]+ tk$TK_TEST_ID-node/vethpod1"
}

# The report is written in blocks (not a write per line) but flushed after every batch of
# events: a reader of the file, a pipe or a terminal sees the hops while the tracer runs.
test_hops_visible_while_running() {
	local i n=0 text=0
	out_setup
	tk_trace_start "$TK_TMP/out.json" --json --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 2 --interval-us 2000 --priority 3
	for ((i = 0; i < 50 && n < 2; i++)); do
		n=$(jq -s '[.[] | select(.type == "hop" and (.flags | index("first")))] | length' \
			"$TK_TMP/out.json" 2>/dev/null || echo 0)
		sleep 0.1
	done
	kill -0 "$TK_TRACE_PID" 2>/dev/null || tk_fail "tsntrace exited before the check"
	assert_eq "both packets' first hops in the file before the tracer stops" "$n" 2
	tk_trace_stop
	tk_trace_start "$TK_TMP/out.txt" --netns "${TK_PODS[0]}" --dport "$PORT"
	out_talk --count 1 --priority 3
	for ((i = 0; i < 50 && text == 0; i++)); do
		text=$(grep -c ' vethpod1 ' "$TK_TMP/out.txt")
		sleep 0.1
	done
	kill -0 "$TK_TRACE_PID" 2>/dev/null || tk_fail "tsntrace exited before the check"
	assert_ge "text: hop lines on the file before the tracer stops" "$text" 1
	tk_trace_stop
}

# tsntrace | head: a reader that went away ends the trace as Ctrl-C does, by itself and with
# status 0, as tcpdump ends (tsntrace ignores SIGPIPE: the next flush tells it); a write that
# fails otherwise (a full disk) ends it with one line and status 2.
test_output_reader_gone() {
	local rc talker
	out_setup
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port "$PORT" \
		--interval-us 5000 --count 100000 --duration 60 >/dev/null 2>&1 &
	talker=$!
	tk_defer "kill $talker; wait $talker"
	timeout 30 "$TT" --netns "${TK_PODS[0]}" --dport "$PORT" --duration 60 2>"$TK_TMP/tt.err" |
		head -n 1 >"$TK_TMP/tt.out"
	rc=${PIPESTATUS[0]}
	assert_eq "ends by itself, status 0 (124: still running at the timeout)" "$rc" 0
	assert_eq "the reader got a line" "$(wc -l <"$TK_TMP/tt.out")" 1
	assert_no_match "no error said" "$(cat "$TK_TMP/tt.err")" "writing the output"
	assert_exit "a full disk" 2 bash -c '"$@" >/dev/full' _ \
		"$TT" --netns "${TK_PODS[0]}" --dport "$PORT" --duration 3
	assert_match "says so" "$TK_ERR" "writing the output: No space left on device"
}

test_output_bad_input() {
	local out rc
	for args in "--time soon" "-o narrow" "--write /nonexistent/dir/x.pcapng"; do
		# shellcheck disable=SC2086
		out=$("$TT" $args --duration 1 2>&1)
		rc=$?
		assert_eq "$args: exit 2" "$rc" 2
		assert_eq "$args: one line" "$(wc -l <<<"$out")" 1
	done
}
