# SPDX-License-Identifier: GPL-2.0-only
#
# VM lane self-test: proves that the guest really is the kernel the lane is for and that it
# gives the tests what the host cannot: taprio/etf/mqprio, VLAN, netkit, module loading from
# the guest's /lib/modules, bpffs and friends. Sourced by tests/vm/lane.sh together with
# tests/lib.sh; each test_* function runs in its own process.

# The seed talk's schedule: tc 0+1 open 10 us, tc 0+2 10 us, tc 0 alone 20 us.
KF_TAPRIO=(taprio num_tc 4 map 0 1 2 3 queues 1@0 1@1 1@2 1@3
	base-time 1693996801300000000
	sched-entry S 03 10000 sched-entry S 05 10000 sched-entry S 01 20000
	clockid CLOCK_TAI)

# "6.12" from TK_VM_KERNEL_PKG=linux-image-6.12-amd64; empty for an unversioned meta-package.
kf_series() {
	local s=${TK_VM_KERNEL_PKG:-linux-image-6.12-amd64}
	s=${s#linux-image-}
	# the unversioned meta-packages (amd64, rt-amd64) are bookworm's default series
	case "$s" in amd64 | rt-amd64) s=6.1 ;; esac
	s=${s%%-*}
	if [[ "$s" =~ ^[0-9]+\.[0-9]+$ ]]; then echo "$s"; fi
}

kf_kernel_at_least() { # major.minor
	[ "$(printf '%s\n%s\n' "$1" "$(uname -r)" | sort -V | head -n 1)" = "$1" ]
}

# A netns "tk<id>-kf" with nic0 (4 tx queues, 10.0.0.1) and its peer in "tk<id>-kfp"
# (10.0.0.2): multi-queue, because taprio and mqprio map traffic classes to tx queues.
kf_nic0() {
	local ns=tk$TK_TEST_ID-kf peer=tk$TK_TEST_ID-kfp
	ip netns add "$ns"
	tk_defer "ip netns del $ns"
	ip netns add "$peer"
	tk_defer "ip netns del $peer"
	tk_ns "$ns" ip link add nic0 numtxqueues 4 numrxqueues 4 type veth \
		peer name peer0 numtxqueues 4 numrxqueues 4 netns "$peer"
	tk_ns "$ns" ip addr add 10.0.0.1/24 dev nic0
	tk_ns "$ns" ip link set nic0 up
	tk_ns "$peer" ip addr add 10.0.0.2/24 dev peer0
	tk_ns "$peer" ip link set peer0 up
	KF_NS=$ns
}

kf_fstype() { stat -f -c %T "$1" 2>/dev/null; }

test_guest_kernel_version() {
	local series
	[ "${TK_IN_VM:-}" = 1 ] || tk_fail "not in the VM (TK_IN_VM unset): run tests/vm/run.sh --lane"
	series=$(kf_series)
	[ -n "$series" ] || tk_skip "TK_VM_KERNEL_PKG=${TK_VM_KERNEL_PKG:-} names no kernel series"
	assert_match "uname -r" "$(uname -r)" "^${series//./\\.}\."
	# an -rt- package must boot a PREEMPT_RT kernel, and only it
	if [[ "${TK_VM_KERNEL_PKG:-}" == *-rt-* ]]; then
		assert_match "uname -v" "$(uname -v)" PREEMPT_RT
	elif [[ "$(uname -v)" == *PREEMPT_RT* ]]; then
		tk_fail "TK_VM_KERNEL_PKG=${TK_VM_KERNEL_PKG:-} booted a PREEMPT_RT kernel"
	fi
}

test_modules_load() {
	local m
	# Autoloading by tc/ip needs the same: modprobe finding the guest's /lib/modules tree.
	assert_eq "modules dir" "$(ls -d "/lib/modules/$(uname -r)" 2>/dev/null)" "/lib/modules/$(uname -r)"
	for m in sch_taprio sch_etf sch_mqprio 8021q veth bridge; do
		modprobe "$m" || tk_fail "modprobe $m"
		assert_eq "module $m" "$(test -d "/sys/module/$m" && echo loaded)" loaded
	done
}

