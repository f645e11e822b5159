#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode (tsnproxy) over the node-in-a-box fixture, with real traffic. What the NIC got is
# judged by the fixture's per-traffic-class qdisc counters and by an independent observer
# (build/observe, tp_btf at driver xmit), never by the proxy's own counters, except where the
# proxy's bookkeeping itself is under test (lifetime, evictions).

N=200	# datagrams per talker: enough to see a mistake, small enough to stay fast

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }


# fixture + listener; the proxy is always stopped at the end, even on failure
enforce_setup() { # [NPODS]
	tk_fixture_up "$TK_TEST_ID" "${1:-2}"
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
}

# ids of this test's proxy programs, as a JSON list: the tsn_* programs that use its pinned
# tracking table (other runs' proxies, and a user's, have tables of their own)
proxy_prog_ids() {
	local map
	map=$(bpftool map show pinned "$TK_PIN/maps/track" -j 2>/dev/null | jq .id) ||
		{ echo '[]'; return; }
	bpftool prog show -j | jq -c --argjson m "$map" \
		'[.[] | select((.name | startswith("tsn_")) and any(.map_ids[]?; . == $m)) | .id]'
}

# bpf links (tcx) running this proxy's tsn_restore; bpftool 7.1 cannot show tcx under `net`
restore_links() { # [PROG-IDS] (default: the proxy's programs now)
	local ids=${1:-$(proxy_prog_ids)}
	ids=$(bpftool prog show -j | jq -c --argjson ids "$ids" \
		'[.[] | select(.name == "tsn_restore" and (.id as $i | $ids | index($i))) | .id]')
	bpftool link show -j | jq --argjson ids "$ids" \
		'[.[] | select(.prog_id as $i | $ids | index($i))] | length'
}

netns_ino() { stat -L -c %i "/run/netns/$1"; }
# nsenter keeps the root netns' /sys: ask the netns itself
nic_ifindex() { tk_ns "$TK_NODE" ip -j link show nic0 | jq '.[0].ifindex'; }

# the observer (tests/lib.sh), at the fixture's nic0
observe_start() { tk_observe_start "$1"; }
observe_stop() { tk_observe_stop; }
obs_nic_count() { tk_observe_count "$TK_NODE" nic0 "$1"; }

# the seed talk's talkers: pod1 at priority 1, pod2 at 2, pod1 best effort
seed_round() {
	tk_pod_talk 1 1 $N && tk_pod_talk 2 2 $N && tk_pod_talk 1 0 $N
}

test_seed_scenario() {
	enforce_setup 2
	# without the proxy: the problem
	assert_tc_deltas "no proxy" "0>=$((3 * N)) 1=0 2=0" seed_round

	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow pod1"
	proxy allow --netns "${TK_PODS[1]}" --priorities 2 >/dev/null || tk_fail "allow pod2"
	# exactly talker 1 in tc1, exactly talker 2 in tc2, best effort stays in tc0
	assert_tc_deltas "proxy" "1=$N 2=$N 0>=$N" seed_round
	assert_eq "listener got everything" "$(tk_listen_count "$TK_TEST_ID" 5001)" $((6 * N))
}

# TAI and MONO txtimes reach nic0 with their value and clock type, no txtime stays no txtime
# (run with enforce mode already started)
check_tstamp_kinds_restored() {
	observe_start 6001-6003
	tk_talk "$TK_TEST_ID" 1 --port 6001 --count 50 --priority 1 --txtime tai >/dev/null
	tk_talk "$TK_TEST_ID" 1 --port 6002 --count 50 --priority 1 --txtime mono >/dev/null
	tk_talk "$TK_TEST_ID" 1 --port 6003 --count 50 --priority 1 >/dev/null
	observe_stop
	local pod port type
	pod=$(netns_ino "${TK_PODS[0]}")
	for port in 6001 6002; do
		type=$([ $port = 6001 ] && echo tai || echo mono)
		# the pod's view and the NIC's view, joined on the talker's sequence number
		jq -s --argjson pod "$pod" --argjson nicns "$(netns_ino "$TK_NODE")" \
			--argjson nic "$(nic_ifindex)" --argjson port $port '
			[.[] | select(.dport == $port)] as $all |
			($all | map(select(.netns == $pod)) | INDEX(.seq)) as $p |
			$all | map(select(.netns == $nicns and .ifindex == $nic)) |
			map({seq, ok: (.tstamp == $p[.seq|tostring].tstamp and
				       .tstamp_type == $p[.seq|tostring].tstamp_type and .tstamp != 0)})' \
			"$TK_TMP/obs.json" >"$TK_TMP/join.$port"
		assert_eq "$type: packets seen at nic0" "$(jq length "$TK_TMP/join.$port")" 50
		assert_eq "$type: tstamp value and clock kept" \
			"$(jq '[.[] | select(.ok)] | length' "$TK_TMP/join.$port")" 50
		assert_eq "$type: clock type at nic0" \
			"$(obs_nic_count ".dport == $port and .tstamp_type == \"$type\"")" 50
	done
	# no SO_TXTIME: no timestamp may be invented
	assert_eq "no txtime: tstamp 0 at nic0" "$(obs_nic_count '.dport == 6003 and .tstamp == 0')" 50
	assert_eq "no txtime: priority restored" "$(obs_nic_count '.dport == 6003 and .priority == 1')" 50
}

