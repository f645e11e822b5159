# SPDX-License-Identifier: GPL-2.0-only
#
# tsntrace's kernel-dependent backends on the VM lane's kernel (the host has neither fprobe nor
# usable fentry): kprobe-multi over every traceable skb function, and fentry's direct clone
# tracking. Real traffic through the fixture. Sourced by tests/vm/lane.sh with tests/lib.sh.

VT_PORT=5001
VT_N=3

# Trace VT_N datagrams of pod1 (talker ARGS) with tsntrace ARGS; NDJSON in $TK_TMP/out.json.
vt_trace_pod1() { # TSNTRACE_ARGS... -- TALKER_ARGS...
	local tt=()
	while [ "$1" != -- ]; do
		tt+=("$1")
		shift
	done
	shift
	# attaching ~1600 kprobes under TCG takes seconds, not the host's milliseconds
	TK_TRACE_READY_S=120 tk_trace_start "$TK_TMP/out.json" "${tt[@]}" --json --summary \
		--netns "tk$TK_TEST_ID-pod1" --dport $VT_PORT
	tk_talk "$TK_TEST_ID" 1 --port $VT_PORT --count $VT_N --interval-us 20000 "$@" >/dev/null ||
		tk_fail "talker failed"
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	assert_eq "packets traced" "$(vt_jq '[.[] | select(.type == "packet")] | length')" $VT_N
	assert_eq "no event lost" "$(vt_jq '.[-1].events_lost')" 0
}

vt_jq() { jq -s "$@" "$TK_TMP/out.json"; }

# jq over the packet summaries: every packet must give "true"
vt_all_packets() { vt_jq "[.[] | select(.type == \"packet\") | ($1)] | all"; }

test_kprobe_multi_names_priority_loss() {
	local err pod=tk$TK_TEST_ID-pod1
	tk_require kprobe-multi
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" $VT_PORT
	vt_trace_pod1 --backend kprobe-multi -v -- --priority 2
	err=$(cat "$TK_TMP/out.json.err")
	echo "$err"
	assert_match "attach count and time printed" "$err" \
		"kprobe-multi: attached [0-9]+ of [0-9]+ functions taking struct sk_buff \* in [0-9.]+ ms"
	# Debian 6.12: ~1600 of ~1700 BTF candidates are in available_filter_functions
	assert_ge "functions attached" "$(echo "$err" | sed -n 's/.*attached \([0-9]*\) of.*/\1/p')" \
		1000
	# the hops between the tracepoints: the crossing's own functions, and routing
	# (vmlinux functions only: veth_xmit is in a module)
	assert_eq "crossing and routing functions traced" "$(vt_jq '[.[] | select(.type == "hop"
		and .hook == "kprobe") | .func] as $f | ["__dev_forward_skb", "skb_scrub_packet",
		"eth_type_trans", "ip_forward"] | all(. as $n | $f | index($n) != null)')" true
	assert_eq "priority 2 lost" "$(vt_all_packets '.fields.priority.first == 2 and
		.fields.priority.kept == false and .fields.priority.last == 0')" true
	assert_eq "cause veth-priority-reset" \
		"$(vt_all_packets '.fields.priority.cause == "veth-priority-reset"')" true
	# kprobes see entries only: priority reads 0 first at the entry after skb_scrub_packet's
	# (____dev_forward_skb zeroed it), while skb->dev is still the pod's eth0
	assert_eq "lost on the pod's side of the crossing" "$(vt_all_packets ".fields.priority.lost_at |
		.netns == \"$pod\" and .ifname == \"eth0\" and .hook == \"kprobe\"")" true
	assert_eq "lost right after skb_scrub_packet" "$(vt_jq '
		(map(select(.type == "hop" and .hook != "net_dev_xmit")) | group_by(.pkt_id)) as $h |
		[.[] | select(.type == "packet")] | map(. as $p | .fields.priority.lost_at.hop as $i |
		($h[] | select(.[0].pkt_id == $p.pkt_id)) | .[$i - 1].func == "skb_scrub_packet" and
		.[$i].func == $p.fields.priority.lost_at.func) | all')" true
	assert_eq "detail names the sender" "$(vt_all_packets ".fields.priority.detail ==
		\"netns crossing: leaving $pod/eth0 via veth in ____dev_forward_skb\"")" true
	assert_eq "judged at nic0" "$(vt_all_packets '.judged_at.ifname == "nic0"')" true
}