test_taprio_seed_schedule() {
	local out pkts
	kf_nic0
	tk_ns "$KF_NS" tc qdisc add dev nic0 parent root handle 100 "${KF_TAPRIO[@]}" ||
		tk_fail "tc qdisc add taprio"
	out=$(tk_ns "$KF_NS" tc qdisc show dev nic0)
	echo "$out"
	assert_match "taprio root" "$out" "qdisc taprio 100: root"
	assert_match "clockid" "$out" "clockid TAI"
	assert_match "base-time" "$out" "base-time 1693996801300000000"
	assert_match "entry 0" "$out" "index 0 cmd S gatemask 0x3 interval 10000"
	assert_match "entry 1" "$out" "index 1 cmd S gatemask 0x5 interval 10000"
	assert_match "entry 2" "$out" "index 2 cmd S gatemask 0x1 interval 20000"
	assert_eq "leaf qdiscs" "$(echo "$out" | grep -c 'parent 100:[1-4] ')" 4
	# Priority 0 is tc 0, open in every entry: the gates must let it through.
	tk_ns "$KF_NS" ping -q -c 3 -i 0.2 -W 2 10.0.0.2 || tk_fail "ping through taprio"
	out=$(tk_ns "$KF_NS" tc -s qdisc show dev nic0)
	pkts=$(echo "$out" | awk '/qdisc taprio 100: root/ { f = 1 } f && /Sent/ { print $4; exit }')
	assert_ge "taprio sent packets" "${pkts:-0}" 3
}

# Without tsnkit: grafting a clsact qdisc onto a device whose root is taprio deactivates and
# reactivates the device, which resets taprio. Where taprio_reset() cancels the schedule's
# hrtimer (6.1) nothing restarts it: the current entry's close time stays in the past and
# taprio never dequeues again, not even traffic class 0. tsnproxy's restore hook would create
# exactly that clsact on a kernel without tcx; start refuses to.
test_taprio_sends_after_clsact_added() {
	local pkts tcx
	kf_nic0
	tcx=$("$TK_BUILD/tsnproxy" features --json | jq -r .tcx.supported)
	tk_ns "$KF_NS" tc qdisc add dev nic0 parent root handle 100 "${KF_TAPRIO[@]}" ||
		tk_fail "tc qdisc add taprio"
	tk_ns "$KF_NS" ping -q -c 3 -i 0.2 -W 2 10.0.0.2 || tk_fail "ping through taprio"
	tk_ns "$KF_NS" tc qdisc add dev nic0 clsact || tk_fail "tc qdisc add clsact"
	if [ "$tcx" != true ]; then
		# the kernel's fault, without tsnkit: 6.1's taprio_reset cancels the schedule timer
		# and nothing restarts it. tsnproxy start refuses to graft clsact over taprio there
		# (test_enforce_vm: test_start_never_stops_taprio); a kernel that fixes it fails here
		# and the guard can go.
		assert_exit "kernel without tcx: taprio stopped by clsact" 1 \
			tk_ns "$KF_NS" ping -q -c 3 -i 0.2 -W 2 10.0.0.2
		return
	fi
	tk_ns "$KF_NS" ping -q -c 3 -i 0.2 -W 2 10.0.0.2 ||
		tk_fail "taprio sends nothing after a clsact qdisc was added on $(uname -r)"
	pkts=$(tk_ns "$KF_NS" tc -s qdisc show dev nic0 |
		awk '/qdisc taprio 100: root/ { f = 1 } f && /Sent/ { print $4; exit }')
	assert_ge "taprio sent packets" "${pkts:-0}" 6
}

