# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode on a kernel with the real TSN qdiscs (VM lane): the fixture puts the seed talk's
# exact taprio schedule on nic0, whose leaf counters (100:1..100:4 = traffic classes 0..3) tell
# where each packet was scheduled. Sourced by tests/vm/lane.sh with tests/lib.sh.

VM_N=100

vm_proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

vm_seed_round() {
	tk_talk "$TK_TEST_ID" 1 --port 5001 --count $VM_N --priority 1 >/dev/null
	tk_talk "$TK_TEST_ID" 2 --port 5001 --count $VM_N --priority 2 >/dev/null
}

test_taprio_seed_schedule_leaves() {
	tk_require taprio
	tk_fixture_up "$TK_TEST_ID" 2
	assert_eq "nic0 qdisc" "$(tk_tc_kind "$TK_TEST_ID")" taprio
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	local before after
	before=$(tk_tc_snapshot)
	vm_seed_round
	after=$(tk_tc_snapshot)
	assert_ge "without proxy: leaf 100:1" "$(tk_tc_delta "$before" "$after" 0)" $((2 * VM_N))
	assert_eq "without proxy: leaf 100:2" "$(tk_tc_delta "$before" "$after" 1)" 0
	assert_eq "without proxy: leaf 100:3" "$(tk_tc_delta "$before" "$after" 2)" 0

	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	vm_proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null
	vm_proxy allow --netns "${TK_PODS[1]}" --priorities 2 >/dev/null
	before=$(tk_tc_snapshot)
	vm_seed_round
	after=$(tk_tc_snapshot)
	assert_eq "with proxy: talker 1 in leaf 100:2" "$(tk_tc_delta "$before" "$after" 1)" $VM_N
	assert_eq "with proxy: talker 2 in leaf 100:3" "$(tk_tc_delta "$before" "$after" 2)" $VM_N
}

# ---- etf -----------------------------------------------------------------------------------------
# txtime 200 ms ahead, etf releasing 100 ms before it: packets really wait in etf for its
# watchdog, and TCG's timer slack (ms) stays far from making one late (etf drops late ones).
VM_ETF_DELAY_NS=200000000
VM_ETF_DELTA_NS=100000000
VM_ETF_N=20

# The fixture's taprio becomes mqprio with the same map and queues (tc N = queue N), with an
# etf leaf on tc 1's queue (100:2): etf sees exactly the packets whose priority is 1 at nic0,
# and no gate can hold one past its txtime.
vm_mqprio_etf() { # HANDLE [etf flags...]
	tk_ns "$TK_NODE" tc qdisc del dev nic0 root || tk_fail "tc qdisc del root"
	tk_ns "$TK_NODE" tc qdisc add dev nic0 root handle 100: mqprio num_tc 4 map 0 1 2 3 \
		queues 1@0 1@1 1@2 1@3 hw 0 || tk_fail "tc qdisc add mqprio"
	vm_etf "$@"
}

# etf cannot change its flags in place: a new HANDLE makes a new one, grafted instead
vm_etf() { # HANDLE [etf flags...]
	local handle=$1
	shift
	tk_ns "$TK_NODE" tc qdisc replace dev nic0 parent 100:2 handle "$handle" etf \
		clockid CLOCK_TAI delta $VM_ETF_DELTA_NS "$@" || tk_fail "tc qdisc add etf $*"
}

# "SENT DROPPED" packets of the etf leaf: "Sent B bytes P pkt (dropped D, overlimits ..."
vm_etf_stats() {
	tk_ns "$TK_NODE" tc -s qdisc show dev nic0 parent 100:2 |
		awk '$1 == "Sent" { gsub(/[(,]/, ""); if ($6 == "dropped") print $4, $7; exit }'
}

# pod1 sends VM_ETF_N datagrams with SO_PRIORITY 1 and SO_TXTIME CLOCK_TAI; sets ETF_SENT,
# ETF_DROPPED (etf's counters over the round) and ETF_RECEIVED (the listener's count)
vm_etf_round() {
	local before after
	before=$(vm_etf_stats)
	tk_listen "$TK_TEST_ID" 5001
	tk_talk "$TK_TEST_ID" 1 --port 5001 --count $VM_ETF_N --interval-us 2000 --priority 1 \
		--txtime tai --txtime-delay-ns $VM_ETF_DELAY_NS >/dev/null || tk_fail "talker failed"
	# the last datagram leaves etf up to VM_ETF_DELAY_NS after it was sent
	sleep 0.5
	ETF_RECEIVED=$(tk_listen_count "$TK_TEST_ID" 5001)
	after=$(vm_etf_stats)
	[ -n "$before" ] && [ -n "$after" ] || tk_fail "no etf counters on nic0 100:2"
	read -r ETF_SENT ETF_DROPPED <<<"$(awk -v b="$before" -v a="$after" 'BEGIN {
		split(b, x, " "); split(a, y, " "); print y[1] - x[1], y[2] - x[2] }')"
	tk_log "etf: sent $ETF_SENT dropped $ETF_DROPPED; listener received $ETF_RECEIVED"
}

