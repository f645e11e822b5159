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
