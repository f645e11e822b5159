#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsnproxy and tsntrace on each datapath shape of the fixture (tests/fixture.sh TK_SHAPE,
# docs/datapaths.md). Enforce mode is judged at nic0 by the independent observer (build/observe):
# the registered pod's packets at their priority and tstamp type, nothing restored for the
# unregistered pod or the node's own traffic; in the deployed default (save hook auto) and with
# the tracepoint save hook. tsntrace must follow the pod's packet to nic0 and judge it there.

N=50	# packets per flow
# 1: the l2 shape also sends raw Ethernet frames (EtherType 0xB62C) from an AF_PACKET socket
DP_RAW=${DP_RAW:-0}

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }
netns_ino() { stat -L -c %i "/run/netns/$1"; }
nic_ifindex() { tk_ns "$TK_NODE" ip -j link show nic0 | jq '.[0].ifindex'; }

# Skip when this kernel cannot build the shape's links (ipvlan, geneve, ipip, gre, netkit are
# what the host kernel may lack: the VM lane runs them). The answer is the kernel's: a runner's
# tests share it (tk_run_cache_get), the first to ask probes.
dp_require_shape() { # SHAPE
	if ! DP_SHAPE_WHY=$(tk_run_cache_get "shape.$1"); then
		dp_probe_shape "$1"	# in this shell: its tk_fail ends the test
		tk_run_cache_put "shape.$1" "$DP_SHAPE_WHY"
	fi
	[ -z "$DP_SHAPE_WHY" ] || tk_skip "$DP_SHAPE_WHY"
}

# DP_SHAPE_WHY: empty when this kernel makes SHAPE's links, else why not
dp_probe_shape() { # SHAPE
	local kind=$1 ns=tk$TK_TEST_ID-probe args err
	DP_SHAPE_WHY=
	case $kind in
	netkit*)
		ip netns add "$ns" || tk_fail "netns $ns"
		tk_defer "ip netns del $ns"
		args=()
		[ "$kind" = netkit-noscrub ] && args=(--scrub none --peer-scrub none)
		err=$(tk_ns "$ns" "$TK_BUILD/mknetkit" --name tkp0 --peer tkp1 "${args[@]}" 2>&1)
		case $? in
		0) ;;
		3) DP_SHAPE_WHY=${err#mknetkit: } ;;
		*) tk_fail "mknetkit probe: $err" ;;
		esac
		ip netns del "$ns"
		return 0
		;;
	ipvlan) args=(link tkp0 type ipvlan mode l2) ;;
	macvlan) args=(link tkp0 type macvlan) ;;
	vxlan) args=(type vxlan id 1 dstport 4789) ;;
	geneve) args=(type geneve id 1 remote 198.19.0.1) ;;
	ipip | gre) args=(type "$kind" remote 198.19.0.1) ;;
	*) return 0 ;;
	esac
	ip netns add "$ns" || tk_fail "netns $ns"
	tk_defer "ip netns del $ns"
	tk_ns "$ns" ip link add tkp0 type veth peer name tkp9
	if ! tk_ns "$ns" ip link add tkp1 "${args[@]}" 2>/dev/null; then
		DP_SHAPE_WHY="kernel cannot create $kind links"
	fi
	ip netns del "$ns"
}

dp_setup() { # SHAPE
	dp_require_shape "$1"
	TK_SHAPE=$1 tk_fixture_up "$TK_TEST_ID" 2
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
}

