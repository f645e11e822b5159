#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntop over the node-in-a-box fixture with live talkers: in tmux as an operator sees it
# (without enforce mode the priority-1 flow is LOST at the veth crossing and lands in class 0;
# with it, restored and class 1), without a terminal (--once, --json), and its exits: q, signals,
# bad input. What tsntop says is checked against the fixture's own per-class qdisc counters.

TOP=$TK_BUILD/tsntop
PORT=5001

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

# fixture, listener, and a pod1 talker at priority 1 that runs for the whole test
top_setup() {
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port "$PORT" --priority 1 --interval-us 2000 --count 1000000 --duration 90 \
		--src-port 40001 >/dev/null 2>&1 &
	TALKER=$!
	tk_defer "kill $TALKER; wait $TALKER"
	# the htb stand-in for taprio has no priority map of its own: give tsntop taprio's
	TOP_ARGS=(--nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --pin-dir "$TK_PIN")
	[ "$(tk_tc_kind)" = htb ] && TOP_ARGS+=(--tc-map 0,1,2,3)
}

# ids of the BPF programs (maps) a process holds an fd of, as a JSON list: its fdinfo names them
progs_of() { # PID [prog|map]
	grep -h "^${2:-prog}_id:" /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un |
		jq -cs .
}

# tsntop --json ARGS... into OUT (stderr OUT.err) in the background, its PID in TOP_BG, killed at
# the end; returns once the first sample is out: attached
top_json_bg() { # OUT ARGS...
	local out=$1
	shift
	"$TOP" --json "$@" >"$out" 2>"$out.err" </dev/null &
	TOP_BG=$!
	tk_defer "kill $TOP_BG"
	tk_wait_file "$out" 5 -s
}

# ---- tmux -------------------------------------------------------------------------------------
TMUX_SOCK=
tmx() { tmux -L "$TMUX_SOCK" "$@"; }
screen() { tmx capture-pane -p -t top 2>/dev/null; }
# wait until the screen matches an extended regex (bounded); the last screen stays in $SCREEN
wait_screen() { # REGEX [TIMEOUT_S]
	local i n=$((${2:-15} * 5))
	for ((i = 0; i < n; i++)); do
		SCREEN=$(screen)
		grep -qE "$1" <<<"$SCREEN" && return 0
		sleep 0.2
	done
	tk_log "screen:"
	echo "$SCREEN"
	tk_fail "screen never matched /$1/"
}