test_tstamp_tai_mono_none() {
	enforce_setup 1
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start failed"
	check_tstamp_kinds_restored
}

test_address_reuse_never_restores_node_traffic() {
	enforce_setup 1
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start failed"
	observe_start 6010-6011
	# pod flood and node-originated priority-0 traffic interleaved; skbs get recycled between them
	tk_talk "$TK_TEST_ID" 1 --port 6011 --count 3000 --priority 3 >/dev/null &
	local pod_pid=$!
	tk_talk "$TK_TEST_ID" node --port 6010 --count 3000 --priority 0 >/dev/null
	wait $pod_pid
	observe_stop
	assert_ge "node packets seen at nic0" "$(obs_nic_count '.dport == 6010')" 3000
	assert_eq "node packets with a restored priority" \
		"$(obs_nic_count '.dport == 6010 and .priority != 0')" 0
	assert_eq "pod packets restored" "$(obs_nic_count '.dport == 6011 and .priority == 3')" 3000
}

test_clone_on_bridge_port_still_restored() {
	enforce_setup 1
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start failed"
	# mirror every packet entering the bridge port to a spare veth: the bridge path gets a clone
	tk_ns "$TK_NODE" ip link add tkmirror type veth peer name tkmirror1
	tk_ns "$TK_NODE" ip link set tkmirror up
	tk_ns "$TK_NODE" ip link set tkmirror1 up
	tk_ns "$TK_NODE" tc qdisc add dev vethpod1 clsact
	tk_ns "$TK_NODE" tc filter add dev vethpod1 ingress protocol ip u32 match u32 0 0 \
		action mirred egress mirror dev tkmirror
	local mirrored
	assert_tc_deltas "every packet restored" "1=$N" tk_pod_talk 1 1 $N
	mirrored=$(tk_ns "$TK_NODE" ip -j -s link show tkmirror | jq '.[0].stats64.tx.packets')
	assert_ge "mirror got the clones" "$mirrored" $N
}

test_xdp_rebuilt_skb_still_restored() {
	enforce_setup 1
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start failed"
	# XDP on the host side of the pod's veth: veth runs NAPI and rebuilds most skbs
	tk_ns "$TK_NODE" ip link set dev vethpod1 xdpdrv obj "$TK_BUILD/tk_foreign.bpf.o" sec xdp ||
		tk_fail "cannot attach XDP to vethpod1"
	assert_tc_deltas "every packet through XDP" "2=$N" tk_pod_talk 1 2 $N
}

# Entries of packets that never reach a NIC end within a TTL, with no timer: as freed when a new
# skb takes their address, else as expired (status counts the entries past their TTL), so the
# counters add up at any moment.
test_lifetime_local_traffic_expires() {
	enforce_setup 1
	proxy start --nic nic0 --ttl 200 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow failed"
	# pod -> node-local: delivered to br0's address, never reaches nic0
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$TK_BR_IP" --port 7001 --count $N \
		--priority 1 >/dev/null
	local st i
	# pods also send a little IPv6 control traffic (MLD, priority 7) that is saved like any
	# other: wait (bounded) until the table is quiet
	for ((i = 0; i < 30; i++)); do
		sleep 0.3	# > TTL
		st=$(proxy status --json)
		[ "$(echo "$st" | jq .map.used)" = 0 ] && break
	done
	assert_ge "saved" "$(echo "$st" | jq .counters.saved)" $N
	assert_ge "freed or expired" \
		"$(echo "$st" | jq '.counters | .freed_unrestored + .expired')" $N
	assert_eq "restored" "$(echo "$st" | jq .counters.restored_priority)" 0
	assert_eq "map empty after traffic stops" "$(echo "$st" | jq .map.used)" 0
	assert_eq "every saved entry accounted for" "$(echo "$st" |
		jq '.counters | .saved - .freed_unrestored - .expired - .evicted')" 0
}

