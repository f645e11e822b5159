#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Node-in-a-box: a Kubernetes-like node built only out of network namespaces, so that the tests
# and the demo can show what happens to SO_PRIORITY/SO_TXTIME metadata on the way from a pod to
# the TSN NIC without touching the host's own network:
#
#   tk<ID>-pod<k>: eth0 198.18.<ID>.(10+k) --veth-- vethpod<k> ┐
#   tk<ID>-node:   br0 198.18.<ID>.1 (pod gateway, ip_forward=1) ┘   nic0 198.19.<ID>.1 ┐
#   tk<ID>-net:    eth0 198.19.<ID>.2 (the "TSN network", where listeners run)  --veth-┘
#
# nic0 gets a priority-aware egress qdisc: taprio with the seed talk's schedule where the kernel
# has it, else HTB with one class per traffic class plus a BPF classifier that applies taprio's
# "map 0 1 2 3" (tests/progs/fixture_tc.bpf.c). Either way the per-class counters tell in which
# traffic class each packet was scheduled.
#
# As a library (sourced by tests/lib.sh, or by scripts/demo.sh):
#   tk_fixture_up ID [NPODS]      build it (ID 1..250); registers tk_fixture_down with tk_defer
#   tk_fixture_down ID            remove everything; idempotent
#   tk_fixture_vars ID            (re)set the TK_* variables below for fixture ID
#   tk_fixture_show ID            human-readable summary
#   tk_listen ID [PORT] [DUR_S] [NETNS]
#                                 UDP sink on PORT (default 5001) of every address of the net netns
#                                 (TK_LISTEN_IP), or of NETNS (a pod's: tk<ID>-pod<k>)
#   tk_listen_count ID [PORT]     stop that sink, print how many datagrams it received
#   tk_talk ID WHERE [ARGS...]    run build/talker --dst TK_LISTEN_IP ARGS in pod<k> (WHERE=k)
#                                 or in the node netns (WHERE=node)
#   tk_talk_same ID K PORT N [PRIO]  N identical datagrams (a cyclic app's: no sequence
#                                 number), 2 ms apart, from an unconnected socket in pod K
#   tk_send_same NETNS DST PORT N GAP_S [PRIO]  the same from any netns to DST, GAP_S apart
#   tk_pod_talk K PRIO COUNT [PORT]  COUNT datagrams of priority PRIO from pod K, quietly
#   tk_tc_counts [ID]             "tc0 N\ntc1 N\ntc2 N\ntc3 N": packets per traffic class on nic0
#   tk_tc_count ID TC             one of those numbers
#   tk_tc_kind [ID]               taprio | htb (| mqprio, if a test replaced taprio)
#   tk_fixture_mirror ID K        clone (tc mirred) every packet from pod K to mir0 of the node
#   tk_fixture_recreate_pod_link ID K, tk_fixture_recreate_nic ID
#                                 replace pod K's veth pair, or nic0, by new devices (new
#                                 ifindex, same names and addresses)
#   tk_listen_ip ID               the address tk_talk sends to
#   tk_features_json              `tsnproxy features --json`, once per test run
#   tk_run_cache_get NAME, tk_run_cache_put NAME VALUE
#                                 a test run's shared answers (none without a runner)
# Variables (after up/vars): TK_FIXTURE_ID TK_NODE TK_NET TK_PODS[] TK_POD_IP[] (index 0 is
# pod1) TK_BR_IP TK_NIC TK_NIC_IP TK_LISTEN_IP TK_POD_SUBNET TK_NET_SUBNET TK_SHAPE, and for
# ipv6/dual TK_LISTEN_IP6 TK_POD_IP6[]
#
# As a command:  tests/fixture.sh up|down|show ID [--pods N] [--shape SHAPE]
#
# TK_SHAPE (or --shape) picks the datapath between the pods and nic0, one per way a primary CNI
# builds it (docs/datapaths.md); the default, "bridge", is the picture above:
#   bridge    pods on br0, routed to nic0 (bridge plugin, kindnet)
#   snat      bridge + MASQUERADE on nic0; the net netns has no route back to the pods
#   ipv6      bridge, IPv6 only: pods fd54:534e:0:<ID>::(10+k)/64, net fd54:534e:1:<ID>::2
#   dual      bridge, IPv4 and IPv6 (TK_LISTEN_IP6, TK_POD_IP6[])
#   routed    no bridge: /32 route per pod veth, pods' onlink gateway 198.18.<ID>.1 (Calico)
#   redirect  routed + progs/tk_redirect_neigh.bpf.c on each host veth's tc ingress,
#             bpf_redirect_neigh() to the FIB's egress device, nic0 (Cilium legacy veth)
#   l2        nic0 a port of br0, no routing: the net netns is on the pod subnet, 198.18.<ID>.2
#   macvlan   each pod's eth0 a macvlan (bridge mode) of nic0, on the net subnet 198.19.<ID>.(10+k)
#   ipvlan    the same with ipvlan (l2 mode)
#   netkit    routed, each pod's eth0 the peer of a netkit pair (L3 mode, scrub default) whose
#             primary nkpod<k> is in the node (Cilium netkit mode; kernel 6.7+, scrub 6.11+;
#             created by build/mknetkit, since Debian 12's iproute2 cannot)
#   netkit-noscrub
#             the same with scrub none on both sides (netkit keeps priority and mark)
#   vxlan, geneve, ipip, gre
#             bridge + an overlay tun0 across to the net netns, its underlay through nic0:
#             tun0 198.19.253.<ID> <-> 198.19.254.<ID> (the listener); vxlan on UDP 4789,
#             geneve 6081, gre with a key

TK_ROOT=${TK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TK_BUILD=${TK_BUILD:-$TK_ROOT/build}

# Without tests/lib.sh (the CLI, the demo): same helpers, but nothing is torn down implicitly,
# since a fixture brought up from the command line is meant to stay.
declare -F tk_ns >/dev/null || tk_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}
declare -F tk_defer >/dev/null || tk_defer() { :; }
declare -F tk_fail >/dev/null || tk_fail() {
	echo "FAIL: $*" >&2
	exit 1
}
declare -F tk_log >/dev/null || tk_log() { echo "# $*"; }

