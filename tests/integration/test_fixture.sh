#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Self-test of the node-in-a-box fixture (tests/fixture.sh) and of build/talker. Every other
# integration test trusts this fixture, so here it must prove two things: traffic from a pod
# really reaches the TSN network through br0, routing and nic0; and nic0's per-class counters
# really tell the traffic classes apart, so that "everything ends up in TC0" is a finding about
# the kernel and not an artefact of the fixture.

FX_PORT=5001
FX_N=100

# Pods reach the listener, and every datagram is counted.
fx_check_reachable() { # id
	local id=$1 k got
	tk_listen "$id" "$FX_PORT"
	for ((k = 1; k <= 2; k++)); do
		assert_exit "fixture $id: talker in pod$k" 0 \
			tk_talk "$id" "$k" --port "$FX_PORT" --count "$FX_N" --interval-us 200
		assert_match "fixture $id: pod$k summary" "$TK_OUT" "^sent $FX_N/$FX_N .* 0 errors"
	done
	got=$(tk_listen_count "$id" "$FX_PORT")
	assert_eq "fixture $id: datagrams received from both pods" "$got" $((2 * FX_N))
}

test_fixture_up_down() {
	local id=$TK_TEST_ID ns progid i
	tk_fixture_up "$id"
	assert_eq "TK_NODE" "$TK_NODE" "tk$id-node"
	assert_eq "TK_NET" "$TK_NET" "tk$id-net"
	assert_eq "TK_PODS" "${TK_PODS[*]}" "tk$id-pod1 tk$id-pod2"
	assert_eq "TK_POD_IP" "${TK_POD_IP[*]}" "198.18.$id.11 198.18.$id.12"
	assert_eq "TK_LISTEN_IP" "$TK_LISTEN_IP" "198.19.$id.2"
	for ns in "$TK_NODE" "$TK_NET" "${TK_PODS[@]}"; do
		assert_exit "netns $ns exists" 0 test -e "/run/netns/$ns"
	done
	assert_match "br0 has the pod gateway address" \
		"$(tk_ns "$TK_NODE" ip -4 -o addr show dev br0)" " $TK_BR_IP/24 "
	assert_match "vethpod1 is a br0 port" "$(tk_ns "$TK_NODE" ip -o link show vethpod1)" \
		" master br0 "
	assert_eq "ip_forward in the node netns" \
		"$(tk_ns "$TK_NODE" cat /proc/sys/net/ipv4/ip_forward)" 1
	assert_match "nic0 has 4 tx queues" "$(tk_ns "$TK_NODE" ip -d link show nic0)" \
		" numtxqueues 4 "
	assert_match "qdisc kind" "$(tk_tc_kind)" "^(taprio|htb)$"
	assert_match "pod1 default route via br0" \
		"$(tk_ns "${TK_PODS[0]}" ip -4 route show default)" "via $TK_BR_IP dev eth0"

	fx_check_reachable "$id"

	# a second up with the same ID is refused instead of tearing into the first
	assert_exit "up twice with one ID" 1 bash -c \
		"source '$TK_ROOT/tests/fixture.sh'; tk_fixture_up $id"

	# other fixtures (other tests, other runners) have classifiers too: check this one's
	progid=$(tk_ns "$TK_NODE" tc filter show dev nic0 | sed -n 's/.* id \([0-9]*\) name tk_.*/\1/p')
	tk_fixture_down "$id"
	assert_eq "netns left after down" "$(ip netns list | awk '{print $1}' | grep -E "^tk$id-")" ""
	if [ -n "$progid" ]; then
		# the kernel frees a program a moment after its device goes (deferred work)
		for ((i = 0; i < 30; i++)); do
			bpftool prog show id "$progid" >/dev/null 2>&1 || break
			sleep 0.1
		done
		assert_exit "classifier program $progid gone after down" 255 \
			bpftool prog show id "$progid"
	fi
	# idempotent
	assert_exit "second down" 0 tk_fixture_down "$id"
}

test_fixture_parallel_ids() {
	local a=$TK_TEST_ID b
	# claimed like the test's own id: no other run builds it meanwhile
	b=$(tk_claim_extra_id)
	tk_fixture_up "$a"
	tk_fixture_up "$b" 3
	tk_fixture_vars "$b"
	assert_eq "fixture $b has 3 pods" "${#TK_PODS[@]}" 3
	assert_eq "fixture $b pod3 address" "${TK_POD_IP[2]}" "198.18.$b.13"
	fx_check_reachable "$a"
	fx_check_reachable "$b"
	# what one fixture sends is scheduled on its own nic0 only
	assert_ge "fixture $a tc0" "$(tk_tc_count "$a" 0)" $((2 * FX_N))
	assert_ge "fixture $b tc0" "$(tk_tc_count "$b" 0)" $((2 * FX_N))
	assert_le "fixture $b tc0 holds only its own traffic" "$(tk_tc_count "$b" 0)" \
		$((2 * FX_N + 10))
	tk_fixture_down "$a"
	assert_exit "fixture $b survives the other's teardown" 0 test -e "/run/netns/tk$b-node"
	tk_listen "$b" "$FX_PORT"
	assert_exit "fixture $b still carries traffic" 0 \
		tk_talk "$b" 3 --port "$FX_PORT" --count 10 --interval-us 0
	assert_eq "fixture $b: datagrams after the other's down" "$(tk_listen_count "$b" "$FX_PORT")" 10
}

