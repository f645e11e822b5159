#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The datapath shapes whose drivers the host kernel lacks (tests/integration/test_datapaths.sh
# skips them by name there): the Geneve, IPIP and GRE overlays. The guest loads their
# modules on demand from its /lib/modules share. Same tests, same independent observer at nic0.
# Sourced by tests/vm/lane.sh with tests/lib.sh.

# shellcheck source=tests/integration/test_datapaths.sh
source "$TK_ROOT/tests/integration/test_datapaths.sh"
# only the shapes below run here: the host runs the rest
# shellcheck disable=SC2046
unset -f $(declare -F | awk '$3 ~ /^test_/ { print $3 }')

test_enforce_geneve_vm() { dp_enforce geneve auto; }
test_enforce_geneve_tracepoint_vm() { dp_enforce geneve tracepoint; }
test_enforce_ipip_vm() { dp_enforce ipip auto; }
test_enforce_ipip_tracepoint_vm() { dp_enforce ipip tracepoint; }
test_enforce_gre_vm() { dp_enforce gre auto; }
test_enforce_gre_tracepoint_vm() { dp_enforce gre tracepoint; }