TK_FIXTURE_POD_PREFIX=198.18
TK_FIXTURE_NET_PREFIX=198.19
TK_FIXTURE_POD_PREFIX6=fd54:534e:0
TK_FIXTURE_NET_PREFIX6=fd54:534e:1
TK_FIXTURE_MAX_PODS=64
TK_FIXTURE_SHAPES="bridge snat ipv6 dual routed redirect l2 macvlan ipvlan netkit netkit-noscrub"
TK_FIXTURE_SHAPES+=" vxlan geneve ipip gre"
TK_FIXTURE_DEFAULT_PORT=5001
# The seed talk's schedule, verbatim: the fixture must behave like the setup it reproduces.
# TK_FIXTURE_TAPRIO_GATES stretches its three intervals (ns) where a machine cannot run them:
# the VM lane under TCG (tests/vm/lane.sh).
read -r _tk_g1 _tk_g2 _tk_g3 <<<"${TK_FIXTURE_TAPRIO_GATES:-10000 10000 20000}"
TK_FIXTURE_TAPRIO="taprio num_tc 4 map 0 1 2 3 queues 1@0 1@1 1@2 1@3"
TK_FIXTURE_TAPRIO+=" base-time 1693996801300000000"
TK_FIXTURE_TAPRIO+=" sched-entry S 03 $_tk_g1 sched-entry S 05 $_tk_g2 sched-entry S 01 $_tk_g3"
TK_FIXTURE_TAPRIO+=" clockid CLOCK_TAI"

_tk_fx_dir() { echo "/run/tsnkit-fixture/tk$1"; }

_tk_fx_check_id() {
	if ! [[ "$1" =~ ^[1-9][0-9]{0,2}$ ]] || [ "$1" -gt 250 ]; then
		tk_fail "fixture: ID '$1' must be 1..250 (it is the third octet of its subnets)"
	fi
}

# Run a command, fail the test with its output when it fails.
_tk_fx() {
	local out
	out=$("$@" 2>&1) || tk_fail "fixture: '$*' failed: $out"
}

# The bring-up's ip commands are queued (_tk_fx_ipq NETNS ARGS..., NETNS "-" for the root one)
# and run in their order by _tk_fx_ipq_run, each run of consecutive commands of one netns as one
# `ip -n NETNS -batch -`: a process per netns, not per command (process start-up is most of a
# fixture's time in a TCG guest: docs/testing.md). Arguments are single words; a batch line
# takes no global options (no -6: an IPv6 route names its family by its prefix, ::/0 for the
# default).
TK_FX_IPQ=()
_tk_fx_ipq() { # NETNS ip-args...
	TK_FX_IPQ+=("$1 ${*:2}")
}
_tk_fx_ipq_run() {
	local e ns cur='' cmds=''
	for e in "${TK_FX_IPQ[@]}" ""; do
		ns=${e%% *}
		if [ -n "$cmds" ] && [ "$ns" != "$cur" ]; then
			_tk_fx_ip_batch "$cur" "$cmds"
			cmds=
		fi
		cur=$ns
		[ -n "$e" ] && cmds+="${e#* }"$'\n'
	done
	TK_FX_IPQ=()
}
_tk_fx_ip_batch() { # NETNS COMMANDS
	local out line args=(-batch -)
	[ "$1" = - ] || args=(-n "$1" -batch -)
	out=$(ip "${args[@]}" <<<"$2" 2>&1) && return
	TK_FX_IPQ=()
	# A netlink error ends with "Command failed -:N": name that command. A malformed argument
	# exits ip at once: then name the batch.
	line=$(sed -n 's/^Command failed -:\([0-9]*\)$/\1/p' <<<"$out" | head -n 1)
	if [ -n "$line" ]; then
		line="'ip ${args[*]:0:2} $(sed -n "${line}p" <<<"$2")'"
	else
		line="'ip ${args[*]}' of '$(sed '/^$/d' <<<"$2" | paste -sd ';' | sed 's/;/; /g')'"
	fi
	tk_fail "fixture: $line failed: $(grep -v '^Command failed' <<<"$out" | paste -sd ' ')"
}

_tk_fx_ip2int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# Route lines ("ip -4 route" format) on stdin; prints the first whose destination overlaps
# 198.18.0.0/15, other than the default route, and succeeds if there is one.
_tk_fx_route_conflict() {
	local w1 w2 dst addr len m base
	base=$(_tk_fx_ip2int 198.18.0.0)
	while read -r w1 w2 _; do
		case $w1 in
		local | broadcast | anycast | unicast | unreachable | blackhole | prohibit | throw | nat)
			dst=$w2 ;;
		*) dst=$w1 ;;
		esac
		[ "$dst" = default ] && continue
		[[ "$dst" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$ ]] || continue
		addr=${dst%/*}
		len=32
		[[ "$dst" == */* ]] && len=${dst#*/}
		# two prefixes overlap iff they agree on the shorter one's bits
		m=$((len < 15 ? len : 15))
		if ((m == 0)) || (($(_tk_fx_ip2int "$addr") >> (32 - m) == base >> (32 - m))); then
			echo "$w1 $w2"
			return 0
		fi
	done
	return 1
}

# The 198.18.0.0/15 benchmark range must be unknown to the host: if the host routed any part of
# it, the fixture's addresses would alias real ones and the demo's output would mislead.
# Reads the root netns (pid 1's), never changes it.
_tk_fx_check_host_routes() {
	local nsarg=() bad
	[ -r /proc/1/ns/net ] && nsarg=(nsenter --net=/proc/1/ns/net --)
	if bad=$("${nsarg[@]}" ip -4 route show table all 2>/dev/null | _tk_fx_route_conflict); then
		tk_fail "fixture: the host routes '$bad', which overlaps 198.18.0.0/15 that the fixture uses"
	fi
}

# Names of the netns that exist now and match the extended regex RE: the entries of /run/netns,
# as `ip netns list` shows them, read with builtins (the runners ask before and after every
# test, and a process costs ~40 ms in a TCG guest: docs/testing.md).
tk_netns_matching() { # RE
	local p
	for p in /run/netns/*; do
		[[ ${p##*/} =~ $1 ]] && [ -e "$p" ] && echo "${p##*/}"
	done
	return 0
}

