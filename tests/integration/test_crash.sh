#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode's pinned state against crashes and damage (docs/enforce.md, "State in bpffs"):
# tsnproxy start and the CNI plugin's first ADD killed at many points of their run, pins removed
# by hand, concurrent stops, pin dirs off bpffs. What the NIC sends is judged by the observer
# (build/observe, tp_btf at driver xmit), never by tsnproxy's own counters.

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }
partial() { echo "/sys/fs/bpf/tk$TK_TEST_ID-partial"; }
state_dir() { echo "/run/tsnkit/cni/sys_fs_bpf_tk$TK_TEST_ID"; }

crash_setup() { # NPODS
	tk_fixture_up "$TK_TEST_ID" "$1"
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
}

# ids of the programs that use the tracking table pinned in DIR, as a JSON list ([] if none)
state_prog_ids() { # DIR
	local map
	map=$(bpftool map show pinned "$1/maps/track" -j 2>/dev/null | jq .id) ||
		{ echo '[]'; return; }
	bpftool prog show -j | jq -c --argjson m "$map" \
		'[.[] | select((.name | startswith("tsn_")) and any(.map_ids[]?; . == $m)) | .id]'
}

# The strace options that kill a command with SIGKILL on entering its Nth bpf(2) call, before
# the kernel runs it; N "rename": on entering the rename(2) that moves its state into place.
kill_point() { # N
	if [ "$1" = rename ]; then
		local set=rename,renameat,renameat2
		echo "-e trace=$set -e inject=$set:signal=SIGKILL:when=1"
	else
		echo "-e trace=bpf -e inject=bpf:signal=SIGKILL:when=$1"
	fi
}

# The strace options that record a run's bpf(2) and rename(2) calls, for kill_points.
CALLS="-e trace=bpf,rename,renameat,renameat2"

# Kill points over a recorded run (CALLS): 2 in the load (feature probes, verifier), every other
# pin, every call from the NIC attachment to the configuration, the rename that publishes the
# state, 2 in what follows (the CNI ADD's registration), and one past the end (no kill).
kill_points() { # CALLS-FILE
	awk '/bpf\(/ {n++} /BPF_OBJ_PIN/ && !p {p = n} /BPF_LINK_CREATE/ && !l {l = n}
	     /rename/ && !r {r = n}
	     END {
		print 1; print int(p / 2)
		for (i = p; i < l - 1; i += 2) print i
		for (i = l - 1; i <= r; i++) print i
		print r + int((n - r) / 3) + 1; print r + int(2 * (n - r) / 3) + 1; print n + 1
	     }' "$1" | sort -nu
	echo rename
}

# After a kill: the ids of the programs it loaded into a partial dir (to prove them gone after
# the recovery) in LEFT_IDS; LEFT_PARTIAL counts the kills that left a partial dir.
note_leftovers() {
	LEFT_IDS='[]'
	if [ -e "$(partial)" ]; then
		LEFT_PARTIAL=$((LEFT_PARTIAL + 1))
		LEFT_IDS=$(state_prog_ids "$(partial)")
	fi
}

# After the recovering start/ADD: nothing of the killed run is loaded or pinned any more.
assert_killed_run_gone() { # name
	[ ! -e "$(partial)" ] || tk_fail "$1: $(partial) is still there"
	[ "$LEFT_IDS" = '[]' ] ||
		assert_eq "$1: the killed run's programs are gone (links detached)" \
		"$(tk_progs_alive "$LEFT_IDS")" 0
}

