#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tsnkit demo (make demo): a Kubernetes-like node built out of network namespaces
# (tests/fixture.sh), two pods with TSN talkers as in the seed talk plus a best-effort talker,
# and the per-traffic-class counters of the node's TSN NIC. Without tsnkit every packet is
# scheduled in traffic class 0: the priority the pods set does not survive the veth crossing
# and the forwarding on the node.
#
# The demo is a list of steps (demo_main); each round of traffic is demo_round, so a new step,
# e.g. "start tsnproxy in enforce mode and run the talkers again" (demo_enforce), is one function
# and one line in demo_main. Everything is torn down on exit, also on Ctrl-C.
#
#   scripts/demo.sh        (as root; after make)
#   DEMO_ID=N DEMO_COUNT=N to pick another fixture ID (1..250) or packets per talker
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TK_ROOT=$ROOT
export TK_BUILD=${TK_BUILD:-$ROOT/build}
# shellcheck source=tests/fixture.sh
source "$ROOT/tests/fixture.sh"

DEMO_ID=${DEMO_ID:-200}
DEMO_COUNT=${DEMO_COUNT:-200}
DEMO_INTERVAL_US=1000
DEMO_PORT_TSN=5001
DEMO_PORT_BE=5002

# name pod priority port: the seed talk's two TSN talkers and one best-effort talker
DEMO_TALKERS=(
	"talker-a 1 1 $DEMO_PORT_TSN"
	"talker-b 2 2 $DEMO_PORT_TSN"
	"best-effort 1 0 $DEMO_PORT_BE"
)

# tk_fail from the fixture library ends the demo; the EXIT trap still tears down
tk_fail() {
	echo "demo: $*" >&2
	exit 1
}

demo_title() {
	printf '\n== %s ==\n' "$*"
}

demo_check() {
	if [ "$(id -u)" != 0 ]; then
		echo "demo: needs root (network namespaces, qdiscs, BPF)" >&2
		exit 2
	fi
	if [ ! -x "$TK_BUILD/talker" ]; then
		echo "demo: $TK_BUILD/talker is missing; run make first (make demo does)" >&2
		exit 2
	fi
}

demo_setup() {
	demo_title "a node in a box (fixture $DEMO_ID, only network namespaces, the host is untouched)"
	# a demo killed with SIGKILL leaves its fixture behind; this ID belongs to the demo
	if [ -n "$(_tk_fx_netns "$DEMO_ID")" ]; then
		echo "  (removing a fixture $DEMO_ID left over from an earlier run)"
		tk_fixture_down "$DEMO_ID"
	fi
	tk_fixture_up "$DEMO_ID" 2
	cat <<EOF
  pod1  ${TK_POD_IP[0]} (eth0) --veth--+
  pod2  ${TK_POD_IP[1]} (eth0) --veth--+-- br0 $TK_BR_IP   [node: ip_forward]
                                              nic0 $TK_NIC_IP --veth-- $TK_LISTEN_IP listeners
EOF
	case $(tk_tc_kind) in
	taprio)
		echo "  nic0 qdisc: taprio num_tc 4 map 0 1 2 3 (the seed talk's schedule)" ;;
	*)
		echo "  nic0 qdisc: HTB, one class per traffic class, and a BPF classifier with taprio's"
		echo "  \"map 0 1 2 3\" (this kernel has no taprio): priority N -> TC N for N = 0..3" ;;
	esac
	# resolve ARP now, so that the request does not show up in the first round's TC0
	tk_talk "$DEMO_ID" node --port 9 --count 1 >/dev/null ||
		tk_fail "the node cannot reach the TSN network"
}

