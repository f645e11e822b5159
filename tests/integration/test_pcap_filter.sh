#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# pcap-filter expressions after tsntrace's and tsntop's options, on the fixture's real traffic:
# what they select (L2 frames, L3 frames of a device without link-layer header, the tc
# observers), that they AND with the flags, and that a bad one is refused before anything loads.

TT=$TK_BUILD/tsntrace
TOP=$TK_BUILD/tsntop
PORT=5001

pf_setup() { # [NPODS]
	tk_fixture_up "$TK_TEST_ID" "${1:-2}"
	tk_listen "$TK_TEST_ID" "$PORT"
	tk_listen "$TK_TEST_ID" 5002
}

talk() { tk_talk "$TK_TEST_ID" "$@" >/dev/null || tk_fail "talker failed: $*"; }

# jq -s over a trace's records
count() { # FILE JQ_FILTER
	jq -s "[.[] | $2] | length" "$1"
}

# Ports, addresses and the frame length, as tcpdump writes them; AND with --netns.
test_expression_selects_and_ands_with_flags() {
	local f=$TK_TMP/port.json
	pf_setup 2
	tk_trace_start "$f" --json --summary udp and dst port 5002
	talk 1 --port "$PORT" --count 3
	talk 1 --port 5002 --count 2
	talk 2 --port 5002 --count 2
	tk_trace_stop
	assert_eq "exit" "$TK_TRACE_RC" 0
	assert_eq "dst port 5002: only those" "$(jq -s -c '[.[] | select(.type == "packet") |
		.tuple.dport] | unique' "$f")" "[5002]"
	assert_eq "dst port 5002: both pods' packets" "$(count "$f" 'select(.type == "packet")')" 4

	# with --netns: the expression and the flag both have to hold
	f=$TK_TMP/and.json
	tk_trace_start "$f" --json --summary --netns "${TK_PODS[0]}" 'udp dst port 5002'
	talk 1 --port 5002 --count 2
	talk 2 --port 5002 --count 3
	talk 1 --port "$PORT" --count 3
	tk_trace_stop
	assert_eq "AND --netns: pod1's to 5002 only" "$(jq -s -c '[.[] | select(.type ==
		"packet") | [.tuple.src, .tuple.dport]] | unique' "$f")" \
		"[[\"${TK_POD_IP[0]}\",5002]]"
	assert_eq "AND --netns: two packets" "$(count "$f" 'select(.type == "packet")')" 2

	# `len` is the frame's length from the Ethernet header: 300 bytes of UDP payload make 342
	f=$TK_TMP/len.json
	tk_trace_start "$f" --json --summary --netns "${TK_PODS[0]}" 'udp and len > 300'
	talk 1 --port "$PORT" --count 3 --size 100
	talk 1 --port "$PORT" --count 2 --size 300
	tk_trace_stop
	assert_eq "len > 300: the big ones" "$(count "$f" 'select(.type == "packet")')" 2
	assert_eq "len > 300: at their first hop" "$(jq -s '[.[] | select(.type == "hop" and
		(.flags | index("first"))) | .len] | all(. == 342)' "$f")" true
}

# The L2 variant reads the Ethernet header: pod1's source MAC selects pod1's packets.
test_ether_host_selects_at_l2_hops() {
	local f=$TK_TMP/ether.json mac
	pf_setup 2
	# (not /sys/class/net: without a mount namespace of its own, sysfs is the host's)
	mac=$(tk_ns "${TK_PODS[0]}" ip -j link show eth0 | jq -r '.[0].address')
	tk_trace_start "$f" --json --summary "ether src $mac and udp"
	talk 1 --port "$PORT" --count 3
	talk 2 --port "$PORT" --count 3
	tk_trace_stop
	assert_eq "ether src pod1: pod1's datagrams" "$(jq -s -c '[.[] | select(.type ==
		"packet") | .tuple.src] | unique' "$f")" "[\"${TK_POD_IP[0]}\"]"
	assert_eq "ether src pod1: three" "$(count "$f" 'select(.type == "packet")')" 3
	assert_eq "selected where pod1 sent them" "$(jq -s -c '[.[] | select(.type == "hop" and
		(.flags | index("first"))) | [.netns_name, .ifname, .hook]] | unique' "$f")" \
		"[[\"${TK_PODS[0]}\",\"eth0\",\"net_dev_queue\"]]"
}