test_tsntop_tmux_lost_then_restored() {
	local pid ids row
	top_setup
	TMUX_SOCK=tk$TK_TEST_ID
	tk_defer "tmux -L $TMUX_SOCK kill-server"
	tmx new-session -d -s top -x 120 -y 40 \
		"env TERM=xterm $TOP ${TOP_ARGS[*]} -d 0.5; echo \$? >$TK_TMP/rc; sleep 60" ||
		tk_fail "tmux"
	# the flow row: pod, tuple, pkt/s, prio app>nic, class, tstamp, verdict
	row="${TK_PODS[0]}/eth0 +udp ${TK_POD_IP[0]}:40001 > $TK_LISTEN_IP:$PORT +[0-9]+ +1>0 +0 +none>none +LOST at vethpod1"
	lost_on_screen() {
		wait_screen "$row"
		echo "ok without the proxy: $(grep -E "$row" <<<"$SCREEN")"
		assert_match "header: NIC with its qdisc and map" "$SCREEN" \
			"NIC +$TK_NODE/nic0 (taprio|htb) map 0 1 2 3"
		assert_match "header: proxy off" "$SCREEN" "proxy off +flows [0-9]+ "
		sleep 1
	}
	# what tsntop says against the qdisc: class 0 got the flow, class 1 nothing
	assert_tc_deltas "qdisc without the proxy" "0>=100 1=0" lost_on_screen
	# Enter: the hop path, with the change marked where it happened
	tmx send-keys -t top Enter
	wait_screen "vethpod1 +netif_rx +0! .*priority LOST"
	assert_match "path reaches the judged NIC hop" "$SCREEN" "nic0 +net_dev_start_xmit .*<- judged"

	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow pod1"
	row="${TK_PODS[0]}/eth0 +udp ${TK_POD_IP[0]}:40001 > $TK_LISTEN_IP:$PORT +[0-9]+ +1>1 +1 +none>none +restored"
	wait_screen "$row"
	echo "ok with the proxy: $(grep -E "$row" <<<"$SCREEN")"
	assert_match "header: proxy on with its policy" "$SCREEN" "proxy on \(policy registered"
	assert_match "proxy pane counters" "$SCREEN" "saved [0-9]+/s \([0-9]+\)"
	assert_match "proxy pane policy" "$SCREEN" "${TK_PODS[0]} \{1\} clamp"
	assert_tc_deltas "qdisc: the flow in tc1 now" "1>=100" sleep 1

	# the terminal shrinks to 80x24 (SIGWINCH): the row is redrawn to fit, verdict intact
	tmx resize-window -t top -x 80 -y 24
	wait_screen "^${TK_PODS[0]}/eth0 +$TK_LISTEN_IP:$PORT +[0-9]+ +1>1 +1 +none>none +restored *$"
	assert_eq "80x24: no line wider than the terminal" \
		"$(awk 'length > 80' <<<"$SCREEN" | wc -l)" 0
	assert_match "80x24: status line" "$(tail -n 1 <<<"$SCREEN")" "^q quit"

	# keys: help, sort, filter that hides the flow, pause
	tmx send-keys -t top '?'
	wait_screen "cycle the sort order"
	tmx send-keys -t top x s
	wait_screen "s sort: packets"
	tmx send-keys -t top / 5 9 9 9 Enter
	wait_screen "no flow matches the filter '5999'"
	tmx send-keys -t top p
	wait_screen "\[PAUSED\]"

	pid=$(pgrep -f "^$TOP " | head -n 1)
	[ -n "$pid" ] || tk_fail "tsntop is not running"
	ids=$(progs_of "$pid")
	assert_ne "tsntop holds programs" "$ids" "[]"
	tmx send-keys -t top q
	tk_wait_file "$TK_TMP/rc" 10
	assert_eq "q: exit status" "$(cat "$TK_TMP/rc")" 0
	assert_eq "q: process gone" "$(kill -0 "$pid" 2>/dev/null && echo alive)" ""
	assert_eq "q: its programs are gone" "$(tk_progs_alive "$ids")" 0
	assert_eq "q: the proxy is untouched" "$(proxy status --json | jq -r .running)" true
}

test_tsntop_once_and_json_without_terminal() {
	local j
	top_setup
	sleep 0.5
	assert_tc_deltas "--once: the qdisc agrees" "0>=100" \
		assert_exit "--once" 0 env -u TERM "$TOP" "${TOP_ARGS[@]}" --once -d 1 </dev/null
	echo "$TK_OUT"
	assert_match "--once: the flow row" "$TK_OUT" \
		"${TK_PODS[0]}/eth0 +udp ${TK_POD_IP[0]}:40001 > $TK_LISTEN_IP:$PORT +[0-9]+ +1>0 +0 +none>none +LOST at vethpod1"
	assert_match "--once: the path of the busiest flow" "$TK_OUT" "path of udp ${TK_POD_IP[0]}:40001"
	assert_eq "--once: no escape sequences" "$(grep -c $'\e' <<<"$TK_OUT")" 0
	assert_eq "--once: no key hints" "$(grep -c 'q quit' <<<"$TK_OUT")" 0
	assert_eq "--once: no empty lines" "$(grep -c '^$' <<<"$TK_OUT")" 0

	assert_exit "--json" 0 "$TOP" "${TOP_ARGS[@]}" --json -d 0.5 --max-iterations 2 </dev/null
	assert_eq "--json: one line per iteration" "$(wc -l <<<"$TK_OUT")" 2
	j=$(tail -n 1 <<<"$TK_OUT" | jq -c ".flows[] | select(.dport == $PORT and .sport == 40001)")
	tk_log "flow: $(jq -c 'del(.hops)' <<<"$j")"
	assert_eq "--json: verdict" "$(jq -r .verdict <<<"$j")" "LOST at vethpod1"
	assert_eq "--json: lost at" "$(jq -r .lost_at <<<"$j")" "$TK_NODE/vethpod1"
	assert_eq "--json: app priority" "$(jq .app.priority <<<"$j")" 1
	assert_eq "--json: nic priority" "$(jq .nic.priority <<<"$j")" 0
	assert_eq "--json: traffic class" "$(jq .traffic_class <<<"$j")" 0
	assert_eq "--json: pod netns" "$(jq -r .netns <<<"$j")" "${TK_PODS[0]}"
	# the talker sends 500/s: the kernel-side counting must see about that
	assert_ge "--json: pkt/s" "$(jq '.pps | floor' <<<"$j")" 300
	assert_le "--json: pkt/s" "$(jq '.pps | floor' <<<"$j")" 700
	assert_eq "--json: nothing lost" "$(tail -n 1 <<<"$TK_OUT" | jq '.lost | add')" 0

	# the filter is applied in the kernel: pod1 only, port 5002 matches nothing
	assert_exit "--json --dport 5002" 0 "$TOP" --json -d 0.5 --max-iterations 1 --dport 5002
	assert_eq "--dport 5002: no flow" "$(jq '.flows | length' <<<"$TK_OUT")" 0
}