# The same for the fixture's IPv6 ULA range fd54:534e::/32 (shapes ipv6 and dual only).
_tk_fx_check_host_routes6() {
	local nsarg=() bad
	[ -r /proc/1/ns/net ] && nsarg=(nsenter --net=/proc/1/ns/net --)
	bad=$("${nsarg[@]}" ip -6 route show table all 2>/dev/null |
		awk '$1 ~ /^fd54:534e(:|\/)/ || $2 ~ /^fd54:534e(:|\/)/ {print $1, $2; exit}')
	[ -z "$bad" ] ||
		tk_fail "fixture: the host routes '$bad', which overlaps fd54:534e::/32 that the fixture uses"
}

# The shape fixture ID was built with (bridge when it is down or predates shapes).
_tk_fx_shape() { cat "$(_tk_fx_dir "$1")/shape" 2>/dev/null || echo bridge; }
_tk_fx_has4() { [ "$1" != ipv6 ]; }
_tk_fx_has6() { [ "$1" = ipv6 ] || [ "$1" = dual ]; }

# Fixture netns of ID that exist now.
_tk_fx_netns() {
	tk_netns_matching "^tk$1-(node|net|pod[0-9]+)$"
}

tk_fixture_vars() { # ID
	local id=$1 k n
	_tk_fx_check_id "$id"
	TK_FIXTURE_ID=$id
	TK_NODE=tk$id-node
	TK_NET=tk$id-net
	TK_NIC=nic0
	TK_BR_IP=$TK_FIXTURE_POD_PREFIX.$id.1
	TK_NIC_IP=$TK_FIXTURE_NET_PREFIX.$id.1
	TK_LISTEN_IP=$TK_FIXTURE_NET_PREFIX.$id.2
	TK_POD_SUBNET=$TK_FIXTURE_POD_PREFIX.$id.0/24
	TK_NET_SUBNET=$TK_FIXTURE_NET_PREFIX.$id.0/24
	TK_SHAPE=$(_tk_fx_shape "$id")
	TK_LISTEN_IP6=
	case $TK_SHAPE in
	ipv6) TK_LISTEN_IP=$TK_FIXTURE_NET_PREFIX6:$id::2 ;;
	dual) TK_LISTEN_IP6=$TK_FIXTURE_NET_PREFIX6:$id::2 ;;
	l2) TK_LISTEN_IP=$TK_FIXTURE_POD_PREFIX.$id.2 ;;
	vxlan | geneve | ipip | gre) TK_LISTEN_IP=$TK_FIXTURE_NET_PREFIX.254.$id ;;
	esac
	n=$(cat "$(_tk_fx_dir "$id")/npods" 2>/dev/null || echo 0)
	TK_PODS=()
	TK_POD_IP=()
	TK_POD_IP6=()
	for ((k = 1; k <= n; k++)); do
		TK_PODS+=("tk$id-pod$k")
		case $TK_SHAPE in
		ipv6) TK_POD_IP+=("$TK_FIXTURE_POD_PREFIX6:$id::$((10 + k))") ;;
		macvlan | ipvlan) TK_POD_IP+=("$TK_FIXTURE_NET_PREFIX.$id.$((10 + k))") ;;
		*) TK_POD_IP+=("$TK_FIXTURE_POD_PREFIX.$id.$((10 + k))") ;;
		esac
		_tk_fx_has6 "$TK_SHAPE" && TK_POD_IP6+=("$TK_FIXTURE_POD_PREFIX6:$id::$((10 + k))")
	done
	export TK_FIXTURE_ID TK_NODE TK_NET TK_NIC TK_BR_IP TK_NIC_IP TK_LISTEN_IP TK_POD_SUBNET \
		TK_NET_SUBNET TK_SHAPE TK_LISTEN_IP6
}

# Per-netns sysctls: no IPv6 (its router solicitations and MLD reports would otherwise show up
# in the traffic-class counters that the tests compare); with IPV6=1 (shapes ipv6 and dual)
# IPv6 on, without router solicitations or autoconfiguration. Before the netns has links: the
# default.* ones apply to links made after them. (lo up is queued with the netns' first
# commands, _tk_fx_ns_lo.)
_tk_fx_ns_init() { # ns [IPV6]
	if [ "${2:-0}" = 1 ]; then
		_tk_fx tk_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0 \
			net.ipv6.conf.default.accept_dad=0
	else
		tk_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
	fi
}
_tk_fx_ns_lo() { # ns
	_tk_fx_ipq "$1" link set lo up
}

# A run's shared answers: facts of the kernel and the build, which do not change during a run,
# kept in the runner's TK_RUN_DIR by the first test to work one out. Without a runner (a user's
# `tests/fixture.sh up`) there is none and every caller works it out.
tk_run_cache_get() { # NAME: prints the answer; fails when there is none
	local line
	[ -n "${TK_RUN_DIR:-}" ] && [ -f "$TK_RUN_DIR/$1" ] || return 1
	# read by the shell: a process costs ~40 ms in a TCG guest (docs/testing.md)
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
	done <"$TK_RUN_DIR/$1"
}
tk_run_cache_put() { # NAME VALUE: written whole (a rename), as tests in parallel may read it
	local tmp
	[ -n "${TK_RUN_DIR:-}" ] && tmp=$(mktemp "$TK_RUN_DIR/$1.XXXXXX" 2>/dev/null) || return 0
	printf '%s\n' "$2" >"$tmp" && mv -f "$tmp" "$TK_RUN_DIR/$1"
}

# `tsnproxy features --json`, once per run (tk_run_cache_get): its probes load BPF programs and
# build qdiscs, slow in a TCG guest, and every fixture and most tests ask it (docs/testing.md).
tk_features_json() {
	local out
	tk_run_cache_get features.json && return
	out=$("$TK_BUILD/tsnproxy" features --json 2>/dev/null) || return 1
	[ -n "$out" ] && tk_run_cache_put features.json "$out"
	printf '%s\n' "$out"
}

# Does the kernel have tcx? tsnproxy's own probe decides, as it does for the restore's hook;
# its answer is kept for the run too (a jq costs ~0.25 s in a TCG guest, once per fixture).
_tk_fx_kernel_has_tcx() {
	local has
	if ! has=$(tk_run_cache_get tcx); then
		has=$(tk_features_json | jq -r .tcx.supported)
		[[ $has == true || $has == false ]] && tk_run_cache_put tcx "$has"
	fi
	[ "$has" = true ]
}

