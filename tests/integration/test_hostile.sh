#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode against hostile pods (docs/enforce.md, threat model): pods with CAP_NET_RAW that
# forge other pods' datagrams. Judged by the fixture's per-class qdisc counters on nic0, which
# tsnproxy does not touch.

VICTIM_PORT=7001	# pod1 -> pod2, pod to pod: never through nic0
CLOSED_PORT=7002	# on pod2, nothing listens

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

hostile_setup() { # NPODS [START-ARGS...]
	tk_fixture_up "$TK_TEST_ID" "$1"
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 "${@:2}" >/dev/null || tk_fail "tsnproxy start failed"
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

# Sniffed replay: pod2 receives 50 of pod1's priority-3 datagrams and re-sends each from its own
# address with the same IP id, length and payload. REGISTERED=1: pod2 has a policy of its own
# ({1}), and keeps its own rights only.
sniffed_replay() { # REGISTERED
	hostile_setup 2
	local before after pid
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	if (($1)); then
		proxy allow --netns "${TK_PODS[1]}" --priorities 1 >/dev/null || tk_fail "allow pod2"
	fi
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
	assert_eq "replays in the attacker's own class tc1" "$(tk_tc_delta "$before" "$after" 1)" 0
	assert_ge "replays left as best effort (tc0)" "$(tk_tc_delta "$before" "$after" 0)" 50
}

test_replay_sniffed_by_unregistered_pod() {
	sniffed_replay 0
}

test_replay_sniffed_by_registered_pod() {
	sniffed_replay 1
}

# IP id sweep: after one datagram of pod1 to a closed port of pod2, pod2 sends the guessed
# content with every IP id. The same sweep from pod1 itself is the control: it proves that the
# forged datagrams do match pod1's saved entry, which pod1 may use (its own, within its TTL).
# The TTL is the longest start takes: 65 536 raw sends outlast the default TTL on a loaded machine,
# and an entry that expired mid-sweep would make the control fail for the wrong reason.
test_replay_ip_id_sweep() {
	hostile_setup 2 --ttl 60000
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

# A priority of 32 or more has no bit in the policy's mask: it is never allowed, also to a pod
# allowed 31 (it was: bit 31 stood for every value from 31 up, and mqprio/taprio read 35 as
# 35 & 15 = 3, a class the pod was not given). Such a priority takes the clamp, to 31 here.
# On 6.9+ CAP_NET_RAW is enough to set it (SO_PRIORITY above 6).
test_priority_past_the_mask_never_allowed() {
	hostile_setup 1
	proxy allow --netns "${TK_PODS[0]}" --priorities 1,31 >/dev/null || tk_fail "allow"
	tk_observe_start 6041-6042
	tk_talk "$TK_TEST_ID" 1 --port 6041 --count 20 --priority 35 >/dev/null ||
		tk_fail "talker at 35"
	tk_talk "$TK_TEST_ID" 1 --port 6042 --count 20 --priority 31 >/dev/null ||
		tk_fail "talker at 31"
	tk_observe_stop
	assert_eq "35 never leaves as 35" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6041 and .priority == 35')" 0
	assert_eq "35 clamped to 31" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6041 and .priority == 31')" 20
	assert_eq "31 itself allowed" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6042 and .priority == 31')" 20
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

# A pod netns on the node bridge, outside the fixture's pods: tk<ID>-NAME (made if it does not
# exist) with eth0 at
# 198.18.<ID>.HOST, its host end vr<HOST> a port of br0.
extra_pod() { # NAME HOST
	local ns=tk$TK_TEST_ID-$1
	[ -e "/run/netns/$ns" ] || ip netns add "$ns" || tk_fail "netns $ns"
	tk_ns "$TK_NODE" ip link add "vr$2" type veth peer name eth0 netns "$ns" || tk_fail "veth"
	tk_ns "$TK_NODE" ip link set "vr$2" master br0 up
	tk_ns "$ns" ip link set lo up
	tk_ns "$ns" ip addr add "$TK_FIXTURE_POD_PREFIX.$TK_TEST_ID.$2/24" dev eth0
	tk_ns "$ns" ip link set eth0 up
	tk_ns "$ns" ip route add default via "$TK_BR_IP"
}

# A registration dies with its netns: the next netns the kernel gives the same inode inherits
# nothing (datapath: it runs no save program; registry: status shows the old one gone), allow
# replaces the stale registration, and deny inode:N works once the netns is gone.
test_recycled_netns_inode_inherits_nothing() {
	hostile_setup 1
	local ino new i st
	extra_pod old 50
	proxy allow --netns "tk$TK_TEST_ID-old" --priorities 3 >/dev/null || tk_fail "allow old"
	ino=$(stat -L -c %i "/run/netns/tk$TK_TEST_ID-old")
	ip netns del "tk$TK_TEST_ID-old"
	# the inode is free again once the kernel has cleaned the netns up (asynchronously)
	for ((i = 0; i < 200; i++)); do
		ip netns add "tk$TK_TEST_ID-new"
		new=$(stat -L -c %i "/run/netns/tk$TK_TEST_ID-new")
		[ "$new" = "$ino" ] && break
		ip netns del "tk$TK_TEST_ID-new"
		sleep 0.1
	done
	[ "$new" = "$ino" ] || tk_fail "the kernel gave no netns inode $ino again in 20 s"
	extra_pod new 51
	st=$(proxy status --json)
	assert_eq "status: the registration's netns is gone" "$(echo "$st" | jq '.policy[0].alive')" \
		false
	assert_eq "status: no name of the new netns on it" "$(echo "$st" | jq '.policy[0].netns')" null
	assert_tc_deltas "new netns, priority 3, not registered" "3=0" tk_ns "tk$TK_TEST_ID-new" \
		"$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port 5001 --count 50 --priority 3
	proxy allow --netns "tk$TK_TEST_ID-new" --priorities 1 >/dev/null || tk_fail "allow new"
	assert_eq "allow replaced the stale registration" \
		"$(proxy status --json | jq -c '[.policy[] | [.priorities, .alive]]')" '[["1",true]]'
	assert_tc_deltas "new netns registered {1}: 3 -> 1" "1=50 3=0" tk_ns "tk$TK_TEST_ID-new" \
		"$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port 5001 --count 50 --priority 3
	ip netns del "tk$TK_TEST_ID-new"
	proxy deny --netns "inode:$ino" >/dev/null || tk_fail "deny inode:$ino of a netns that is gone"
	assert_eq "registry empty" "$(proxy status --json | jq '.policy | length')" 0
}

# Point the pod tag allocator's cursor (next_tag in maps/config) at TAG, as if every other tag
# had been handed out since: the member's offset comes from the map's BTF.
set_next_tag() { # TAG
	local map=$TK_PIN/maps/config btf off bytes
	btf=$(bpftool map show pinned "$map" -j | jq .btf_id)
	off=$(bpftool btf dump id "$btf" -j | jq '.types[] | select(.name == "tsn_proxy_config")
		| .members[] | select(.name == "next_tag") | .bits_offset / 8')
	[ -n "$off" ] || tk_fail "no next_tag in the BTF of $map"
	bytes=$(bpftool map lookup pinned "$map" key 0 0 0 0 -j | jq -r --argjson o "$off" \
		--argjson t "$1" '.value | .[$o] = ($t % 256 | tostring)
		| .[$o + 1] = ($t / 256 | floor | tostring) | .[$o + 2] = "0" | .[$o + 3] = "0"
		| join(" ")')
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update pinned "$map" key 0 0 0 0 value $bytes || tk_fail "writing next_tag"
}

pod_tag() { proxy status --json | jq --arg ns "$1" '.policy[] | select(.netns == $ns) | .tag'; }

# A tag is handed out again only once every entry saved under it is past the TTL: deny does
# not purge the table (guarantee 4 holds by the unbind), so an earlier reuse could let a pod in
# a recycled netns inode find the last holder's fresh entries.
test_freed_tag_not_reused_within_ttl() {
	hostile_setup 2 --ttl 1000
	local t1 t2
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1"
	t1=$(pod_tag "${TK_PODS[0]}")
	proxy deny --netns "${TK_PODS[0]}" >/dev/null || tk_fail "deny pod1"
	set_next_tag "$t1"
	proxy allow --netns "${TK_PODS[1]}" --priorities 1 >/dev/null || tk_fail "allow pod2"
	t2=$(pod_tag "${TK_PODS[1]}")
	assert_ne "pod2 did not get pod1's tag $t1, freed within the TTL" "$t2" "$t1"
	sleep 1.2	# past the TTL and its margin of a jiffy
	set_next_tag "$t1"
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow pod1 again"
	assert_eq "after the TTL the cursor's tag is handed out" "$(pod_tag "${TK_PODS[0]}")" "$t1"
	assert_tc_deltas "pod1 under its old tag again: priority 3 restored" "3=50" tk_ns \
		"${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port 5001 --count 50 \
		--priority 3
}

# --restore mark restores only the mark bits the pod was given (--mark-mask; default none).
test_mark_restored_only_within_policy() {
	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 --restore priority,tstamp,mark >/dev/null || tk_fail "start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow failed"
	tk_observe_start 6031-6032
	tk_talk "$TK_TEST_ID" 1 --port 6031 --count 50 --priority 1 --mark 0xdead >/dev/null
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --mark-mask 0xff00 >/dev/null ||
		tk_fail "allow --mark-mask failed"
	tk_talk "$TK_TEST_ID" 1 --port 6032 --count 50 --priority 1 --mark 0xdead >/dev/null
	tk_observe_stop
	assert_eq "no mark given: priority restored, mark not" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6031 and .priority == 1 and .mark == 0')" 50
	assert_eq "mark mask 0xff00: only those bits" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6032 and .mark == 56832')" 50
}