# tsntop --json | head: a reader that went away ends tsntop as Ctrl-C does, by itself and with
# status 0 (it ignores SIGPIPE, so it learns it from the next write); a write that fails
# otherwise (a full disk) ends it with one line and status 2.
test_tsntop_json_reader_gone() {
	local rc
	top_setup
	timeout 30 "$TOP" "${TOP_ARGS[@]}" --json -d 0.2 </dev/null 2>"$TK_TMP/top.err" |
		head -n 1 >"$TK_TMP/top.out"
	rc=${PIPESTATUS[0]}
	assert_eq "ends by itself, status 0 (124: still running at the timeout)" "$rc" 0
	assert_eq "the reader got a frame" "$(jq -c 'has("flows")' "$TK_TMP/top.out")" true
	assert_no_match "no error said" "$(cat "$TK_TMP/top.err")" "writing the output"
	assert_exit "a full disk" 2 bash -c '"$@" >/dev/full </dev/null' _ \
		"$TOP" "${TOP_ARGS[@]}" --json -d 0.2 --max-iterations 50
	assert_match "says so" "$TK_ERR" "writing the output: No space left on device"
	assert_eq "in one line" "$(wc -l <<<"$TK_ERR")" 1
}

# --nic IF@NETNS with a netns path longer than the 63 characters the spec was once cut to
test_tsntop_nic_in_a_long_netns_path() {
	local path
	top_setup
	path=/run/netns/$(printf './%.0s' {1..30})$TK_NODE
	assert_exit "--nic nic0@<${#path}-character path>" 0 "$TOP" --nic "nic0@$path" \
		--netns "${TK_PODS[0]}" --json -d 0.3 --max-iterations 1 </dev/null
	assert_eq "the NIC watched" "$(jq -c '.flows | length > 0' <<<"$TK_OUT")" true
}

# A flow that stops sending is forgotten after --idle, in the model and in the kernel's map (whose
# room is bounded); one that keeps sending is not.
test_tsntop_idle_flows_forgotten() {
	local out=$TK_TMP/idle.json id n first last
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	top_json_bg "$out" --netns "${TK_PODS[0]}" -d 0.5 --idle 1.5 --max-iterations 14
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 200 --interval-us 1000 --priority 1 \
		>/dev/null
	sleep 0.6
	first=$(tail -n 1 "$out" | jq "[.flows[] | select(.dport == $PORT)] | length")
	assert_eq "the flow while it sends" "$first" 1
	# the talker stopped: 1.5 s idle, and a sample to notice
	sleep 2.5
	last=$(tail -n 1 "$out" | jq "[.flows[] | select(.dport == $PORT)] | length")
	assert_eq "the flow after --idle" "$last" 0
	# this tsntop's flow map (other runs' tsntop have one of that name too)
	id=$(bpftool map show -j | jq --argjson ids "$(progs_of "$TOP_BG" map)" \
		'.[] | select(.name == "tsn_agg_flows" and (.id as $i | $ids | index($i))) | .id')
	n=$(bpftool map dump id "${id:-0}" -j 2>/dev/null | jq length)
	assert_eq "the kernel's flow map after --idle" "${n:-missing}" 0
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
}