test_tiny_capacity_evicts_never_misrestores() {
	enforce_setup 2
	proxy start --nic nic0 --policy all --capacity 64 >/dev/null || tk_fail "start failed"
	observe_start 6021-6022
	tk_talk "$TK_TEST_ID" 1 --port 6021 --count 5000 --priority 1 >/dev/null &
	local p1=$!
	tk_talk "$TK_TEST_ID" 2 --port 6022 --count 5000 --priority 2 >/dev/null
	wait $p1
	observe_stop
	local st
	st=$(proxy status --json)
	tk_log "counters: $(echo "$st" | jq -c .counters)"
	assert_eq "pod1 packets never get pod2's priority" \
		"$(obs_nic_count '.dport == 6021 and .priority != 1 and .priority != 0')" 0
	assert_eq "pod2 packets never get pod1's priority" \
		"$(obs_nic_count '.dport == 6022 and .priority != 2 and .priority != 0')" 0
	assert_ge "some restored" "$(obs_nic_count '.priority != 0')" 1
}

# Policy: the unregistered pod runs no save program, so its packets reach the NIC untagged.
policy_checks() { # save-hook
	enforce_setup 2
	proxy start --nic nic0 --save-hook "$1" >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --on-disallowed clamp >/dev/null
	local st
	# pod2 is not registered: stays best effort
	assert_tc_deltas "unregistered pod" "2=0" tk_pod_talk 2 2 $N
	st=$(proxy status --json)
	assert_eq "nothing saved for the unregistered pod" "$(echo "$st" | jq .counters.saved)" 0
	assert_ge "its packets counted untagged at the NIC" "$(echo "$st" | jq .counters.untagged)" $N
	# pod1 allowed {1} asks for 3: clamped to 1
	assert_tc_deltas "clamp: 3 -> 1" "1=$N 3=0" tk_pod_talk 1 3 $N
	# zero instead of clamp
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --on-disallowed zero >/dev/null
	assert_tc_deltas "zero: 3 -> 0" "1=0 3=0" tk_pod_talk 1 3 $N
	# deny: registered no more, and the datapath stops restoring at once (the tag is unbound
	# before the save program is detached)
	proxy deny --netns "${TK_PODS[0]}" >/dev/null
	assert_eq "deny removes the registration" "$(proxy status --json | jq '.policy | length')" 0
	assert_tc_deltas "after deny" "1=0" tk_pod_talk 1 1 $N
}

test_policy_unregistered_clamp_zero() {
	policy_checks auto
}

test_policy_tc_save_hook() {
	policy_checks tc
}

# The tracepoint save hook cannot tag, so it serves --policy all only; under --policy all,
# allow has nothing to register. Both refused in one line, nothing left behind.
test_tracepoint_save_hook_needs_policy_all() {
	enforce_setup 1
	local out
	out=$(proxy start --nic nic0 --save-hook tracepoint 2>&1)
	assert_eq "registered + tracepoint: exit" "$?" 2
	assert_eq "one line" "$(echo "$out" | wc -l)" 1
	assert_match "says why" "$out" "cannot tag"
	assert_eq "nothing pinned" "$(ls -d "$TK_PIN" 2>/dev/null)" ""
	proxy start --nic nic0 --policy all --save-hook tracepoint >/dev/null || tk_fail "start all"
	out=$(proxy allow --netns "${TK_PODS[0]}" --priorities 1 2>&1)
	assert_eq "allow under --policy all: exit" "$?" 2
	assert_match "allow under --policy all says why" "$out" "nothing to register"
	assert_eq "nothing registered" "$(proxy status --json | jq '.policy | length')" 0
}

