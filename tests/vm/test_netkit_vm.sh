# SPDX-License-Identifier: GPL-2.0-only
#
# The datapath shapes of tests/integration/test_datapaths.sh that need a kernel the host does
# not have: netkit (6.7+, scrub 6.11+). The same test functions, sourced from there; the host
# suite runs them too and skips them by name ("netkit") there. Sourced by tests/vm/lane.sh
# with tests/lib.sh.

# shellcheck source=tests/integration/test_datapaths.sh
source "$TK_ROOT/tests/integration/test_datapaths.sh"

# keep only the netkit tests: the other shapes run on the host
for _dp_fn in $(compgen -A function test_); do
	[[ $_dp_fn == *netkit* ]] || unset -f "$_dp_fn"
done
unset _dp_fn
