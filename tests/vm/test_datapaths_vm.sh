#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The datapath shapes whose drivers the host kernel lacks (tests/integration/test_datapaths.sh
# skips them by name there): the Geneve, IPIP and GRE overlays and ipvlan. The guest loads their
# modules on demand from its /lib/modules share. Same tests, same independent observer at nic0.
# macvlan runs on the host too, but under HTB there: here nic0 has taprio, whose txtime check
# applies to the shapes that keep the sender's socket (dp_txtime_taprio_checked).
# Sourced by tests/vm/lane.sh with tests/lib.sh.

# shellcheck source=tests/integration/test_datapaths.sh
source "$TK_ROOT/tests/integration/test_datapaths.sh"
# only the shapes below run here: the host runs the rest (compgen: no process per test)
# shellcheck disable=SC2046
unset -f $(compgen -A function test_)

test_enforce_geneve_vm() { dp_enforce geneve auto; }
test_enforce_geneve_tracepoint_vm() { dp_enforce geneve tracepoint; }
test_enforce_ipip_vm() { dp_enforce ipip auto; }
test_enforce_ipip_tracepoint_vm() { dp_enforce ipip tracepoint; }
test_enforce_gre_vm() { dp_enforce gre auto; }
test_enforce_gre_tracepoint_vm() { dp_enforce gre tracepoint; }
# ipvlan (l2 mode): the host kernel has no CONFIG_IPVLAN
test_enforce_ipvlan_vm() { dp_enforce ipvlan auto 1; }
test_enforce_ipvlan_tracepoint_vm() { dp_enforce ipvlan tracepoint 1; }
test_trace_ipvlan_vm() { dp_trace ipvlan kept; }
test_enforce_macvlan_vm() { dp_enforce macvlan auto 1; }
# tsntrace follows the pod's packet through the tunnel device to nic0 (the host runs vxlan)
test_trace_geneve_vm() { dp_trace geneve veth-priority-reset vethpod1; }
test_trace_ipip_vm() { dp_trace ipip veth-priority-reset vethpod1; }
test_trace_gre_vm() { dp_trace gre veth-priority-reset vethpod1; }