test_kill9_then_adopt_then_stop_leaves_nothing() {
	enforce_setup 1
	local pid ids
	tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" start --nic nic0 --policy all \
		--foreground >"$TK_TMP/daemon.out" 2>&1 &
	pid=$!
	tk_wait_file "$TK_PIN/maps/config"
	sleep 0.2
	kill -9 $pid
	wait $pid 2>/dev/null
	assert_tc_deltas "restore continues after kill -9" "1=$N" tk_pod_talk 1 1 $N
	assert_eq "start again adopts" "$(proxy --json start --nic nic0 --policy all | jq -r .result)" adopted
	assert_eq "one restore attachment after adopt" "$(restore_links)" 1
	ids=$(proxy_prog_ids)
	assert_ne "the proxy's programs found" "$ids" "[]"
	proxy stop >/dev/null || tk_fail "stop failed"
	assert_eq "pin dir removed" "$(ls -d "$TK_PIN" 2>/dev/null)" ""
	assert_eq "no tsnproxy programs" "$(tk_progs_alive "$ids")" 0
	assert_eq "no restore attachment" "$(restore_links "$ids")" 0
	assert_eq "no qdisc left but the fixture's" \
		"$(tk_ns "$TK_NODE" tc qdisc show dev nic0 | grep -c clsact)" 0
	assert_eq "stop again is a no-op" "$(proxy --json stop | jq -r .result)" "not running"
}

test_coexists_with_foreign_tc_program() {
	enforce_setup 1
	tk_ns "$TK_NODE" tc qdisc add dev nic0 clsact
	tk_ns "$TK_NODE" tc filter add dev nic0 egress bpf da obj "$TK_BUILD/tk_foreign.bpf.o" \
		sec tc || tk_fail "cannot attach the foreign program"
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start failed"
	local id count
	assert_tc_deltas "restored with a foreign program on the hook" "1=$N" tk_pod_talk 1 1 $N
	# this fixture's copy (other tests may have one loaded too)
	id=$(tk_ns "$TK_NODE" tc filter show dev nic0 egress |
		sed -n 's/.* id \([0-9]*\) name tk_foreign.*/\1/p')
	id=$(bpftool prog show id "$id" -j | jq -r '.map_ids[0]')
	count=$(bpftool map dump id "$id" -j | jq '.[0].formatted.value.".bss"[0].tk_foreign_pkts')
	assert_ge "foreign program saw every packet" "$count" $N
	proxy stop >/dev/null
	assert_eq "foreign program still attached after stop" \
		"$(tk_ns "$TK_NODE" tc filter show dev nic0 egress | grep -c tk_foreign)" 1
}

test_bad_input_exit2_nothing_attached() {
	enforce_setup 1
	local ids
	assert_exit "unknown NIC" 2 proxy start --nic nosuchnic0
	assert_match "unknown NIC message" "$TK_ERR" "unknown NIC 'nosuchnic0'"
	assert_exit "NIC in another netns" 2 \
		tk_ns "${TK_PODS[0]}" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" start --nic nic0
	assert_match "another netns message" "$TK_ERR" "it is in netns tk[0-9]+-node"
	assert_exit "bad ttl" 2 proxy start --nic nic0 --ttl abc
	assert_exit "unknown flag" 2 proxy start --nic nic0 --bogus
	assert_exit "no pin left" 0 test ! -e "$TK_PIN"
	proxy start --nic nic0 >/dev/null || tk_fail "start failed"
	assert_exit "bad priority list" 2 proxy allow --netns "${TK_PODS[0]}" --priorities 1,x
	assert_exit "netns that does not exist" 2 proxy allow --netns tk-no-such-ns --priorities 1
	assert_exit "conflicting second start" 2 proxy start --nic nic0 --policy all
	assert_match "conflict message" "$TK_ERR" "other settings"
	assert_exit "not root" 2 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" stop
	assert_eq "still one attachment" "$(restore_links)" 1
	ids=$(proxy_prog_ids)
	assert_ne "the proxy's programs found" "$ids" "[]"
	proxy stop >/dev/null
	assert_eq "no tsnproxy programs left" "$(tk_progs_alive "$ids")" 0
}

