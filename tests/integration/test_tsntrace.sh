#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsntrace over the node-in-a-box fixture with real traffic: what it reports hop by hop, the
# verdicts, the filters, clone tracking, event-loss accounting, backend choice and bad input.

TT=$TK_BUILD/tsntrace
PORT=5001

# tsntrace's programs (tsnproxy's are tsn_save/tsn_restore/...: not ours to count) that no
# process holds, by a program fd or a link's: left behind. Those of another run's live tsntrace
# are held by it, so concurrent runs do not count.
tt_progs() {
	local held
	held=$(grep -hs '^prog_id:' /proc/[0-9]*/fdinfo/* | awk '{ print $2 }' | sort -u)
	bpftool prog show --json 2>/dev/null |
		jq -r '.[] | select(.name | test("^tsn_(tp_|tc_obs|fe_|fx_|kpm)")) | .id' |
		grep -cvxF -f <(echo "${held:-none}")
}
# the kernel frees a program shortly after its last link/fd is gone: poll a little
tt_progs_settled() {
	local i n
	for ((i = 0; i < 30; i++)); do
		n=$(tt_progs)
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	echo "$n"
}

tt_setup() { # [NPODS]
	tk_fixture_up "$TK_TEST_ID" "${1:-2}"
	tk_listen "$TK_TEST_ID" "$PORT"
}

talk() { tk_talk "$TK_TEST_ID" "$@" >/dev/null || tk_fail "talker failed: $*"; }

# Trace N datagrams of pod1 with talker ARGS, JSON + summary into $TK_TMP/out.json.
trace_pod1() { # N TALKER_ARGS...
	local n=$1
	shift
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "tk$TK_TEST_ID-pod1" --dport "$PORT"
	talk 1 --port "$PORT" --count "$n" --interval-us 2000 "$@"
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	assert_eq "packets traced" "$(jq -s '[.[] | select(.type == "packet")] | length' \
		"$TK_TMP/out.json")" "$n"
}

# jq over the packet summaries: every packet must give "true"
all_packets() { # JQ_EXPR
	jq -s "[.[] | select(.type == \"packet\") | ($1)] | all" "$TK_TMP/out.json"
}

# An L2 TSN app (OPC UA PubSub over Ethernet, AVTP): raw Ethernet frames of its own EtherType
# from an AF_PACKET socket with SO_PRIORITY and SO_TXTIME, bridged to nic0 (the l2 shape).
# Selected by a pcap expression (the flags filter IP tuples), followed to nic0 like an IP
# packet: the priority lost at the crossing, the TAI tstamp kept.
test_raw_ethernet_frames() {
	local n=10 out=$TK_TMP/out.json
	TK_SHAPE=l2 tk_fixture_up "$TK_TEST_ID" 1
	tk_trace_start "$out" --json --summary --netns "${TK_PODS[0]}" 'ether proto 0xb62c'
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --ethertype 0xB62C --ifname eth0 --count "$n" \
		--interval-us 2000 --priority 2 --txtime tai >/dev/null || tk_fail "raw talker failed"
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	assert_eq "one packet per frame" "$(jq -s '[.[] | select(.type == "packet")] | length' \
		"$out")" "$n"
	assert_eq "priority 2 lost at the node side of the veth" "$(all_packets '.fields.priority |
		.first == 2 and .kept == false and .cause == "veth-priority-reset" and
		.lost_at.ifname == "vethpod1"')" true
	assert_eq "TAI tstamp kept to nic0" "$(all_packets '.fields.tstamp.kept and
		.judged_at.ifname == "nic0"')" true
}

test_priority_lost_at_veth_crossing() {
	tt_setup 1
	trace_pod1 5 --priority 3
	assert_eq "first priority 3" "$(all_packets '.fields.priority.first == 3')" true
	assert_eq "priority not kept" "$(all_packets '.fields.priority.kept == false')" true
	assert_eq "cause veth-priority-reset" \
		"$(all_packets '.fields.priority.cause == "veth-priority-reset"')" true
	assert_eq "lost at the node side of the pod's veth" \
		"$(all_packets ".fields.priority.lost_at.netns == \"tk$TK_TEST_ID-node\" and
			.fields.priority.lost_at.ifname == \"vethpod1\"")" true
	assert_eq "judged at nic0" "$(all_packets '.judged_at.ifname == "nic0"')" true
	# the hop records mark the change where it happened, with the cause
	assert_eq "hop change marker" "$(jq -s "[.[] | select(.type == \"hop\" and
		(.changes | any(.field == \"priority\" and .from == 3 and .to == 0 and
		.cause == \"veth-priority-reset\")))] | length" "$TK_TMP/out.json")" 5
	# and the text mode says the same
	tk_trace_start "$TK_TMP/out.txt" --netns "tk$TK_TEST_ID-pod1" --dport "$PORT"
	talk 1 --port "$PORT" --count 1 --priority 3
	tk_trace_stop
	assert_match "text marker" "$(cat "$TK_TMP/out.txt")" \
		"priority 3→0 \(veth-priority-reset: netns crossing: tk$TK_TEST_ID-pod1 → tk$TK_TEST_ID-node via veth\)"
}

test_txtime_tai_kept_to_nic() {
	tk_require skb_clock_tai
	tt_setup 1
	trace_pod1 5 --txtime tai --priority 2
	assert_eq "tstamp set at the first hop" "$(all_packets '.fields.tstamp.first > 0')" true
	assert_eq "tstamp kept" "$(all_packets '.fields.tstamp.kept and
		.fields.tstamp.last == .fields.tstamp.first')" true
	assert_eq "tstamp_type tai kept" "$(all_packets '.fields.tstamp_type.first == "tai" and
		.fields.tstamp_type.last == "tai"')" true
	# every hop up to and including nic0 carries it
	assert_eq "tai at every nic0 hop" "$(jq -s '[.[] | select(.type == "hop" and
		.ifname == "nic0" and .tstamp_type != null)] | (length > 0) and
		all(.tstamp_type == "tai" and .tstamp > 0)' "$TK_TMP/out.json")" true
	# a TAI stamp is above 2^53 - 1: its exact decimal as a string, never a number jq rounds
	assert_eq "tai tstamp is a decimal string" "$(jq -s '[.[] | select(.type == "hop" and
		.tstamp_type == "tai") | .tstamp | type == "string" and test("^[0-9]{17,}$")] |
		(length > 0) and all' "$TK_TMP/out.json")" true
	assert_eq "no number above 2^53 on any line" \
		"$(grep -cE '[:,[][0-9]{17,}' "$TK_TMP/out.json")" 0
}

test_no_txtime_tstamp_zero() {
	tt_setup 1
	trace_pod1 5 --priority 1
	assert_eq "tstamp 0 at every hop" "$(jq -s '[.[] | select(.type == "hop" and
		.tstamp != null) | .tstamp == 0 and .tstamp_type == "none"] | all' \
		"$TK_TMP/out.json")" true
	assert_eq "tstamp never lost (never set)" "$(all_packets '.fields.tstamp.kept')" true
}

# A free is not a step of the path: it is where the packet was last seen, and its metadata
# (the kernel may have cleared some of it) is not a change of the packet's.
test_free_hops_quiet() {
	local f
	tt_setup 1
	# to a port nobody listens on: the far end frees each datagram with kfree_skb(NO_SOCKET)
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "tk$TK_TEST_ID-pod1" --dport 5009
	talk 1 --port 5009 --count 3 --interval-us 2000 --priority 1 --txtime tai
	tk_trace_stop
	# an echo request ends in consume_skb
	tk_trace_start "$TK_TMP/ping.json" --json --summary --netns "tk$TK_TEST_ID-pod1" --proto icmp
	tk_ns "tk$TK_TEST_ID-pod1" ping -c 2 -i 0.2 -q "$TK_LISTEN_IP" >/dev/null
	tk_trace_stop
	for f in out ping; do
		assert_ge "$f: free hops seen" "$(jq -s '[.[] | select(.type == "hop" and
			(.flags | index("free")))] | length' "$TK_TMP/$f.json")" 2
		assert_eq "$f: every free hop names a netns and a device" "$(jq -s '[.[] |
			select(.type == "hop" and (.flags | index("free")))] |
			all(.netns_name != "-" and .ifname != "")' "$TK_TMP/$f.json")" true
		assert_eq "$f: no change recorded at a free" "$(jq -s '[.[] | select(.type == "hop"
			and (.flags | index("free")))] | all(.changes == [])' "$TK_TMP/$f.json")" true
		assert_eq "$f: no free in a path, nothing truncated" "$(jq -s '[.[] |
			select(.type == "packet") | (.path | all(.hook != "kfree_skb" and
			.hook != "consume_skb" and .netns != "-")) and .path_truncated == false] |
			(length > 0) and all' "$TK_TMP/$f.json")" true
	done
	assert_eq "tstamp kept to the end" "$(jq -s '[.[] | select(.type == "packet") |
		.fields.tstamp.kept] | all' "$TK_TMP/out.json")" true
}

# net_dev_xmit is matched by skb address only (the skb may be gone): one that does not follow
# its packet's net_dev_start_xmit on the same device is a recycled address, not that packet.
test_no_stray_xmit_hops() {
	local out=$TK_TMP/stray.json
	tt_setup 2
	tk_trace_start "$out" --json --dst "$TK_LISTEN_IP" --dport "$PORT"
	talk 1 --port "$PORT" --count 20 --interval-us 1000
	talk 2 --port "$PORT" --count 20 --interval-us 1000
	talk 1 --port "$PORT" --count 20 --interval-us 1000
	tk_trace_stop
	assert_eq "every net_dev_xmit follows its start_xmit on that device" "$(jq -s '[.[] |
		select(.type == "hop")] | group_by(.pkt_id) | map([.[] | {hook, netns, ifindex}] as $h |
		range(0; $h | length) as $i | select($h[$i].hook == "net_dev_xmit") |
		([range(0; $i) | select($h[.].hook | test("^net_dev_(start_)?xmit$"))] | last) as $j |
		$j != null and $h[$j].hook == "net_dev_start_xmit" and
		$h[$j].netns == $h[$i].netns and $h[$j].ifindex == $h[$i].ifindex) | all' \
		"$out")" true
	assert_ge "xmit hops shown" "$(jq -s '[.[] | select(.type == "hop" and
		.hook == "net_dev_xmit")] | length' "$out")" 60
}

test_mark_lost_at_crossing() {
	tt_setup 1
	trace_pod1 5 --mark 7
	assert_eq "mark lost" "$(all_packets '.fields.mark.first == 7 and .fields.mark.kept == false
		and .fields.mark.last == 0')" true
	assert_eq "mark cause netns-scrub at vethpod1" "$(all_packets '.fields.mark.cause ==
		"netns-scrub" and .fields.mark.lost_at.ifname == "vethpod1"')" true
	# the socket reference is orphaned where the bridge passes the frame up
	assert_eq "sk lost: cause sk-orphan at br0" "$(all_packets '.fields.sk.kept == false and
		.fields.sk.cause == "sk-orphan" and .fields.sk.lost_at.ifname == "br0" and
		(.fields.sk.detail | startswith("bridged: vethpod1"))')" true
}

test_expect_exit_codes() {
	tt_setup 1
	tk_trace_start "$TK_TMP/out.txt" --netns "tk$TK_TEST_ID-pod1" --dport "$PORT" --expect priority
	talk 1 --port "$PORT" --count 3 --priority 3
	tk_trace_stop
	assert_eq "--expect priority without the proxy" "$TK_TRACE_RC" 1
	assert_match "summary says where" "$(cat "$TK_TMP/out.txt")" \
		"priority +3 -> 0 +LOST at hop [0-9]+ tk$TK_TEST_ID-node/vethpod1 netif_rx: veth-priority-reset"
	tk_trace_start "$TK_TMP/out2.txt" --netns "tk$TK_TEST_ID-pod1" --dport "$PORT" \
		--expect tstamp,tstamp_type
	talk 1 --port "$PORT" --count 3 --txtime tai
	tk_trace_stop
	assert_eq "--expect tstamp with CLOCK_TAI" "$TK_TRACE_RC" 0
	# a filter that matches nothing must not pass, and says so in words
	assert_exit "--expect, no packet" 1 "$TT" --netns "tk$TK_TEST_ID-pod1" --dport 5999 \
		--expect priority --duration 0.5
	assert_match "no packet: the verdict line" "$TK_OUT" \
		"expect: NO PACKETS: no packet matched the filters"
	# --output: the report is in the file, the verdict also on stderr
	tk_trace_start "$TK_TMP/out3.err" --netns "tk$TK_TEST_ID-pod1" --dport "$PORT" \
		--expect priority --output "$TK_TMP/out3.txt"
	talk 1 --port "$PORT" --count 2 --priority 3
	tk_trace_stop
	assert_eq "--output: exit" "$TK_TRACE_RC" 1
	assert_match "--output: verdict in the file" "$(cat "$TK_TMP/out3.txt")" \
		"expect: LOST: 2 of 2 judged packets lost an expected field"
	assert_match "--output: verdict on stderr" "$(cat "$TK_TMP/out3.err.err")" \
		"tsntrace: expect: LOST: 2 of 2 judged packets"
	# --count ends the run by itself, with the verdict
	assert_exit "--count 2 --expect priority" 1 bash -c "
		$TT --netns tk$TK_TEST_ID-pod1 --dport $PORT --expect priority --count 2 \
			--duration 30 --ready-file $TK_TMP/r2 & p=\$!
		while [ ! -e $TK_TMP/r2 ]; do sleep 0.1; done
		nsenter --net=/run/netns/tk$TK_TEST_ID-pod1 -- $TK_BUILD/talker --dst $TK_LISTEN_IP \
			--port $PORT --count 5 --priority 3 >/dev/null
		wait \$p"
	# the kernel tracks every matching packet; the counters say how many were reported
	assert_match "--count: packets reported" "$TK_OUT" "tracking overflow [0-9]+, packets reported 2"
}

# --expect on a trace that lost events: no loss seen proves nothing, verdict incomplete (exit 3)
test_expect_incomplete_on_lost_events() {
	local out=$TK_TMP/inc.json
	tt_setup 1
	# priority 0 cannot be lost: only the lost events can make this run fail
	tk_trace_start "$out" --json --expect priority --netns "tk$TK_TEST_ID-pod1" --dport "$PORT" \
		--ringbuf-size 4096
	talk 1 --port "$PORT" --count 2000 --interval-us 0
	tk_trace_stop
	tk_log "$(tail -n 1 "$out")"
	assert_ge "events lost" "$(tail -n 1 "$out" | jq .events_lost)" 1
	assert_eq "exit status: incomplete" "$TK_TRACE_RC" 3
	assert_eq "JSON verdict" "$(tail -n 1 "$out" | jq -r .verdict)" incomplete
	assert_match "JSON: the verdict in words on stderr" "$(cat "$out.err")" \
		"tsntrace: expect: INCOMPLETE: [0-9]+ events lost"
	# most events are lost: a packet whose first hops were lost is seen from mid-path (origin
	# not seen), and one with no hop left to compare, or only one that is not an egress hop,
	# is not judged either (it neither kept nor lost a field)
	assert_eq "unjudged: origin not seen, or no egress hop and at most one hop" "$(jq -s '[.[] |
		select(.type == "packet" and .judged == false) | .origin_seen == false or
		(.hops <= 1 and (.path | all(.hook != "net_dev_queue" and
		.hook != "net_dev_start_xmit" and .hook != "qdisc_enqueue" and
		.hook != "qdisc_dequeue" and .hook != "tc_egress")))] | all' "$out")" true
	assert_eq "packets_judged counts the judged summaries" "$(jq -s '[.[] |
		select(.type == "packet" and .judged)] | length' "$out")" \
		"$(tail -n 1 "$out" | jq .packets_judged)"
	tk_trace_start "$TK_TMP/inc.txt" --expect priority --netns "tk$TK_TEST_ID-pod1" \
		--dport "$PORT" --ringbuf-size 4096
	talk 1 --port "$PORT" --count 2000 --interval-us 0
	tk_trace_stop
	assert_eq "text: exit status" "$TK_TRACE_RC" 3
	assert_match "text: the verdict line" "$(cat "$TK_TMP/inc.txt")" \
		"expect: INCOMPLETE: [0-9]+ events lost"
}

test_json_schema() {
	local schema=$TK_ROOT/docs/tsntrace.schema.json
	tt_setup 1
	[ -f "$schema" ] || tk_fail "no $schema"
	trace_pod1 3 --priority 3 --mark 1 --txtime tai
	# every line is one JSON object; hop, packet, then exactly one counters object last
	assert_eq "NDJSON parses" "$(jq -s 'length > 0' "$TK_TMP/out.json")" true
	assert_eq "counters last" "$(jq -s '.[-1].type' "$TK_TMP/out.json")" '"counters"'
	assert_eq "numbers are numbers" "$(jq -s '[.[] | select(.type == "hop")] |
		all((.pkt_id | type) == "number" and (.len | type) == "number" and
		(.netns | type) == "number")' "$TK_TMP/out.json")" true
	# Debian's python3-jsonschema (scripts/deps.sh installs it), not whatever python3 is on PATH
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
		tk_fail "/usr/bin/python3 has no jsonschema module: run scripts/deps.sh"
	/usr/bin/python3 - "$schema" "$TK_TMP/out.json" <<-'EOF' || tk_fail "schema validation failed"
		import json, sys, jsonschema
		schema = json.load(open(sys.argv[1]))
		jsonschema.Draft202012Validator.check_schema(schema)
		validator = jsonschema.Draft202012Validator(schema)
		n = 0
		for line in open(sys.argv[2]):
		    validator.validate(json.loads(line))
		    n += 1
		print(f"ok {n} objects valid against the schema")
	EOF
}

test_filter_netns_excludes_second_pod() {
	tt_setup 2
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "tk$TK_TEST_ID-pod1"
	talk 1 --port "$PORT" --count 3
	talk 2 --port "$PORT" --count 3
	tk_trace_stop
	assert_eq "pod1 packets seen" "$(jq -s "[.[] | select(.type == \"packet\" and
		.tuple.src == \"${TK_POD_IP[0]}\" and .tuple.dport == $PORT)] | length" \
		"$TK_TMP/out.json")" 3
	# pod1's ARP broadcasts do reach pod2 (the bridge floods clones of them): that is pod1's
	# traffic followed, fine; no packet may start anywhere but in pod1 or come from pod2
	assert_eq "no pod2 packet" "$(jq -s "[.[] | select(.type == \"hop\" and
		.tuple.src == \"${TK_POD_IP[1]}\")] | length" "$TK_TMP/out.json")" 0
	assert_eq "every packet starts in pod1" "$(jq -s "[.[] | select(.type == \"hop\" and
		(.flags | index(\"first\"))) | .netns_name] | unique" -c "$TK_TMP/out.json")" \
		"[\"tk$TK_TEST_ID-pod1\"]"
}

# Real ping and ARP from pod1: each packet line says what the packet is, in tcpdump's words.
test_packet_descriptions() {
	local pod=tk$TK_TEST_ID-pod1 out pod_re dst_re
	tt_setup 1
	tk_ns "$pod" ip neigh flush dev eth0
	tk_trace_start "$TK_TMP/out.txt" --summary --netns "$pod"
	tk_ns "$pod" ping -c 2 -i 0.2 -q "$TK_LISTEN_IP" >/dev/null || tk_fail "ping"
	tk_trace_stop
	out=$(grep '^packet ' "$TK_TMP/out.txt")
	echo "$out"
	pod_re=${TK_POD_IP[0]//./\\.}
	dst_re=${TK_LISTEN_IP//./\\.}
	assert_ge "echo requests: type and code, no ports" "$(grep -cE "^packet [0-9]+: icmp \
$pod_re > $dst_re echo-request id [0-9]+ \\(type 8 code 0\\), [0-9]+ hops" <<<"$out")" 2
	assert_ge "arp request" "$(grep -cE \
		"^packet [0-9]+: arp who-has [0-9.]+ tell $pod_re," <<<"$out")" 1
	assert_eq "no ':0' port on a portless packet" "$(grep -c ':0 \|:::0' <<<"$out")" 0

	# ::/0 is every IPv6 address: IPv4 traffic is not part of it
	tk_trace_start "$TK_TMP/v6.json" --json --netns "$pod" --dst ::/0 --proto udp
	talk 1 --port "$PORT" --count 3
	tk_trace_stop
	assert_eq "--dst ::/0: no IPv4 packet" "$(jq -s '[.[] | select(.type == "hop")] | length' \
		"$TK_TMP/v6.json")" 0
	# host bits past the prefix: refused in one line, not masked
	"$TT" --src 198.18.160.11/24 --count 1 >"$TK_TMP/bad.out" 2>"$TK_TMP/bad.err"
	assert_eq "host bits: usage error" "$?" 2
	assert_eq "host bits: one line" "$(wc -l <"$TK_TMP/bad.err")" 1
	assert_match "host bits: says so" "$(cat "$TK_TMP/bad.err")" "host bits"
}

# --netns selects at the first hop in that netns: an echo reply is selected where it arrives
# (a receive hook), and ping's raw socket read it, so it is not reported as dropped.
test_netns_echo_reply_selected_on_arrival() {
	local pod=tk$TK_TEST_ID-pod1
	tt_setup 1
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "$pod" --proto icmp
	tk_ns "$pod" ping -c 2 -i 0.2 -q "$TK_LISTEN_IP" >/dev/null || tk_fail "ping"
	tk_trace_stop
	assert_eq "two echo replies reported" "$(jq -s '[.[] | select(.type == "packet" and
		.tuple.icmp_type == 0)] | length' "$TK_TMP/out.json")" 2
	assert_eq "a reply starts at a receive hook in the pod" "$(jq -s -c "[.[] | select(.type ==
		\"hop\" and (.flags | index(\"first\")) and .tuple.icmp_type == 0) |
		[.netns_name, .hook]] | unique" "$TK_TMP/out.json")" "[[\"$pod\",\"netif_rx\"]]"
	assert_eq "no reply called dropped" "$(jq -s '[.[] | select(.type == "packet" and
		.tuple.icmp_type == 0 and has("dropped"))] | length' "$TK_TMP/out.json")" 0
	assert_eq "each says no ping socket took it" "$(jq -s -c '[.[] | select(.type == "packet"
		and .tuple.icmp_type == 0) | .unclaimed] | unique' "$TK_TMP/out.json")" \
		'["NO_SOCKET"]'
	assert_eq "requests: selected where ping sent them" "$(jq -s -c '[.[] | select(.type ==
		"hop" and (.flags | index("first")) and .tuple.icmp_type == 8) | .hook] | unique' \
		"$TK_TMP/out.json")" '["net_dev_queue"]'
}

test_filter_port_and_address() {
	tt_setup 2
	tk_listen "$TK_TEST_ID" 5002
	tk_trace_start "$TK_TMP/port.json" --json --summary --dport 5002
	talk 1 --port "$PORT" --count 3
	talk 1 --port 5002 --count 2
	tk_trace_stop
	assert_eq "--dport 5002: only those" "$(jq -s '[.[] | select(.type == "packet") |
		.tuple.dport] | unique' -c "$TK_TMP/port.json")" "[5002]"
	assert_eq "--dport 5002: both packets" "$(jq -s '[.[] | select(.type == "packet")] |
		length' "$TK_TMP/port.json")" 2
	tk_trace_start "$TK_TMP/addr.json" --json --summary --src "${TK_POD_IP[1]}/32" --proto udp
	talk 1 --port "$PORT" --count 3
	talk 2 --port "$PORT" --count 2
	tk_trace_stop
	assert_eq "--src pod2: only pod2" "$(jq -s '[.[] | select(.type == "packet") |
		.tuple.src] | unique' -c "$TK_TMP/addr.json")" "[\"${TK_POD_IP[1]}\"]"
	assert_eq "--src pod2: both packets" "$(jq -s '[.[] | select(.type == "packet")] |
		length' "$TK_TMP/addr.json")" 2
	tk_trace_start "$TK_TMP/none.json" --json --dst 192.0.2.0/24
	talk 1 --port "$PORT" --count 3
	tk_trace_stop
	assert_eq "--dst matching nothing" "$(jq -s '[.[] | select(.type == "hop")] | length' \
		"$TK_TMP/none.json")" 0
}

test_clone_keeps_packet_id() {
	tt_setup 1
	tk_fixture_mirror "$TK_TEST_ID" 1
	trace_pod1 4 --priority 3
	assert_eq "clones reported on mir0" "$(jq -s '[.[] | select(.type == "hop" and
		.ifname == "mir0")] | length > 0' "$TK_TMP/out.json")" true
	# each clone skb is picked up once by fingerprint (flag "clone", parent_skb set), then by
	# its own address
	assert_eq "clone skbs flagged" "$(jq -s '[.[] | select(.type == "hop" and
		.ifname == "mir0")] | group_by(.skb) | all(any(.flags | index("clone") != null) and
		any(.parent_skb != null))' "$TK_TMP/out.json")" true
	# the clone's pkt_id is one of the originals' (the same packet), not a new one
	assert_eq "same packet id across the clone" "$(jq -s '
		([.[] | select(.type == "hop" and .ifname == "vethpod1") | .pkt_id] | unique) as $orig |
		[.[] | select(.type == "hop" and .ifname == "mir0") | .pkt_id] | unique |
		all(. as $id | $orig | index($id) != null)' "$TK_TMP/out.json")" true
	assert_eq "no extra packet ids" "$(jq -s '[.[] | select(.type == "hop") | .pkt_id] |
		unique | length' "$TK_TMP/out.json")" 4
	# an original is followed by its address to the end: a clone freed before the original's
	# next receive is not a newer packet that the original's skb was rebuilt into
	assert_eq "by fingerprint only a clone's first hop" "$(jq -s '[.[] | select(.type == "hop"
		and (.flags | index("by_fingerprint") != null)) | .flags | index("clone") != null] |
		all' "$TK_TMP/out.json")" true
	# the clones die on mir1 (not addressed to it); the packets themselves reach the listener
	assert_eq "clones dropped on mir1" "$(jq -s '[.[] | select(.type == "hop" and
		.hook == "kfree_skb" and .drop_reason == "OTHERHOST")] | length > 0' \
		"$TK_TMP/out.json")" true
	assert_eq "no packet summary says dropped" "$(jq -s '[.[] | select(.type == "packet" and
		.dropped != null)] | length' "$TK_TMP/out.json")" 0
}

# A cyclic TSN app often sends the same frame every period. Over IPv6 (no IP id; the flow label
# is the flow's) identical datagrams have identical fingerprints, as over IPv4 where the kernel
# gives an unconnected socket's DF datagrams id 0 (6.1). Each is a packet of its own, selected
# at its own first hop: a datagram its socket just sent is never taken for a clone or rebuild
# of the one before, whose slot (freed within the rebuild window) matches by content. To a port
# nobody listens on: the far end drops each with kfree_skb, so every free is seen (a delivered
# datagram's may not be, see Limitations in docs/tsntrace.md).
identical_datagrams() { # FIRST_HOOK [TSNTRACE ARGS...]
	local n=4 first=$1 port=5009
	shift
	TK_SHAPE=ipv6 tt_setup 1
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "tk$TK_TEST_ID-pod1" \
		--dport "$port" "$@"
	tk_talk_same "$TK_TEST_ID" 1 "$port" "$n" 2 || tk_fail "sender failed"
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	tk_log "first hops: $(jq -s -c '[.[] | select(.type == "hop" and .hop == 0) |
		{pkt_id, skb, hook, flags}]' "$TK_TMP/out.json")"
	assert_eq "one packet per datagram" "$(jq -s '[.[] | select(.type == "packet")] | length' \
		"$TK_TMP/out.json")" "$n"
	assert_eq "each selected at its own $first, none by fingerprint" "$(jq -s --arg h "$first" \
		'[.[] | select(.type == "hop" and .ifname == "eth0" and .hook == $h) |
		(.flags | index("first") != null and index("by_fingerprint") == null)] |
		length == '"$n"' and all' "$TK_TMP/out.json")" true
	assert_eq "every packet's origin seen" "$(all_packets '.origin_seen')" true
}
test_identical_datagrams_are_packets() { identical_datagrams net_dev_queue; }

test_identical_datagrams_are_packets_tc() {
	identical_datagrams tc_egress --tc-observe "eth0@tk$TK_TEST_ID-pod1"
}

# N identical datagrams from pod1 to a listener on 5009, traced with ARGS into OUT: one packet
# each (the listener's count ends the listener).
trace_identical_delivered() { # OUT N ARGS...
	local out=$1 n=$2 port=5009
	shift 2
	tk_listen "$TK_TEST_ID" "$port"
	tk_trace_start "$out" --json --summary --dport "$port" "$@"
	tk_talk_same "$TK_TEST_ID" 1 "$port" "$n" || tk_fail "sender failed"
	sleep 0.2
	tk_trace_stop
	assert_eq "$* exit" "$TK_TRACE_RC" 0
	assert_eq "$*: the listener got every datagram" "$(tk_listen_count "$TK_TEST_ID" "$port")" \
		"$n"
	tk_log "$*: packets by hop count: $(jq -sc '[.[] | select(.type == "hop")] |
		group_by(.pkt_id) | map(length) | group_by(.) | map([.[0], length])' "$out")"
	assert_eq "$*: one packet per datagram" "$(jq -s '[.[] | select(.type == "packet")] |
		length' "$out")" "$n"
}

# Delivered to a listener: a delivered datagram's free may fire no tracepoint (6.18:
# skb_attempt_defer_free() on the CPU that allocated it), and its socket's next identical
# datagram often goes out in the recycled skb. Content cannot tell them apart; that the skb was
# received before and now holds its socket's send can. Selected mid-path (--ifname nic0), the
# datagrams do not pass the filter at their first hop, and must not be taken for the delivered
# one further on either.
test_identical_datagrams_delivered_are_packets() {
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	trace_identical_delivered "$TK_TMP/out.json" 100 --netns "tk$TK_TEST_ID-pod1"
	assert_eq "each with one first hop, at pod1's eth0" "$(jq -sc '[.[] | select(.type == "hop"
		and .netns_name == "tk'"$TK_TEST_ID"'-pod1" and .hook == "net_dev_queue")] |
		group_by(.pkt_id) | map(length) | unique' "$TK_TMP/out.json")" "[1]"
	assert_eq "every packet judged at nic0" "$(all_packets '.judged_at.ifname == "nic0"')" true
	trace_identical_delivered "$TK_TMP/mid.json" 300 --ifname nic0
	assert_eq "mid-path: each first seen at nic0's net_dev_queue" "$(jq -sc '[.[] |
		select(.type == "hop" and .hop == 0) | "\(.ifname) \(.hook)"] | unique' \
		"$TK_TMP/mid.json")" '["nic0 net_dev_queue"]'
}

# The same behind a veth with XDP, which rebuilds each skb into a new one from the NAPI cache:
# often the skb of a delivered identical datagram whose free was not seen. The rebuild is the
# newer packet's, not the delivered one's continued by address.
test_identical_datagrams_rebuilt_are_packets() {
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	tk_ns "$TK_NODE" ip link set dev vethpod1 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to vethpod1"
	trace_identical_delivered "$TK_TMP/out.json" 300 --netns "tk$TK_TEST_ID-pod1"
	assert_eq "each leaves nic0 once, as itself" "$(jq -sc '[.[] | select(.type == "hop" and
		.ifname == "nic0" and .hook == "net_dev_start_xmit")] | group_by(.pkt_id) |
		[length, (map(length) | unique)]' "$TK_TMP/out.json")" "[300,[1]]"
}

# One packet summary per datagram in OUT
assert_packet_per_datagram() { # OUT N
	assert_eq "one packet per datagram" "$(jq -s '[.[] | select(.type == "packet")] |
		length' "$1")" "$2"
}

# The hops of OUT at IFNAME's HOOK: "[packets with such hops,[hops per packet, unique]]"
hops_at() { # OUT IFNAME HOOK
	jq -sc --arg i "$2" --arg h "$3" '[.[] | select(.type == "hop" and .ifname == $i and
		.hook == $h)] | group_by(.pkt_id) | [length, (map(length) | unique)]' "$1"
}

# A cyclic stream from the wire: identical datagrams from the net netns to a listener in pod1,
# selected where they enter the node (--ifname nic0), as a node's tracer sees a remote talker.
# XDP on nic0 makes each arrival a new skb from the NAPI cache, as a NIC driver's is: often the
# skb of the datagram before, delivered to pod1 with no free that fires a tracepoint. Each
# arrival is a packet of its own: a packet is never received twice at the same hook of the same
# device, so the slot of one received there is not continued by the next.
test_identical_datagrams_inbound_are_packets() {
	local n=300 port=5009 out=$TK_TMP/out.json
	TK_SHAPE=ipv6 tk_fixture_up "$TK_TEST_ID" 1
	tk_ns "$TK_NODE" ip link set dev nic0 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to nic0"
	tk_listen "$TK_TEST_ID" "$port" 60 "${TK_PODS[0]}"
	tk_trace_start "$out" --json --summary --dport "$port" --ifname nic0
	tk_send_same "$TK_NET" "${TK_POD_IP6[0]}" "$port" "$n" 0.002 || tk_fail "sender failed"
	sleep 0.2
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	assert_eq "the listener got every datagram" "$(tk_listen_count "$TK_TEST_ID" "$port")" "$n"
	tk_log "packets by hop count: $(jq -sc '[.[] | select(.type == "hop")] |
		group_by(.pkt_id) | map(length) | group_by(.) | map([.[0], length])' "$out")"
	assert_packet_per_datagram "$out" "$n"
	assert_eq "each first seen at nic0, received once there" \
		"$(hops_at "$out" nic0 netif_receive_skb)" "[$n,[1]]"
}

# ifb hands a packet redirected to it at nic0's ingress back to nic0, whose receive hook fires
# again for the same packet, with the same content and TTL: the one place where a packet is
# received twice, which must not be taken for a new identical one (the receive of the wire's
# next datagram). With the receive hooks before netif_receive_skb left out, that is where each
# is first seen.
test_ifb_return_same_packet() {
	local n=20 port=5009 out=$TK_TMP/out.json
	tk_fixture_up "$TK_TEST_ID" 1
	tk_ns "$TK_NODE" ip link add ifb0 type ifb || tk_skip "kernel cannot create ifb links"
	tk_ns "$TK_NODE" ip link set ifb0 up
	tk_ns "$TK_NODE" tc qdisc add dev nic0 clsact 2>/dev/null
	tk_ns "$TK_NODE" tc filter add dev nic0 ingress u32 match u32 0 0 \
		action mirred egress redirect dev ifb0 ||
		tk_fail "cannot redirect nic0's ingress to ifb0"
	tk_listen "$TK_TEST_ID" "$port" 60 "${TK_PODS[0]}"
	tk_trace_start "$out" --json --summary --dport "$port" --ifname nic0 \
		--hooks net_dev_queue,net_dev_start_xmit,netif_receive_skb,kfree_skb,consume_skb
	tk_ns "$TK_NET" "$TK_BUILD/talker" --dst "${TK_POD_IP[0]}" --port "$port" --count "$n" \
		--interval-us 2000 >/dev/null || tk_fail "talker failed"
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	assert_eq "the listener got every datagram" "$(tk_listen_count "$TK_TEST_ID" "$port")" "$n"
	assert_packet_per_datagram "$out" "$n"
	assert_eq "each received at nic0 twice, through ifb0" \
		"$(hops_at "$out" nic0 netif_receive_skb)" "[$n,[2]]"
}

# A routing loop between the node and the net netns: a datagram the node sends comes back to the
# net netns' eth0 again and again, the same content in the same skb, until its TTL runs out.
# Selected there (--ifname eth0), as a packet from the wire is first seen at its receive, it is
# one packet all the way: the place it is received at again has a smaller TTL, which a new
# identical datagram from the wire would not. (The node takes back its own source address on
# nic0: accept_local.)
test_routing_loop_one_packet() {
	local n=3 port=5009 out=$TK_TMP/out.json loop_ip
	tk_fixture_up "$TK_TEST_ID" 1
	loop_ip=${TK_LISTEN_IP%.*}.250
	tk_ns "$TK_NODE" ip route add "$loop_ip/32" via "$TK_LISTEN_IP" &&
		tk_ns "$TK_NET" ip route add "$loop_ip/32" via "$TK_NIC_IP" ||
		tk_fail "cannot route $loop_ip in a loop"
	tk_ns "$TK_NET" sysctl -qw net.ipv4.ip_forward=1
	tk_ns "$TK_NODE" sysctl -qw net.ipv4.conf.nic0.accept_local=1
	tk_trace_start "$out" --json --summary --dport "$port" --ifname eth0
	tk_ns "$TK_NODE" "$TK_BUILD/talker" --dst "$loop_ip" --port "$port" --count "$n" \
		--interval-us 2000 >/dev/null || tk_fail "talker failed"
	sleep 0.2
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	tk_log "receives per packet at the net netns' eth0: $(jq -sc '[.[] | select(.type == "hop"
		and .netns_name == "tk'"$TK_TEST_ID"'-net" and .hook == "netif_rx")] |
		group_by(.pkt_id) | map(length)' "$out")"
	assert_packet_per_datagram "$out" "$n"
	assert_eq "each received at the net netns' eth0 more than once" "$(jq -sc '[.[] |
		select(.type == "hop" and .netns_name == "tk'"$TK_TEST_ID"'-net" and
		.hook == "netif_rx")] | group_by(.pkt_id) | [length, (map(length) | min > 1)]' \
		"$out")" "[$n,true]"
}

# XDP on the host side of the pod's veth: veth runs NAPI and rebuilds most skbs around an
# xdp_buff (a new skb object, the old one consumed). The new object first shows at a receive
# hook, where only selecting hooks continue a packet by fingerprint: the packet keeps its id to
# the NIC.
test_veth_xdp_rebuild_keeps_packet_id() {
	tt_setup 1
	tk_ns "$TK_NODE" ip link set dev vethpod1 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to vethpod1"
	trace_pod1 4 --priority 3
	assert_eq "rebuilt skbs continued by fingerprint" "$(jq -s '[.[] | select(.type == "hop"
		and (.flags | index("by_fingerprint") != null))] | length > 0' "$TK_TMP/out.json")" true
	assert_eq "no extra packet ids" "$(jq -s '[.[] | select(.type == "hop") | .pkt_id] |
		unique | length' "$TK_TMP/out.json")" 4
	assert_eq "every packet followed to nic0" "$(all_packets '.judged_at.ifname == "nic0"')" true
}

test_event_loss_accounted() {
	local a=$TK_TMP/a.json b=$TK_TMP/b.json pa pb
	tt_setup 1
	# two tracers on the same traffic: A with a roomy ring buffer is the reference count,
	# B with one page loses events and must account for every one of them
	"$TT" --json --dport "$PORT" --ringbuf-size 64m --duration 120 --ready-file "$TK_TMP/ra" \
		>"$a" 2>"$a.err" &
	pa=$!
	tk_defer "kill $pa"
	"$TT" --json --dport "$PORT" --ringbuf-size 4096 --duration 120 \
		--ready-file "$TK_TMP/rb" >"$b" 2>"$b.err" &
	pb=$!
	tk_defer "kill $pb"
	tk_wait_file "$TK_TMP/ra"
	tk_wait_file "$TK_TMP/rb"
	talk 1 --port "$PORT" --count 1000 --interval-us 0
	sleep 0.5
	kill -INT "$pa" "$pb"
	wait "$pa" "$pb"
	local ca cb
	ca=$(tail -n 1 "$a")
	cb=$(tail -n 1 "$b")
	tk_log "A: $ca"
	tk_log "B: $cb"
	assert_eq "reference lost nothing" "$(jq .events_lost <<<"$ca")" 0
	assert_eq "every datagram tracked, once" "$(jq .packets_tracked <<<"$ca")" 1000
	assert_ge "B lost events" "$(jq .events_lost <<<"$cb")" 1
	assert_eq "B lost == expected - seen" "$(jq .events_lost <<<"$cb")" \
		"$(($(jq .events_seen <<<"$ca") - $(jq .events_seen <<<"$cb")))"
	assert_eq "B events + lost == A events" \
		"$(($(jq .events <<<"$cb") + $(jq .events_lost <<<"$cb")))" "$(jq .events <<<"$ca")"
	assert_eq "per-cpu lost adds up" "$(jq '.events_lost_per_cpu | add' <<<"$cb")" \
		"$(jq .events_lost <<<"$cb")"
	assert_match "loss reported on stderr" "$(cat "$b.err")" "events lost"
}

# Every stop signal ends tsntrace the clean way: exit 0, the counters record last.
test_signals_finish_report() {
	local sig out
	tt_setup 1
	for sig in INT TERM HUP; do
		out=$TK_TMP/$sig.json
		tk_trace_start "$out" --json --dst "$TK_LISTEN_IP" --dport "$PORT"
		talk 1 --port "$PORT" --count 2
		sleep 0.3
		kill -"$sig" "$TK_TRACE_PID"
		wait "$TK_TRACE_PID"
		assert_eq "SIG$sig: exit status" "$?" 0
		assert_eq "SIG$sig: counters last" "$(tail -n 1 "$out" | jq -r .type)" counters
	done
}

test_backend_selection() {
	local feats
	assert_exit "auto" 0 "$TT" --duration 0.2
	assert_match "auto says which and why (one line)" "$TK_ERR" \
		"^tsntrace: .*using (tracepoint|fentry|kprobe-multi) backend$"
	assert_eq "auto: one line" "$(echo "$TK_ERR" | wc -l)" 1
	feats=$("$TK_BUILD/tsnproxy" features --json 2>/dev/null)
	if [ "$(jq -r '.fentry.supported' <<<"$feats")" != true ]; then
		assert_match "auto picks tracepoint here" "$TK_ERR" \
			"fentry unavailable: .+; using tracepoint backend$"
		assert_exit "--backend fentry" 2 "$TT" --backend fentry --duration 0.2
		assert_match "fentry reason" "$TK_ERR" "^tsntrace: --backend fentry: fentry unavailable: .+"
	else
		tk_log "kernel has fentry: the failure assertion does not apply"
	fi
	if [ "$(jq -r '."kprobe-multi".supported' <<<"$feats")" != true ]; then
		assert_exit "--backend kprobe-multi" 2 "$TT" --backend kprobe-multi --duration 0.2
		assert_match "kprobe-multi reason" "$TK_ERR" "kprobe-multi unavailable: .+"
	fi
	assert_exit "--backend tracepoint" 0 "$TT" --backend tracepoint --duration 0.2
	assert_eq "nothing left loaded" "$(tt_progs_settled)" 0
}

test_bad_input() {
	local before
	before=$(tt_progs)
	assert_eq "no tsntrace programs before" "$before" 0
	assert_exit "unknown flag" 2 "$TT" --frobnicate
	assert_eq "one line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "bad address" 2 "$TT" --dst 300.1.2.3
	assert_match "bad address message" "$TK_ERR" "^tsntrace: --dst: '300.1.2.3' is not"
	assert_exit "bad prefix" 2 "$TT" --src 10.0.0.0/33
	assert_exit "bad port" 2 "$TT" --dport 70000
	assert_exit "bad mark" 2 "$TT" --mark 0x10/0x1
	assert_exit "bad expect" 2 "$TT" --expect prio
	assert_exit "missing netns" 2 "$TT" --netns tk-no-such-netns
	assert_match "netns message" "$TK_ERR" "no such network namespace"
	assert_exit "bad backend" 2 "$TT" --backend ebpf
	assert_exit "bad --hooks" 2 "$TT" --hooks net_dev_queue,kprobe
	assert_match "bad --hooks message" "$TK_ERR" \
		"^tsntrace: --hooks: 'net_dev_queue,kprobe' is not all or a list of net_dev_queue,.*,consume_skb$"
	assert_exit "empty --hooks" 2 "$TT" --hooks ,
	assert_exit "tc-observe missing interface" 2 "$TT" --tc-observe nosuchif0 --duration 1
	assert_eq "one line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "not root" 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$TT" \
		--duration 1
	assert_match "not root message" "$TK_ERR" "^tsntrace: must run as root"
	assert_eq "nothing left loaded" "$(tt_progs_settled)" 0
}

test_tc_observe() {
	local node
	tt_setup 1
	node=tk$TK_TEST_ID-node
	tk_trace_start "$TK_TMP/out.json" --json --netns "tk$TK_TEST_ID-pod1" --dport "$PORT" \
		--tc-observe "nic0@$node"
	talk 1 --port "$PORT" --count 2 --priority 3
	tk_trace_stop
	assert_eq "tc_egress hops on nic0" "$(jq -s '[.[] | select(.type == "hop" and
		.hook == "tc_egress" and .ifname == "nic0")] | length' "$TK_TMP/out.json")" 2
	assert_eq "observer detached" "$(tt_progs_settled)" 0
	assert_eq "no tc filter left" "$(tk_ns "$node" tc filter show dev nic0 egress | wc -l)" 0
}

# ---- tsnproxy's restore and policy, named as such (enforce mode on) ----------------------------
proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

# one pod under enforce mode, allowed priority 1 only (clamp), and the NIC observer
tt_proxy_setup() {
	tt_setup 1
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --on-disallowed clamp >/dev/null ||
		tk_fail "tsnproxy allow failed"
}

# summaries of one field over every packet of $TK_TMP/out.json
field_all() { # FIELD JQ_EXPR
	all_packets ".fields.$1 | $2"
}

test_proxy_restore_and_policy_named() {
	local node
	tt_proxy_setup
	node=$TK_NODE
	tk_observe_start "$PORT"
	tk_trace_start "$TK_TMP/out.json" --json --summary --pin-dir "$TK_PIN" \
		--netns "${TK_PODS[0]}" --dport "$PORT" --tc-observe "nic0@$node"
	talk 1 --port "$PORT" --count 3 --interval-us 2000 --priority 1
	tk_trace_stop
	tk_observe_stop
	# the independent observer: the restore really happened at nic0
	assert_eq "observer: priority 1 at nic0" \
		"$(tk_observe_count "$node" nic0 '.priority == 1')" 3
	assert_eq "restored, as tsntop says" "$(field_all priority '.state == "restored"')" true
	assert_eq "restored by tsnproxy" \
		"$(field_all priority '.restored_by == "tsnproxy-restore"')" true
	assert_eq "restored at nic0" \
		"$(field_all priority '.restored_at.ifname == "nic0"')" true
	assert_eq "lost at the crossing first" \
		"$(field_all priority '.cause == "veth-priority-reset"')" true
	assert_eq "kept for --expect" "$(field_all priority '.kept')" true
	# the observer runs before the restore: it sees the scrubbed value, the next hop the saved
	assert_eq "tc_egress sees priority 0" "$(jq -s '[.[] | select(.type == "hop" and
		.hook == "tc_egress" and .ifname == "nic0" and .priority == 0)] | length' \
		"$TK_TMP/out.json")" 3
	assert_eq "nobody blames ip_forward" "$(jq -s '[.[] | select(.type == "hop") |
		.changes[] | select(.cause == "ip-forward-tos")] | length' "$TK_TMP/out.json")" 0
	assert_eq "the change after the observer is the restore's" "$(jq -s '[.[] |
		select(.type == "hop" and .ifname == "nic0") | .changes[] |
		select(.field == "priority" and .cause == "tsnproxy-restore")] | length' \
		"$TK_TMP/out.json")" 3

	# asked 3, allowed {1}: the policy clamps; said so, not blamed on the crossing
	tk_trace_start "$TK_TMP/out.json" --json --summary --pin-dir "$TK_PIN" \
		--netns "${TK_PODS[0]}" --dport "$PORT"
	talk 1 --port "$PORT" --count 2 --interval-us 2000 --priority 3
	tk_trace_stop
	assert_eq "clamped" "$(field_all priority '.state == "clamped" and .first == 3 and
		.last == 1')" true
	assert_eq "clamped by the policy" "$(field_all priority '.cause == "tsnproxy-policy"')" true
	assert_match "policy detail" "$(jq -rs '[.[] | select(.type == "packet")][0] |
		.fields.priority.detail' "$TK_TMP/out.json")" \
		"policy of ${TK_PODS[0]} allows \{1\}: asked 3, clamped to 1"
	# the text summary says the same words
	tk_trace_start "$TK_TMP/out.txt" --summary --pin-dir "$TK_PIN" --netns "${TK_PODS[0]}" \
		--dport "$PORT"
	talk 1 --port "$PORT" --count 1 --priority 1
	tk_trace_stop
	assert_match "text: restored" "$(cat "$TK_TMP/out.txt")" \
		"priority +1 -> 1  restored at hop [0-9]+ $node/nic0 net_dev_queue: tsnproxy-restore"
}

# ---- a packet selected after it left its sender ---------------------------------------------
test_mid_path_selection_marked() {
	tt_setup 1
	# priority 1 in the pod, 0 after the veth crossing: --priority 0 picks it up mid-path
	# (--src: this fixture's pod, not another run's traffic to the same port)
	tk_trace_start "$TK_TMP/out.json" --json --summary --priority 0 --src "${TK_POD_IP[0]}" \
		--dport "$PORT"
	talk 1 --port "$PORT" --count 2 --interval-us 2000 --priority 1
	tk_trace_stop
	assert_eq "origin not seen" "$(all_packets '.origin_seen == false')" true
	assert_eq "not judged" "$(all_packets '.judged == false')" true
	assert_eq "priority: origin not seen, not 'unset'" \
		"$(field_all priority '.state == "origin-not-seen"')" true
	assert_eq "first hop past the crossing" "$(all_packets ".path[0].netns == \"$TK_NODE\"")" \
		true
	# the same traffic selected in the pod: its origin
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "${TK_PODS[0]}" --dport "$PORT"
	talk 1 --port "$PORT" --count 2 --interval-us 2000 --priority 1
	tk_trace_stop
	assert_eq "pod filter: origin seen" "$(all_packets '.origin_seen and .judged')" true
	assert_eq "pod filter: lost" "$(field_all priority '.state == "lost"')" true
	# --expect over mid-path packets only: no verdict on them, and the reason in words
	tk_trace_start "$TK_TMP/out.txt" --ifname nic0 --src "${TK_POD_IP[0]}" --dport "$PORT" \
		--expect priority
	talk 1 --port "$PORT" --count 2 --interval-us 2000 --priority 1
	tk_trace_stop
	assert_eq "--ifname nic0 --expect: no packets judged" "$TK_TRACE_RC" 1
	assert_match "--expect says why" "$(cat "$TK_TMP/out.txt")" \
		"NO PACKETS: none of 2 traced packets could be judged \(2 selected mid-path, origin not seen"
	assert_match "text: origin not seen" "$(cat "$TK_TMP/out.txt")" \
		"origin not seen: first seen at $TK_NODE/nic0"
}

# ---- --ready-file with --tc-observe: the first packets are seen at the tc hook --------------------
test_tc_observe_ready_count() {
	local i
	tt_setup 1
	for i in 1 2 3; do
		tk_trace_start "$TK_TMP/out.json" --json --count 2 --netns "${TK_PODS[0]}" \
			--dport "$PORT" --tc-observe "nic0@$TK_NODE"
		talk 1 --port "$PORT" --count 2 --priority 1
		tk_trace_stop
		assert_eq "run $i: tc_egress hops of both packets" "$(jq -s '[.[] |
			select(.type == "hop" and .hook == "tc_egress" and .ifname == "nic0") |
			.pkt_id] | unique | length' "$TK_TMP/out.json")" 2
	done
}

# The programs attach one by one: no packet may start being followed before they all are, or its
# path lacks the hops whose programs came later (packets selected while tsntrace attached went
# from eth0 net_dev_queue straight to nic0). A fast talker puts packets into the attach window.
test_no_packet_followed_before_attached() {
	local talker n partial
	tt_setup 1
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port "$PORT" --interval-us 20 --count 1000000 --duration 30 --src-port 40004 \
		>/dev/null 2>&1 &
	talker=$!
	tk_defer "kill $talker; wait $talker"
	sleep 0.2
	tk_trace_start "$TK_TMP/out.json" --json --netns "${TK_PODS[0]}" --sport 40004 --count 20
	sleep 1
	tk_trace_stop
	# the packets selected at their first hop (the others were on their way at the start)
	n=$(jq -s '[.[] | select(.type == "hop")] | group_by(.pkt_id) |
		map(select(.[0].hop == 0 and .[0].ifname == "eth0" and .[0].hook == "net_dev_queue"))' \
		"$TK_TMP/out.json")
	partial=$(jq -c '[.[] | select(any(.[]; .ifname == "vethpod1" and .hook == "netif_rx") |
		not) | [.[] | "\(.ifname) \(.hook)"]]' <<<"$n")
	tk_log "partial paths: $partial"
	assert_ge "packets selected at their first hop" "$(jq length <<<"$n")" 10
	assert_eq "each of them crosses the veth" "$(jq length <<<"$partial")" 0
}

# ---- hop numbers: tsntrace and tsntop number the same hop alike ----------------------------------
# --hooks: only the tracepoints named are attached; what the kernel reports comes from those. The
# priority lost on the way is still found, at the first hop after the crossing it sees.
test_hooks_subset() {
	local hooks
	tt_setup 1
	tk_trace_start "$TK_TMP/out.json" --json --summary --netns "tk$TK_TEST_ID-pod1" \
		--dport "$PORT" --hooks net_dev_queue,net_dev_start_xmit,consume_skb,kfree_skb
	talk 1 --port "$PORT" --count 5 --interval-us 2000 --priority 3
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	hooks=$(jq -sc '[.[] | select(.type == "hop") | .hook] | unique' "$TK_TMP/out.json")
	tk_log "hooks seen: $hooks"
	assert_eq "only the hooks named" "$(jq -c '. - ["consume_skb", "kfree_skb"]' <<<"$hooks")" \
		'["net_dev_queue","net_dev_start_xmit"]'
	assert_eq "every packet reaches nic0" "$(jq -s '[.[] | select(.type == "hop" and
		.ifname == "nic0" and .hook == "net_dev_start_xmit")] | length' "$TK_TMP/out.json")" 5
	assert_eq "priority lost, seen at nic0" "$(all_packets '.fields.priority.kept == false and
		.fields.priority.lost_at.ifname == "nic0"')" true
}

test_hop_numbers_match_tsntop() {
	local top_out talker hook ifname t_hop top_hop
	tt_setup 1
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port "$PORT" --priority 1 --interval-us 5000 --count 1000000 --duration 60 \
		--src-port 40002 >/dev/null 2>&1 &
	talker=$!
	tk_defer "kill $talker; wait $talker"
	tk_trace_start "$TK_TMP/out.json" --json --netns "${TK_PODS[0]}" --sport 40002 --count 3
	# the same hooks as tsntrace's (tsntop leaves three out by default)
	top_out=$("$TK_BUILD/tsntop" --netns "${TK_PODS[0]}" --sport 40002 --json -d 0.5 \
		--max-iterations 2 --hooks all </dev/null) || tk_fail "tsntop --json failed"
	tk_trace_stop
	# Hooks whose order on the path is the packet's own. Not net_dev_xmit: it fires when the
	# driver returns, after whatever the driver started (veth's netif_rx, a dequeue on the
	# other CPU), so its number differs from packet to packet in either tool.
	for hook in "eth0 net_dev_start_xmit" "vethpod1 netif_rx" "br0 netif_receive_skb" \
		"nic0 net_dev_queue"; do
		ifname=${hook% *}
		hook=${hook#* }
		# packet 2: packet 1 may have been on its way when the tracer attached
		t_hop=$(jq -s "[.[] | select(.type == \"hop\" and .pkt_id == 2 and
			.ifname == \"$ifname\" and .hook == \"$hook\") | .hop][0]" "$TK_TMP/out.json")
		top_hop=$(tail -n 1 <<<"$top_out" | jq "[.flows[0].hops[] | select(.ifname ==
			\"$ifname\" and .hook == \"$hook\") | .hop][0]")
		assert_ne "tsntrace numbers $ifname $hook" "$t_hop" null
		assert_eq "$ifname $hook: tsntrace hop = tsntop hop" "$t_hop" "$top_hop"
	done
	# the text table has the column
	tk_trace_start "$TK_TMP/out.txt" --netns "${TK_PODS[0]}" --sport 40002 --count 1
	sleep 0.5
	tk_trace_stop
	assert_match "HOP column" "$(head -n 1 "$TK_TMP/out.txt")" "^TIME +PKT +HOP +SKB"
	assert_match "hop 0 first" "$(sed -n 2p "$TK_TMP/out.txt")" "^[0-9.]+ +1 +0 +0x"
}
