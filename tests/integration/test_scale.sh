#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Enforce mode with many pods (docs/enforce.md, Scale): every pod of a full fixture registered
# through the tsn CNI plugin as a runtime calls it, all sending at once, each with a priority of
# its own; judged by the independent observer at nic0's driver (tests/tools/observe). Not timed:
# the timing figures are bench/scale.sh's.

PODS=64		# the fixture's maximum
COUNT=40	# datagrams per pod
BASE_PORT=6200	# pod k sends to BASE_PORT + k: the observer tells the pods apart by port
TK_TIMEOUT_test_scale_every_pod_restored_to_its_own_priority=600

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

# Pod k's priority: k mod 8, so that neighbours differ and 0 (nothing to restore) is among them.
prio() { echo $(($1 % 8)); }

# ADD of pod k through the plugin, in the node netns with a stripped environment, allowed its
# priority (1 for the pods of priority 0, which then send nothing to restore).
cni_add() { # k
	local k=$1 p
	p=$(prio "$k")
	((p)) || p=1
	jq -nc --arg pin "$TK_PIN" --arg ns "/run/netns/tk$TK_TEST_ID-pod$k" --argjson p "$p" '
		{cniVersion: "1.1.0", name: "tsnscale", type: "tsn", tsnIfname: "nic0",
		 pinDir: $pin, priorities: [$p],
		 prevResult: {cniVersion: "1.1.0",
			      interfaces: [{name: "eth0", sandbox: $ns}], ips: []}}' |
		nsenter --net="/run/netns/$TK_NODE" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			CNI_COMMAND=ADD CNI_CONTAINERID="scale$k" \
			CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod$k" CNI_IFNAME=eth0 \
			CNI_PATH=/opt/cni/bin "$TK_BUILD/tsn" >/dev/null 2>"$TK_TMP/cni.err" ||
		tk_fail "ADD of pod$k: $(cat "$TK_TMP/cni.err")"
}

scale_setup() { # NPODS
	local k
	tk_fixture_up "$TK_TEST_ID" "$1"
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	# the plugin's state dir: the pin dir's path, "/" as "_" (docs/cni.md)
	local state
	state=/run/tsnkit/cni/$(echo "${TK_PIN#/}" | tr / _)
	tk_defer "rm -rf $state $state.statedir"
	for ((k = 1; k <= $1; k++)); do
		cni_add "$k"
	done
	assert_eq "pods registered" "$(proxy status --json | jq '.policy | length')" "$1"
}

# All pods send at once, pod k COUNT datagrams of priority k mod 8 to BASE_PORT + k. At nic0 the
# observer must see each pod's every datagram, with that pod's priority: nothing lost to a miss,
# nothing restored to a neighbour's value.
test_scale_every_pod_restored_to_its_own_priority() {
	scale_setup "$PODS"
	local k pids=() wrong seen per_pod nic
	tk_observe_start "$((BASE_PORT + 1))-$((BASE_PORT + PODS))"
	for ((k = 1; k <= PODS; k++)); do
		tk_ns "tk$TK_TEST_ID-pod$k" "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
			--port "$((BASE_PORT + k))" --count "$COUNT" --interval-us 2000 \
			--priority "$(prio "$k")" >/dev/null 2>&1 &
		pids+=($!)
	done
	for k in "${pids[@]}"; do
		wait "$k" || tk_fail "a talker failed"
	done
	tk_observe_stop
	# what left nic0 for the pods' ports (nsenter keeps the root netns' /sys: ask the netns)
	nic=$(tk_ns "$TK_NODE" ip -j link show nic0 | jq '.[0].ifindex')
	jq -c --argjson b "$BASE_PORT" --argjson n "$PODS" \
		"select(.netns == $(stat -L -c %i "/run/netns/$TK_NODE") and .ifindex == $nic) |
		 select(.dport > \$b and .dport <= \$b + \$n)" "$TK_TMP/obs.json" >"$TK_TMP/nic.json"
	seen=$(wc -l <"$TK_TMP/nic.json")
	wrong=$(jq -s --argjson b "$BASE_PORT" \
		'[.[] | select(.priority != ((.dport - $b) % 8))] | length' "$TK_TMP/nic.json")
	assert_eq "datagrams at nic0 with another priority than their pod's" "$wrong" 0
	assert_eq "datagrams at nic0" "$seen" $((PODS * COUNT))
	# every pod's own count, so that no pod is covered by another's surplus
	per_pod=$(jq -s --argjson b "$BASE_PORT" --argjson c "$COUNT" \
		'group_by(.dport) | map(select(length != $c) | "\(.[0].dport - $b): \(length)") |
		 join(", ")' -r "$TK_TMP/nic.json")
	assert_eq "pods with a datagram count other than $COUNT" "$per_pod" ""
	assert_eq "pods seen" "$(jq -s 'map(.dport) | unique | length' "$TK_TMP/nic.json")" "$PODS"
}

# Every pod shares one verified save program (maps/save_tail): what each pod's link runs is a
# stub of a few instructions that carries the pod's tag, one stub per pod. A copy of the whole
# save program per pod (a verifier pass and a kernel-BTF parse per ADD) fails this.
test_scale_pods_share_one_save_program() {
	local pods=4 ids shared n sizes
	scale_setup "$pods"
	ids=$(for f in "$TK_PIN"/links/save_*; do bpftool link show pinned "$f" -j | jq .prog_id
	done | sort -u)
	n=$(echo "$ids" | wc -l)
	assert_eq "distinct programs on the pods' links (one stub each: its own tag)" "$n" "$pods"
	sizes=$(for i in $ids; do bpftool prog show id "$i" -j | jq .bytes_xlated; done | sort -n)
	assert_le "largest per-pod program, bytes (8 instructions of 8 bytes)" \
		"$(echo "$sizes" | tail -1)" 64
	shared=$(bpftool map dump pinned "$TK_PIN/maps/save_tail" -j | jq -c '[.[].formatted.value]')
	assert_eq "programs in maps/save_tail" "$(echo "$shared" | jq length)" 1
	assert_eq "the shared program" \
		"$(bpftool prog show id "$(echo "$shared" | jq '.[0]')" -j | jq -r .name)" tsn_save_tc
}