# A tun device has no link-layer header: there the raw-IP variant decides. The packets leave
# only through tun0, so the L2 variant on their bytes would select none of them.
test_l3_variant_on_device_without_mac_header() {
	local ns=tk$TK_TEST_ID-tun f=$TK_TMP/tun.json
	ip netns add "$ns" || tk_fail "netns $ns"
	tk_defer "ip netns del $ns"
	tk_ns "$ns" ip link set lo up
	tk_ns "$ns" ip tuntap add mode tun dev tun0 || tk_skip "no tun device"
	tk_ns "$ns" ip addr add 198.51.100.1/24 dev tun0
	tk_ns "$ns" ip link set tun0 up
	tk_trace_start "$f" --json --netns "$ns" 'udp and dst port 5003 and dst host 198.51.100.2'
	tk_ns "$ns" "$TK_BUILD/talker" --dst 198.51.100.2 --port 5003 --count 3 \
		--interval-us 2000 >/dev/null || tk_fail "talker"
	tk_ns "$ns" "$TK_BUILD/talker" --dst 198.51.100.2 --port 5004 --count 2 \
		--interval-us 2000 >/dev/null || tk_fail "talker"
	tk_trace_stop
	assert_eq "raw IP: the three to 5003" "$(count "$f" 'select(.type == "hop" and
		(.flags | index("first")))')" 3
	assert_eq "raw IP: selected at tun0" "$(jq -s -c '[.[] | select(.type == "hop" and
		(.flags | index("first"))) | [.ifname, .hook, .tuple.dport]] | unique' "$f")" \
		'[["tun0","net_dev_queue",5003]]'
}

# The tc observers run the expression too: with --ifname nic0, the first hop at nic0 is its tc
# egress hook (before the qdisc's net_dev_queue), and only what the expression selects starts.
test_tc_observe_honours_expression() {
	local f=$TK_TMP/tc.json
	pf_setup 1
	tk_trace_start "$f" --json --ifname nic0 --tc-observe "nic0@$TK_NODE" 'udp dst port 5002'
	talk 1 --port "$PORT" --count 3
	talk 1 --port 5002 --count 2
	tk_trace_stop
	assert_eq "tc: selected at nic0's tc egress" "$(jq -s -c '[.[] | select(.type == "hop"
		and (.flags | index("first"))) | [.ifname, .hook, .tuple.dport]] | unique' "$f")" \
		'[["nic0","tc_egress",5002]]'
	assert_eq "tc: two packets" "$(count "$f" 'select(.type == "hop" and
		(.flags | index("first")))')" 2
}

# tsntop counts only the flows the expression selects.
test_tsntop_expression() {
	local out=$TK_TMP/top.json
	pf_setup 1
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port "$PORT" \
		--interval-us 5000 --count 1000000 --duration 60 --src-port 40001 >/dev/null 2>&1 &
	tk_defer "kill $!; wait $!"
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port 5002 \
		--interval-us 5000 --count 1000000 --duration 60 --src-port 40002 >/dev/null 2>&1 &
	tk_defer "kill $!; wait $!"
	"$TOP" --json -d 0.5 --max-iterations 3 --netns "${TK_PODS[0]}" \
		'udp and src port 40002' </dev/null >"$out" || tk_fail "tsntop exited $?"
	assert_eq "tsntop: the selected flow only" "$(tail -n 1 "$out" | jq -c '[.flows[] |
		.dport] | unique')" "[5002]"
	assert_ge "tsntop: it is counted" "$(tail -n 1 "$out" | jq '[.flows[].pps] | add | floor')" \
		50
}

# libpcap's own message, one line, exit 2, nothing loaded: in both tools. With -vv, libbpf's
# debug output would show any object opened or loaded: the error stays the only line.
test_bad_expression() {
	assert_exit "tsntrace: syntax error" 2 "$TT" -vv --duration 5 udp prot 53
	assert_eq "tsntrace: libpcap's message, nothing else" "$TK_ERR" \
		"tsntrace: pcap-filter 'udp prot 53': can't parse filter expression: syntax error"
	assert_exit "tsntrace: bad port" 2 "$TT" --duration 5 'port 99999'
	assert_eq "one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "libpcap's words" "$TK_ERR" "^tsntrace: pcap-filter 'port 99999': .*port"
	assert_exit "tsntop: unknown host" 2 "$TOP" -vv --json --max-iterations 1 \
		'host no-such-host.invalid'
	assert_eq "tsntop: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "tsntop: libpcap's message" "$TK_ERR" \
		"^tsntop: pcap-filter 'host no-such-host.invalid': "
}