# One round: all talkers at once, then the counters of nic0's traffic classes. $1 is a label.
demo_round() {
	local label=$1 t name pod prio port i pids=() before=() after=() expect=(0 0 0 0) who=()
	local sent got_tsn got_be

	demo_title "$label"
	for i in 0 1 2 3; do
		before[i]=$(tk_tc_count "$DEMO_ID" "$i")
	done
	tk_listen "$DEMO_ID" "$DEMO_PORT_TSN"
	tk_listen "$DEMO_ID" "$DEMO_PORT_BE"
	for t in "${DEMO_TALKERS[@]}"; do
		read -r name pod prio port <<<"$t"
		tk_talk "$DEMO_ID" "$pod" --port "$port" --priority "$prio" --count "$DEMO_COUNT" \
			--interval-us "$DEMO_INTERVAL_US" >"$(_tk_fx_dir "$DEMO_ID")/$name.out" 2>&1 &
		pids+=($!)
		# what the counters would say if the priority reached nic0 (map 0 1 2 3)
		expect[prio]=$((expect[prio] + DEMO_COUNT))
		who[prio]="${who[prio]:+${who[prio]}, }$name"
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
		read -r name pod prio port <<<"${DEMO_TALKERS[i]}"
		sent=$(sed -n 's/^sent \([0-9]*\).*/\1/p' "$(_tk_fx_dir "$DEMO_ID")/$name.out")
		printf '  %-12s pod%s  SO_PRIORITY %s  -> %s:%s  sent %s\n' "$name" "$pod" "$prio" \
			"$TK_LISTEN_IP" "$port" "${sent:-0 (failed)}"
	done
	got_tsn=$(tk_listen_count "$DEMO_ID" "$DEMO_PORT_TSN")
	got_be=$(tk_listen_count "$DEMO_ID" "$DEMO_PORT_BE")
	echo "  listeners received: port $DEMO_PORT_TSN: $got_tsn, port $DEMO_PORT_BE: $got_be"

	echo
	echo "  nic0 per traffic class (expected: if the pods' priorities had reached nic0)"
	printf '  %-14s %8s   %8s\n' "traffic class" packets expected
	for i in 0 1 2 3; do
		after[i]=$(tk_tc_count "$DEMO_ID" "$i")
		printf '  %-14s %8d   %8d  %s\n' "TC$i" $((after[i] - before[i])) "${expect[i]}" \
			"${who[i]:+(${who[i]})}"
	done
	echo
	if ((after[1] == before[1] && after[2] == before[2])); then
		cat <<'EOF'
  Everything landed in TC0: that is the problem. The pods did set SO_PRIORITY 1 and 2, but
  the veth crossing into the node (____dev_forward_skb) reset skb->priority to 0, and
  ip_forward then derived it from the TOS byte (0 -> best effort). nic0 scheduled the TSN
  streams as best-effort traffic. The same happens to SO_TXTIME's skb->tstamp (unless it is
  a MONO/TAI timestamp) and to skb->mark. Keeping that metadata is what tsnkit is for.
EOF
	elif ((after[1] - before[1] >= expect[1] && after[2] - before[2] >= expect[2])); then
		echo "  The TSN talkers landed in their traffic classes: the priorities survived."
	else
		echo "  Some TSN packets kept their priority, some did not (see the counters above)."
	fi
}

# ---- enforce mode ------------------------------------------------------------------------------
# Start tsnproxy on the node (pins its state in its own bpffs dir), register the two TSN pods
# with the priorities they were given, run the same talkers again, show the status, stop.
DEMO_PIN=/sys/fs/bpf/tsnkit-demo
demo_proxy() { nsenter --net="/run/netns/tk$DEMO_ID-node" -- "$TK_BUILD/tsnproxy" --pin-dir "$DEMO_PIN" "$@"; }

demo_enforce() {
	demo_title "with tsnproxy (enforce mode)"
	demo_proxy start --nic nic0 >/dev/null || { echo "  tsnproxy start failed"; return 1; }
	demo_proxy allow --netns "tk$DEMO_ID-pod1" --priorities 1 >/dev/null
	demo_proxy allow --netns "tk$DEMO_ID-pod2" --priorities 2 >/dev/null
	echo "  tsnproxy start --nic nic0; allow pod1 priorities 1; allow pod2 priorities 2"
	demo_round "round 2: the same talkers, tsnproxy restores priority before nic0's qdisc"
	echo
	echo "  tsnproxy status:"
	demo_proxy status | sed 's/^/    /'
	demo_proxy stop >/dev/null
	echo "  tsnproxy stop: programs, links and pins removed"
}

demo_teardown() {
	[ -e "$DEMO_PIN" ] && demo_proxy stop >/dev/null 2>&1
	tk_fixture_down "$DEMO_ID" >/dev/null 2>&1
}

demo_main() {
	demo_check
	trap demo_teardown EXIT
	trap 'exit 130' INT TERM
	demo_setup
	demo_round "round 1: the pods' talkers, no tsnkit"
	demo_enforce
	demo_title "done; the fixture is removed"
}

demo_main "$@"