# A burst faster than one packet per millisecond: every packet counts in the flow (what the talker
# sent, exactly), while only sampled packets (a flow's first, then at most one per ms) record
# their path, which still reaches the NIC and gives the verdict. Without sampling every hop
# record counts every packet.
# A cyclic app's identical datagrams (IPv6: identical fingerprints) are each a packet of the
# flow: none is taken for a clone of the one before (docs/tsntrace.md, Filters and tracking).
# To a port nobody listens on, so that every datagram's free is seen (see test_tsntrace.sh).
test_tsntop_counts_identical_datagrams() {
	local out=$TK_TMP/same.json n=20 port=5009
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	top_json_bg "$out" --netns "${TK_PODS[0]}" --dport "$port" -d 0.5 --max-iterations 4
	tk_talk_same "$TK_TEST_ID" 1 "$port" "$n" || tk_fail "sender failed"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "every datagram counted" "$(tail -n 1 "$out" | jq '[.flows[] |
		select(.dport == '"$port"') | .packets] | add')" "$n"
}

# Delivered: the skb of a datagram whose free fires no tracepoint goes out again with the next
# identical one (test_tsntrace.sh: test_identical_datagrams_delivered_are_packets), or, behind a
# veth with XDP, is the one the next is rebuilt into (NAPI cache). Faster than the 1 ms
# sampling, so most are counted by the unsampled path.
identical_delivered() { # [xdp]
	local out=$TK_TMP/same.json n=300 port=5009
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	if [ "${1:-}" = xdp ]; then
		tk_ns "$TK_NODE" ip link set dev vethpod1 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" \
			sec xdp || tk_fail "cannot attach XDP to vethpod1"
	fi
	tk_listen "$TK_TEST_ID" "$port"
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --dport "$port" -d 0.5 \
		--max-iterations 5
	tk_send_same "${TK_PODS[0]}" "$TK_LISTEN_IP" "$port" "$n" 0.0003 || tk_fail "sender failed"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "the listener got every datagram" "$(tk_listen_count "$TK_TEST_ID" "$port")" "$n"
	assert_eq "every datagram counted" "$(tail -n 1 "$out" | jq '[.flows[] |
		select(.dport == '"$port"') | .packets] | add')" "$n"
	assert_eq "every datagram judged at nic0" "$(tail -n 1 "$out" | jq '[.flows[] |
		select(.dport == '"$port"') | .nic_packets] | add')" "$n"
}
test_tsntop_counts_identical_delivered_datagrams() { identical_delivered; }
test_tsntop_counts_identical_rebuilt_datagrams() { identical_delivered xdp; }

# A watched NIC replaced while tsntop runs (a driver reload, a new veth: a new ifindex): tsntop
# names it again at its next sample, and judges the packets that leave through the new device.
test_tsntop_judges_a_replaced_nic() {
	local out=$TK_TMP/nic.json n=50
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --dport "$PORT" -d 0.5 \
		--max-iterations 10
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --src-port 40123 --count "$n" --interval-us 2000 \
		--priority 2 >/dev/null || tk_fail "talker failed"
	tk_fixture_recreate_nic "$TK_TEST_ID"
	sleep 1.2	# two samples: the new nic0 is watched
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --src-port 40123 --count "$n" --interval-us 2000 \
		--priority 2 >/dev/null || tk_fail "talker failed"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "every packet judged, at the old nic0 and at the new one" "$(tail -n 1 "$out" |
		jq -c '[.flows[] | select(.dport == '"$PORT"') | [.packets, .nic_packets]]')" \
		"[[$((2 * n)),$((2 * n))]]"
}

# An L2 TSN app's raw Ethernet frames (EtherType 0xB62C, test_tsntrace.sh:
# test_raw_ethernet_frames) are a flow of their own, judged at nic0 frame by frame.
test_tsntop_raw_ethernet_flow() {
	local out=$TK_TMP/raw.json n=50
	TK_SHAPE=l2 tk_fixture_up "$TK_TEST_ID" 1
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" -d 0.5 --max-iterations 5 \
		'ether proto 0xb62c'
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --ethertype 0xB62C --ifname eth0 --count "$n" \
		--interval-us 2000 --priority 2 --txtime tai >/dev/null || tk_fail "raw talker failed"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "one flow: every frame, every one judged at nic0 without its priority" \
		"$(tail -n 1 "$out" | jq -c '[.flows[] | [.desc, .packets, .nic_packets,
		.nic_lost.priority, .nic_lost.tstamp, .verdict]]')" \
		"[[\"ethertype 0xb62c\",$n,$n,$n,0,\"LOST at vethpod1\"]]"
}