# A second start that asks for other settings than the running state is refused, and says in
# the CLI's words each setting that differs (the save hook included), running and asked; the
# running state is left as it was.
test_conflicting_start_names_each_difference() {
	enforce_setup 1
	local pre="tsnproxy: already running with other settings:"
	local post="stop it first (state in $TK_PIN)"
	proxy start --nic nic0 >/dev/null || tk_fail "start failed"
	assert_exit "policy, save hook, restore differ" 2 \
		proxy start --nic nic0 --policy all --save-hook tracepoint --restore priority
	assert_eq "policy, save hook, restore named" "$TK_ERR" \
		"$pre policy registered, save hook tc, restore priority,tstamp (asked: policy all,"\
" save hook tracepoint, restore priority); $post"
	assert_exit "capacity, ttl differ" 2 proxy start --nic nic0 --capacity 128 --ttl 500
	assert_eq "capacity, ttl named" "$TK_ERR" \
		"$pre capacity 65536, ttl 1000 ms (asked: capacity 128, ttl 500 ms); $post"
	assert_exit "NICs differ" 2 proxy start --nic nic0 --nic br0 --restore mark,tstamp,priority
	assert_eq "NICs and restore named" "$TK_ERR" \
		"$pre restore priority,tstamp, NICs nic0 (asked: restore priority,tstamp,mark,"\
" NICs nic0,br0); $post"
	assert_exit "JSON error (on stdout)" 2 proxy --json start --nic nic0 --policy all --save-hook tc
	assert_eq "JSON error names the policy" "$(jq -r .error <<<"$TK_OUT")" \
		"already running with other settings: policy registered (asked: policy all); $post"
	assert_eq "still as started" \
		"$(proxy status --json | jq -c '.config | [.policy, .save_hook, .restore, .ttl_ms]')" \
		'["registered","tc",["priority","tstamp"],1000]'
	assert_exit "same settings adopt" 0 proxy start --nic nic0
	assert_match "adopted" "$TK_OUT" "adopted"
}

# tsntrace's CI verdict, the other way round: without enforce mode a pod's priority is lost
# (exit 1), with it every traced packet keeps it to the NIC (exit 0).
test_tsntrace_expect_priority_with_proxy() {
	enforce_setup 1
	local rc
	trace_run() { # expected-exit
		"$TK_BUILD/tsntrace" --netns "${TK_PODS[0]}" --dport 5001 --expect priority \
			--duration 30 --count 5 --ready-file "$TK_TMP/ready" >"$TK_TMP/trace.out" 2>&1 &
		local pid=$!
		tk_wait_file "$TK_TMP/ready"
		tk_talk "$TK_TEST_ID" 1 --port 5001 --count 5 --priority 1 >/dev/null
		wait $pid
		rc=$?
		rm -f "$TK_TMP/ready"
	}
	trace_run
	assert_eq "tsntrace --expect priority without the proxy" "$rc" 1
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null
	trace_run
	tk_log "$(tail -n 5 "$TK_TMP/trace.out")"
	assert_eq "tsntrace --expect priority with the proxy" "$rc" 0
}

# The per-pod save hook: a tc egress program on the pod's eth0 inside its netns (tcx, or clsact
# before 6.6), attached by `allow` (on the pod's only interface, or on --ifname), removed by
# `deny`.
test_tc_save_hook() {
	enforce_setup 1
	local pod=/run/netns/${TK_PODS[0]}
	proxy start --nic nic0 --save-hook tc >/dev/null || tk_fail "tsnproxy start failed"
	# a second interface up in the pod: which one is the pod's is no longer obvious
	nsenter --net="$pod" -- ip link add tkx0 type veth peer name tkx1 || tk_fail "veth"
	nsenter --net="$pod" -- ip link set tkx0 up
	assert_exit "allow without --ifname, two interfaces" 2 \
		proxy allow --netns "${TK_PODS[0]}" --priorities 1
	assert_eq "nothing attached by the refused allow" "$(proxy status --json |
		jq '[.policy[]?] | length')" 0
	nsenter --net="$pod" -- ip link del tkx0
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null ||
		tk_fail "allow on the pod's only interface failed"
	assert_eq "tc save hook on the only interface: tc1" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N
	proxy deny --netns "${TK_PODS[0]}" >/dev/null
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --ifname eth0 >/dev/null ||
		tk_fail "allow with --ifname failed"
	assert_eq "tc save hook: tc1" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N
	proxy deny --netns "${TK_PODS[0]}" >/dev/null
	assert_eq "after deny: tc1" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" 0
}