# the observer for ports LO-HI (and raw frames of EtherType 0xB62C); NDJSON in $TK_TMP/obs.json
dp_observe() { # start|stop
	if [ "$1" = start ]; then
		"$TK_BUILD/observe" --dport 6101-6109 --ethertype 0xB62C --duration 120 \
			--ready-file "$TK_TMP/obs.ready" >"$TK_TMP/obs.json" 2>"$TK_TMP/obs.err" &
		DP_OBS_PID=$!
		tk_defer "kill $DP_OBS_PID"
		tk_wait_file "$TK_TMP/obs.ready"
	else
		sleep 0.3
		kill -TERM "$DP_OBS_PID" 2>/dev/null
		wait "$DP_OBS_PID" 2>/dev/null
		# nic0 as it was when the observation ended, asked once here: dp_nic runs in
		# command substitutions, where a lookup would be made again for every count
		DP_NIC_SEL="select(.netns == $(netns_ino "$TK_NODE") and .ifindex == $(nic_ifindex))"
	fi
}
# observer lines at nic0 matching a jq condition (after dp_observe stop; before it, a word that
# no count equals)
dp_nic() { # jq-condition
	[ -n "${DP_NIC_SEL:-}" ] || { echo "no-observation-stopped"; return 1; }
	jq -c "$DP_NIC_SEL | select($1)" "$TK_TMP/obs.json" | wc -l
}