# From the wire: identical datagrams from the net netns to a listener in pod1, each a new skb
# built by nic0's XDP from the NAPI cache (as a NIC driver's), often the delivered one's; selected
# where they enter the node (test_tsntrace.sh: test_identical_datagrams_inbound_are_packets).
test_tsntop_counts_identical_inbound_datagrams() {
	local out=$TK_TMP/same.json n=300 port=5009
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	tk_ns "$TK_NODE" ip link set dev nic0 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to nic0"
	tk_listen "$TK_TEST_ID" "$port" 60 "${TK_PODS[0]}"
	top_json_bg "$out" --ifname nic0 --dport "$port" -d 0.5 --max-iterations 5
	tk_send_same "$TK_NET" "${TK_POD_IP6[0]}" "$port" "$n" 0.0003 || tk_fail "sender failed"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "the listener got every datagram" "$(tk_listen_count "$TK_TEST_ID" "$port")" "$n"
	assert_eq "every datagram counted, in the node" "$(tail -n 1 "$out" | jq -c '[.flows[] |
		select(.dport == '"$port"') | [.netns, .packets]]')" "[[\"$TK_NODE\",$n]]"
}

test_tsntop_counts_every_packet_samples_paths() {
	local out=$TK_TMP/burst.json j t0 t1 first max
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --dport "$PORT" -d 0.5 \
		--max-iterations 8
	t0=$(date +%s%N)
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 5000 --interval-us 0 --priority 1 \
		--src-port 40003 >/dev/null || tk_fail "talker"
	t1=$(date +%s%N)
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	j=$(tail -n 1 "$out" | jq -c ".flows[] | select(.sport == 40003)")
	tk_log "flow: $(jq -c '{packets, verdict, hops: [.hops[] | {hop, hook, ifname, packets}]}' \
		<<<"$j")"
	assert_eq "every packet counted" "$(jq .packets <<<"$j")" 5000
	first=$(jq '[.hops[] | select(.hop == 0) | .packets] | add' <<<"$j")
	# at most one sample per started millisecond of the burst, and one to start with
	max=$(((t1 - t0) / 1000000 + 1))
	tk_log "burst $(((t1 - t0) / 1000)) us, $first paths recorded"
	assert_ge "the first packet's path is recorded" "${first:-0}" 1
	assert_le "paths sampled: at most one per ms" "${first:-0}" "$max"
	assert_match "a sampled path reaches the judged NIC hop" \
		"$(jq -c '[.hops[] | select(.judged) | .ifname]' <<<"$j")" '"nic0"'
	assert_eq "the verdict from the sampled paths" "$(jq -r .verdict <<<"$j")" \
		"LOST at vethpod1"
}

# The verdict is exact: every packet, sampled or not, is judged at the NIC. A filter on nic0's
# egress gives every UDP packet priority 1; the app sends 1,1,1,2 in turn, so one packet in four
# (1000 of 4000, sent far faster than the 1 ms sampling) leaves with a priority it was not given.
# A second flow, all priority 1, is restored on every packet.
test_tsntop_judges_every_packet_at_the_nic() {
	local out=$TK_TMP/exact.json a b frames
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	tk_ns "$TK_NODE" tc qdisc add dev nic0 clsact 2>/dev/null # kept by a kernel without tcx
	tk_ns "$TK_NODE" tc filter add dev nic0 egress pref 1 bpf da \
		obj "$TK_BUILD/tk_nic_priority.bpf.o" sec tc || tk_fail "tc filter on nic0"
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --dport "$PORT" -d 0.5 \
		--max-iterations 8
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 4000 --interval-us 0 --cmsg-priority 1,1,1,2 \
		--src-port 40005 >/dev/null || tk_fail "talker"
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 4000 --interval-us 0 --cmsg-priority 1 \
		--src-port 40006 >/dev/null || tk_fail "talker"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	a=$(tail -n 1 "$out" | jq -c ".flows[] | select(.sport == 40005)")
	b=$(tail -n 1 "$out" | jq -c ".flows[] | select(.sport == 40006)")
	tk_log "1,1,1,2: $(jq -c '{packets, nic_packets, nic_lost}' <<<"$a")"
	tk_log "1:       $(jq -c '{packets, nic_packets, nic_lost}' <<<"$b")"
	assert_eq "every packet judged at nic0" "$(jq .nic_packets <<<"$a")" 4000
	assert_eq "exactly the priority-2 packets lost their priority" \
		"$(jq .nic_lost.priority <<<"$a")" 1000
	assert_eq "no tstamp or mark lost" "$(jq -c '[.nic_lost.tstamp, .nic_lost.mark]' <<<"$a")" \
		"[0,0]"
	frames=$(jq -c '.flows[] | select(.sport == 40005) | .verdict' "$out" | sort -u |
		tr '\n' ' ')
	assert_match "the burst's frame says LOST" "$frames" '"LOST at '
	assert_eq "the all-1 flow: every packet judged" "$(jq .nic_packets <<<"$b")" 4000
	assert_eq "the all-1 flow: none lost" "$(jq .nic_lost.priority <<<"$b")" 0
	assert_eq "the all-1 flow: never LOST" "$(jq -s '[.[] | .flows[] |
		select(.sport == 40006 and (.verdict | startswith("LOST")))] | length' "$out")" 0
}