# The default save hook: tc, which tags registered pods' packets; --policy all registers none,
# so it takes the node-wide tracepoint.
test_save_hook_auto() {
	enforce_setup 1
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	assert_eq "default save hook, --policy registered" \
		"$(proxy status --json | jq -r .config.save_hook)" tc
	assert_exit "start --policy all against it" 2 proxy start --nic nic0 --policy all
	proxy stop >/dev/null
	proxy start --nic nic0 --policy all >/dev/null || tk_fail "tsnproxy start --policy all failed"
	assert_eq "default save hook, --policy all" \
		"$(proxy status --json | jq -r .config.save_hook)" tracepoint
	assert_eq "tracepoint save program attached" "$(bpftool link show -j |
		jq --argjson ids "$(proxy_prog_ids)" '[.[] | select(.tp_name? == "net_dev_start_xmit"
			and (.prog_id as $i | $ids | index($i)))] | length')" 1
}

# Each pod has its own copy of the tc save program with its policy built in: registering the pod
# again with new priorities must reach every interface it is attached to, not only the one named.
test_tc_save_hook_new_policy_reaches_every_interface() {
	enforce_setup 1
	local pod=/run/netns/${TK_PODS[0]} old
	proxy start --nic nic0 --save-hook tc >/dev/null || tk_fail "tsnproxy start failed"
	nsenter --net="$pod" -- ip link add tkx0 type veth peer name tkx1 || tk_fail "veth"
	nsenter --net="$pod" -- ip link set tkx0 up
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --ifname eth0 >/dev/null ||
		tk_fail "allow eth0 failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --ifname tkx0 >/dev/null ||
		tk_fail "allow tkx0 failed"
	save_prog_ids() { # the programs the pod's save links run, one line each
		for l in "$TK_PIN"/links/save_*; do bpftool link show pinned "$l" -j | jq .prog_id
		done | sort -u
	}
	old=$(save_prog_ids)
	assert_eq "two save links, one program" "$(find "$TK_PIN/links" -name 'save_*' | wc -l) \
$(echo "$old" | wc -l)" "2 1"
	assert_eq "priority 2 not allowed yet: tc0" "$(tk_talk_class "$TK_TEST_ID" 1 2 2 $N)" 0
	# registered again naming tkx0 only: eth0 must get the new copy too
	proxy allow --netns "${TK_PODS[0]}" --priorities 2 --ifname tkx0 >/dev/null ||
		tk_fail "allow again failed"
	assert_eq "both links on one new program" \
		"$(save_prog_ids | wc -l) $(save_prog_ids | grep -cx "$old")" "1 0"
	assert_eq "eth0 now allowed priority 2: tc2" "$(tk_talk_class "$TK_TEST_ID" 1 2 2 $N)" $N
	assert_eq "eth0 priority 1 now clamped to 0: tc1" \
		"$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" 0
}

# the tc save hook reads the clock type from __sk_buff, the tracepoint one from the skb's bitfield
test_tc_save_hook_tstamp() {
	enforce_setup 1
	proxy start --nic nic0 --save-hook tc >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 --ifname eth0 >/dev/null ||
		tk_fail "allow with --ifname failed"
	check_tstamp_kinds_restored
}

# the ifindex of IF in netns NS, asked in the netns itself
ifindex_in() { tk_ns "$1" ip -j link show "$2" | jq '.[0].ifindex'; }

