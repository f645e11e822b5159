#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Datapath-shape tests that fail today, kept out of the suite (tests/run.sh runs test_*.sh only)
# until the datapath they need exists; each names what it waits for. Run one by hand:
#   bash -c 'source tests/lib.sh; source tests/integration/pending_datapaths.sh; tk_run_test FN'
# When one passes, move it into test_datapaths.sh.

# shellcheck source=tests/integration/test_datapaths.sh
source "$TK_ROOT/tests/integration/test_datapaths.sh"

# Raw Ethernet TSN frames (0xB62C) on the l2 shape: 49 of 50 are restored with either save hook;
# the one missing is always the first frame of each sender (seq 0), counted as a miss at nic0.
# The cause is not found yet (IP flows, whose first packet waits for ARP, lose none).
pending_enforce_l2_raw() { DP_RAW=1 dp_enforce l2 auto; }
pending_enforce_l2_raw_tracepoint() { DP_RAW=1 dp_enforce l2 tracepoint; }

# Tunnels: the restore fingerprints the outer headers at nic0 and restores none of the pod's
# packets. Wait for the restore's inner fingerprint (progs/tsn_tunnel.bpf.h). The observer sees
# only outer headers there, so these are judged by nic0's per-class qdisc counters instead,
# which read the outer skb's priority, the one the qdisc uses.
dp_enforce_tunnel() { # SHAPE SAVE_HOOK
	local hook=() before after
	dp_setup "$1"
	[ "$2" = tracepoint ] && hook=(--policy all --save-hook tracepoint)
	proxy start --nic nic0 "${hook[@]}" >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1,2,3 >/dev/null || tk_fail "allow pod1"
	before=$(tk_tc_snapshot)
	dp_talk 1 --port 5001 --count $N --priority 2
	after=$(tk_tc_snapshot)
	assert_eq "$1: registered pod's packets in tc2" "$(tk_tc_delta "$before" "$after" 2)" $N
	before=$(tk_tc_snapshot)
	dp_talk 2 --port 5001 --count $N --priority 2
	dp_talk node --port 5001 --count $N --priority 0
	after=$(tk_tc_snapshot)
	assert_eq "$1: unregistered pod and node: nothing in tc2" \
		"$(tk_tc_delta "$before" "$after" 2)" 0
}
pending_enforce_vxlan() { dp_enforce_tunnel vxlan auto; }
pending_enforce_vxlan_tracepoint() { dp_enforce_tunnel vxlan tracepoint; }
pending_enforce_geneve() { dp_enforce_tunnel geneve auto; }
pending_enforce_geneve_tracepoint() { dp_enforce_tunnel geneve tracepoint; }
pending_enforce_ipip() { dp_enforce_tunnel ipip auto; }
pending_enforce_ipip_tracepoint() { dp_enforce_tunnel ipip tracepoint; }
pending_enforce_gre() { dp_enforce_tunnel gre auto; }
pending_enforce_gre_tracepoint() { dp_enforce_tunnel gre tracepoint; }

# tsntrace's path of the encapsulated packet stops at tun0: no nic0 hop, verdict at tun0.
# Waits for tsntrace to follow the packet through the encapsulation.
pending_trace_vxlan() { dp_trace vxlan veth-priority-reset vethpod1; }
pending_trace_geneve() { dp_trace geneve veth-priority-reset vethpod1; }
pending_trace_ipip() { dp_trace ipip veth-priority-reset vethpod1; }
pending_trace_gre() { dp_trace gre veth-priority-reset vethpod1; }