test_etf_txtime_with_enforce() {
	local c0
	tk_require etf
	tk_require mqprio
	tk_fixture_up "$TK_TEST_ID" 1
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	# skip_sock_check: forwarded packets have no skb->sk (ip_rcv orphans them), and etf would
	# otherwise look for SO_TXTIME on that socket
	vm_mqprio_etf 200: skip_sock_check

	# Without the proxy priority 1 is lost at the crossing (the TAI txtime survives it where
	# skb->tstamp_type can say TAI, 6.11+; before, skb_scrub_packet clears it as REALTIME):
	# the packets go to tc 0's plain fifo, untouched by etf, and leave at once, their launch
	# time ignored.
	c0=$(tk_tc_snapshot)
	vm_etf_round
	assert_eq "without proxy: etf sent" "$ETF_SENT" 0
	assert_eq "without proxy: etf dropped" "$ETF_DROPPED" 0
	# (>=: the first round's ARP request leaves through tc 0 too)
	assert_ge "without proxy: all in tc 0" "$(tk_tc_delta "$c0" "$(tk_tc_snapshot)" 0)" \
		$VM_ETF_N
	assert_eq "without proxy: received" "$ETF_RECEIVED" $VM_ETF_N

	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	vm_proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null
	# With it, priority 1 is back at nic0: every packet is in etf's queue with a valid (future,
	# TAI) txtime, held until txtime - delta, and sent; a lost txtime (0) would be dropped.
	vm_etf_round
	assert_eq "with proxy: etf sent" "$ETF_SENT" $VM_ETF_N
	assert_eq "with proxy: etf dropped" "$ETF_DROPPED" 0
	assert_eq "with proxy: received" "$ETF_RECEIVED" $VM_ETF_N

	# Without skip_sock_check etf drops every forwarded packet even with the proxy: the
	# socket check needs skb->sk, which no tsnkit hook can give back.
	vm_etf 201:
	vm_etf_round
	assert_eq "socket check: etf sent" "$ETF_SENT" 0
	assert_eq "socket check: etf dropped" "$ETF_DROPPED" $VM_ETF_N
	assert_eq "socket check: received" "$ETF_RECEIVED" 0
}

# ---- VLAN ----------------------------------------------------------------------------------------
VM_VLAN_N=10
VM_VLAN_PORT=5002

# VLAN 10 over nic0 (egress-qos-map: priority N -> PCP N for the priorities tested) and over the
# far side's eth0, on a subnet of its own; vlanpcp on the far eth0 records each frame's tag.
vm_vlan_up() {
	local out
	out=$(tk_ns "$TK_NODE" ip link add link nic0 name nic0.10 type vlan id 10 \
		egress-qos-map 1:1 2:2 2>&1) || tk_skip "kernel lacks VLAN (8021q): $out"
	tk_ns "$TK_NODE" ip addr add 198.51.100.1/24 dev nic0.10
	tk_ns "$TK_NODE" ip link set nic0.10 up
	tk_ns "$TK_NET" ip link add link eth0 name eth0.10 type vlan id 10 || tk_fail "far vlan"
	tk_ns "$TK_NET" ip addr add 198.51.100.2/24 dev eth0.10
	tk_ns "$TK_NET" ip link set eth0.10 up
}

# pod1 sends VM_VLAN_N datagrams with SO_PRIORITY 2 to the far side's VLAN address; prints
# the PCPs of the 802.1Q tags they arrived with ("2 2 ..."; "-" for an untagged frame)
vm_vlan_round() {
	local out=$TK_TMP/pcp.json pid
	rm -f "$TK_TMP/pcp.ready"
	# nsenter itself, not tk_ns: $! must be vlanpcp, not a subshell that would outlive it
	nsenter --net="/run/netns/$TK_NET" -- "$TK_BUILD/vlanpcp" --ifname eth0 --dport $VM_VLAN_PORT --duration 120 \
		--ready-file "$TK_TMP/pcp.ready" >"$out" &
	pid=$!
	tk_defer "kill $pid"
	tk_wait_file "$TK_TMP/pcp.ready"
	tk_ns "${TK_PODS[0]}" "$TK_BUILD/talker" --dst 198.51.100.2 --port $VM_VLAN_PORT \
		--count $VM_VLAN_N --priority 2 >/dev/null || tk_fail "talker failed"
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid"
	jq -r 'if .tagged and .vid == 10 then .pcp else "-" end' "$out" | sort | tr '\n' ' '
}