test_mqprio_etf() {
	local out
	kf_nic0
	tk_ns "$KF_NS" tc qdisc add dev nic0 parent root handle 100 mqprio \
		num_tc 4 map 0 1 2 3 queues 1@0 1@1 1@2 1@3 hw 0 || tk_fail "tc qdisc add mqprio"
	# skip_sock_check: routed packets lose skb->sk, so etf must not insist on a socket.
	tk_ns "$KF_NS" tc qdisc replace dev nic0 parent 100:1 etf \
		clockid CLOCK_TAI delta 500000 skip_sock_check || tk_fail "tc qdisc add etf"
	out=$(tk_ns "$KF_NS" tc qdisc show dev nic0)
	echo "$out"
	assert_match "mqprio root" "$out" "qdisc mqprio 100: root"
	assert_match "etf leaf" "$out" "qdisc etf [0-9a-f]+: parent 100:1 clockid TAI delta 500000"
	assert_match "skip_sock_check" "$out" "skip_sock_check on"
}

test_etf_under_taprio() {
	local out
	kf_nic0
	tk_ns "$KF_NS" tc qdisc add dev nic0 parent root handle 100 "${KF_TAPRIO[@]}" ||
		tk_fail "tc qdisc add taprio"
	tk_ns "$KF_NS" tc qdisc replace dev nic0 parent 100:2 etf \
		clockid CLOCK_TAI delta 500000 skip_sock_check || tk_fail "tc qdisc add etf under taprio"
	out=$(tk_ns "$KF_NS" tc qdisc show dev nic0)
	echo "$out"
	assert_match "etf under taprio" "$out" "qdisc etf [0-9a-f]+: parent 100:2 clockid TAI"
}

test_vlan_device() {
	local out
	kf_nic0
	tk_ns "$KF_NS" ip link add link nic0 name nic0.10 type vlan id 10 egress-qos-map 3:3 5:5 ||
		tk_fail "ip link add type vlan"
	out=$(tk_ns "$KF_NS" ip -d link show nic0.10)
	echo "$out"
	assert_match "vlan id" "$out" "vlan protocol 802\.1Q id 10"
	assert_match "egress-qos-map" "$out" "egress-qos-map \{ 3:3 5:5 \}"
}

test_netkit_pair() {
	local ns=tk$TK_TEST_ID-nk out
	if kf_kernel_at_least 6.7; then
		# Built in (CONFIG_NETKIT=y) on Debian's 6.12, so no module: look for its code.
		grep -q ' netkit_' /proc/kallsyms || tk_fail "kernel $(uname -r) has no netkit"
	else
		tk_skip "kernel $(uname -r) predates netkit (6.7)"
	fi
	ip netns add "$ns"
	tk_defer "ip netns del $ns"
	# bookworm's iproute2 6.1 predates netkit (iproute2 6.7): build/mknetkit speaks rtnetlink
	out=$(tk_ns "$ns" "$TK_BUILD/mknetkit" --name nk0 --peer nk1 --scrub none \
		--peer-scrub none 2>&1) || tk_fail "mknetkit: $out"
	out=$(tk_ns "$ns" ip -j -d link show nk0)
	echo "$out"
	assert_eq "netkit link" "$(jq -r '.[0].linkinfo.info_kind' <<<"$out")" netkit
}

test_bpf_fs_mounts() {
	assert_eq "bpffs" "$(kf_fstype /sys/fs/bpf)" bpf_fs
	assert_eq "tracefs" "$(kf_fstype /sys/kernel/tracing)" tracefs
	assert_eq "debugfs" "$(kf_fstype /sys/kernel/debug)" debugfs
	assert_eq "cgroup2" "$(kf_fstype /sys/fs/cgroup)" cgroup2fs
	# Tests pin under /sys/fs/bpf/tk<id>: it must be writable.
	mkdir "$TK_PIN" || tk_fail "mkdir $TK_PIN"
	tk_defer "rmdir $TK_PIN"
	assert_match "kprobe-able functions" \
		"$(grep -m1 -x 'skb_clone' /sys/kernel/tracing/available_filter_functions)" '^skb_clone$'
}