# The problem tsnkit exists for, reproduced: a pod's SO_PRIORITY does not survive the veth and
# the forwarding on the way to nic0, so its packets are scheduled as best effort (TC0).
test_fixture_shows_the_problem() {
	local id=$TK_TEST_ID c0 c1 got
	tk_fixture_up "$id"
	tk_log "nic0 qdisc: $(tk_tc_kind)"
	tk_listen "$id" "$FX_PORT"

	assert_exit "pod1 talker, SO_PRIORITY 1" 0 \
		tk_talk "$id" 1 --port "$FX_PORT" --count "$FX_N" --priority 1 --interval-us 200
	got=$(tk_listen_count "$id" "$FX_PORT")
	assert_eq "listener got every pod datagram" "$got" "$FX_N"
	tk_log "after the pod talker: $(tk_tc_counts | tr '\n' ' ')"
	assert_eq "pod packets in TC1 (priority 1 lost on the way)" "$(tk_tc_count "$id" 1)" 0
	assert_ge "pod packets in TC0" "$(tk_tc_count "$id" 0)" "$FX_N"

	# Control: the same talker on the node itself, where the priority reaches nic0 untouched,
	# lands in TC1: the classifier is right, the pod path is what loses the metadata.
	c0=$(tk_tc_count "$id" 0)
	tk_listen "$id" "$FX_PORT"
	assert_exit "node talker, SO_PRIORITY 1" 0 \
		tk_talk "$id" node --port "$FX_PORT" --count "$FX_N" --priority 1 --interval-us 200
	assert_eq "listener got every node datagram" "$(tk_listen_count "$id" "$FX_PORT")" "$FX_N"
	tk_log "after the node talker: $(tk_tc_counts | tr '\n' ' ')"
	c1=$(tk_tc_count "$id" 1)
	assert_ge "node packets in TC1" "$c1" "$FX_N"
	assert_le "node packets did not go to TC0" $(($(tk_tc_count "$id" 0) - c0)) 5
	assert_eq "nothing in TC2" "$(tk_tc_count "$id" 2)" 0
}

# The guard against a host that routes the benchmark range, on canned "ip route" output (the
# test must not add routes to the host).
test_fixture_route_guard() {
	local bad
	bad=$(printf '%s\n' "default via 192.0.2.1 dev eth0" \
		"192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2" \
		"local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2" \
		"198.20.0.0/16 dev eth1" "198.16.0.0/15 dev eth1" | _tk_fx_route_conflict)
	assert_eq "harmless routes" "$bad" ""
	bad=$(echo "198.19.7.0/24 dev eth1 scope link" | _tk_fx_route_conflict)
	assert_eq "a route inside the range" "$bad" "198.19.7.0/24 dev"
	bad=$(echo "198.0.0.0/8 via 192.0.2.9 dev eth0" | _tk_fx_route_conflict)
	assert_eq "a route around the range" "$bad" "198.0.0.0/8 via"
	bad=$(echo "local 198.18.0.5 dev eth1 table local" | _tk_fx_route_conflict)
	assert_eq "a host address in the range" "$bad" "local 198.18.0.5"
	bad=$(ip -4 route show table all | _tk_fx_route_conflict)
	assert_eq "this host" "$bad" ""
}