vm_pcps() { # PCP: what VM_VLAN_N frames all tagged with it look like
	local i
	for ((i = 0; i < VM_VLAN_N; i++)); do printf '%s ' "$1"; done
}

test_vlan_pcp_restored_before_vlan_device() {
	tk_require taprio
	tk_fixture_up "$TK_TEST_ID" 1
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	vm_vlan_up
	assert_eq "without proxy: PCP 0" "$(vm_vlan_round)" "$(vm_pcps 0)"

	# The VLAN device picks the PCP from skb->priority in its own xmit, before the skb reaches
	# nic0: restoring at nic0's egress is too late for the tag (though not for nic0's qdisc).
	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start --nic nic0 failed"
	vm_proxy allow --netns "${TK_PODS[0]}" --priorities 2 >/dev/null
	assert_eq "restore at nic0 only: PCP still 0" "$(vm_vlan_round)" "$(vm_pcps 0)"
	vm_proxy stop >/dev/null || tk_fail "tsnproxy stop failed"

	# Restoring at the VLAN device's own egress (tc runs before its xmit) gives it priority 2.
	vm_proxy start --nic nic0.10 >/dev/null || tk_fail "tsnproxy start --nic nic0.10 failed"
	vm_proxy allow --netns "${TK_PODS[0]}" --priorities 2 >/dev/null
	assert_eq "restore at nic0.10: PCP 2" "$(vm_vlan_round)" "$(vm_pcps 2)"
}

# The default save hook is the per-pod tc program on every kernel (it tags the pod's packets):
# a tcx link where the kernel has tcx (6.6, the 6.12 lane), a clsact filter in the pod's netns
# before (the 6.1 lane), which deny removes again. Which one the kernel has is
# test_kernel_features' business (tsnproxy features against the kernel version).
test_save_hook_follows_tcx() {
	local tcx pod
	tk_fixture_up "$TK_TEST_ID" 1
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	tcx=false
	tk_has tcx && tcx=true
	pod=/run/netns/${TK_PODS[0]}
	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	vm_proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow failed"
	assert_eq "default save hook" "$(vm_proxy status --json | jq -r .config.save_hook)" tc
	assert_eq "the pod's save program attached" \
		"$(vm_proxy status --json | jq -r '.policy[0].attached')" true
	# what `tsnproxy features` tells a user this kernel gets is what start attached
	assert_match "features says so" \
		"$("$TK_BUILD/tsnproxy" features --json | jq -r .mechanisms.save_hook_registered.uses)" \
		"$([ "$tcx" = true ] && echo "tcx link" || echo "clsact filter")"
	if [ "$tcx" = true ]; then
		assert_eq "the pod's save link" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" 1
		return
	fi
	assert_eq "clsact filter on the pod's eth0" \
		"$(nsenter --net="$pod" -- tc filter show dev eth0 egress | grep -c tsn_pod_save)" 1
	vm_proxy deny --netns "${TK_PODS[0]}" >/dev/null || tk_fail "deny failed"
	assert_eq "deny removes the filter" \
		"$(nsenter --net="$pod" -- tc filter show dev eth0 egress | grep -c tsn_pod_save)" 0
}

# A pod's save hooks on each of its interfaces (eth0 and a second one, as multus gives) go with
# deny and with stop: tcx links with their pins; clsact filters (the 6.1 lanes), which have no
# pin, found by the pod's netns. A filter left behind would keep stamping the pod's tag, which
# a later pod may get: the left pod's packets would be saved under that pod's policy.
vm_pod_save_hooks() { # POD_NETNS: the pod's save hooks on eth0 and net1, "N N"
	local dev n idx out=()
	for dev in eth0 net1; do
		if tk_has tcx; then	# its link pin, links/save_<netns inode>_<ifindex>
			idx=$(nsenter --net="$1" -- ip -o link show dev "$dev" | cut -d: -f1)
			n=$(find "$TK_PIN/links" -name "save_*_$idx" 2>/dev/null | wc -l)
		else
			n=$(nsenter --net="$1" -- tc filter show dev "$dev" egress | grep -c tsn_pod_save)
		fi
		out+=("$n")
	done
	echo "${out[*]}"
}