# Counts of observer lines at nic0 expected by a test, checked together by dp_check: one jq
# for all of them (a jq per count was most of a guest test's checking time), then one assert
# per expectation, in the order given.
DP_EXPECT=()
dp_expect() { # name jq-condition count
	DP_EXPECT+=("$1" "$2" "$3")
}
dp_check() {
	local i prog='' counts=()
	[ -n "${DP_NIC_SEL:-}" ] || tk_fail "dp_check before dp_observe stop"
	for ((i = 0; i < ${#DP_EXPECT[@]}; i += 3)); do
		prog+="${prog:+, }(map(select(${DP_EXPECT[i + 1]})) | length)"
	done
	mapfile -t counts < <(jq -s "map($DP_NIC_SEL) | $prog" "$TK_TMP/obs.json")
	for ((i = 0; i < ${#DP_EXPECT[@]}; i += 3)); do
		assert_eq "${DP_EXPECT[i]}" "${counts[i / 3]:-}" "${DP_EXPECT[i + 2]}"
	done
	DP_EXPECT=()
}
dp_talk() { tk_talk "$TK_TEST_ID" "$@" >/dev/null || tk_fail "talker failed: $*"; }

# The enforce matrix of one shape: pod1 registered with priorities 1-3 sends TAI, MONO and no
# txtime (priorities 1 and 2 only: the seed schedule never opens traffic class 3's gate); pod2,
# unregistered, and the node send too. KEPT=1 for shapes where the kernel itself keeps the
# priority (macvlan, ipvlan): there the unregistered pod's priority reaches nic0 without
# tsnproxy, so only the proxy's not touching it is checked. The tracepoint save hook serves
# --policy all only (it cannot tag pods' packets): there every pod, pod2 too, is restored.
dp_enforce() { # SHAPE SAVE_HOOK(auto|tracepoint) [KEPT]
	local shape=$1 hook=$2 kept=${3:-0} dst6 st tai mono
	dp_setup "$shape"
	[ "$hook" = tracepoint ] && hook=(--policy all --save-hook tracepoint) || hook=()
	# shellcheck disable=SC2086 # DP_START_ARGS: more start options, word-split
	proxy start --nic nic0 "${hook[@]}" ${DP_START_ARGS:-} >/dev/null ||
		tk_fail "tsnproxy start failed"
	if [ "$2" != tracepoint ]; then
		proxy allow --netns "${TK_PODS[0]}" --priorities 1,2,3 >/dev/null ||
			tk_fail "allow pod1"
	fi
	dp_observe start
	dp_talk 1 --port 6101 --count $N --priority 1 --txtime tai
	dp_talk 1 --port 6102 --count $N --priority 2 --txtime mono
	dp_talk 1 --port 6103 --count $N --priority 1
	dp_talk 2 --port 6104 --count $N --priority 2
	dp_talk node --port 6105 --count $N --priority 0
	if [ -n "$TK_LISTEN_IP6" ]; then
		dst6=$TK_LISTEN_IP6
		tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst "$dst6" --port 6106 --count $N \
			--priority 2 --txtime tai >/dev/null || tk_fail "IPv6 talker failed"
	fi
	if [ "$shape" = l2 ] && ((DP_RAW)); then
		tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --ethertype 0xB62C --ifname eth0 \
			--count $N --priority 2 --txtime tai >/dev/null || tk_fail "raw talker failed"
	fi
	dp_observe stop
	# Before 6.11 (no SKB_CLOCK_TAI) a socket's txtime carries no clock type, TAI or MONO: the
	# restored tstamp reaches nic0 with its value and the type "realtime"; ETF reads the value.
	tai='"tai"' mono='"mono"'
	tk_has skb_clock_tai || tai='"realtime"' mono='"realtime"'
	st=$(proxy status --json)
	tk_log "$shape ${hook[*]}: $(echo "$st" | jq -c '{save_hook: .config.save_hook} + .counters')"
	if ((kept)) && [ "$(tk_tc_kind)" = taprio ]; then
		dp_txtime_taprio_checked "$tai" "$mono"
	else
		dp_expect "tai: priority 1 and tai at nic0" ".dport == 6101 and
			.priority == 1 and .tstamp_type == $tai and .tstamp != 0" $N
		dp_expect "mono: priority 2 and mono at nic0" ".dport == 6102 and
			.priority == 2 and .tstamp_type == $mono and .tstamp != 0" $N
	fi
	dp_expect "no txtime: priority 1, no tstamp at nic0" \
		'.dport == 6103 and .priority == 1 and .tstamp == 0' $N
	if ((kept)) || [ "$2" = tracepoint ]; then
		dp_expect "unregistered pod: priority 2 (kernel's or --policy all)" \
			'.dport == 6104 and .priority == 2' $N
	else
		dp_expect "unregistered pod: seen at nic0" '.dport == 6104' $N
		dp_expect "unregistered pod: nothing restored" \
			'.dport == 6104 and .priority != 0' 0
	fi
	case $shape in
	vxlan | geneve | ipip | gre)
		dp_expect "$shape: every datagram encapsulated at nic0" \
			'.dport >= 6101 and .dport <= 6105 and .tunnel' $((5 * N))
		;;
	esac
	dp_expect "node traffic: seen at nic0" '.dport == 6105' $N
	dp_expect "node traffic: nothing restored" '.dport == 6105 and .priority != 0' 0
	if [ -n "$dst6" ]; then
		dp_expect "IPv6: priority 2 and tai at nic0" \
			".dport == 6106 and .priority == 2 and .tstamp_type == $tai and .tstamp != 0" $N
	fi
	if [ "$shape" = l2 ] && ((DP_RAW)); then
		dp_expect "raw 0xB62C frames: priority 2 and tai at nic0" \
			".ethertype == 46636 and .priority == 2 and .tstamp_type == $tai and .tstamp != 0" $N
	fi
	dp_check
}

# Shapes that keep the sender's socket on the skb up to nic0 (macvlan, ipvlan) under taprio:
# taprio's enqueue checks the txtime of every packet of an SO_TXTIME socket against its gate
# schedule (taprio_enqueue_one -> is_valid_interval, software mode) and drops one whose txtime
# falls outside an open interval of its traffic class: the talker's txtimes (now + 1 ms) are
# not aligned to the schedule, so about a quarter of the TAI datagrams pass and MONO ones (a
# MONO value read as TAI) do not. The veth shapes orphan the skb before nic0 (no sk, no check).
# So: every txtime datagram at nic0 carries its priority and clock, none with other metadata,
# and those that are not there are taprio's drops (its own counter, not the observer's).
# TAI and MONO: dp_enforce's clock type names for this kernel.
dp_txtime_taprio_checked() { # TAI MONO
	local n_tai n_mono all drops
	n_tai=$(dp_nic ".dport == 6101 and .priority == 1 and .tstamp_type == $1 and .tstamp != 0")
	n_mono=$(dp_nic ".dport == 6102 and .priority == 2 and .tstamp_type == $2 and
		.tstamp != 0")
	all=$(dp_nic '.dport == 6101 or .dport == 6102')
	drops=$(tk_ns "$TK_NODE" tc -s -j qdisc show dev nic0 root | jq '.[0].drops')
	tk_log "taprio: $n_tai tai + $n_mono mono of $N each at nic0, taprio dropped $drops"
	assert_eq "txtime datagrams at nic0: all at their priority and clock" \
		"$((n_tai + n_mono))" "$all"
	assert_eq "txtime datagrams not at nic0: dropped by taprio" "$((2 * N - all))" "$drops"
}

# tsntrace on one shape: pod1's packets reach nic0, are judged there, and the priority loss is
# named with CAUSE at the hop on device LOST_IF.
dp_trace() { # SHAPE CAUSE LOST_IF
	dp_setup "$1"
	# the host's backend everywhere: in the VM lane, auto picks kprobe-multi, whose function
	# hops fill a summary's 32-entry path in the pod and node before a netkit packet reaches
	# nic0 (path_truncated)
	tk_trace_start "$TK_TMP/tr.json" --json --summary --backend tracepoint \
		--netns "${TK_PODS[0]}" --dport 5001
	dp_talk 1 --port 5001 --count 5 --interval-us 2000 --priority 2
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	local pk='[.[] | select(.type == "packet" and .tuple.dport == 5001)]'
	tk_log "$1: first packet's path: $(jq -s -c "$pk | .[0].path |
		map(.netns + \"/\" + .ifname + \" \" + .hook)" "$TK_TMP/tr.json")"
	assert_eq "packets traced" "$(jq -s "$pk | length" "$TK_TMP/tr.json")" 5
	assert_eq "path reaches nic0" "$(jq -s "$pk | all(.path | any(.ifname == \"nic0\"))" \
		"$TK_TMP/tr.json")" true
	assert_eq "judged at nic0" "$(jq -s "$pk | all(.judged_at.ifname == \"nic0\")" \
		"$TK_TMP/tr.json")" true
	if [ "$2" = kept ]; then
		assert_eq "priority kept" "$(jq -s "$pk | all(.fields.priority.kept)" \
			"$TK_TMP/tr.json")" true
	else
		assert_eq "priority lost: $2 at $3" "$(jq -s "$pk | all(.fields.priority.kept == false
			and .fields.priority.cause == \"$2\" and .fields.priority.lost_at.ifname == \"$3\")" \
			"$TK_TMP/tr.json")" true
	fi
	case $1 in
	vxlan | geneve | ipip | gre) dp_trace_encap "$1" "$pk" ;;
	esac
}

# Tunnel shapes: tun0 encapsulates the pod's skb in place, so tsntrace follows the same skb to
# nic0 by the fingerprint of the packet inside. Each packet names tun0 as the device that
# encapsulated it and nic0's first hop as the first with outer headers, and its hops at nic0
# carry the inner tuple (the pod's, port 5001), flagged "encapsulated".
dp_trace_encap() { # SHAPE PACKETS-JQ
	local hops='[.[] | select(.type == "hop" and .ifname == "nic0" and .netns_name == "'$TK_NODE'"
		and .rc == null)]'
	tk_log "$1: encapsulation: $(jq -s -c "$2 | .[0].encapsulated" "$TK_TMP/tr.json")"
	assert_eq "$1: encapsulated by tun0 ($1)" "$(jq -s "$2 | all(.encapsulated.by.ifname == \"tun0\"
		and .encapsulated.by.kind == \"$1\")" "$TK_TMP/tr.json")" true
	assert_eq "$1: first outer hop at nic0" "$(jq -s "$2 | all(.encapsulated.first_hop.ifname ==
		\"nic0\" and .encapsulated.first_hop.netns == \"$TK_NODE\")" "$TK_TMP/tr.json")" true
	assert_ge "$1: hops at nic0" "$(jq -s "$hops | length" "$TK_TMP/tr.json")" 5
	assert_eq "$1: nic0 hops carry the inner tuple, flagged" "$(jq -s "$hops | all(.tuple.dport ==
		5001 and (.flags | index(\"encapsulated\")))" "$TK_TMP/tr.json")" true
}

# tsntop (tsntrace's programs in aggregate mode) on a tunnel shape: the pod's flow has its
# nic0 hop, so the verdict is taken there (LOST at vethpod1, priority 0 at the NIC), not left
# without a NIC hop at tun0.
dp_top_tunnel() { # SHAPE
	local j args=()
	dp_setup "$1"
	# the htb stand-in for taprio has no priority map of its own: give tsntop taprio's
	[ "$(tk_tc_kind)" = htb ] && args=(--tc-map 0,1,2,3)
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port 5001 --priority 1 --interval-us 2000 --count 1000000 --duration 60 \
		--src-port 40001 >/dev/null 2>&1 &
	tk_defer "kill $!"
	assert_exit "tsntop --json" 0 "$TK_BUILD/tsntop" --nic "nic0@$TK_NODE" \
		--netns "${TK_PODS[0]}" --pin-dir "$TK_PIN" "${args[@]}" --json -d 1 --max-iterations 2 </dev/null
	j=$(tail -n 1 <<<"$TK_OUT" | jq -c '.flows[] | select(.dport == 5001 and .sport == 40001)')
	tk_log "$1: flow: $(jq -c 'del(.hops)' <<<"$j")"
	tk_log "$1: hops: $(jq -c '[.hops[]? | .ifname]' <<<"$j")"
	assert_eq "$1: judged at nic0" "$(jq -r '.hops[] | select(.judged) |
		.netns + "/" + .ifname' <<<"$j")" "$TK_NODE/nic0"
	assert_eq "$1: nic0 hops encapsulated" "$(jq -c '[.hops[] | select(has("meta") and .ifname == "nic0" and
		.netns == "'"$TK_NODE"'") | .encapsulated] | unique' <<<"$j")" '[true]'
	assert_eq "$1: verdict" "$(jq -r .verdict <<<"$j")" "LOST at vethpod1"
	assert_eq "$1: nic priority" "$(jq .nic.priority <<<"$j")" 0
}

test_enforce_snat() { dp_enforce snat auto; }
test_enforce_snat_tracepoint() { dp_enforce snat tracepoint; }
test_enforce_ipv6() { dp_enforce ipv6 auto; }
test_enforce_ipv6_tracepoint() { dp_enforce ipv6 tracepoint; }
test_enforce_dual() { dp_enforce dual auto; }
test_enforce_dual_tracepoint() { dp_enforce dual tracepoint; }
test_enforce_routed() { dp_enforce routed auto; }
test_enforce_routed_tracepoint() { dp_enforce routed tracepoint; }
test_enforce_redirect() { dp_enforce redirect auto; }
test_enforce_redirect_tracepoint() { dp_enforce redirect tracepoint; }
test_enforce_l2() { dp_enforce l2 auto; }
test_enforce_l2_tracepoint() { dp_enforce l2 tracepoint; }
# Raw Ethernet TSN frames (0xB62C, broadcast): the bridge floods each one, so nic0 gets a clone
# (br_flood with local delivery) while the original still lives, and only the lookup by content
# can find it. Before ABI 4 that lookup trusted only slots of freed skbs, so each sender's first
# frame was a miss (49 of 50); the tag (or --policy all) makes the content match enough.
test_enforce_l2_raw() { DP_RAW=1 dp_enforce l2 auto; }
test_enforce_l2_raw_tracepoint() { DP_RAW=1 dp_enforce l2 tracepoint; }
# The l2 shape with per-packet SO_PRIORITY (6.14+), tbf on pod1's eth0 (one frame through every
# ~10 ms, so a burst is all saved before its first frame is restored), pod1 registered.
dp_raw_queue_setup() {
	dp_setup l2
	dp_require_cmsg_priority
	tk_ns "${TK_PODS[0]}" tc qdisc add dev eth0 root tbf rate 100kbit burst 200 latency 1s ||
		tk_fail "tbf on pod1's eth0"
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1,2,3 >/dev/null || tk_fail "allow pod1"
}

# A sender's raw frames all have one fingerprint (EtherType, length, the talker's magic and pid)
# and reach nic0 as clones, found by content only. With a queue at the pod (here tbf on its
# eth0, one frame per ~10 ms) every frame of a burst is saved before the first is restored:
# each frame must still get its own metadata (here its own priority, from an SO_PRIORITY
# control message per frame, 6.14+), none another frame's, none lost.
test_enforce_l2_raw_queued_at_pod() {
	local n=6
	dp_raw_queue_setup
	dp_observe start
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --ethertype 0xB62C --ifname eth0 --count $n \
		--interval-us 0 --cmsg-priority 1,2,3 >/dev/null || tk_fail "raw talker failed"
	sleep 0.5	# tbf lets one frame through every ~10 ms
	dp_observe stop
	tk_log "frames at nic0: $(jq -s -c --argjson ns "$(netns_ino "$TK_NODE")" \
		--argjson ifx "$(nic_ifindex)" '[.[] | select(.netns == $ns and .ifindex == $ifx and
		.ethertype == 46636) | {seq, priority, time_ns}]' "$TK_TMP/obs.json")"
	tk_log "counters: $(proxy status --json | jq -c .counters)"
	assert_eq "every frame at nic0 with its own priority (1 + seq mod 3)" \
		"$(dp_nic '.ethertype == 46636 and .priority == 1 + .seq % 3')" $n
}
# Two pods running the same app image send identical frames: here both talkers are pid 1 in a
# pid namespace of their own, so their frames share a fingerprint. pod2's saves, between pod1's
# queued saves and their restores, must not hide pod1's entries (the index is per pod): every
# frame gets its own pod's priority, pod1's 1 + seq mod 3 and pod2's 2.
test_enforce_l2_raw_same_content_two_pods() {
	local n=6 s want got ok=0
	dp_raw_queue_setup
	proxy allow --netns "${TK_PODS[1]}" --priorities 1,2,3 >/dev/null || tk_fail "allow pod2"
	dp_observe start
	tk_ns "${TK_PODS[0]}" unshare --pid --fork "$TK_BUILD/talker" --ethertype 0xB62C \
		--ifname eth0 --count $n --interval-us 0 --cmsg-priority 1,2,3 >/dev/null ||
		tk_fail "pod1's raw talker failed"
	tk_ns "${TK_PODS[1]}" unshare --pid --fork "$TK_BUILD/talker" --ethertype 0xB62C \
		--ifname eth0 --count $n --interval-us 2000 --priority 2 >/dev/null ||
		tk_fail "pod2's raw talker failed"
	sleep 0.5	# tbf lets one of pod1's frames through every ~10 ms
	dp_observe stop
	got=$(jq -s -c --argjson ns "$(netns_ino "$TK_NODE")" --argjson ifx "$(nic_ifindex)" '[.[] |
		select(.netns == $ns and .ifindex == $ifx and .ethertype == 46636)] |
		group_by(.seq) | map({seq: .[0].seq, pid: [.[].pid] | unique,
		priorities: [.[].priority] | sort})' "$TK_TMP/obs.json")
	tk_log "frames at nic0 by seq: $got"
	tk_log "counters: $(proxy status --json | jq -c .counters)"
	assert_eq "both senders are pid 1" "$(jq -c '[.[].pid] | unique' <<<"$got")" '[[1]]'
	for ((s = 0; s < n; s++)); do
		want=$(jq -c -n --argjson p $((1 + s % 3)) '[$p, 2] | sort')
		[ "$(jq -c ".[] | select(.seq == $s) | .priorities" <<<"$got")" = "$want" ] &&
			ok=$((ok + 1))
	done
	assert_eq "every frame with its own pod's priority" "$ok" $n
}

# The same on the largest table: the fingerprint index is sized apart from it (64 Ki entries at
# most, lib/proxy.h), since every save writes a random entry of it and that miss grew with the
# table (docs/performance.md); the clones are still found by content through the smaller index.
test_enforce_l2_raw_large_table() {
	local max=65536 pinned
	DP_START_ARGS="--capacity 4194304" DP_RAW=1 dp_enforce l2 auto
	pinned=$(bpftool map show pinned "$TK_PIN/maps/track_fp" -j | jq .max_entries)
	assert_eq "fingerprint index: $max entries beside 4 Mi slots" "$pinned" $max
	assert_eq "table: 4 Mi slots" \
		"$(bpftool map show pinned "$TK_PIN/maps/track" -j | jq .max_entries)" 4194304
	assert_eq "status reports the index's size" \
		"$(proxy status --json | jq .map.fp_index)" "$pinned"
}
test_enforce_macvlan() { dp_enforce macvlan auto 1; }
test_enforce_macvlan_tracepoint() { dp_enforce macvlan tracepoint 1; }
test_enforce_ipvlan() { dp_enforce ipvlan auto 1; }
test_enforce_ipvlan_tracepoint() { dp_enforce ipvlan tracepoint 1; }
# Tunnels: at nic0 the observer reports the datagram inside the outer packet, whose skb (the
# one the qdisc reads) carries the metadata
test_enforce_vxlan() { dp_enforce vxlan auto; }
test_enforce_vxlan_tracepoint() { dp_enforce vxlan tracepoint; }
test_enforce_geneve() { dp_enforce geneve auto; }
test_enforce_geneve_tracepoint() { dp_enforce geneve tracepoint; }
test_enforce_ipip() { dp_enforce ipip auto; }
test_enforce_ipip_tracepoint() { dp_enforce ipip tracepoint; }
test_enforce_gre() { dp_enforce gre auto; }
test_enforce_gre_tracepoint() { dp_enforce gre tracepoint; }
test_enforce_netkit() { dp_enforce netkit auto; }
test_enforce_netkit_tracepoint() { dp_enforce netkit tracepoint; }
test_enforce_netkit_noscrub() { dp_enforce netkit-noscrub auto; }
test_enforce_netkit_noscrub_tracepoint() { dp_enforce netkit-noscrub tracepoint; }

# What netkit itself keeps, without tsnproxy: pod1 sends priority 2, mark 7 and a TAI txtime;
# at nic0 scrub default has zeroed mark (and priority), scrub none keeps mark. Priority is 0 at
# nic0 either way: ip_forward() rewrites it from the TOS after netkit kept it.
dp_netkit_keeps() { # SHAPE MARK_AT_NIC
	dp_setup "$1"
	dp_observe start
	dp_talk 1 --port 6101 --count $N --priority 2 --mark 7 --txtime tai
	dp_observe stop
	dp_expect "$1: seen at nic0" '.dport == 6101' $N
	dp_expect "$1: mark $2 at nic0" ".dport == 6101 and .mark == $2" $N
	dp_expect "$1: priority 0 at nic0 (ip_forward)" \
		'.dport == 6101 and .priority == 0' $N
	dp_expect "$1: tai tstamp kept" '.dport == 6101 and .tstamp_type == "tai"' $N
	dp_check
}
test_netkit_keeps() { dp_netkit_keeps netkit 0; }
test_netkit_noscrub_keeps() { dp_netkit_keeps netkit-noscrub 7; }

# Per-packet SO_PRIORITY as a control message (6.14+). Probed with one datagram on pod1's lo:
# older kernels refuse the unknown SOL_SOCKET control message with EINVAL.
dp_require_cmsg_priority() {
	local out
	out=$(tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst 127.0.0.1 --port 9 --count 1 \
		--cmsg-priority 1 --json 2>/dev/null)
	[ "$(jq -r .errors <<<"$out")" = 0 ] && return 0
	[ "$(jq -r .first_error <<<"$out")" = "Invalid argument" ] &&
		tk_skip "kernel has no SO_PRIORITY control message (6.14+)"
	tk_fail "SO_PRIORITY cmsg probe: $out"
}

# pod1 (registered, priorities 1-3) sends with socket priority 3 and per-datagram priorities
# 1 and 2 (even and odd sequence numbers) as control messages: at nic0 each datagram has its
# own, none the socket's. The unregistered pod2's cmsg priority is restored only under
# --policy all (the tracepoint save hook).
dp_enforce_cmsg() { # SAVE_HOOK(auto|tracepoint)
	local hook=()
	dp_setup bridge
	dp_require_cmsg_priority
	[ "$1" = tracepoint ] && hook=(--policy all --save-hook tracepoint)
	proxy start --nic nic0 "${hook[@]}" >/dev/null || tk_fail "tsnproxy start failed"
	if [ "$1" != tracepoint ]; then
		proxy allow --netns "${TK_PODS[0]}" --priorities 1,2,3 >/dev/null ||
			tk_fail "allow pod1"
	fi
	dp_observe start
	dp_talk 1 --port 6101 --count $((2 * N)) --priority 3 --cmsg-priority 1,2 --txtime tai
	dp_talk 2 --port 6104 --count $N --cmsg-priority 2
	dp_observe stop
	dp_expect "even datagrams: cmsg priority 1 and tai at nic0" \
		'.dport == 6101 and .seq % 2 == 0 and .priority == 1 and .tstamp_type == "tai"' $N
	dp_expect "odd datagrams: cmsg priority 2 and tai at nic0" \
		'.dport == 6101 and .seq % 2 == 1 and .priority == 2 and .tstamp_type == "tai"' $N
	if [ "$1" = tracepoint ]; then
		dp_expect "pod2 under --policy all: cmsg priority 2" \
			'.dport == 6104 and .priority == 2' $N
	else
		dp_expect "unregistered pod: seen at nic0" '.dport == 6104' $N
		dp_expect "unregistered pod: nothing restored" \
			'.dport == 6104 and .priority != 0' 0
	fi
	dp_check
}
test_enforce_cmsg_priority() { dp_enforce_cmsg auto; }
test_enforce_cmsg_priority_tracepoint() { dp_enforce_cmsg tracepoint; }

# tsntrace shows each datagram's own priority at its first hop, and its loss at the veth
test_trace_cmsg_priority() {
	dp_setup bridge
	dp_require_cmsg_priority
	tk_trace_start "$TK_TMP/tr.json" --json --summary --netns "${TK_PODS[0]}" --dport 5001
	dp_talk 1 --port 5001 --count 6 --interval-us 2000 --priority 3 --cmsg-priority 1,2
	tk_trace_stop
	assert_eq "tsntrace exit" "$TK_TRACE_RC" 0
	local pk='[.[] | select(.type == "packet" and .tuple.dport == 5001)]'
	assert_eq "packets traced" "$(jq -s "$pk | length" "$TK_TMP/tr.json")" 6
	assert_eq "first hop priority 1" \
		"$(jq -s "$pk | map(select(.fields.priority.first == 1)) | length" "$TK_TMP/tr.json")" 3
	assert_eq "first hop priority 2" \
		"$(jq -s "$pk | map(select(.fields.priority.first == 2)) | length" "$TK_TMP/tr.json")" 3
	assert_eq "priority lost: veth-priority-reset at vethpod1" \
		"$(jq -s "$pk | all(.fields.priority.kept == false and
			.fields.priority.cause == \"veth-priority-reset\" and
			.fields.priority.lost_at.ifname == \"vethpod1\")" "$TK_TMP/tr.json")" true
}

test_trace_snat() { dp_trace snat veth-priority-reset vethpod1; }
test_trace_ipv6() { dp_trace ipv6 veth-priority-reset vethpod1; }
test_trace_dual() { dp_trace dual veth-priority-reset vethpod1; }
test_trace_routed() { dp_trace routed veth-priority-reset vethpod1; }
test_trace_redirect() { dp_trace redirect veth-priority-reset vethpod1; }
test_trace_l2() { dp_trace l2 veth-priority-reset vethpod1; }
test_trace_macvlan() { dp_trace macvlan kept; }
test_trace_ipvlan() { dp_trace ipvlan kept; }
test_trace_netkit() { dp_trace netkit netkit-scrub nkpod1; }
test_trace_netkit_noscrub() { dp_trace netkit-noscrub ip-forward-tos nic0; }
test_trace_vxlan() { dp_trace vxlan veth-priority-reset vethpod1; }
test_trace_geneve() { dp_trace geneve veth-priority-reset vethpod1; }
test_trace_ipip() { dp_trace ipip veth-priority-reset vethpod1; }
test_trace_gre() { dp_trace gre veth-priority-reset vethpod1; }
test_top_vxlan() { dp_top_tunnel vxlan; }