# The priority-aware egress qdisc on nic0; its kind goes to the fixture's state dir.
_tk_fx_qdisc() { # id
	local node=tk$1-node obj=$TK_BUILD/fixture_tc.bpf.o dir k
	dir=$(_tk_fx_dir "$1")
	# Kernels without tcx (6.1) stop a taprio root when a clsact qdisc is added later
	# (docs/testing.md): there clsact comes first, as docs/enforce.md tells users to do.
	if ! _tk_fx_kernel_has_tcx; then
		tk_ns "$node" tc qdisc add dev nic0 clsact 2>/dev/null
	fi
	# shellcheck disable=SC2086 # the schedule is a word list on purpose
	if tk_ns "$node" tc qdisc replace dev nic0 parent root handle 100 $TK_FIXTURE_TAPRIO \
		>/dev/null 2>&1; then
		echo taprio >"$dir/kind"
		return
	fi
	[ -f "$obj" ] || tk_fail "fixture: no taprio in this kernel and $obj is not built (make)"
	# default 1: anything the classifier does not claim is best effort (TC0), like taprio
	_tk_fx tk_ns "$node" tc qdisc replace dev nic0 root handle 1: htb default 1
	for ((k = 1; k <= 4; k++)); do
		# far above anything a test sends: the classes count, they never shape
		_tk_fx tk_ns "$node" tc class add dev nic0 parent 1: classid "1:$k" \
			htb rate 10gbit ceil 10gbit burst 1m cburst 1m quantum 60000
	done
	# "classid 1:" gives the major; the program writes the minor
	# (see tests/progs/fixture_tc.bpf.c)
	_tk_fx tk_ns "$node" tc filter add dev nic0 parent 1: pref 1 \
		bpf da obj "$obj" sec tc classid 1:
	echo htb >"$dir/kind"
}

tk_fixture_up() { # ID [NPODS]; TK_SHAPE picks the datapath (default bridge)
	local id=$1 npods=${2:-2} shape=${TK_SHAPE:-bridge} v6=0 node net dir k pod ip progid
	_tk_fx_check_id "$id"
	if ! [[ "$npods" =~ ^[0-9]+$ ]] || ((npods < 1 || npods > TK_FIXTURE_MAX_PODS)); then
		tk_fail "fixture: NPODS '$npods' must be 1..$TK_FIXTURE_MAX_PODS"
	fi
	[[ " $TK_FIXTURE_SHAPES " == *" $shape "* ]] ||
		tk_fail "fixture: unknown shape '$shape' (one of: $TK_FIXTURE_SHAPES)"
	[ -x "$TK_BUILD/talker" ] || tk_fail "fixture: $TK_BUILD/talker is not built (make)"
	if [[ $shape == netkit* ]] && [ ! -x "$TK_BUILD/mknetkit" ]; then
		tk_fail "fixture: $TK_BUILD/mknetkit is not built (make)"
	fi
	if [ "$shape" = redirect ] && [ ! -f "$TK_BUILD/tk_redirect_neigh.bpf.o" ]; then
		tk_fail "fixture: $TK_BUILD/tk_redirect_neigh.bpf.o is not built (make)"
	fi
	_tk_fx_check_host_routes
	_tk_fx_has6 "$shape" && v6=1 && _tk_fx_check_host_routes6
	if [ -n "$(_tk_fx_netns "$id")" ]; then
		tk_fail "fixture: ID $id is already up ($(_tk_fx_netns "$id" | tr '\n' ' '));" \
			"tests/fixture.sh down $id"
	fi
	node=tk$id-node
	net=tk$id-net
	dir=$(_tk_fx_dir "$id")
	# registered before anything exists, so a failure half-way is cleaned up too
	tk_defer "tk_fixture_down $id"

	_tk_fx mkdir -p "$dir"
	echo "$npods" >"$dir/npods"
	echo "$shape" >"$dir/shape"
	# The netns, then their sysctls, then each netns' links and addresses in one batch (node,
	# pods, net: the node makes the links whose peers it moves to a pod or the net netns, in
	# the order pods, nic0), with the helpers of other shapes run where they were.
	for ns in "$node" "$net"; do
		_tk_fx_ipq - netns add "$ns"
	done
	for ((k = 1; k <= npods; k++)); do
		_tk_fx_ipq - netns add "tk$id-pod$k"
	done
	_tk_fx_ipq_run
	for ns in "$node" "$net"; do
		_tk_fx_ns_init "$ns" "$v6"
	done
	for ((k = 1; k <= npods; k++)); do
		_tk_fx_ns_init "tk$id-pod$k" "$v6"
	done
	_tk_fx tk_ns "$node" sysctl -qw net.ipv4.ip_forward=1
	((v6)) && _tk_fx tk_ns "$node" sysctl -qw net.ipv6.conf.all.forwarding=1

	_tk_fx_ns_lo "$node"
	case $shape in
	routed | redirect | macvlan | ipvlan | netkit*) ;;
	*)
		# every link is created from inside a fixture netns, the peer moved straight to the
		# other
		_tk_fx_ipq "$node" link add br0 type bridge
		_tk_fx_has4 "$shape" &&
			_tk_fx_ipq "$node" addr add "$TK_FIXTURE_POD_PREFIX.$id.1/24" dev br0
		((v6)) && _tk_fx_ipq "$node" addr add "$TK_FIXTURE_POD_PREFIX6:$id::1/64" dev br0 nodad
		_tk_fx_ipq "$node" link set br0 up
		;;
	esac
	for ((k = 1; k <= npods; k++)); do
		pod=tk$id-pod$k
		case $shape in
		macvlan | ipvlan) ;;	# their links hang off nic0, made below
		routed | redirect)
			_tk_fx_ipq_run
			_tk_fx_pod_routed "$id" "$k"
			;;
		netkit*)
			_tk_fx_ipq_run
			_tk_fx_pod_netkit "$id" "$k" "$shape"
			;;
		*)
			_tk_fx_ipq "$node" link add "vethpod$k" type veth peer name eth0 netns "$pod"
			_tk_fx_ipq "$node" link set "vethpod$k" master br0 up
			;;
		esac
	done

	# 4 tx queues: taprio maps each traffic class to its own queue (queues 1@0 1@1 1@2 1@3)
	_tk_fx_ipq "$node" link add nic0 numtxqueues 4 numrxqueues 4 type veth \
		peer name eth0 netns "$net"
	if [ "$shape" = l2 ]; then
		# nic0 is a bridge port: the net netns sits on the pod subnet, nothing is routed
		_tk_fx_ipq "$node" link set nic0 master br0 up
	else
		if _tk_fx_has4 "$shape"; then
			_tk_fx_ipq "$node" addr add "$TK_FIXTURE_NET_PREFIX.$id.1/24" dev nic0
		fi
		((v6)) && _tk_fx_ipq "$node" addr add "$TK_FIXTURE_NET_PREFIX6:$id::1/64" dev nic0 nodad
		_tk_fx_ipq "$node" link set nic0 up
	fi
	case $shape in
	macvlan | ipvlan)
		for ((k = 1; k <= npods; k++)); do
			_tk_fx_pod_child "$id" "$k" "$shape"
		done
		;;
	esac

	for ((k = 1; k <= npods; k++)); do
		pod=tk$id-pod$k
		ip=$TK_FIXTURE_POD_PREFIX.$id.$((10 + k))
		_tk_fx_ns_lo "$pod"
		case $shape in
		macvlan | ipvlan)
			_tk_fx_ipq "$pod" link set "${shape:0:2}pod$k" name eth0
			_tk_fx_ipq "$pod" addr add "$TK_FIXTURE_NET_PREFIX.$id.$((10 + k))/24" dev eth0
			_tk_fx_ipq "$pod" link set eth0 up
			;;
		routed | redirect | netkit*) ;;	# made above
		*)
			_tk_fx_has4 "$shape" && _tk_fx_ipq "$pod" addr add "$ip/24" dev eth0
			((v6)) && _tk_fx_ipq "$pod" addr add \
				"$TK_FIXTURE_POD_PREFIX6:$id::$((10 + k))/64" dev eth0 nodad
			_tk_fx_ipq "$pod" link set eth0 up
			_tk_fx_has4 "$shape" &&
				_tk_fx_ipq "$pod" route add default via "$TK_FIXTURE_POD_PREFIX.$id.1"
			((v6)) && _tk_fx_ipq "$pod" route add ::/0 via "$TK_FIXTURE_POD_PREFIX6:$id::1"
			;;
		esac
	done

	_tk_fx_ns_lo "$net"
	if [ "$shape" = l2 ]; then
		_tk_fx_ipq "$net" addr add "$TK_FIXTURE_POD_PREFIX.$id.2/24" dev eth0
		_tk_fx_ipq "$net" link set eth0 up
	else
		if _tk_fx_has4 "$shape"; then
			_tk_fx_ipq "$net" addr add "$TK_FIXTURE_NET_PREFIX.$id.2/24" dev eth0
		fi
		((v6)) && _tk_fx_ipq "$net" addr add "$TK_FIXTURE_NET_PREFIX6:$id::2/64" dev eth0 nodad
		_tk_fx_ipq "$net" link set eth0 up
		case $shape in
		snat | macvlan | ipvlan | ipv6) ;;	# no route back to the pods' IPv4 subnet
		*)
			_tk_fx_ipq "$net" route add "$TK_FIXTURE_POD_PREFIX.$id.0/24" \
				via "$TK_FIXTURE_NET_PREFIX.$id.1"
			;;
		esac
		((v6)) && _tk_fx_ipq "$net" route add "$TK_FIXTURE_POD_PREFIX6:$id::/64" \
			via "$TK_FIXTURE_NET_PREFIX6:$id::1"
	fi
	case $shape in
	vxlan | geneve | ipip | gre) _tk_fx_tunnel "$id" "$shape" ;;
	esac
	_tk_fx_ipq_run
	if [ "$shape" = snat ]; then
		_tk_fx tk_ns "$node" iptables -t nat -A POSTROUTING -s "$TK_FIXTURE_POD_PREFIX.$id.0/24" \
			-o nic0 -j MASQUERADE
	fi

	_tk_fx_qdisc "$id"
	# remembered so that down can wait until the classifier is really gone
	progid=$(tk_ns "$node" tc filter show dev nic0 2>/dev/null |
		sed -n 's/.* id \([0-9]*\) name tk_.*/\1/p' | head -n 1)
	[ -n "$progid" ] && echo "$progid" >"$dir/prog_id"
	tk_fixture_vars "$id"
}