# A fixture that cannot be built fails in one line naming what failed, and leaves nothing.
# The bring-up runs its ip commands in one `ip -batch` per netns: a netlink error names the
# command (ip's "Command failed -:N"); a malformed argument, on which ip exits at once, names
# the netns' batch.
test_fixture_failure_one_line() {
	local id=$TK_TEST_ID out rc=0 ns=tk$TK_TEST_ID-node
	out=$(bash -c "source '$TK_ROOT/tests/lib.sh'; trap tk_run_deferred EXIT
		TK_FIXTURE_POD_PREFIX=198.18.300; tk_fixture_up $id 1" 2>&1) || rc=$?
	tk_log "$out"
	assert_eq "malformed address: exit status" "$rc" 1
	assert_eq "malformed address: one line" "$(wc -l <<<"$out")" 1
	assert_match "malformed address: the batch that has it" "$out" \
		"^FAIL: fixture: 'ip -n $ns -batch -' of '.*; addr add 198\.18\.300\.$id\.1/24 dev br0; .*' failed: Error: "
	assert_eq "malformed address: nothing left" \
		"$(ip netns list | awk '{print $1}' | grep -E "^tk$id-")" ""

	ip netns add "$ns" || tk_fail "netns $ns"
	tk_defer "ip netns del $ns"
	rc=0
	out=$(bash -c "source '$TK_ROOT/tests/lib.sh'; _tk_fx_ipq $ns link set lo up
		_tk_fx_ipq $ns route add 198.18.$id.0/24 via 198.19.$id.9; _tk_fx_ipq_run" 2>&1) || rc=$?
	tk_log "$out"
	assert_eq "unreachable gateway: exit status" "$rc" 1
	assert_eq "unreachable gateway: one line" "$(wc -l <<<"$out")" 1
	assert_match "unreachable gateway: the command" "$out" \
		"^FAIL: fixture: 'ip -n $ns route add 198\.18\.$id\.0/24 via 198\.19\.$id\.9' failed: Error: "
}

# The talker's metadata flags work through the fixture, and bad usage is exit 2 with one line.
test_fixture_talker() {
	local id=$TK_TEST_ID out
	tk_fixture_up "$id" 1
	tk_listen "$id" "$FX_PORT"
	# what the pod's eth0 sends is what the talker says it set (IP_TOS 0x10 alone would give 6)
	tk_trace_start "$TK_TMP/talker.json" --json --summary --netns "tk$id-pod1" --dport "$FX_PORT"
	assert_exit "txtime tai + mark + tos + size + src-port" 0 tk_talk "$id" 1 --port "$FX_PORT" \
		--count 20 --interval-us 0 --priority 2 --txtime tai --txtime-delay-ns 200000 \
		--mark 7 --tos 0x10 --size 200 --src-port 40000 --json
	out=$TK_OUT
	tk_trace_stop
	assert_eq "priority 2 and mark 7 at the first hop, with --tos" "$(jq -s '[.[] |
		select(.type == "packet") | .fields.priority.first == 2 and .fields.mark.first == 7] |
		(length == 20) and all' "$TK_TMP/talker.json")" true
	assert_eq "json sent" "$(echo "$out" | jq -r .sent)" 20
	assert_eq "json txtime" "$(echo "$out" | jq -r .txtime)" tai
	assert_exit "txtime mono from the node" 0 tk_talk "$id" node --port "$FX_PORT" --count 5 \
		--interval-us 0 --txtime mono
	assert_exit "duration bounds the count" 0 tk_talk "$id" 1 --port "$FX_PORT" \
		--count 10000000 --interval-us 100000 --duration 1
	assert_match "stopped by --duration" "$TK_OUT" "^sent (9|10|11)/10000000 "
	assert_ge "listener count" "$(tk_listen_count "$id" "$FX_PORT")" 34

	assert_exit "unknown flag" 2 "$TK_BUILD/talker" --dst 198.19.0.2 --port 1 --bogus
	assert_eq "one stderr line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "count above 1e7" 2 "$TK_BUILD/talker" --dst 198.19.0.2 --port 1 --count 10000001
	assert_exit "delay without txtime" 2 "$TK_BUILD/talker" --dst 198.19.0.2 --port 1 \
		--txtime-delay-ns 5
	assert_exit "bad txtime clock" 2 "$TK_BUILD/talker" --dst 198.19.0.2 --port 1 --txtime utc
	assert_exit "missing --dst" 2 "$TK_BUILD/talker" --port 1
	assert_exit "listen with --priority" 2 "$TK_BUILD/talker" --listen --port 1 --priority 1
}

# listen --delays (bench/delay.sh): one line per talker datagram, its kernel receive stamp after
# the talker's send stamp (a stamp taken before the send, or never converted to the talker's
# clock, fails) and no later than the listener's own read of the clock.
test_fixture_talker_delays() {
	local id=$TK_TEST_ID pid bad i
	tk_fixture_up "$id" 1
	# nsenter execs the listener: pid is the listener's, which TERM makes write its file out
	nsenter --net="/run/netns/tk$id-net" -- "$TK_BUILD/talker" --listen --port "$FX_PORT" \
		--duration 30 --delays "$TK_TMP/delays" >/dev/null 2>&1 &
	pid=$!
	tk_defer "kill $pid 2>/dev/null"
	for ((i = 0; i < 50; i++)); do
		[ -n "$(tk_ns "tk$id-net" ss -Hlun "sport = :$FX_PORT")" ] && break
		sleep 0.1
	done
	assert_exit "talker" 0 tk_talk "$id" 1 --port "$FX_PORT" --count 50 --interval-us 1000
	sleep 0.2
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "one line per datagram" "$(wc -l <"$TK_TMP/delays")" 50
	# receive stamp within 10 s of now; 0 < kernel delay <= app delay < 1 s
	bad=$(awk -v now="$(date +%s%N)" 'NF != 3 || now - $1 > 1e10 || $2 <= 0 || $2 > $3 ||
		$3 >= 1e9' "$TK_TMP/delays")
	assert_eq "lines out of bounds" "$bad" ""
	assert_exit "--delays without --listen" 2 "$TK_BUILD/talker" --dst 198.19.0.2 --port 1 \
		--delays /dev/null
	assert_eq "one stderr line" "$(echo "$TK_ERR" | wc -l)" 1
	assert_exit "--delays into a missing directory" 1 "$TK_BUILD/talker" --listen --port 1 \
		--duration 1 --delays "$TK_TMP/no/such/file"
}