# The guest's userland is the host's, but /dev and /run are the guest's own: what the test
# scripts take for granted there must exist (process substitution, netns dir, /dev/shm).
test_guest_userland() {
	local ns=tk$TK_TEST_ID-ul
	assert_eq "process substitution" "$(cat <(echo via-dev-fd))" via-dev-fd
	assert_eq "/dev/stdin" "$(echo in | cat /dev/stdin)" in
	echo shm >"/dev/shm/tk$TK_TEST_ID" || tk_fail "/dev/shm not writable"
	tk_defer "rm -f /dev/shm/tk$TK_TEST_ID"
	ip netns add "$ns" || tk_fail "ip netns add"
	tk_defer "ip netns del $ns"
	assert_eq "netns lo" "$(tk_ns "$ns" cat /sys/class/net/lo/ifindex)" 1
	assert_eq "repo is cwd" "$(pwd)" "$TK_ROOT"
}

# What `tsnproxy features` must find on the guest kernel, and what it must not (a probe that
# says yes to a feature the kernel lacks is as wrong as one that says no).
test_tsnproxy_features() {
	local out f want=(tp_btf fentry kprobe taprio etf mqprio) lack=()
	[ -x "$TK_BUILD/tsnproxy" ] || tk_skip "$TK_BUILD/tsnproxy not built (make all)"
	out=$("$TK_BUILD/tsnproxy" features --json) || tk_fail "tsnproxy features --json failed"
	echo "$out"
	if kf_kernel_at_least 6.6; then want+=(tcx); else lack+=(tcx); fi
	# the verifier rejects bpf_timer on PREEMPT_RT kernels
	if [[ "$(uname -v)" == *PREEMPT_RT* ]]; then lack+=(bpf_timer); else want+=(bpf_timer); fi
	if kf_kernel_at_least 6.11; then want+=(skb_clock_tai); else lack+=(skb_clock_tai); fi
	if kf_kernel_at_least 6.2; then want+=(kern_ctx); else lack+=(kern_ctx); fi
	# Debian's 6.1 config has no CONFIG_FPROBE, its 6.12 one has
	if kf_kernel_at_least 6.12; then want+=(kprobe-multi); else lack+=(kprobe-multi); fi
	for f in "${want[@]}"; do
		assert_eq "$f supported ($(echo "$out" | jq -r ".\"$f\".reason"))" \
			"$(echo "$out" | jq -r ".\"$f\".supported")" true
	done
	for f in "${lack[@]}"; do
		assert_eq "$f unsupported on $(uname -r)" "$(echo "$out" | jq -r ".\"$f\".supported")" \
			false
	done
	# and what those make the tools use (docs/testing.md, "Kernel matrix")
	local m=.mechanisms restore tai all tracer
	restore=^clsact tai=^cleared all="probe reads" tracer=fentry
	kf_kernel_at_least 6.6 && restore=^tcx
	kf_kernel_at_least 6.11 && tai=^kept
	kf_kernel_at_least 6.2 && all="plain loads"
	kf_kernel_at_least 6.12 && tracer=kprobe-multi
	assert_match "restore hook" "$(echo "$out" | jq -r "$m.restore_hook.uses")" "$restore"
	assert_match "TAI txtime" "$(echo "$out" | jq -r "$m.tai_txtime.uses")" "$tai"
	assert_match "save hook, --policy all" "$(echo "$out" | jq -r "$m.save_hook_policy_all.uses")" \
		"$all"
	assert_eq "tracer: auto" "$(echo "$out" | jq -r "$m.tracer_backend.uses")" "$tracer"
	assert_match "freshness never needs bpf_timer" "$(echo "$out" | jq -r "$m.freshness.uses")" \
		"no bpf_timer"
}