# Stop processes by pid: TERM, then KILL those still there after 3 s.
tk_kill_pids() { # PID...
	local i
	(($#)) || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		kill -0 "$@" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
	return 0
}

# Shapes netkit and netkit-noscrub (Cilium netkit mode): pod K's eth0 is the peer of a netkit
# pair in L3 mode, its primary nkpod<K> in the node with a /32 route to the pod; L3 mode has no
# ARP, so the pod's default route is the device itself. The peer's scrub setting is the one
# that governs what the pod sends (netkit_xmit of the peer); both sides get the same.
_tk_fx_pod_netkit() { # ID K SHAPE
	local node=tk$1-node pod=tk$1-pod$2 scrub=default
	local ip=$TK_FIXTURE_POD_PREFIX.$1.$((10 + $2))
	[ "$3" = netkit-noscrub ] && scrub=none
	_tk_fx tk_ns "$node" "$TK_BUILD/mknetkit" --name "nkpod$2" --peer eth0 \
		--peer-netns "/run/netns/$pod" --mode l3 --scrub "$scrub" --peer-scrub "$scrub"
	_tk_fx tk_ns "$node" ip link set "nkpod$2" up
	_tk_fx tk_ns "$node" ip route add "$ip/32" dev "nkpod$2"
	_tk_fx tk_ns "$pod" ip addr add "$ip/32" dev eth0
	_tk_fx tk_ns "$pod" ip link set eth0 up
	_tk_fx tk_ns "$pod" ip route add default dev eth0
}

# Shape routed (Calico): pod K's veth without a bridge, a /32 route to the pod on the host side
# (proxy ARP on), the pod's default route via an onlink gateway the node owns on lo. Shape
# redirect adds a tc ingress program on the host veth that hands the pod's packets to the FIB's
# egress device with bpf_redirect_neigh(), skipping the node's IP forwarding.
_tk_fx_pod_routed() { # ID K
	local node=tk$1-node pod=tk$1-pod$2 gw=$TK_FIXTURE_POD_PREFIX.$1.1
	local ip=$TK_FIXTURE_POD_PREFIX.$1.$((10 + $2))
	if ! tk_ns "$node" ip -br addr show dev lo | grep -qF " $gw/32"; then
		_tk_fx tk_ns "$node" ip addr add "$gw/32" dev lo
	fi
	_tk_fx tk_ns "$node" ip link add "vethpod$2" type veth peer name eth0 netns "$pod"
	_tk_fx tk_ns "$node" sysctl -qw "net.ipv4.conf.vethpod$2.proxy_arp=1"
	_tk_fx tk_ns "$node" ip link set "vethpod$2" up
	_tk_fx tk_ns "$node" ip route add "$ip/32" dev "vethpod$2"
	_tk_fx tk_ns "$pod" ip addr add "$ip/32" dev eth0
	_tk_fx tk_ns "$pod" ip link set eth0 up
	_tk_fx tk_ns "$pod" ip route add "$gw" dev eth0 scope link
	_tk_fx tk_ns "$pod" ip route add default via "$gw" dev eth0 onlink
	if [ "$(_tk_fx_shape "$1")" = redirect ]; then
		_tk_fx tk_ns "$node" tc qdisc add dev "vethpod$2" clsact
		_tk_fx tk_ns "$node" tc filter add dev "vethpod$2" ingress pref 1 \
			bpf da obj "$TK_BUILD/tk_redirect_neigh.bpf.o" sec tc
	fi
}

# Shapes macvlan and ipvlan: pod K's eth0 is a child of nic0 (macvlan bridge mode, ipvlan l2
# mode, as the reference plugins default), on the net subnet. Queues the node's side: the child
# made in the pod as <ma|ip>pod<K>, which tk_fixture_up renames to eth0 and addresses there.
_tk_fx_pod_child() { # ID K KIND
	local mode=bridge
	[ "$3" = ipvlan ] && mode=l2
	_tk_fx_ipq "tk$1-node" link add "${3:0:2}pod$2" link nic0 netns "tk$1-pod$2" type "$3" \
		mode "$mode"
}

# Tunnel shapes: tun0 in the node and in the net netns, endpoints nic0's and the net eth0's
# addresses, so the encapsulated packet leaves through nic0. The overlay addresses are /32s in
# 198.19.253.<ID> (node) and 198.19.254.<ID> (net, the listener): outside every fixture's
# subnets (IDs stop at 250), so neither side takes the other for a neighbour on br0 or nic0.
# Queued (_tk_fx_ipq), after the node's and the net netns' own addresses.
_tk_fx_tunnel() { # ID KIND
	local id=$1 ns here there args tun=$TK_FIXTURE_NET_PREFIX
	for ns in node net; do
		if [ $ns = node ]; then
			here=$tun.$id.1 there=$tun.$id.2
		else
			here=$tun.$id.2 there=$tun.$id.1
		fi
		case $2 in
		vxlan) args=(vxlan id 42 local "$here" remote "$there" dstport 4789) ;;
		geneve) args=(geneve id 42 remote "$there") ;;
		ipip) args=(ipip local "$here" remote "$there") ;;
		gre) args=(gre local "$here" remote "$there" key 42) ;;
		esac
		_tk_fx_ipq "tk$id-$ns" link add tun0 type "${args[@]}"
		_tk_fx_ipq "tk$id-$ns" link set tun0 up
		if [ $ns = node ]; then
			_tk_fx_ipq "tk$id-node" addr add "$tun.253.$id/32" dev tun0
			_tk_fx_ipq "tk$id-node" route add "$tun.254.$id/32" dev tun0 src "$tun.253.$id"
		else
			_tk_fx_ipq "tk$id-net" addr add "$tun.254.$id/32" dev tun0
			_tk_fx_ipq "tk$id-net" route add "$tun.253.$id/32" dev tun0
			_tk_fx_ipq "tk$id-net" route replace "$TK_FIXTURE_POD_PREFIX.$id.0/24" \
				via "$tun.253.$id" dev tun0 onlink
		fi
	done
}