# After the kill points (array points): the observer saw, after kill point k, the pod's 20
# datagrams to port PORT0+k at nic0 with priority PRIO; and enough kills hit a half-built state.
assert_recovered() { # PORT0 PRIO
	local k
	tk_observe_stop
	for ((k = 0; k < ${#points[@]}; k++)); do
		assert_eq "kill point ${points[k]}: the pod's packets at nic0 with priority $2" \
			"$(tk_observe_count "$TK_NODE" nic0 \
				".dport == $(($1 + k)) and .priority == $2")" 20
	done
	# kills that never land while the state is being built would prove nothing
	assert_ge "kills that left a partially built state" "$LEFT_PARTIAL" 5
}

# kill -9 `tsnproxy start` at many points of its run (kill_points); after each, start succeeds,
# the pod's priority reaches the NIC, and nothing of the killed run stays loaded.
test_start_killed_at_any_point() {
	crash_setup 1
	local n k=0 out points=()
	LEFT_PARTIAL=0
	# shellcheck disable=SC2086 # CALLS is options
	tk_ns "$TK_NODE" strace -f -o "$TK_TMP/calls" $CALLS "$TK_BUILD/tsnproxy" \
		--pin-dir "$TK_PIN" start --nic nic0 >/dev/null || tk_fail "start"
	proxy stop >/dev/null || tk_fail "stop"
	mapfile -t points < <(kill_points "$TK_TMP/calls")
	tk_log "start makes $(grep -c 'bpf(' "$TK_TMP/calls") bpf calls; kill points: ${points[*]}"
	tk_observe_start 6100-6199
	for n in "${points[@]}"; do
		# shellcheck disable=SC2046 # kill_point's options are words
		tk_ns "$TK_NODE" strace -f -o /dev/null $(kill_point "$n") "$TK_BUILD/tsnproxy" \
			--pin-dir "$TK_PIN" start --nic nic0 >/dev/null 2>&1
		note_leftovers
		out=$(proxy start --nic nic0 2>&1) || tk_fail "kill point $n: start after it: $out"
		assert_killed_run_gone "kill point $n"
		proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null ||
			tk_fail "kill point $n: allow"
		tk_talk "$TK_TEST_ID" 1 --port $((6100 + k)) --count 20 --priority 3 >/dev/null
		assert_eq "kill point $n: stop" "$(proxy stop)" "result: stopped"
		k=$((k + 1))
	done
	assert_recovered 6100 3
}

# A pod's CNI configuration, as a runtime passes it (chained after a bridge plugin).
cni_conf() {
	jq -nc --arg pin "$TK_PIN" --arg ns "/run/netns/${TK_PODS[0]}" \
		--arg ip "${TK_POD_IP[0]}/24" --arg gw "$TK_BR_IP" '
		{cniVersion: "1.0.0", name: "tsnnet", type: "tsn", tsnIfname: "nic0", pinDir: $pin,
		 priorities: [1],
		 prevResult: {cniVersion: "1.0.0",
			      interfaces: [{name: "eth0", sandbox: $ns}],
			      ips: [{address: $ip, gateway: $gw, interface: 0}]}}'
}

# The plugin in the node netns, as a runtime calls it; WRAP... runs before it (strace).
tsn_cni() { # VERB [WRAP...]
	local verb=$1
	shift
	cni_conf | nsenter --net="/run/netns/$TK_NODE" -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$verb" CNI_PATH=/opt/cni/bin CNI_CONTAINERID=ctr1 \
		CNI_NETNS="/run/netns/${TK_PODS[0]}" CNI_IFNAME=eth0 "$@" "$TK_BUILD/tsn"
}

# kill -9 the plugin's first ADD (which loads the datapath, then registers the pod) at many
# points; after each, the runtime's next ADD succeeds and the pod's priority reaches the NIC.
test_first_cni_add_killed_at_any_point() {
	crash_setup 1
	tk_defer "rm -rf $(state_dir)"
	local n k=0 out points=()
	LEFT_PARTIAL=0
	# shellcheck disable=SC2086 # CALLS is options
	tsn_cni ADD strace -f -o "$TK_TMP/calls" $CALLS >/dev/null || tk_fail "ADD"
	tsn_cni DEL >/dev/null || tk_fail "DEL"
	proxy stop >/dev/null
	mapfile -t points < <(kill_points "$TK_TMP/calls")
	tk_log "the first ADD makes $(grep -c 'bpf(' "$TK_TMP/calls") bpf calls; kill points:" \
		"${points[*]}"
	tk_observe_start 6200-6299
	for n in "${points[@]}"; do
		# shellcheck disable=SC2046 # kill_point's options are words
		tsn_cni ADD strace -f -o /dev/null $(kill_point "$n") >/dev/null 2>&1
		note_leftovers
		out=$(tsn_cni ADD 2>&1) || tk_fail "kill point $n: ADD after it: $out"
		assert_killed_run_gone "kill point $n"
		tk_talk "$TK_TEST_ID" 1 --port $((6200 + k)) --count 20 --priority 1 >/dev/null
		tsn_cni DEL >/dev/null || tk_fail "kill point $n: DEL"
		assert_eq "kill point $n: stop" "$(proxy stop)" "result: stopped"
		k=$((k + 1))
	done
	assert_recovered 6200 1
}

# Every pin under the pin dir, one per line, sorted.
pins() { (cd "$TK_PIN" && find . -mindepth 2 | sort); }

# A pin of the right name holding another map (a state an older or newer tsnproxy pinned, a
# pin replaced by hand): a lookup would copy its larger value into the caller's struct. status
# names the map and how it differs, allow and start refuse in one line, stop removes the state.
test_pinned_map_of_another_shape_refused() {
	crash_setup 1
	proxy start --nic nic0 >/dev/null || tk_fail "start"
	rm "$TK_PIN/maps/config"
	bpftool map create "$TK_PIN/maps/config" type array key 4 value 256 entries 1 \
		name tk_cfg_shape || tk_fail "bpftool map create"
	bpftool map update pinned "$TK_PIN/maps/config" key 0 0 0 0 value $(printf '1 %.0s' \
		$(seq 256)) || tk_fail "bpftool map update"

	assert_exit "status" 1 proxy status
	assert_eq "status: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "status names the map and its shape" "$TK_ERR" \
		"damaged, maps/config is not the map this tsnproxy reads \\(array, key 4, value 256 bytes"
	assert_exit "allow" 2 proxy allow --netns "${TK_PODS[0]}" --priorities 3
	assert_eq "allow: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "allow names it too" "$TK_ERR" "damaged, maps/config is not the map"
	assert_exit "start" 2 proxy start --nic nic0
	assert_match "start says to run stop" "$TK_ERR" "damaged.*run stop"
	assert_eq "stop" "$(proxy stop)" "result: stopped"
	[ ! -e "$TK_PIN" ] || tk_fail "stop left $(find "$TK_PIN" | tr '\n' ' ')"
}

# A pin removed by hand: status names what is missing (not "not running"), start refuses and
# removes nothing, the datapath keeps working, and stop removes all of it.
test_damaged_state_reported_kept_and_stopped() {
	crash_setup 1
	local before
	proxy start --nic nic0 >/dev/null || tk_fail "start"
	proxy allow --netns "${TK_PODS[0]}" --priorities 3 >/dev/null || tk_fail "allow"
	rm "$TK_PIN/maps/config" "$TK_PIN/progs/clock"
	before=$(pins)

	assert_exit "status of a damaged state" 1 proxy status
	assert_eq "status: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "status names what is missing" "$TK_ERR" \
		"damaged, missing maps/config, progs/clock: run stop"
	assert_exit "start on a damaged state" 2 proxy start --nic nic0
	assert_eq "start: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "start says to run stop" "$TK_ERR" "damaged.*run stop"
	assert_eq "start removed nothing" "$(pins)" "$before"

	tk_observe_start 6300-6301
	tk_talk "$TK_TEST_ID" 1 --port 6300 --count 20 --priority 3 >/dev/null
	assert_eq "stop of a damaged state" "$(proxy stop)" "result: stopped"
	[ ! -e "$TK_PIN" ] || tk_fail "stop left $(find "$TK_PIN" | tr '\n' ' ')"
	tk_talk "$TK_TEST_ID" 1 --port 6301 --count 20 --priority 3 >/dev/null
	tk_observe_stop
	assert_eq "damaged state: the datapath still restored" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6300 and .priority == 3')" 20
	assert_eq "after stop: nothing restored (links detached)" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6301 and .priority == 3')" 0
	assert_exit "status after stop" 1 proxy status
	assert_match "status after stop" "$TK_ERR" "not running"
}

# Three stops at once: one stopped it, the others found nothing.
test_concurrent_stops_tell_the_truth() {
	crash_setup 1
	local round i pids=()
	for ((round = 0; round < 3; round++)); do
		proxy start --nic nic0 >/dev/null || tk_fail "start"
		for i in 1 2 3; do
			proxy stop >"$TK_TMP/stop$i" 2>&1 &
			pids[i]=$!
		done
		wait "${pids[@]}"
		assert_eq "round $round: stops that said stopped" \
			"$(cat "$TK_TMP"/stop{1,2,3} | grep -c '^result: stopped$')" 1
		assert_eq "round $round: stops that said not running" \
			"$(cat "$TK_TMP"/stop{1,2,3} | grep -c '^result: not running$')" 2
	done
}

# deny with nothing running says so, non-zero.
test_deny_when_not_running() {
	crash_setup 1
	assert_exit "deny, nothing running" 2 proxy deny --netns "${TK_PODS[0]}"
	assert_eq "deny: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "deny says nothing runs" "$TK_ERR" "deny: enforce mode is not running"
}

# A pin dir off bpffs: "not on bpffs", whole even when the path is long; nothing attached.
test_pin_dir_not_on_bpffs() {
	crash_setup 1
	local long
	long=$TK_TMP/$(printf 'd%.0s' {1..200})
	mkdir -p "$long"
	assert_exit "start off bpffs" 2 tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" \
		--pin-dir "$TK_TMP/x" start --nic nic0
	assert_match "off bpffs: the reason" "$TK_ERR" "pin dir is not on bpffs"
	assert_exit "start off bpffs, long path" 2 tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" \
		--pin-dir "$long/x" start --nic nic0
	assert_eq "long path: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_match "long path: the reason is whole" "$TK_ERR" \
		"pin dir is not on bpffs \(mount -t bpf bpf DIR, or pick one under /sys/fs/bpf\)"
	if [ -e "$TK_TMP/x" ] || [ -e "$long/x" ]; then tk_fail "start created a dir off bpffs"; fi
	tk_observe_start 6400
	tk_talk "$TK_TEST_ID" 1 --port 6400 --count 20 --priority 3 >/dev/null
	tk_observe_stop
	assert_eq "nothing attached to nic0: the priority is lost as without tsnproxy" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6400 and .priority == 3')" 0
}