# A pod's save attachment dies when its interface is recreated (a new device, a new ifindex) or
# its link pin is removed: status says so (attached false, the dead link), the pod's packets
# reach the NIC with priority 0, and allow again repairs it (on main it failed with "Link has
# been severed" and left the new link pinned): the dead link goes, the new interface gets the
# save program, the NIC sees the pod's priority again. Judged by the observer at nic0.
test_dead_pod_attachment_status_and_repair() {
	enforce_setup 1
	local pod=${TK_PODS[0]} old new st
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "$pod" --priorities 1 >/dev/null || tk_fail "allow failed"
	old=$(ifindex_in "$pod" eth0)
	assert_eq "status: attached on eth0" "$(proxy status --json |
		jq -c '.policy[0] | [.attached, .ifname, [.links[] | [.ifindex, .attached]]]')" \
		"[true,\"eth0\",[[$old,true]]]"
	tk_fixture_recreate_pod_link "$TK_TEST_ID" 1
	new=$(ifindex_in "$pod" eth0)
	assert_ne "the pod's eth0 is a new device" "$new" "$old"
	st=$(proxy status --json)
	assert_eq "status: the pod is not attached" "$(jq '.policy[0].attached' <<<"$st")" false
	assert_eq "status: its link is dead" \
		"$(jq -c '[.policy[0].links[] | [.ifindex, .attached]]' <<<"$st")" "[[$old,false]]"
	assert_eq "status: the registered interface is gone" "$(jq '.policy[0].ifname' <<<"$st")" \
		null
	observe_start 6041-6044
	tk_talk "$TK_TEST_ID" 1 --port 6041 --count 50 --priority 1 >/dev/null
	assert_exit "allow again repairs" 0 proxy allow --netns "$pod" --priorities 1
	st=$(proxy status --json)
	assert_eq "status after repair" "$(jq -c '.policy[0] | [.attached, .ifindex, .ifname,
		[.links[] | [.ifindex, .attached]]]' <<<"$st")" "[true,$new,\"eth0\",[[$new,true]]]"
	tk_talk "$TK_TEST_ID" 1 --port 6042 --count 50 --priority 1 >/dev/null
	# a removed pin takes the link's last reference: the kernel detaches it
	rm "$TK_PIN/links/save_$(netns_ino "$pod")_$new" || tk_fail "no pin of the link on eth0"
	assert_eq "status: pin removed, not attached" "$(proxy status --json |
		jq -c '.policy[0] | [.attached, .links]')" "[false,[]]"
	tk_talk "$TK_TEST_ID" 1 --port 6043 --count 50 --priority 1 >/dev/null
	assert_exit "allow again re-attaches" 0 proxy allow --netns "$pod" --priorities 1
	assert_eq "status: attached again" "$(proxy status --json | jq '.policy[0].attached')" true
	tk_talk "$TK_TEST_ID" 1 --port 6044 --count 50 --priority 1 >/dev/null
	observe_stop
	assert_eq "interface recreated: priority 0 at nic0" \
		"$(obs_nic_count '.dport == 6041 and .priority == 0')" 50
	assert_eq "repaired: priority 1 at nic0" "$(obs_nic_count '.dport == 6042 and .priority == 1')" 50
	assert_eq "link pin removed: priority 0 at nic0" \
		"$(obs_nic_count '.dport == 6043 and .priority == 0')" 50
	assert_eq "re-attached: priority 1 at nic0" \
		"$(obs_nic_count '.dport == 6044 and .priority == 1')" 50
}

# The NIC's restore attachment dies when its link pin is removed or the NIC is recreated: status
# says so, and start (adopt) repairs both: the pin again, or the new device in the old one's
# place (on main: "already running on other NICs: stop it first").
test_dead_nic_attachment_status_and_repair() {
	enforce_setup 1
	local old new st
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow failed"
	old=$(nic_ifindex)
	rm "$TK_PIN/links/restore_$old" || tk_fail "no pin of the restore link"
	assert_eq "status: pin removed, NIC not attached" \
		"$(proxy status --json | jq -c '.nics[0] | [.ifname, .attached]')" '["nic0",false]'
	assert_tc_deltas "restore link gone: tc0" "0>=50 1=0" tk_pod_talk 1 1 50
	assert_eq "start adopts" "$(proxy --json start --nic nic0 | jq -r .result)" adopted
	assert_eq "status: attached again" "$(proxy status --json | jq '.nics[0].attached')" true
	assert_tc_deltas "re-attached: tc1" "1=50" tk_pod_talk 1 1 50

	tk_fixture_recreate_nic "$TK_TEST_ID"
	new=$(nic_ifindex)
	assert_ne "nic0 is a new device" "$new" "$old"
	st=$(proxy status --json)
	assert_eq "status: the NIC is gone" "$(jq -c '.nics[0] | [.ifname, .ifindex, .attached]' \
		<<<"$st")" "[\"(gone)\",$old,false]"
	assert_eq "start adopts the new nic0" "$(proxy --json start --nic nic0 | jq -r .result)" \
		adopted
	assert_eq "status: the new nic0, attached" "$(proxy status --json |
		jq -c '.nics[0] | [.ifname, .ifindex, .attached]')" "[\"nic0\",$new,true]"
	assert_eq "one restore pin, the new NIC's" "$(ls "$TK_PIN/links" | grep restore_)" \
		"restore_$new"
	observe_start 6051
	assert_tc_deltas "new nic0: tc1" "1=50" tk_talk "$TK_TEST_ID" 1 --port 6051 --count 50 \
		--priority 1
	observe_stop
	assert_eq "new nic0: priority 1 at the NIC" "$(obs_nic_count '.dport == 6051 and .priority == 1')" 50
}