# A veth with XDP rebuilds every skb it receives (a copy; the original is freed): each packet
# crosses vethpod1 as a new skb object, continued by its fingerprint. Sent 20 times faster than
# the 1 ms sampling, most packets are unsampled, and each must still be counted once and judged
# at nic0. Paced: a burst would overflow the XDP veth's 256-packet ring (the listener's count
# says whether every packet left nic0).
test_tsntop_follows_rebuilt_packets() {
	local out=$TK_TMP/rebuilt.json j
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	tk_ns "$TK_NODE" ip link set dev vethpod1 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to vethpod1"
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --dport "$PORT" -d 0.5 \
		--max-iterations 6
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 2000 --interval-us 50 --priority 1 \
		--src-port 40007 >/dev/null || tk_fail "talker"
	wait "$TOP_BG"
	assert_eq "tsntop exit" "$?" 0
	assert_eq "the listener got every packet" "$(tk_listen_count "$TK_TEST_ID" "$PORT")" 2000
	j=$(tail -n 1 "$out" | jq -c ".flows[] | select(.sport == 40007)")
	tk_log "flow: $(jq -c '{packets, nic_packets, nic_lost, verdict}' <<<"$j")"
	assert_eq "every packet counted once" "$(jq .packets <<<"$j")" 2000
	assert_eq "every rebuilt packet judged at nic0" "$(jq .nic_packets <<<"$j")" 2000
	assert_eq "the sampled paths go on past the rebuild" "$(jq -r .verdict <<<"$j")" \
		"LOST at vethpod1"
}

# SO_TXTIME gives every packet its own tstamp and each hop record is a different packet: the
# verdict of a TAI-txtime flow must hold steady over many refreshes.
test_tsntop_txtime_verdict_steady() {
	local out=$TK_TMP/txtime.json verdicts
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port "$PORT" --txtime tai --interval-us 1000 --count 1000000 --duration 60 \
		--src-port 40002 >/dev/null 2>&1 &
	TALKER=$!
	tk_defer "kill $TALKER; wait $TALKER"
	"$TOP" --netns "${TK_PODS[0]}" --dport "$PORT" --json -d 0.2 --max-iterations 40 \
		>"$out" 2>"$TK_TMP/txtime.err" </dev/null ||
		tk_fail "tsntop: $(cat "$TK_TMP/txtime.err")"
	verdicts=$(jq -r '.flows[] | select(.sport == 40002) | "\(.app.tstamp_type) \(.verdict)"' \
		"$out" | sort | uniq -c)
	echo "$verdicts"
	assert_ge "frames with the flow" "$(jq -s '[.[] | .flows[] | select(.sport == 40002)] |
		length' "$out")" 30
	assert_eq "the app's clock is tai" "$(jq -s -c '[.[] | .flows[] | select(.sport == 40002) |
		.app.tstamp_type] | unique' "$out")" '["tai"]'
	assert_eq "never LOST" "$(jq -s '[.[] | .flows[] | select(.sport == 40002 and
		(.verdict | startswith("LOST")))] | length' "$out")" 0
	assert_eq "tstamp kept in every frame" "$(jq -s -c '[.[] | .flows[] | select(.sport == 40002
		and .verdict != "-") | .tstamp] | unique' "$out")" '["kept"]'
}

