#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Datapath-shape tests that fail today, kept out of the suite (tests/run.sh runs test_*.sh only)
# until the datapath they need exists; each names what it waits for. Run one by hand:
#   bash -c 'source tests/lib.sh; source tests/integration/pending_datapaths.sh; tk_run_test FN'
# When one passes, move it into test_datapaths.sh.

# shellcheck source=tests/integration/test_datapaths.sh
source "$TK_ROOT/tests/integration/test_datapaths.sh"

# tsntrace's path of the encapsulated packet stops at tun0: no nic0 hop, verdict at tun0.
# Waits for tsntrace to follow the packet through the encapsulation.
pending_trace_vxlan() { dp_trace vxlan veth-priority-reset vethpod1; }
pending_trace_geneve() { dp_trace geneve veth-priority-reset vethpod1; }
pending_trace_ipip() { dp_trace ipip veth-priority-reset vethpod1; }
pending_trace_gre() { dp_trace gre veth-priority-reset vethpod1; }