# Kill every process inside a fixture netns (listeners, talkers): a process keeps its netns, and
# with it nic0 and the classifier, alive after the name is gone. One `ip -batch` asks all of
# them (-force: on past a netns that is already gone).
_tk_fx_kill_ns_pids() { # ns...
	local pids=()
	(($#)) || return 0
	mapfile -t pids < <(printf 'netns pids %s\n' "$@" | ip -force -batch - 2>/dev/null |
		grep -E '^[0-9]+$')
	((${#pids[@]})) || return 0
	tk_kill_pids "${pids[@]}"
	# reap the ones that are our children, so no zombie outlives the fixture
	wait "${pids[@]}" 2>/dev/null
	return 0
}

tk_fixture_down() { # ID
	local id=$1 dir nss progid i
	_tk_fx_check_id "$id"
	dir=$(_tk_fx_dir "$id")
	mapfile -t nss < <(_tk_fx_netns "$id")
	progid=$(cat "$dir/prog_id" 2>/dev/null)
	_tk_fx_kill_ns_pids "${nss[@]}"
	# the qdisc first: its filter (and the program) goes with it, without waiting for the
	# asynchronous netns teardown
	[ -e "/run/netns/tk$id-node" ] && tk_ns "tk$id-node" tc qdisc del dev nic0 root >/dev/null 2>&1
	((${#nss[@]})) && printf 'netns del %s\n' "${nss[@]}" | ip -force -batch - >/dev/null 2>&1
	if [ -n "$progid" ]; then
		for ((i = 0; i < 50; i++)); do
			bpftool prog show id "$progid" 2>/dev/null | grep -q ' name tk_' || break
			sleep 0.1
		done
	fi
	rm -rf "$dir"
	rmdir --ignore-fail-on-non-empty "${dir%/*}" 2>/dev/null
	return 0
}

# Mirror every IP packet the node receives from pod K to a veth pair mir0/mir1 of the node:
# tcf_mirred skb_clone()s each one, so tests see clones of a tracked packet. Goes with the
# fixture.
tk_fixture_mirror() { # ID K
	local node=tk$1-node
	_tk_fx tk_ns "$node" ip link add mir0 type veth peer name mir1
	_tk_fx tk_ns "$node" ip link set mir0 up
	_tk_fx tk_ns "$node" ip link set mir1 up
	_tk_fx tk_ns "$node" tc qdisc add dev "vethpod$2" clsact
	# u32 "match anything" (matchall is not in every kernel)
	_tk_fx tk_ns "$node" tc filter add dev "vethpod$2" ingress protocol ip u32 match u32 0 0 \
		action mirred egress mirror dev mir0
}

# Delete pod K's veth pair and make it again, as a runtime that rebuilds a pod's network does:
# the pod's eth0 is a new device (a new ifindex) with the same name, address and route.
# Bridge shape.
tk_fixture_recreate_pod_link() { # ID K
	local id=$1 k=$2 node=tk$1-node pod=tk$1-pod$2
	[ "$(_tk_fx_shape "$id")" = bridge ] || tk_fail "tk_fixture_recreate_pod_link: bridge shape only"
	_tk_fx tk_ns "$node" ip link del "vethpod$k"
	_tk_fx tk_ns "$node" ip link add "vethpod$k" type veth peer name eth0 netns "$pod"
	_tk_fx tk_ns "$node" ip link set "vethpod$k" master br0 up
	_tk_fx tk_ns "$pod" ip addr add "$TK_FIXTURE_POD_PREFIX.$id.$((10 + k))/24" dev eth0
	_tk_fx tk_ns "$pod" ip link set eth0 up
	_tk_fx tk_ns "$pod" ip route add default via "$TK_FIXTURE_POD_PREFIX.$id.1"
}

# Delete nic0 and make it again with its addresses, the net netns' route back and the
# priority-aware qdisc: a new device (a new ifindex) with the same name. Bridge shape.
tk_fixture_recreate_nic() { # ID
	local id=$1 node=tk$1-node net=tk$1-net progid
	[ "$(_tk_fx_shape "$id")" = bridge ] || tk_fail "tk_fixture_recreate_nic: bridge shape only"
	_tk_fx tk_ns "$node" ip link del nic0
	_tk_fx tk_ns "$node" ip link add nic0 numtxqueues 4 numrxqueues 4 type veth \
		peer name eth0 netns "$net"
	_tk_fx tk_ns "$node" ip addr add "$TK_FIXTURE_NET_PREFIX.$id.1/24" dev nic0
	_tk_fx tk_ns "$node" ip link set nic0 up
	_tk_fx tk_ns "$net" ip addr add "$TK_FIXTURE_NET_PREFIX.$id.2/24" dev eth0
	_tk_fx tk_ns "$net" ip link set eth0 up
	_tk_fx tk_ns "$net" ip route add "$TK_FIXTURE_POD_PREFIX.$id.0/24" \
		via "$TK_FIXTURE_NET_PREFIX.$id.1"
	_tk_fx_qdisc "$id"
	progid=$(tk_ns "$node" tc filter show dev nic0 2>/dev/null |
		sed -n 's/.* id \([0-9]*\) name tk_.*/\1/p' | head -n 1)
	[ -n "$progid" ] && echo "$progid" >"$(_tk_fx_dir "$id")/prog_id"
	return 0
}

tk_tc_kind() { # [ID]
	local id=${1:-$TK_FIXTURE_ID}
	tk_ns "tk$id-node" tc qdisc show dev nic0 root 2>/dev/null | awk '$1 == "qdisc" {print $2; exit}'
}

# Packets per traffic class: taprio's leaves 100:1..100:4 are queues 0..3 = TC0..3 (so are those
# of an mqprio a test puts in its place, with the same map); the HTB classes 1:1..1:4 are TC0..3
# by construction. taprio/mqprio are read from their leaf qdiscs ("parent 100:N"), not their
# classes: 6.1's taprio reports the root's counters for every class.
tk_tc_counts() { # [ID]
	local id=${1:-$TK_FIXTURE_ID} major what
	case $(tk_tc_kind "$id") in
	taprio | mqprio) major=100 what=qdisc ;;
	htb) major=1 what=class ;;
	*) tk_fail "fixture $id: no taprio/mqprio/htb qdisc on nic0" ;;
	esac
	tk_ns "tk$id-node" tc -s "$what" show dev nic0 | awk -v major="$major" '
		$1 == "class" { cls = $3; next }
		$1 == "qdisc" { cls = ""; for (i = 3; i < NF; i++) if ($i == "parent") cls = $(i + 1); next }
		$1 == "Sent" && cls != "" { pkts[cls] = $4; cls = "" }
		END { for (i = 1; i <= 4; i++) printf "tc%d %d\n", i - 1, pkts[major ":" i] + 0 }'
}

# "N0 N1 N2 N3": packets per traffic class now, to diff two of them with tk_tc_delta
tk_tc_snapshot() { # [ID]
	tk_tc_counts "${1:-$TK_FIXTURE_ID}" | awk '{printf "%s ", $2}'
}

tk_tc_delta() { # BEFORE AFTER TC: packets class TC got between two snapshots
	local b a
	read -r -a b <<<"$1"
	read -r -a a <<<"$2"
	echo $((a[$3] - b[$3]))
}

# COUNT packets of priority PRIO from pod K to PORT: how many nic0's qdisc put in class TC
tk_talk_class() { # ID K PRIO TC COUNT [PORT]
	local before after
	before=$(tk_tc_snapshot "$1")
	tk_talk "$1" "$2" --port "${6:-5001}" --count "$5" --priority "$3" >/dev/null
	after=$(tk_tc_snapshot "$1")
	tk_tc_delta "$before" "$after" "$4"
}

# COUNT datagrams of priority PRIO from pod K of the current fixture to its listener's PORT
tk_pod_talk() { # K PRIO COUNT [PORT]
	tk_talk "$TK_FIXTURE_ID" "$1" --port "${4:-$TK_FIXTURE_DEFAULT_PORT}" --count "$3" \
		--priority "$2" >/dev/null
}

tk_tc_count() { # ID TC
	tk_tc_counts "$1" | awk -v tc="tc$2" '$1 == tc {print $2}'
}

tk_listen() { # ID [PORT] [DURATION_S] [NETNS]
	local id=$1 port=${2:-$TK_FIXTURE_DEFAULT_PORT} dur=${3:-300} ns=${4:-tk$1-net} dir pid i
	dir=$(_tk_fx_dir "$id")
	if [ ! -d "$dir" ] || [ ! -e "/run/netns/$ns" ]; then
		tk_fail "fixture $id is not up, or has no netns $ns"
	fi
	rm -f "$dir/listen.$port.out"
	nsenter --net="/run/netns/$ns" -- "$TK_BUILD/talker" --listen --port "$port" \
		--duration "$dur" --json >"$dir/listen.$port.out" 2>"$dir/listen.$port.err" &
	pid=$!
	echo "$pid" >"$dir/listen.$port.pid"
	# ready means bound: anything sent before that would be lost and miscounted
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null ||
			tk_fail "listener on port $port exited: $(cat "$dir/listen.$port.err")"
		_tk_fx_udp_bound "$pid" "$ns" "$port" && return 0
		sleep 0.1
	done
	tk_fail "listener on port $port did not bind within 5 s"
}

# Whether process PID, once in netns NS, has a UDP socket bound to PORT: its own view of
# /proc/net/udp{,6}, read by the shell (no process per poll, unlike `ss`). Before
# nsenter has entered NS, PID's view is the caller's netns: hence the netns check first.
_tk_fx_udp_bound() { # PID NS PORT
	local f addr hex
	[ "/proc/$1/ns/net" -ef "/run/netns/$2" ] || return 1
	printf -v hex ':%04X' "$3"
	for f in "/proc/$1/net/udp" "/proc/$1/net/udp6"; do
		[ -r "$f" ] || continue
		while read -r _ addr _; do
			[[ $addr == *"$hex" ]] && return 0
		done <"$f"
	done
	return 1
}

tk_listen_count() { # ID [PORT]
	local id=$1 port=${2:-$TK_FIXTURE_DEFAULT_PORT} dir pid out i
	dir=$(_tk_fx_dir "$id")
	pid=$(cat "$dir/listen.$port.pid" 2>/dev/null) || tk_fail "no listener on port $port"
	out=$dir/listen.$port.out
	# let the last datagrams cross the veth backlogs before asking the listener to stop
	sleep 0.2
	kill -TERM "$pid" 2>/dev/null
	# the listener prints its summary as its very last act: a non-empty file means done
	for ((i = 0; i < 50; i++)); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	rm -f "$dir/listen.$port.pid"
	[ -s "$out" ] || tk_fail "listener on port $port printed nothing: $(cat "$dir/listen.$port.err")"
	sed -n 's/.*"received":\([0-9]*\).*/\1/p' "$out" | tail -n 1
}

tk_talk() { # ID pod-index|node [talker args...]
	local id=$1 where=$2 ns
	shift 2
	case $where in
	node) ns=tk$id-node ;;
	*) ns=tk$id-pod$where ;;
	esac
	[ -e "/run/netns/$ns" ] || tk_fail "fixture $id has no netns $ns"
	tk_ns "$ns" "$TK_BUILD/talker" --dst "$(tk_listen_ip "$id")" "$@"
}

# The fixture's listener address: from the variables when they are fixture ID's (tests call
# tk_talk several times per fixture: its state is read once).
tk_listen_ip() { # ID
	if [ "${TK_FIXTURE_ID:-}" = "$1" ] && [ -n "${TK_LISTEN_IP:-}" ]; then
		echo "$TK_LISTEN_IP"
	else
		tk_fixture_vars "$1" && echo "$TK_LISTEN_IP"
	fi
}

tk_send_same() { # NETNS DST PORT N GAP_S [PRIO]
	[ -e "/run/netns/$1" ] || tk_fail "no netns $1"
	tk_ns "$1" /usr/bin/python3 -c '
import socket, sys, time
dst, port, n, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
prio = int(sys.argv[5])
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, prio)
for _ in range(n):
	s.sendto(b"cyclic process data, the same every period", (dst, port))
	time.sleep(gap)
' "$2" "$3" "$4" "$5" "${6:-0}"
}

tk_talk_same() { # ID K PORT N [PRIO]
	local dst
	dst=$(tk_listen_ip "$1")
	tk_send_same "tk$1-pod$2" "$dst" "$3" "$4" 0.002 "${5:-0}"
}

tk_fixture_show() { # ID
	local id=$1 nss k
	_tk_fx_check_id "$id"
	nss=$(_tk_fx_netns "$id")
	if [ -z "$nss" ]; then
		echo "fixture $id: down"
		return 1
	fi
	tk_fixture_vars "$id"
	echo "fixture $id: netns ${nss//$'\n'/ }"
	[ "$TK_SHAPE" = bridge ] || echo "  shape $TK_SHAPE, listener $TK_LISTEN_IP${TK_LISTEN_IP6:+ $TK_LISTEN_IP6}"
	for ((k = 0; k < ${#TK_PODS[@]}; k++)); do
		echo "  pod$((k + 1))  ${TK_PODS[$k]}  eth0 ${TK_POD_IP[$k]}  via br0 $TK_BR_IP"
	done
	echo "  node  $TK_NODE  br0 $TK_BR_IP ($TK_POD_SUBNET)  $TK_NIC $TK_NIC_IP ($TK_NET_SUBNET)"
	echo "  net   $TK_NET  eth0 $TK_LISTEN_IP (listeners)"
	echo "  $TK_NIC qdisc: $(tk_tc_kind "$id")"
	tk_tc_counts "$id" | sed 's/^/    /'
}

# ---- command line ---------------------------------------------------------------------------
_tk_fx_main() {
	local cmd=${1:-} id=${2:-} npods=2
	if [ $# -lt 2 ]; then
		echo "usage: tests/fixture.sh up|down|show ID [--pods N] [--shape SHAPE]" >&2
		return 2
	fi
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--pods) npods=${2:-}; shift 2 || break ;;
		--shape) TK_SHAPE=${2:-}; shift 2 || break ;;
		*) echo "fixture.sh: unknown argument '$1'" >&2; return 2 ;;
		esac
	done
	if [ "$(id -u)" != 0 ]; then
		echo "fixture.sh: needs root (netns, qdiscs, BPF)" >&2
		return 2
	fi
	case $cmd in
	up)
		# a failed command-line "up" must not leave half a fixture behind
		_tk_fx_check_id "$id"
		_TK_FX_CLI_ID=$id
		trap '[ -z "${_TK_FX_CLI_ID:-}" ] || tk_fixture_down "$_TK_FX_CLI_ID"' EXIT
		tk_fixture_up "$id" "$npods"
		_TK_FX_CLI_ID=
		tk_fixture_show "$id"
		;;
	down) tk_fixture_down "$id" ;;
	show) tk_fixture_show "$id" ;;
	*) echo "fixture.sh: unknown command '$cmd' (up|down|show)" >&2; return 2 ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	_tk_fx_main "$@"
	exit $?
fi
true