test_tsntop_signals_detach() {
	local sig pid ids rc
	top_setup
	for sig in TERM HUP INT; do
		"$TOP" "${TOP_ARGS[@]}" --json -d 0.3 >"$TK_TMP/$sig.json" 2>"$TK_TMP/$sig.err" &
		pid=$!
		tk_defer "kill $pid"
		tk_wait_file "$TK_TMP/$sig.json" 5 -s
		ids=$(progs_of "$pid")
		assert_ne "$sig: programs attached" "$ids" "[]"
		kill -"$sig" "$pid"
		wait "$pid"
		rc=$?
		assert_eq "SIG$sig: clean exit" "$rc" 0
		assert_eq "SIG$sig: programs gone" "$(tk_progs_alive "$ids")" 0
	done
}

# By default tsntop attaches neither net_dev_xmit nor the qdisc's enqueue and dequeue (they add
# nothing it shows); its verdict and loss location are the same without them. --hooks all brings
# them back: the kernel records those hops again, on nic0 (whose htb has a queue).
hooks_run() { # OUT SPORT [TSNTOP_ARGS...]
	local out=$1 sport=$2
	shift 2
	top_json_bg "$out" --nic "nic0@$TK_NODE" --netns "${TK_PODS[0]}" --sport "$sport" -d 0.5 \
		--max-iterations 4 "$@"
	tk_talk "$TK_TEST_ID" 1 --port "$PORT" --count 300 --interval-us 2000 --priority 1 \
		--src-port "$sport" >/dev/null || tk_fail "talker"
	wait "$TOP_BG"
	assert_eq "tsntop $* exit" "$?" 0
	tail -n 1 "$out" | jq -c ".flows[] | select(.sport == $sport)" >"$out.flow"
	tk_log "$* hooks: $(tail -n 1 "$out" | jq -c .hooks)"
	tk_log "$* hops: $(jq -c '[.hops[] | "\(.ifname) \(.hook)"]' "$out.flow")"
}

test_tsntop_default_hooks() {
	local out=$TK_TMP/hooks f
	local skipped='"net_dev_xmit","qdisc_enqueue","qdisc_dequeue"'
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" "$PORT"
	hooks_run "$out.default" 40011
	hooks_run "$out.all" 40012 --hooks all
	for f in default all; do
		assert_eq "$f: every packet counted" "$(jq .packets "$out.$f.flow")" 300
		assert_eq "$f: every packet judged at nic0" "$(jq .nic_packets "$out.$f.flow")" 300
		assert_eq "$f: the verdict" "$(jq -r .verdict "$out.$f.flow")" "LOST at vethpod1"
	done
	assert_eq "default: no hop of the hooks left out" "$(jq -c "[.hops[] |
		select(.hook | IN($skipped))] | length" "$out.default.flow")" 0
	assert_eq "default: the hooks named" "$(tail -n 1 "$out.default" | jq -c "[.hooks[] |
		select(IN($skipped))]")" "[]"
	assert_eq "--hooks all: nic0's qdisc and driver hops recorded" "$(jq -c '[.hops[] |
		select(.ifname == "nic0") | .hook] | map(select(IN('"$skipped"'))) | unique' \
		"$out.all.flow")" '["net_dev_xmit","qdisc_dequeue","qdisc_enqueue"]'
}