test_pod_save_hooks_go_with_deny_and_stop() {
	local pod dev
	tk_fixture_up "$TK_TEST_ID" 1
	pod=/run/netns/${TK_PODS[0]}
	nsenter --net="$pod" -- ip link add net1 type dummy || tk_fail "dummy net1 in the pod"
	nsenter --net="$pod" -- ip link set net1 up || tk_fail "net1 up"
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	for dev in eth0 net1; do
		vm_proxy allow --netns "${TK_PODS[0]}" --ifname "$dev" --priorities 1 >/dev/null ||
			tk_fail "allow on $dev failed"
	done
	assert_eq "a save hook on each interface" "$(vm_pod_save_hooks "$pod")" "1 1"
	vm_proxy deny --netns "${TK_PODS[0]}" >/dev/null || tk_fail "deny failed"
	assert_eq "deny removes both" "$(vm_pod_save_hooks "$pod")" "0 0"

	for dev in eth0 net1; do
		vm_proxy allow --netns "${TK_PODS[0]}" --ifname "$dev" --priorities 1 >/dev/null ||
			tk_fail "allow on $dev again failed"
	done
	assert_eq "allowed again" "$(vm_pod_save_hooks "$pod")" "1 1"
	vm_proxy stop >/dev/null || tk_fail "stop failed"
	assert_eq "stop removes both" "$(vm_pod_save_hooks "$pod")" "0 0"
}

# Where the restore needs a clsact qdisc (no tcx), grafting one stops a taprio root for good on
# 6.1 (test_kernel_features: test_taprio_sends_after_clsact_added): start refuses it in one line
# and grafts nothing, and says what to do. With tcx, start attaches next to taprio.
test_start_never_stops_taprio() {
	local tcx out rc
	tk_fixture_up "$TK_TEST_ID" 1
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	[ "$(tk_tc_kind "$TK_TEST_ID")" = taprio ] || tk_fail "the fixture has no taprio on nic0"
	tcx=false
	tk_has tcx && tcx=true
	# the fixture added clsact before taprio where it must; this test wants none
	tk_ns "$TK_NODE" tc qdisc del dev nic0 clsact 2>/dev/null
	out=$(vm_proxy start --nic nic0 2>&1)
	rc=$?
	if [ "$tcx" = true ]; then
		assert_eq "with tcx: start" "$rc" 0
		return
	fi
	assert_eq "without tcx, taprio root, no clsact: exit" "$rc" 2
	assert_eq "one line" "$(echo "$out" | wc -l)" 1
	assert_match "says what to do" "$out" "add it first"
	assert_eq "no clsact grafted" "$(tk_ns "$TK_NODE" tc qdisc show dev nic0 | grep -c clsact)" 0
	assert_eq "nothing pinned" "$(find "$TK_PIN" 2>/dev/null | wc -l)" 0
}

# ---- load under preemption -------------------------------------------------------------------------
# Four pods flood at once, each at its own priority (1 and 2: classes the lane's taprio opens;
# 4 and 5: class 0), pods 2 and 4 with a TAI txtime too, while one SCHED_FIFO hog per CPU
# keeps waking up and preempting whatever runs there: the talkers' sendmsg, the softirq work
# done in their context or in ksoftirqd, and the save and restore programs inside it (on
# PREEMPT_RT all of them are preemptible; docs/enforce.md, "PREEMPT_RT"). A slot, counter or
# per-CPU scratch word interleaved by a preemption shows as a packet leaving nic0 with another
# pod's priority or none (the observer sees it at the driver), or as a broken count identity.
VM_LOAD_N=300
VM_LOAD_PORT=6101 # pod k sends to VM_LOAD_PORT + k - 1
VM_LOAD_PRIO=(1 2 4 5)
VM_LOAD_TXTIME=(0 1 1 0)
VM_LOAD_HOG_S=60 # a hog's bound, should the test die before killing it

# A hog on CPU: SCHED_FIFO 50, spins 5 ms, sleeps 5 ms (read -t on a fifo nobody writes: no
# fork), for at most VM_LOAD_HOG_S. Each wakeup preempts the CPU's SCHED_OTHER work.
vm_load_hog() { # CPU
	local fifo=$TK_TMP/hog.$1
	mkfifo "$fifo"
	chrt -f 50 taskset -c "$1" bash -c '
		exec 3<>"$1"
		end=$((SECONDS + $2))
		while ((SECONDS < end)); do
			t=${EPOCHREALTIME/./}
			while now=${EPOCHREALTIME/./}; ((now - t < 5000)); do :; done
			read -r -t 0.005 -u 3 _
		done' hog "$fifo" "$VM_LOAD_HOG_S" &
	VM_LOAD_HOGS+=("$!")
	tk_defer "kill $!"
}