test_fentry_clone_keeps_packet_id() {
	tk_require fentry
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" $VT_PORT
	tk_fixture_mirror "$TK_TEST_ID" 1
	vt_trace_pod1 --backend fentry -- --priority 2
	vt_jq -c '.[] | select(.type == "hop" and .func == "skb_clone")'
	# fexit/skb_clone hops for every packet (the mirror), naming the original as the parent;
	# the first packet has a second one at nic0: neigh_probe() clones it while ARP resolves
	assert_eq "skb_clone hops of every packet" "$(vt_jq '[.[] | select(.type == "hop" and
		.hook == "fexit" and .func == "skb_clone") | .pkt_id] | unique | length')" $VT_N
	assert_eq "clone hop: flag clone, parent = the packet's first skb" "$(vt_jq '
		(map(select(.type == "hop" and (.flags | index("first")))) |
			map({key: (.pkt_id | tostring), value: .skb}) | from_entries) as $first |
		[.[] | select(.type == "hop" and .func == "skb_clone")] |
		all((.flags | index("clone")) != null and .parent_skb == $first[.pkt_id | tostring]
			and .skb != .parent_skb)')" true
	# the clone's own hops (mir0 -> mir1) carry the original's packet id: each is the clone
	# skb of the packet it is reported for (addresses are reused across packets, ids are not)
	assert_eq "clone hops keep the packet id" "$(vt_jq '
		(map(select(.type == "hop" and .func == "skb_clone")) | group_by(.pkt_id) |
			map({key: (.[0].pkt_id | tostring), value: map(.skb)}) | from_entries) as $clone |
		[.[] | select(.type == "hop" and (.ifname == "mir0" or .ifname == "mir1"))] |
		([.[].pkt_id] | unique | length) == '$VT_N' and
		all(.skb as $s | $clone[.pkt_id | tostring] | index($s) != null)')" true
	assert_eq "no extra packet ids" "$(vt_jq '[.[] | select(.type == "hop") | .pkt_id] | unique |
		length')" $VT_N
	# fexit continues the id directly: the fingerprint fallback is never needed
	assert_eq "nothing found by fingerprint" "$(vt_jq '[.[] | select(.type == "hop" and
		(.flags | index("by_fingerprint")))] | length')" 0
	assert_eq "original still reaches nic0" "$(vt_all_packets '.judged_at.ifname == "nic0"')" true
}

# A pcap-filter expression in the kprobe and fentry programs. With kprobe-multi, a datagram the
# pod sends is first seen in the IP output functions, before the neighbour layer puts an
# Ethernet header in front: there the raw-IP variant of the expression selects it (the
# Ethernet variant would read IP bytes as Ethernet and select it only later, at
# net_dev_queue). fentry's programs load with the expression and select what it says.
test_pcap_expression_kprobe_multi_and_fentry() {
	local pod=tk$TK_TEST_ID-pod1 backend
	tk_require kprobe-multi
	tk_require fentry
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" $VT_PORT
	tk_listen "$TK_TEST_ID" 5002
	for backend in kprobe-multi fentry; do
		TK_TRACE_READY_S=120 tk_trace_start "$TK_TMP/out.json" --backend $backend --json \
			--netns "$pod" 'udp and dst port 5002' \
			$([ $backend = kprobe-multi ] && echo --filter-func \
				'^(ip_local_out|__ip_local_out|ip_output|ip_finish_output2)$')
		tk_talk "$TK_TEST_ID" 1 --port $VT_PORT --count $VT_N --interval-us 20000 \
			>/dev/null || tk_fail "talker failed"
		tk_talk "$TK_TEST_ID" 1 --port 5002 --count $VT_N --interval-us 20000 \
			>/dev/null || tk_fail "talker failed"
		tk_trace_stop
		assert_eq "$backend: exit" "$TK_TRACE_RC" 0
		vt_jq -c '.[] | select(.type == "hop" and (.flags | index("first")))'
		assert_eq "$backend: the datagrams to 5002 only" "$(vt_jq -c '[.[] | select(.type ==
			"hop" and (.flags | index("first"))) | .tuple.dport]')" "[5002,5002,5002]"
		[ $backend = kprobe-multi ] || continue
		assert_eq "kprobe-multi: selected in an IP output function of the pod" \
			"$(vt_jq -c '[.[] | select(.type == "hop" and (.flags | index("first"))) |
			[.hook, .netns_name]] | unique')" "[[\"kprobe\",\"$pod\"]]"
	done
}