test_tsntop_bad_input() {
	assert_exit "unknown flag" 2 "$TOP" --frobnicate
	assert_eq "unknown flag: one line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_match "unknown flag message" "$TK_ERR" "^tsntop: unknown option '--frobnicate'"
	assert_exit "not root" 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$TOP" --once
	assert_match "not root message" "$TK_ERR" "^tsntop: must run as root"
	assert_exit "no terminal" 2 "$TOP" </dev/null
	assert_match "no terminal message" "$TK_ERR" "needs a terminal \(use --once or --json"
	assert_exit "bad -d" 2 "$TOP" -d 0 --once
	assert_exit "-d nan" 2 "$TOP" -d nan --once
	assert_exit "bad --tc-map" 2 "$TOP" --tc-map 0,1,x --once
	assert_exit "bad --idle" 2 "$TOP" --idle -1 --once
	assert_exit "--once with --json" 2 "$TOP" --once --json
	assert_exit "bad --hooks" 2 "$TOP" --hooks net_dev_queue,qdisc --once
	assert_match "bad --hooks message" "$TK_ERR" \
		"^tsntop: --hooks: 'net_dev_queue,qdisc' is not all or a list of net_dev_queue,"
	assert_exit "--hooks without the verdict's" 2 "$TOP" --hooks net_dev_queue,netif_rx --once
	assert_match "--hooks without the verdict's: message" "$TK_ERR" \
		"^tsntop: --hooks: tsntop needs net_dev_queue .* and net_dev_start_xmit"
	assert_eq "--hooks: one line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "bad filter" 2 "$TOP" --dst 300.1.2.3 --once
	assert_match "bad filter message" "$TK_ERR" "^tsntop: --dst: '300.1.2.3' is not"
	assert_exit "missing NIC" 2 "$TOP" --nic nosuchnic0 --once
	assert_match "missing NIC message" "$TK_ERR" "^tsntop: --nic nosuchnic0: no interface"
	assert_eq "missing NIC: one line" "$(echo "$TK_ERR" | wc -l)" 1
	# a NIC in another netns without @NETNS: the error says where it is and how to name it
	tk_fixture_up "$TK_TEST_ID" 1
	assert_exit "NIC in another netns" 2 "$TOP" --nic nic0 --once
	local hint="in this netns \(it is in netns ([a-z0-9-]+): --nic nic0@\1\)$"
	assert_match "NIC in another netns: the hint" "$TK_ERR" \
		"^tsntop: --nic nic0: no interface 'nic0' $hint"
	assert_eq "NIC in another netns: one line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "--help" 0 "$TOP" --help
	assert_match "--help has examples" "$TK_OUT" "Examples:"
}

# --once draws a frame of $COLUMNS x $LINES: a size it cannot draw is refused in one line with
# exit 2 (it used to exit 2 in silence, or fall back to 120x40 without a word); the bounds
# themselves are drawn, no line wider than asked.
test_tsntop_once_frame_size() {
	local size
	for size in "5 40" "39 40" "1024 40" "100000 40" "120 9" "120 3" "120 1001" \
		"120 99999999999" "abc 40" "120 -40" "120 40x"; do
		set -- $size
		assert_exit "--once COLUMNS=$1 LINES=$2" 2 env COLUMNS="$1" LINES="$2" "$TOP" --once \
			-d 0.1
		assert_eq "COLUMNS=$1 LINES=$2: one line" "$(echo "$TK_ERR" | wc -l)" 1
		assert_match "COLUMNS=$1 LINES=$2: says which" "$TK_ERR" \
			"^tsntop: --once: (COLUMNS='$1'|LINES='$2') is not a frame size"
		assert_eq "COLUMNS=$1 LINES=$2: no frame" "$TK_OUT" ""
	done
	for size in "40 10" "1023 1000" "120 40"; do
		set -- $size
		assert_exit "--once COLUMNS=$1 LINES=$2" 0 env COLUMNS="$1" LINES="$2" "$TOP" --once \
			-d 0.1
		# the text frame leaves out empty rows: at most LINES lines, the header first
		assert_le "COLUMNS=$1 LINES=$2: lines" "$(echo "$TK_OUT" | wc -l)" "$2"
		assert_match "COLUMNS=$1 LINES=$2: header" "$(echo "$TK_OUT" | head -n 1)" "^tsntop"
		assert_le "COLUMNS=$1 LINES=$2: widest line" \
			"$(echo "$TK_OUT" | awk '{ if (length > w) w = length } END { print w + 0 }')" "$1"
	done
	assert_exit "--once, COLUMNS and LINES unset: 120x40" 0 env -u COLUMNS -u LINES "$TOP" \
		--once -d 0.1
	assert_le "default frame: lines" "$(echo "$TK_OUT" | wc -l)" 40
	assert_le "default frame: widest line" \
		"$(echo "$TK_OUT" | awk '{ if (length > w) w = length } END { print w + 0 }')" 120
}