# saved minus everything a saved entry can end as; 0 when every entry is accounted for
vm_load_unaccounted() { # status-json
	jq '.counters.saved - .counters.restored_priority - .counters.freed_unrestored -
		.counters.expired - .counters.evicted - .map.used' <<<"$1"
}

test_enforce_under_preemption_load() {
	local k cpu pids=() st prev i
	VM_LOAD_HOGS=()
	tk_fixture_up "$TK_TEST_ID" 4
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	tk_log "kernel $(uname -r): $(uname -v); fixture up after $SECONDS s"
	vm_proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	for k in 1 2 3 4; do
		vm_proxy allow --netns "${TK_PODS[k - 1]}" --priorities "${VM_LOAD_PRIO[k - 1]}" \
			>/dev/null || tk_fail "allow pod$k failed"
	done
	# one best-effort datagram per pod first (nothing to save): the neighbours are resolved
	# before the flood, whose first packets would otherwise overflow the ARP queues
	for k in 1 2 3 4; do
		tk_talk "$TK_TEST_ID" "$k" --port "$VM_LOAD_PORT" --count 1 >/dev/null ||
			tk_fail "pod$k: warm-up failed"
	done
	tk_observe_start "$VM_LOAD_PORT-$((VM_LOAD_PORT + 3))"
	tk_log "observer ready after $SECONDS s"
	for ((cpu = 0; cpu < $(nproc); cpu++)); do vm_load_hog "$cpu"; done
	for k in 1 2 3 4; do
		local txtime=()
		((VM_LOAD_TXTIME[k - 1])) && txtime=(--txtime tai --txtime-delay-ns 1000000)
		tk_talk "$TK_TEST_ID" "$k" --port $((VM_LOAD_PORT + k - 1)) --count $VM_LOAD_N \
			--interval-us 200 --priority "${VM_LOAD_PRIO[k - 1]}" "${txtime[@]}" \
			>/dev/null &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i" || tk_fail "a talker failed"; done
	for i in "${VM_LOAD_HOGS[@]}"; do
		kill -0 "$i" 2>/dev/null || tk_fail "hog $i was gone before the talkers finished"
		tk_log "hog $i ran $(awk '{ print $14 + $15 }' "/proc/$i/stat") ticks"
		kill "$i"
	done
	tk_observe_stop

	tk_log "flood done after $SECONDS s"

	# one pass over what the observer saw leave nic0: per pod, packets and those without its
	# own priority (jq is slow under TCG: no pass per question)
	local ino ifindex counts
	ino=$(stat -L -c %i "/run/netns/$TK_NODE")
	ifindex=$(tk_ns "$TK_NODE" ip -j link show nic0 | jq '.[0].ifindex')
	counts=($(jq -s -r --argjson ino "$ino" --argjson ifi "$ifindex" --argjson p0 $VM_LOAD_PORT \
		--argjson prio "[$(IFS=,; echo "${VM_LOAD_PRIO[*]}")]" '
		[.[] | select(.netns == $ino and .ifindex == $ifi)] as $nic |
		[range(0; $prio | length) as $k | [$nic[] | select(.dport == $p0 + $k)] |
			length, (map(select(.priority != $prio[$k])) | length)] | join(" ")' \
		"$TK_TMP/obs.json"))
	tk_log "per pod at nic0, packets and those without its priority: ${counts[*]}"
	for k in 1 2 3 4; do
		assert_eq "pod$k: every packet reached nic0" "${counts[2 * k - 2]:-}" $VM_LOAD_N
		assert_eq "pod$k: packets at nic0 without priority ${VM_LOAD_PRIO[k - 1]}" \
			"${counts[2 * k - 1]:-}" 0
	done

	# The identity on a quiet table: two reads in a row that saw no save in between (the
	# pods' own IPv6 control traffic is saved too, and may race one read)
	prev=
	for ((i = 0; i < 30; i++)); do
		st=$(vm_proxy status --json) || tk_fail "status failed"
		[ -n "$prev" ] && [ "$(jq .counters.saved <<<"$st")" = \
			"$(jq .counters.saved <<<"$prev")" ] && break
		prev=$st
		sleep 0.2
	done
	tk_log "counters after $SECONDS s: $(jq -c '.counters + {used: .map.used}' <<<"$st")"
	assert_ge "restored" "$(jq .counters.restored_priority <<<"$st")" $((4 * VM_LOAD_N))
	assert_eq "saved - restored - freed - expired - evicted - used" \
		"$(vm_load_unaccounted "$st")" 0
}