# status run in another netns (here a pod's) resolves the NICs' names in the NICs' netns: it
# used to say ifname=(gone) attached=true for a NIC that is there and attached.
test_status_from_another_netns() {
	enforce_setup 1
	local st
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow failed"
	st=$(tk_ns "${TK_PODS[0]}" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" status --json) ||
		tk_fail "status in the pod's netns failed"
	assert_eq "NIC seen from the pod's netns" \
		"$(jq -c '.nics[0] | [.ifname, .ifindex, .attached]' <<<"$st")" \
		"[\"nic0\",$(nic_ifindex),true]"
	assert_eq "pod seen from the pod's netns" \
		"$(jq -c '.policy[0] | [.ifname, .attached]' <<<"$st")" '["eth0",true]'
	assert_no_match "text: no (gone)" "$(tk_ns "${TK_PODS[0]}" "$TK_BUILD/tsnproxy" \
		--pin-dir "$TK_PIN" status)" "gone"
	assert_eq "the same from the node's netns" "$(proxy status --json |
		jq -c '[.nics[0].ifname, .policy[0].ifname]')" '["nic0","eth0"]'
}

# The syscalls of one `status --json` under strace (the kernel's record of the process' calls)
# that match REGEX: how many.
status_syscalls() { # TRACE-SET REGEX
	local log=$TK_TMP/status.strace
	tk_ns "$TK_NODE" strace -f -qq -e trace="$1" -o "$log" "$TK_BUILD/tsnproxy" \
		--pin-dir "$TK_PIN" status --json >/dev/null || tk_fail "status under strace failed"
	grep -cE "$2" "$log"
}

# Directory opens of the pin dir's links/ by one `status --json`.
status_links_dir_opens() { status_syscalls openat "\"$TK_PIN/links/*\".*O_DIRECTORY"; }

# status names a pod's interfaces and checks its netns cookie through one socket made in the
# pod's netns: one netns switch in and one back per pod, not one pair per name (three pairs
# before). One pod, then three: two more setns calls per added pod. With tcx: without it, the
# pod's clsact filter is queried in its netns too.
test_status_one_netns_switch_per_pod() {
	tk_require tcx
	command -v strace >/dev/null || tk_skip "strace is not installed"
	enforce_setup 3
	local one three
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow pod1"
	one=$(status_syscalls setns '^[0-9]+ +setns\(')
	proxy allow --netns "${TK_PODS[1]}" --priorities 2 >/dev/null || tk_fail "allow pod2"
	proxy allow --netns "${TK_PODS[2]}" --priorities 3 >/dev/null || tk_fail "allow pod3"
	three=$(status_syscalls setns '^[0-9]+ +setns\(')
	tk_log "setns calls: $one with 1 pod, $three with 3"
	assert_eq "setns calls per added pod" "$(((three - one) / 2))" 2
	assert_eq "every pod's interface still named, its links too" "$(proxy status --json |
		jq -c '[.policy[] | [.ifname, .alive, .attached, [.links[].ifname]]] | unique')" \
		'[["eth0",true,true,["eth0"]]]'
}

# status reads links/ (the pods' save links) once per call, not once per registered pod: its
# cost grows with the pods (O(pods)), not with their square. One pod, then three: as many
# directory opens of links/ either way, and every pod's links still reported.
test_status_reads_links_once() {
	tk_require tcx	# links/ holds the pods' save links only with tcx
	command -v strace >/dev/null || tk_skip "strace is not installed"
	enforce_setup 3
	local one three
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow pod1"
	one=$(status_links_dir_opens)
	proxy allow --netns "${TK_PODS[1]}" --priorities 2 >/dev/null || tk_fail "allow pod2"
	proxy allow --netns "${TK_PODS[2]}" --priorities 3 >/dev/null || tk_fail "allow pod3"
	three=$(status_links_dir_opens)
	tk_log "links/ opened $one time(s) with 1 pod, $three with 3"
	assert_eq "links/ read as often with 3 pods as with 1" "$three" "$one"
	assert_eq "each pod's save link reported, attached" "$(proxy status --json |
		jq -c '[.policy[] | [(.links | length), .links[0].attached, .attached]] | unique')" \
		'[[1,true,true]]'
}
