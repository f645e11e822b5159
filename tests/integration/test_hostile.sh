#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode against hostile pods (docs/enforce.md, threat model): pods with CAP_NET_RAW that
# forge other pods' datagrams. Judged by the fixture's per-class qdisc counters on nic0, which
# tsnproxy does not touch.

VICTIM_PORT=7001	# pod1 -> pod2, pod to pod: never through nic0
CLOSED_PORT=7002	# on pod2, nothing listens

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

hostile_setup() { # NPODS
	tk_fixture_up "$TK_TEST_ID" "$1"
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
}

# replay in pod K (1-based) with the pod's own source address, to the listener
replay_in() { # K ARGS...
	local k=$1
	shift
	tk_ns "${TK_PODS[$((k - 1))]}" "$TK_BUILD/replay" --src "${TK_POD_IP[$((k - 1))]}" \
		--dst "$TK_LISTEN_IP" --port 5001 "$@"
}

# pod K sends to pod2 (pod to pod); prints the talker's pid
pod_to_pod2() { # K PORT ARGS...
	local k=$1 port=$2 out
	shift 2
	out=$(tk_ns "${TK_PODS[$((k - 1))]}" "$TK_BUILD/talker" --dst "${TK_POD_IP[1]}" \
		--port "$port" "$@") || tk_fail "talker in pod$k failed"
	echo "$out" | sed -n 's/.*(pid \([0-9]*\),.*/\1/p'
}

# Sniffed replay: pod2 (unregistered) receives 50 of pod1's priority-3 datagrams and re-sends
# each from its own address with the same IP id, length and payload.
test_replay_sniffed_by_unregistered_pod() {
	hostile_setup 2
	local before after pid
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	replay_in 2 --sniff eth0 --count 50 --timeout-ms 8000 >"$TK_TMP/replay.out" &
	pid=$!
	tk_defer "kill $pid"
	sleep 0.5	# the packet socket is bound
	before=$(tk_tc_snapshot)
	pod_to_pod2 1 $VICTIM_PORT --count 50 --priority 3 --interval-us 2000 >/dev/null
	wait "$pid"
	after=$(tk_tc_snapshot)
	assert_match "the attacker replayed every datagram" "$(cat "$TK_TMP/replay.out")" \
		"captured 50 sent 50"
	assert_eq "replays in the victim's class tc3" "$(tk_tc_delta "$before" "$after" 3)" 0
	assert_ge "replays left as best effort (tc0)" "$(tk_tc_delta "$before" "$after" 0)" 50
}

# The same from a registered pod with a policy of its own ({1}): it keeps its own rights only.
test_replay_sniffed_by_registered_pod() {
	hostile_setup 2
	local before after pid
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	proxy allow --netns "${TK_PODS[1]}" --priorities 1 >/dev/null || tk_fail "allow pod2"
	replay_in 2 --sniff eth0 --count 50 --timeout-ms 8000 >"$TK_TMP/replay.out" &
	pid=$!
	tk_defer "kill $pid"
	sleep 0.5
	before=$(tk_tc_snapshot)
	pod_to_pod2 1 $VICTIM_PORT --count 50 --priority 3 --interval-us 2000 >/dev/null
	wait "$pid"
	after=$(tk_tc_snapshot)
	assert_match "the attacker replayed every datagram" "$(cat "$TK_TMP/replay.out")" \
		"captured 50 sent 50"
	assert_eq "replays in the victim's class tc3" "$(tk_tc_delta "$before" "$after" 3)" 0
	assert_eq "replays in the attacker's own class tc1" "$(tk_tc_delta "$before" "$after" 1)" 0
}

# IP id sweep: after one datagram of pod1 to a closed port of pod2, pod2 sends the guessed
# content with every IP id. The same sweep from pod1 itself is the control: it proves that the
# forged datagrams do match pod1's saved entry, which pod1 may use (its own, within its TTL).
test_replay_ip_id_sweep() {
	hostile_setup 2
	local before after pid word
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	pid=$(pod_to_pod2 1 $CLOSED_PORT --count 1 --priority 3 --size 64)
	[ -n "$pid" ] || tk_fail "no talker pid"
	word=$(printf '54534e4b%08x' "$pid")	# talker's header: magic, pid
	before=$(tk_tc_snapshot)
	replay_in 2 --sweep --size 64 --word "$word" >/dev/null || tk_fail "sweep from pod2"
	after=$(tk_tc_snapshot)
	assert_eq "pod2's sweep in pod1's class tc3" "$(tk_tc_delta "$before" "$after" 3)" 0

	pid=$(pod_to_pod2 1 $CLOSED_PORT --count 1 --priority 3 --size 64)
	word=$(printf '54534e4b%08x' "$pid")
	before=$(tk_tc_snapshot)
	replay_in 1 --sweep --size 64 --word "$word" >/dev/null || tk_fail "sweep from pod1"
	after=$(tk_tc_snapshot)
	assert_eq "control: pod1's own sweep finds its entry once" \
		"$(tk_tc_delta "$before" "$after" 3)" 1
}

# Freshness without a timer: an entry older than the TTL is never restored, even to its own pod.
test_entry_past_ttl_not_restored() {
	tk_fixture_up "$TK_TEST_ID" 2
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 --ttl 100 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	local before after pid word expired
	pid=$(pod_to_pod2 1 $CLOSED_PORT --count 1 --priority 3 --size 64)
	word=$(printf '54534e4b%08x' "$pid")
	sleep 0.3	# 3 TTLs
	expired=$(proxy status --json | jq .counters.expired)
	assert_ge "status counts the stale entry as expired" "$expired" 1
	before=$(tk_tc_snapshot)
	replay_in 1 --sweep --size 64 --word "$word" >/dev/null || tk_fail "sweep from pod1"
	after=$(tk_tc_snapshot)
	assert_eq "entry past its TTL restored" "$(tk_tc_delta "$before" "$after" 3)" 0
	assert_eq "status: expired counted once, not again" \
		"$(proxy status --json | jq .counters.expired)" "$expired"
}
