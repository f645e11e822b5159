#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The tsn CNI plugin (build/tsn): CNI 1.1.0 conformance of every verb in every supported
# version, bad input, real traffic over the node-in-a-box fixture, a real runtime (podman with
# the reference plugins), `tsn install` on sample conflists, the Kubernetes manifests, and a
# bounded fuzz run of the configuration parser. The plugin always runs in the fixture's node
# netns (nsenter, like a runtime on the node) with a stripped environment (env -i), since
# runtimes call it that way.

CNI_VERSIONS=(0.3.0 0.3.1 0.4.0 1.0.0 1.1.0)
N=200

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }
state_dir() { echo "/run/tsnkit/cni/sys_fs_bpf_tk$TK_TEST_ID"; }

cni_setup() { # [NPODS]
	tk_fixture_up "$TK_TEST_ID" "${1:-2}"
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	tk_defer "rm -rf $(state_dir) $(state_dir).statedir"
}

# A prevResult as a bridge plugin of that version would return it.
prev_result() { # version pod-index
	local v=$1 k=${2:-1}
	jq -nc --arg v "$v" --arg ns "/run/netns/tk$TK_TEST_ID-pod$k" \
		--arg ip "198.18.$TK_TEST_ID.$((10 + k))/24" --arg gw "198.18.$TK_TEST_ID.1" '
		{cniVersion: $v,
		 interfaces: [{name: "br0", mac: "0a:58:0a:f4:00:01"},
			      {name: "vethpod1", mac: "0a:58:0a:f4:00:02"},
			      {name: "eth0", mac: "0a:58:0a:f4:00:03", sandbox: $ns}],
		 ips: [{address: $ip, gateway: $gw, interface: 2}
		       + (if ($v | startswith("0.3")) then {version: "4"} else {} end)],
		 routes: [{dst: "0.0.0.0/0", gw: $gw}],
		 dns: {nameservers: ["198.18.0.53"], search: ["svc.cluster.local"]},
		 "x-extra": {nested: [1, 2.5, true, null, "a/b"]}}'
}

# Plugin configuration as a runtime passes it: name and cniVersion injected, prevResult added.
conf() { # version [jq filter applied last] [pod-index]
	local v=$1 filter=${2:-.}
	jq -nc --arg v "$v" --arg pin "$TK_PIN" --argjson prev "$(prev_result "$v" "${3:-1}")" '
		{cniVersion: $v, name: "tsnnet", type: "tsn", tsnIfname: "nic0", pinDir: $pin,
		 priorities: [1], prevResult: $prev}' | jq -c "$filter"
}

# Run the plugin in the node netns: cni VERB CONF [VAR=VALUE...]; sets CNI_OUT, CNI_ERR, CNI_RC.
# With CNI_STRACE=LOG:SYSCALLS it runs under strace, tracing those syscalls into LOG.
cni() {
	local verb=$1 cfg=$2 wrap=()
	shift 2
	[ -z "${CNI_STRACE:-}" ] ||
		wrap=(strace -f -qq -e "trace=${CNI_STRACE#*:}" -o "${CNI_STRACE%%:*}")
	CNI_OUT=$(printf '%s' "$cfg" | nsenter --net="/run/netns/$TK_NODE" -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$verb" \
		CNI_PATH=/opt/cni/bin "$@" "${wrap[@]}" "$TK_BUILD/tsn" 2>"$TK_TMP/cni.err")
	CNI_RC=$?
	CNI_ERR=$(cat "$TK_TMP/cni.err")
	return 0
}
# environment of pod k's attachment
pod_env() { # k [cid]
	echo "CNI_CONTAINERID=${2:-ctr$1} CNI_NETNS=/run/netns/tk$TK_TEST_ID-pod$1 CNI_IFNAME=eth0"
}
expect_ok() { # name
	[ "$CNI_RC" = 0 ] || tk_fail "$1: exit $CNI_RC, stdout $CNI_OUT, stderr $CNI_ERR"
	echo "ok $1: exit 0"
}
expect_code() { # name code [msg-regex]
	[ "$CNI_RC" != 0 ] || tk_fail "$1: exit 0, expected an error (stdout $CNI_OUT)"
	assert_eq "$1: error code" "$(echo "$CNI_OUT" | jq -r .code)" "$2"
	[ -z "${3:-}" ] || assert_match "$1: msg" "$(echo "$CNI_OUT" | jq -r .msg)" "$3"
	[ "$(echo "$CNI_OUT" | jq -r '.msg | length')" -gt 0 ] || tk_fail "$1: empty msg"
}

ino() { stat -L -c %i "$1"; }
# registration of a netns path in the datapath, as tsnproxy status shows it ("" if none)
registration() { # netns-path
	proxy status --json 2>/dev/null |
		jq -c --argjson i "$(ino "$1")" '.policy[]? | select(.netns_inode == $i)'
}
registrations() { proxy status --json 2>/dev/null | jq '.policy | length' || echo 0; }
# registrations of a netns inode (also of a netns that is gone)
registered_ino() { proxy status --json | jq "[.policy[] | select(.netns_inode == $1)] | length"; }
# nothing of the plugin in the system: no pin dir, no state records
assert_clean() { # name
	[ ! -e "$TK_PIN" ] || tk_fail "$1: $TK_PIN exists ($(find "$TK_PIN" | tr '\n' ' '))"
	[ ! -e "$(state_dir)" ] || tk_fail "$1: state left in $(state_dir): $(ls "$(state_dir)")"
	echo "ok $1: nothing loaded, registered or recorded"
}


# ---- VERSION --------------------------------------------------------------------------------
test_cni_version() {
	cni_setup 1
	local v want
	want='["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]'
	for v in "${CNI_VERSIONS[@]}"; do
		cni VERSION "{\"cniVersion\":\"$v\"}"
		expect_ok "VERSION $v"
		assert_eq "VERSION $v: cniVersion" "$(echo "$CNI_OUT" | jq -r .cniVersion)" "$v"
		assert_eq "VERSION $v: supported" "$(echo "$CNI_OUT" | jq -c .supportedVersions)" \
			"$want"
	done
	cni VERSION ""
	expect_ok "VERSION without stdin"
	assert_eq "VERSION default" "$(echo "$CNI_OUT" | jq -r .cniVersion)" 1.1.0
	assert_clean "VERSION loads nothing"
}

# ---- ADD / CHECK / DEL in every version ------------------------------------------------------
test_cni_add_check_del_every_version() {
	cni_setup 1
	local v cfg pod=/run/netns/tk$TK_TEST_ID-pod1 reg
	for v in "${CNI_VERSIONS[@]}"; do
		cfg=$(conf "$v")
		# shellcheck disable=SC2046 # word splitting of the VAR=VALUE list is intended
		cni ADD "$cfg" $(pod_env 1)
		expect_ok "ADD $v"
		assert_eq "ADD $v: prevResult passed through" "$(echo "$CNI_OUT" | jq -S .)" \
			"$(echo "$cfg" | jq -S .prevResult)"
		reg=$(registration "$pod")
		assert_eq "ADD $v: registered by cni" "$(echo "$reg" | jq -r .registered_by)" cni
		assert_eq "ADD $v: priorities" "$(echo "$reg" | jq -r .priorities)" 1
		assert_ne "ADD $v: pod ifindex" "$(echo "$reg" | jq -r '.ifindex // 0')" 0
		[ -f "$(state_dir)/ctr1:eth0" ] || tk_fail "ADD $v: no record"
		# ADD again (runtime retry) is harmless
		# shellcheck disable=SC2046
		cni ADD "$cfg" $(pod_env 1)
		expect_ok "ADD $v again"
		# shellcheck disable=SC2046
		cni CHECK "$cfg" $(pod_env 1)
		case $v in
		0.3.*) expect_code "CHECK $v (not in this version)" 1 "does not allow CHECK" ;;
		*) expect_ok "CHECK $v" ;;
		esac
		# shellcheck disable=SC2046
		cni DEL "$cfg" $(pod_env 1)
		expect_ok "DEL $v"
		assert_eq "DEL $v: output" "$CNI_OUT" ""
		assert_eq "DEL $v: unregistered" "$(registration "$pod")" ""
		# shellcheck disable=SC2046
		cni DEL "$cfg" $(pod_env 1)
		expect_ok "DEL $v again (idempotent)"
	done
	assert_eq "datapath stays loaded for the next pod" "$(proxy status --json | jq .running)" \
		true
	[ ! -e "$(state_dir)" ] || tk_fail "records left: $(ls "$(state_dir)")"
}

test_cni_error_speaks_config_version() {
	cni_setup 1
	local v
	for v in "${CNI_VERSIONS[@]}"; do
		# shellcheck disable=SC2046
		cni ADD "$(conf "$v" 'del(.tsnIfname)')" $(pod_env 1)
		expect_code "ADD $v without tsnIfname" 7 tsnIfname
		assert_eq "error $v: cniVersion" "$(echo "$CNI_OUT" | jq -r .cniVersion)" "$v"
	done
}

# ---- DEL edge cases ----------------------------------------------------------------------------
test_cni_del_edge_cases() {
	cni_setup 1
	local gone=tk$TK_TEST_ID-gone cfg
	cfg=$(conf 1.1.0)

	# datapath not loaded: succeeds and loads nothing
	# shellcheck disable=SC2046
	cni DEL "$cfg" $(pod_env 1)
	expect_ok "DEL, datapath not loaded"
	assert_clean "DEL loaded nothing"
	# no prevResult (DEL after a failed ADD), no netns either
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" CNI_CONTAINERID=never CNI_IFNAME=eth0
	expect_ok "DEL without prevResult and CNI_NETNS"
	cni DEL "$cfg" CNI_CONTAINERID=never CNI_NETNS=/run/netns/nonexistent CNI_IFNAME=eth0
	expect_ok "DEL with a netns path that does not exist"

	# netns gone before DEL: the record still names its inode
	ip netns add "$gone"
	tk_defer "ip netns del $gone"
	tk_ns "$gone" ip link add eth0 type veth peer name eth0peer
	local gone_ino
	gone_ino=$(ino "/run/netns/$gone")
	cni ADD "$cfg" CNI_CONTAINERID=gonectr CNI_NETNS="/run/netns/$gone" CNI_IFNAME=eth0
	expect_ok "ADD to the soon-gone netns"
	assert_eq "registered" "$(registered_ino "$gone_ino")" 1
	ip netns del "$gone"
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" CNI_CONTAINERID=gonectr \
		CNI_NETNS="/run/netns/$gone" CNI_IFNAME=eth0
	expect_ok "DEL after the netns is gone"
	assert_eq "unregistered by inode" "$(registered_ino "$gone_ino")" 0
	# DEL after the datapath was stopped under its feet
	# shellcheck disable=SC2046
	cni ADD "$cfg" $(pod_env 1)
	expect_ok "ADD pod1"
	proxy stop >/dev/null
	# shellcheck disable=SC2046
	cni DEL "$cfg" $(pod_env 1)
	expect_ok "DEL after tsnproxy stop"
	assert_clean "DEL removed the record, loaded nothing"
}

# ---- CHECK errors --------------------------------------------------------------------------------
test_cni_check_errors() {
	cni_setup 2
	local cfg
	cfg=$(conf 1.0.0)
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 1)
	expect_code "CHECK, datapath not loaded" 105
	# shellcheck disable=SC2046
	cni ADD "$cfg" $(pod_env 1)
	expect_ok "ADD pod1"
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 2)
	expect_code "CHECK of an unregistered pod" 104 "not registered"
	# shellcheck disable=SC2046
	cni CHECK "$(conf 1.0.0 '.priorities = [1,2]')" $(pod_env 1)
	expect_code "CHECK with other priorities than registered" 104 "registered with priorities 1"
	cni CHECK "$cfg" CNI_CONTAINERID=ctr1 CNI_NETNS=/run/netns/nonexistent CNI_IFNAME=eth0
	expect_code "CHECK with a netns that does not exist" 3
	# the NIC attachment gone (tcx link removed behind the datapath's back)
	rm -f "$TK_PIN"/links/restore_*
	tk_ns "$TK_NODE" tc qdisc del dev nic0 clsact 2>/dev/null
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 1)
	expect_code "CHECK with the NIC attachment gone" 105 "not attached"
	# the next ADD repairs it (adopt re-attaches)
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.0.0 . 2)" $(pod_env 2)
	expect_ok "ADD pod2 re-attaches"
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 1)
	expect_ok "CHECK pod1 after the repair"
	# with the tc save hook: pod1's save link gone (its pin was the last reference)
	[ "$(proxy status --json | jq -r .config.save_hook)" = tc ] || return 0
	rm -f "$TK_PIN/links/save_$(ino "/run/netns/tk$TK_TEST_ID-pod1")"_*
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 1)
	expect_code "CHECK with the pod's save hook gone" 105 "eth0 has no save hook"
	# shellcheck disable=SC2046
	cni CHECK "$cfg" $(pod_env 2)
	expect_ok "CHECK pod2, whose save hook is there"
}

# ---- STATUS --------------------------------------------------------------------------------------
test_cni_status() {
	cni_setup 1
	cni STATUS "$(conf 1.1.0 'del(.prevResult)')"
	expect_ok "STATUS, not loaded: the datapath loads"
	assert_clean "STATUS leaves nothing loaded"
	cni STATUS "$(conf 1.1.0 '.tsnIfname = "tknonic0"')"
	expect_code "STATUS with the NIC missing" 50 tknonic0
	cni STATUS "$(conf 1.1.0 '.tsnIfname = ["nic0", "tknonic1"]')"
	expect_code "STATUS with one of two NICs missing" 50 tknonic1
	cni STATUS "$(conf 1.1.0 '.pinDir = "/run/tkcni-not-bpffs/x"')"
	expect_code "STATUS with pinDir off bpffs" 50 bpffs
	cni STATUS "$(conf 1.0.0)"
	expect_code "STATUS in 1.0.0" 1 "does not allow STATUS"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD pod1"
	cni STATUS "$(conf 1.1.0)"
	expect_ok "STATUS, loaded"
	cni STATUS "$(conf 1.1.0 '.ttlMs = 500')"
	expect_code "STATUS with a ttl the loaded datapath does not have" 50 \
		"ADD would fail: already running with other settings: ttl 1000 ms \\(asked: ttl 500 ms\\)"
	# restore is a setting ADD compares too: STATUS names it, and ADD fails on it the same way
	cni STATUS "$(conf 1.1.0 '.restore = ["priority"]')"
	expect_code "STATUS with restore fields the loaded datapath does not have" 50 \
		"other settings: restore priority,tstamp \\(asked: restore priority\\)"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 '.restore = ["priority"]')" $(pod_env 1)
	expect_code "ADD with those restore fields" 102 "cannot adopt"
	assert_match "ADD says which" "$(echo "$CNI_OUT" | jq -r .details)" \
		"restore priority,tstamp \\(asked: restore priority\\)"
}

# `tsnproxy status` names each pod from its CNI record: it reads every record once. Whether the
# pin dir's owner has records at all is told by the record names, without reading them (it read
# them all a second time before). Three pods: three record opens, and each pod named. And it
# stats a record's netns path only for the record of the pod it names: O(pods), not O(pods^2).
test_cni_status_reads_each_record_once() {
	command -v strace >/dev/null || tk_skip "strace is not installed"
	cni_setup 3
	local k log=$TK_TMP/status.strace
	for k in 1 2 3; do
		# shellcheck disable=SC2046
		cni ADD "$(conf 1.1.0 . "$k")" $(pod_env "$k") \
			CNI_ARGS="K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod$k"
		expect_ok "ADD pod$k"
	done
	tk_ns "$TK_NODE" strace -f -qq -e trace=openat,newfstatat,statx,stat -o "$log" \
		"$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" status --json >"$TK_TMP/status.json" ||
		tk_fail "status under strace failed"
	assert_eq "record opens" "$(grep -c "\"$(state_dir)/[^\"]*:[^\"]*\"" "$log")" 3
	# a pod's netns path: one stat listing /run/netns, one checking its record is live (main
	# checked every record's before the inode: 1 + 2 + 3 stats for the three lookups)
	assert_eq "stats of the pods' netns paths" \
		"$(grep -v openat "$log" | grep -c "\"/run/netns/tk$TK_TEST_ID-pod[123]\"")" 6
	assert_eq "every pod named" "$(jq -c '[.policy[].pod] | sort' "$TK_TMP/status.json")" \
		'["ns/pod1","ns/pod2","ns/pod3"]'
}

# ADD and DEL find the records of their netns through the index by netns inode (docs/cni.md):
# they read no other pod's record. On main each read all of them, to find a recycled inode's
# (ADD) or another attachment of the same netns (DEL): O(pods) per call.
test_cni_add_del_read_only_their_records() {
	command -v strace >/dev/null || tk_skip "strace is not installed"
	cni_setup 4
	local k log=$TK_TMP/cni.strace
	for k in 1 2 3; do
		# shellcheck disable=SC2046
		cni ADD "$(conf 1.1.0 . "$k")" $(pod_env "$k")
		expect_ok "ADD pod$k"
	done
	# shellcheck disable=SC2046
	CNI_STRACE=$log:openat cni ADD "$(conf 1.1.0 . 4)" $(pod_env 4)
	expect_ok "ADD pod4 under strace"
	assert_eq "other pods' records ADD opened" "$(grep -c 'ctr[123]:eth0' "$log")" 0
	# shellcheck disable=SC2046
	CNI_STRACE=$log:openat cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 4)
	expect_ok "DEL pod4 under strace"
	assert_eq "other pods' records DEL opened" "$(grep -c 'ctr[123]:eth0' "$log")" 0
	assert_eq "pod4 unregistered, the others not" "$(registrations)" 3
}

# Records from before the index (an upgraded node) are indexed by the first lookup: a pod with
# two attachments stays registered when one of them is deleted. Without that, DEL found no
# other attachment of the netns and unregistered the pod under the one left.
test_cni_index_of_records_from_before() {
	cni_setup 1
	local pod=/run/netns/tk$TK_TEST_ID-pod1 idx
	nsenter --net="$pod" -- ip link add net1 type veth peer name net1p || tk_fail "veth"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD eth0"
	cni ADD "$(conf 1.1.0)" CNI_CONTAINERID=ctr1 CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "ADD net1"
	idx=$(state_dir)/by-netns
	[ -f "$idx/$(ino "$pod")/ctr1:eth0" ] || tk_fail "no index entry: $(find "$(state_dir)")"
	rm -rf "$idx"	# the records as a plugin without the index left them
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" CNI_CONTAINERID=ctr1 CNI_NETNS="$pod" \
		CNI_IFNAME=net1
	expect_ok "DEL net1"
	assert_eq "still registered through eth0" "$(registrations)" 1
	[ -f "$idx/.complete" ] && [ "$(stat -c %i "$idx/$(ino "$pod")/ctr1:eth0")" = \
		"$(stat -c %i "$(state_dir)/ctr1:eth0")" ] ||
		tk_fail "eth0's record not indexed: $(find "$(state_dir)")"
	# shellcheck disable=SC2046
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 1)
	expect_ok "DEL eth0"
	assert_eq "unregistered" "$(registrations)" 0
	[ ! -e "$(state_dir)" ] || tk_fail "state left: $(find "$(state_dir)")"
}

# An index entry that is not its attachment's record file (a crash between writing the two, a
# hand-made file) is no registration: DEL of the pod's only attachment unregisters it, and the
# stale entry goes. Trusting the entry would keep a deleted pod registered, and a netns that
# later gets its inode would inherit the registration.
test_cni_stale_index_entry_keeps_nothing() {
	cni_setup 1
	local pod=/run/netns/tk$TK_TEST_ID-pod1 idx
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD"
	idx=$(state_dir)/by-netns/$(ino "$pod")
	# the record of an attachment that is gone, and a copy (not the file) of a live record
	jq -c '.containerID = "ghost"' "$(state_dir)/ctr1:eth0" >"$idx/ghost:eth0"
	cp "$(state_dir)/ctr1:eth0" "$(state_dir)/ctr9:eth0"
	cp "$(state_dir)/ctr1:eth0" "$idx/ctr9:eth0"
	# shellcheck disable=SC2046
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 1)
	expect_ok "DEL"
	assert_eq "unregistered" "$(registrations)" 0
	[ ! -e "$idx/ghost:eth0" ] && [ ! -e "$idx/ctr9:eth0" ] ||
		tk_fail "stale entries left: $(ls "$idx")"
	rm -f "$(state_dir)/ctr9:eth0"
}

# A pod's ADD loads one program, its save stub: not libbpf's feature probes besides (two more
# programs, verified and JIT-compiled, in every process that calls bpf_prog_load()).
test_cni_add_loads_one_program() {
	command -v strace >/dev/null || tk_skip "strace is not installed"
	cni_setup 2
	local log=$TK_TMP/cni.strace
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD pod1 (starts the datapath)"
	# shellcheck disable=SC2046
	CNI_STRACE=$log:bpf cni ADD "$(conf 1.1.0 . 2)" $(pod_env 2)
	expect_ok "ADD pod2 under strace"
	assert_eq "programs ADD loaded" "$(grep -c BPF_PROG_LOAD "$log")" 1
}

# ---- GC ------------------------------------------------------------------------------------------
test_cni_gc() {
	cni_setup 3
	local k p1=/run/netns/tk$TK_TEST_ID-pod1 p2=/run/netns/tk$TK_TEST_ID-pod2
	for k in 1 2; do
		# shellcheck disable=SC2046
		cni ADD "$(conf 1.1.0 . $k)" $(pod_env $k)
		expect_ok "ADD pod$k"
	done
	# pod3 registered by an operator through the CLI: not the plugin's to collect
	proxy allow --netns "tk$TK_TEST_ID-pod3" --priorities 3 >/dev/null || tk_fail "allow pod3"
	cni GC "$(conf 1.1.0 'del(.prevResult)
		| .["cni.dev/valid-attachments"] = [{containerID: "ctr1", ifname: "eth0"}]')"
	expect_ok "GC keeping ctr1"
	assert_ne "pod1 still registered" "$(registration "$p1")" ""
	assert_eq "pod2 collected" "$(registration "$p2")" ""
	assert_eq "CLI registration untouched" "$(registrations)" 2
	[ -f "$(state_dir)/ctr1:eth0" ] || tk_fail "record of ctr1 removed"
	[ ! -f "$(state_dir)/ctr2:eth0" ] || tk_fail "record of ctr2 left"
	cni GC "$(conf 1.0.0 'del(.prevResult)')"
	expect_code "GC in 1.0.0" 1 "does not allow GC"
	cni GC "$(conf 1.1.0 'del(.prevResult) | .["cni.dev/valid-attachments"] = "x"')"
	expect_code "GC with a malformed attachment list" 7 valid-attachments
	# another network sharing the pin dir: its GC leaves this network's pods alone
	cni GC "$(conf 1.1.0 'del(.prevResult) | .name = "other"
		| .["cni.dev/valid-attachments"] = []')"
	expect_ok "GC of another network"
	assert_ne "pod1 kept by the other network's GC" "$(registration "$p1")" ""
	cni GC "$(conf 1.1.0 'del(.prevResult) | .["cni.dev/valid-attachments"] = []')"
	expect_ok "GC with nothing valid"
	assert_eq "pod1 collected" "$(registration "$p1")" ""
	assert_eq "only the CLI registration left" "$(registrations)" 1
	[ ! -e "$(state_dir)" ] || tk_fail "records left: $(ls "$(state_dir)")"
}

# A stateDir that cannot be made (a file in its path): ADD fails with the state error and undoes
# what it did: the pod is not registered, the datapath it loaded is unloaded, and a later ADD
# with a good stateDir works. It removes nothing but what it made: on that failure the record
# writer used to unlink an uninitialised path (stack garbage, or a stale path of an earlier call).
test_cni_state_dir_cannot_be_made() {
	cni_setup 1
	local bad=$TK_TMP/file/state good=/run/tsnkit/tk$TK_TEST_ID-good
	local p1=/run/netns/tk$TK_TEST_ID-pod1 own others
	touch "$TK_TMP/file"
	tk_defer "rm -rf $good"
	# shellcheck disable=SC2046 # word splitting of the VAR=VALUE list is intended
	CNI_STRACE=$TK_TMP/calls:unlink,unlinkat,rmdir \
		cni ADD "$(conf 1.1.0 ".stateDir = \"$bad\"")" $(pod_env 1)
	expect_code "ADD, stateDir under a file" 106 "^cannot write the attachment record in $bad"
	assert_eq "pod1 not registered" "$(registration "$p1")" ""
	assert_exit "the datapath it loaded: unloaded" 1 test -e "$TK_PIN"
	# every path it removed is one of its own: in the pin dir, its partial build, the state root
	own="\"($TK_PIN(-partial)?|/run/tsnkit/cni)(/|\\.|\")"
	others=$(grep -E '^[0-9]+ +(unlink|unlinkat|rmdir)\(' "$TK_TMP/calls" |
		grep -vE "^[0-9]+ +(unlink|rmdir)\($own|^[0-9]+ +unlinkat\([^,]*, $own")
	assert_eq "removed only its own paths" "$others" ""
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 ".stateDir = \"$good\"")" $(pod_env 1)
	expect_ok "ADD again, a stateDir that can be made"
	assert_ne "pod1 registered" "$(registration "$p1")" ""
}

# Two networks share a pin dir (one datapath) but name different stateDirs (both documented
# options): on main the second network's ADD succeeded, and its GC then took the first
# network's pods for leaked registrations (no record of its own claims them) and removed them.
# Now ADD refuses a second stateDir for a pin dir in one line, GC of the other network leaves
# the pods alone, and once the first network's last record is gone the pin dir is free again.
# Networks that share the stateDir too keep working, each GC taking only its own pods.
test_cni_two_networks_share_pin_dir() {
	cni_setup 2
	tk_listen "$TK_TEST_ID" 5001
	local sa=/run/tsnkit/tk$TK_TEST_ID-net-a sb=/run/tsnkit/tk$TK_TEST_ID-net-b
	local p1=/run/netns/tk$TK_TEST_ID-pod1 p2=/run/netns/tk$TK_TEST_ID-pod2 a b c
	tk_defer "rm -rf $sa $sb"
	a=$(conf 1.1.0 ".name = \"net-a\" | .stateDir = \"$sa\"" 1)
	b=$(conf 1.1.0 ".name = \"net-b\" | .stateDir = \"$sb\"" 2)
	c=$(conf 1.1.0 ".name = \"net-c\" | .stateDir = \"$sa\"" 2)
	# shellcheck disable=SC2046 # word splitting of the VAR=VALUE list is intended
	{
		cni ADD "$a" $(pod_env 1)
		expect_ok "ADD pod1 to net-a"
		cni ADD "$b" $(pod_env 2)
		expect_code "ADD pod2 to net-b, another stateDir" 7 \
			"^pinDir $TK_PIN holds pods recorded in stateDir $sa, not in $sb: networks that share a pinDir must share its stateDir$"
		assert_eq "net-b recorded nothing" "$(ls "$sb" 2>/dev/null)" ""
		assert_eq "pod2 not registered" "$(registration "$p2")" ""
		cni GC "$(jq -c 'del(.prevResult) | .["cni.dev/valid-attachments"] = []' <<<"$b")"
		expect_ok "GC of net-b"
		assert_ne "pod1 kept by net-b's GC" "$(registration "$p1")" ""
		assert_tc_deltas "pod1 still restored after net-b's GC" "1=50" tk_pod_talk 1 1 50
		# the same pin dir and stateDir: one set of records, each GC takes its own
		cni ADD "$c" $(pod_env 2)
		expect_ok "ADD pod2 to net-c, net-a's stateDir"
		cni GC "$(jq -c 'del(.prevResult) | .["cni.dev/valid-attachments"] = []' <<<"$c")"
		expect_ok "GC of net-c"
		assert_eq "pod2 collected by net-c's GC" "$(registration "$p2")" ""
		assert_tc_deltas "pod1 restored, pod2 no more" "1=50" \
			eval "tk_pod_talk 1 1 50 && tk_pod_talk 2 1 50"
		cni DEL "$(jq -c 'del(.prevResult)' <<<"$a")" $(pod_env 1)
		expect_ok "DEL pod1 from net-a"
		cni ADD "$b" $(pod_env 2)
		expect_ok "ADD pod2 to net-b once net-a has no pods"
		cni DEL "$(jq -c 'del(.prevResult)' <<<"$b")" $(pod_env 2)
		expect_ok "DEL pod2 from net-b"
	}
	assert_eq "no records, no owner file left" \
		"$(ls -d "$sa" "$sb" /run/tsnkit/cni/*tk$TK_TEST_ID* 2>/dev/null)" ""
}

# ---- bad input: right code and message, nothing loaded or registered ---------------------------
test_cni_bad_input() {
	cni_setup 1
	local env1 ok long
	env1=$(pod_env 1)
	ok=$(conf 1.1.0)
	# shellcheck disable=SC2086
	{
		cni ADD "" $env1
		expect_code "empty stdin" 6 "no network configuration"
		cni ADD "   " $env1
		expect_code "blank stdin" 6
		cni ADD '{"cniVersion": "1.1.0", "type": ' $env1
		expect_code "truncated JSON" 6 "not valid JSON"
		cni ADD '[1,2]' $env1
		expect_code "not an object" 6 "is an array, not a JSON object"
		# valid JSON, so "not valid JSON" would be a lie: say what it is
		cni ADD 'null' $env1
		expect_code "JSON null" 6 "^network configuration on stdin is null, not a JSON object$"
		cni ADD ' 17 ' $env1
		expect_code "a number" 6 "is a number, not a JSON object"
		cni ADD "$ok trailing" $env1
		expect_code "garbage after the object" 6
		cni ADD "$(conf 1.1.0 'del(.type)')" $env1
		expect_code "missing type" 7 "type is missing"
		cni ADD "$(conf 1.1.0 '.type = "bridge"')" $env1
		expect_code "wrong type" 7 'type must be "tsn"'
		cni ADD "$(conf 1.1.0 'del(.tsnIfname)')" $env1
		expect_code "missing tsnIfname" 7 tsnIfname
		cni ADD "$(conf 1.1.0 '.tsnIfname = 5')" $env1
		expect_code "tsnIfname a number" 7 "string or a list"
		cni ADD "$(conf 1.1.0 '.tsnIfname = []')" $env1
		expect_code "tsnIfname empty list" 7 tsnIfname
		cni ADD "$(conf 1.1.0 '.tsnIfname = ["nic0", "nic0"]')" $env1
		expect_code "tsnIfname twice" 7 twice
		cni ADD "$(conf 1.1.0 '.tsnIfname = "a/b"')" $env1
		expect_code "tsnIfname with a slash" 7 "not a valid interface name"
		cni ADD "$(conf 1.1.0 '.saveHook = "kprobe"')" $env1
		expect_code "saveHook unknown" 7 saveHook
		cni ADD "$(conf 1.1.0 '.saveHook = 1')" $env1
		expect_code "saveHook a number" 7 saveHook
		cni ADD "$(conf 1.1.0 '.priorities = "x"')" $env1
		expect_code "priorities a bad string" 7 priorities
		cni ADD "$(conf 1.1.0 '.priorities = [1, 40]')" $env1
		expect_code "priority 40" 7 priorities
		cni ADD "$(conf 1.1.0 '.priorities = []')" $env1
		expect_code "no priorities" 7 priorities
		cni ADD "$(conf 1.1.0 '.priorities = {}')" $env1
		expect_code "priorities an object" 7 priorities
		cni ADD "$(conf 1.1.0 '.onDisallowed = "drop"')" $env1
		expect_code "onDisallowed drop" 7 onDisallowed
		cni ADD "$(conf 1.1.0 '.restore = ["priority", "color"]')" $env1
		expect_code "restore color" 7 "unknown field 'color'"
		cni ADD "$(conf 1.1.0 '.restore = "priority"')" $env1
		expect_code "restore a string" 7 restore
		cni ADD "$(conf 1.1.0 '.capacity = "big"')" $env1
		expect_code "capacity a string" 7 capacity
		cni ADD "$(conf 1.1.0 '.capacity = 0')" $env1
		expect_code "capacity 0" 7 "out of range"
		cni ADD "$(conf 1.1.0 '.ttlMs = 1.5')" $env1
		expect_code "ttlMs a float" 7 ttlMs
		cni ADD "$(conf 1.1.0 '.pinDir = "relative/dir"')" $env1
		expect_code "relative pinDir" 7 pinDir
		cni ADD "$(conf 1.1.0 '.pinDir = "/sys/fs/bpf/../x"')" $env1
		expect_code "pinDir with .." 7 pinDir
		cni ADD "$(conf 1.1.0 '.cniVersion = "2.0.0"')" $env1
		expect_code "unknown cniVersion" 1 "incompatible CNI version"
		cni ADD "$(conf 1.1.0 '.cniVersion = 1')" $env1
		expect_code "cniVersion a number" 7 cniVersion
		cni ADD "$(conf 1.1.0 'del(.cniVersion)')" $env1
		expect_code "cniVersion missing" 7 cniVersion
		cni ADD "$(conf 1.1.0 'del(.prevResult)')" $env1
		expect_code "ADD without prevResult" 7 prevResult
		# GC finds a network's attachments by name: an ADD must record one
		cni ADD "$(conf 1.1.0 'del(.name)')" $env1
		expect_code "ADD without name" 7 "^name .* is missing"
		cni ADD "$(conf 1.1.0 '.name = ""')" $env1
		expect_code "ADD with an empty name" 7 "^name must be a non-empty string"
		cni ADD "$(conf 1.1.0 '.prevResult = [1]')" $env1
		expect_code "prevResult a list" 6 prevResult
		cni ADD "$(conf 1.1.0 '.runtimeConfig = 3')" $env1
		expect_code "runtimeConfig a number" 7 runtimeConfig
	}
	# environment
	cni ADD "$ok" CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1" CNI_IFNAME=eth0
	expect_code "CNI_CONTAINERID missing" 4 CNI_CONTAINERID
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_IFNAME=eth0
	expect_code "CNI_NETNS missing" 4 CNI_NETNS
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1"
	expect_code "CNI_IFNAME missing" 4 CNI_IFNAME
	cni ADD "$ok" CNI_CONTAINERID=../../etc CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1" \
		CNI_IFNAME=eth0
	expect_code "CNI_CONTAINERID with a path" 4 CNI_CONTAINERID
	cni ADD "$ok" CNI_CONTAINERID="$(printf 'a%.0s' {1..200})" \
		CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1" CNI_IFNAME=eth0
	expect_code "CNI_CONTAINERID of 200 characters" 4 \
		"^CNI_CONTAINERID is too long \\(200 characters, at most 199\\)$"
	cni ADD "$ok" CNI_CONTAINERID="$(printf 'a%.0s' {1..199})" \
		CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1" CNI_IFNAME=eth9
	expect_code "CNI_CONTAINERID of 199 characters is fine" 103 "no interface 'eth9'"
	# 511 characters, in components a file system takes
	long=/run/netns/$(printf 'a%.0s' {1..250})/$(printf 'b%.0s' {1..249})
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS="${long}b" CNI_IFNAME=eth0
	expect_code "CNI_NETNS of 512 characters" 4 \
		"^CNI_NETNS is too long \\(512 characters, at most 511\\)$"
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS="$long" CNI_IFNAME=eth0
	expect_code "CNI_NETNS of 511 characters is fine" 3 "does not exist"
	CNI_OUT=$(printf '%s' "$ok" | tk_ns "$TK_NODE" env -i "$TK_BUILD/tsn" 2>/dev/null)
	CNI_RC=$?
	expect_code "CNI_COMMAND missing" 4 CNI_COMMAND
	cni FROB "$ok"
	expect_code "unknown CNI_COMMAND" 4 FROB
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS=/run/netns/tknonexistent CNI_IFNAME=eth0
	expect_code "netns that does not exist" 3 "does not exist"
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS=/etc/hostname CNI_IFNAME=eth0
	expect_code "netns path that is no netns" 4 "not a network namespace"
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth0
	expect_code "the node's own netns" 4 "own netns"
	cni ADD "$ok" CNI_CONTAINERID=ctr1 CNI_NETNS="/run/netns/tk$TK_TEST_ID-pod1" CNI_IFNAME=eth9
	expect_code "pod interface missing" 103 "no interface 'eth9'"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 '.tsnIfname = "tknonic0"')" $(pod_env 1)
	expect_code "NIC that does not exist" 101 "tknonic0"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 '.priorities = [1] | .runtimeConfig.tsnPriorities = [5]')" \
		$(pod_env 1)
	expect_code "narrowing that widens" 7 "allows only 1"
	# shellcheck disable=SC2046
	cni ADD "$ok" $(pod_env 1) CNI_ARGS="IgnoreUnknown=1;TSN_PRIORITIES=x"
	expect_code "CNI_ARGS with a bad TSN_PRIORITIES" 4 TSN_PRIORITIES
	assert_clean "after every rejected ADD"
	# a datapath that runs with other settings: conflict, and it is left as it was
	proxy start --nic nic0 --ttl 500 >/dev/null || tk_fail "tsnproxy start"
	# shellcheck disable=SC2046
	cni ADD "$ok" $(pod_env 1)
	expect_code "datapath running with other settings" 102 "cannot adopt"
	assert_eq "nothing registered" "$(registrations)" 0
	assert_eq "still running" "$(proxy status --json | jq .config.ttl_ms)" 500
}

# ---- narrowing per pod --------------------------------------------------------------------------
test_cni_narrowing() {
	cni_setup 2
	local p1=/run/netns/tk$TK_TEST_ID-pod1 p2=/run/netns/tk$TK_TEST_ID-pod2
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.0.0 '.priorities = [1,2,3]')" $(pod_env 1) \
		CNI_ARGS="K8S_POD_NAME=a;TSN_PRIORITIES=2-3;IgnoreUnknown=1"
	expect_ok "ADD with CNI_ARGS narrowing"
	assert_eq "CNI_ARGS narrowed" "$(registration "$p1" | jq -r .priorities)" 2,3
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.0.0 '.priorities = [1,2,3] | .runtimeConfig.tsnPriorities = [3]
		| .onDisallowed = "zero"' 2)" $(pod_env 2)
	expect_ok "ADD with runtimeConfig narrowing"
	assert_eq "runtimeConfig narrowed" "$(registration "$p2" | jq -r .priorities)" 3
	assert_eq "onDisallowed" "$(registration "$p2" | jq -r .on_disallowed)" zero
	# shellcheck disable=SC2046
	cni CHECK "$(conf 1.0.0 '.priorities = [1,2,3] | .runtimeConfig.tsnPriorities = [3]
		| .onDisallowed = "zero"' 2)" $(pod_env 2)
	expect_ok "CHECK agrees with the narrowed registration"
}

# ---- pod names ---------------------------------------------------------------------------------
# CNI_ARGS as kubelet's runtimes (containerd, CRI-O) pass them
kubelet_args() { # NAMESPACE NAME CID
	echo "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=$1;K8S_POD_NAME=$2;K8S_POD_INFRA_CONTAINER_ID=$3;K8S_POD_UID=4b1d-$3"
}

# The plugin called as kubelet's runtime calls it records the pod's namespace and name: status
# shows them, tsntrace and tsntop select the pod by --pod NS/NAME and name its netns so; pod2,
# added without a name, keeps its netns name and is not selected. A bad name is refused with
# nothing registered; after DEL the name is gone.
test_cni_pod_names() {
	cni_setup 2
	local ns=tk$TK_TEST_ID-ns port=5001 k out=$TK_TMP/pod.json talkers=()
	local p1=/run/netns/tk$TK_TEST_ID-pod1 p2=/run/netns/tk$TK_TEST_ID-pod2
	tk_listen "$TK_TEST_ID" $port
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 '.priorities = [1,2]' 1)" $(pod_env 1) \
		"$(kubelet_args "$ns" "talker.1" ctr1)"
	expect_ok "ADD pod1 with kubelet's CNI_ARGS"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 '.priorities = [1,2]' 2)" $(pod_env 2) "CNI_ARGS=IgnoreUnknown=1"
	expect_ok "ADD pod2 without a pod name"
	assert_eq "status: pod1's name" "$(registration "$p1" | jq -r .pod)" "$ns/talker.1"
	assert_eq "status: pod2 has none" "$(registration "$p2" | jq -r .pod)" null

	# tsntrace: pod1's packets only, its hops in its netns named after the pod
	tk_trace_start "$out" --json --summary --pod "$ns/talker.1" --dport $port
	tk_talk "$TK_TEST_ID" 1 --port $port --count 5 --priority 1 >/dev/null
	tk_talk "$TK_TEST_ID" 2 --port $port --count 7 --priority 1 >/dev/null
	tk_trace_stop
	assert_eq "tsntrace --pod: exit" "$TK_TRACE_RC" 0
	assert_eq "tsntrace --pod: pod1's packets only" \
		"$(jq -s '[.[] | select(.type == "packet")] | length' "$out")" 5
	assert_eq "tsntrace: the first hop's netns is the pod" \
		"$(jq -s -r '[.[] | select(.type == "packet") | .path[0].netns] | unique | join(",")' \
			"$out")" "$ns/talker.1"

	# tsntop: both pods talk; the flow list names pod1 by its pod, pod2 by its netns. A packet
	# in flight when tsntop attaches is first seen arriving in the listener's netns: its flow
	# is named after that netns (tk<ID>-net), rightly, and left out here.
	for k in 1 2; do
		nsenter --net="/run/netns/tk$TK_TEST_ID-pod$k" -- "$TK_BUILD/talker" \
			--dst "$TK_LISTEN_IP" --port $port --priority 1 --interval-us 2000 \
			--count 100000 --duration 30 >/dev/null 2>&1 &
		talkers+=($!)
		tk_defer "kill $!; wait $!"
	done
	assert_exit "tsntop --dport" 0 "$TK_BUILD/tsntop" --json -d 0.5 --max-iterations 2 \
		--dport $port </dev/null
	flow_names() { # SRC-IP: the names of its flows in tsntop's last sample, but the listener's
		tail -n 1 <<<"$TK_OUT" | jq -r --arg ip "$1" --arg net "tk$TK_TEST_ID-net" \
			'[.flows[] | select(.src == $ip and .netns != $net) | .netns] |
			unique | join(",")'
	}
	assert_eq "tsntop: pod1's flow named after the pod" "$(flow_names "${TK_POD_IP[0]}")" \
		"$ns/talker.1"
	assert_eq "tsntop: pod2's flow by its netns name" "$(flow_names "${TK_POD_IP[1]}")" \
		"tk$TK_TEST_ID-pod2"
	assert_exit "tsntop --pod" 0 "$TK_BUILD/tsntop" --json -d 0.5 --max-iterations 2 \
		--pod "$ns/talker.1" --dport $port </dev/null
	assert_eq "tsntop --pod: pod1's flows only" "$(tail -n 1 <<<"$TK_OUT" |
		jq -r '[.flows[] | .netns] | unique | join(",")')" "$ns/talker.1"
	kill "${talkers[@]}"

	# bad input: one line, exit 2, nothing attached (tsntrace never got to load)
	assert_exit "tsntrace --pod of no pod" 2 "$TK_BUILD/tsntrace" --pod "$ns/nosuch" --count 1
	assert_match "--pod of no pod: says so" "$TK_ERR" "^tsntrace: --pod: no pod '$ns/nosuch'"
	assert_eq "--pod of no pod: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_exit "tsntop --pod a/b/c" 2 "$TK_BUILD/tsntop" --pod a/b/c --once </dev/null
	assert_match "--pod a/b/c: says so" "$TK_ERR" "is not NAMESPACE/NAME"
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 . 1)" CNI_CONTAINERID=ctr3 CNI_NETNS=$p1 CNI_IFNAME=eth0 \
		"CNI_ARGS=K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=a/b"
	expect_code "ADD with a pod name holding a slash" 4 K8S_POD_NAME
	[ ! -e "$(state_dir)/ctr3:eth0" ] || tk_fail "a record of the refused ADD"

	# shellcheck disable=SC2046
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 1)
	expect_ok "DEL pod1"
	assert_exit "tsntrace --pod after DEL" 2 "$TK_BUILD/tsntrace" --pod "$ns/talker.1"
	assert_match "--pod after DEL: no pod" "$TK_ERR" "no pod"

	# a pod whose netns went without a DEL: its record stays, but names no netns any more
	local ghost=tk$TK_TEST_ID-ghost
	ip netns add "$ghost" || tk_fail "ip netns add $ghost"
	tk_defer "ip netns del $ghost 2>/dev/null"
	tk_ns "$ghost" ip link add eth0 type veth peer name eth0p && tk_ns "$ghost" ip link set eth0 up
	cni ADD "$(conf 1.1.0 . 1)" CNI_CONTAINERID=ctrghost "CNI_NETNS=/run/netns/$ghost" \
		CNI_IFNAME=eth0 "$(kubelet_args "$ns" ghost ctrghost)"
	expect_ok "ADD of a pod in a netns of its own"
	assert_exit "tsntrace --pod of the live pod" 0 "$TK_BUILD/tsntrace" --pod "$ns/ghost" \
		--duration 0.2
	ip netns del "$ghost"
	[ -e "$(state_dir)/ctrghost:eth0" ] || tk_fail "the record went without a DEL"
	assert_exit "tsntrace --pod of a netns that is gone" 2 "$TK_BUILD/tsntrace" \
		--pod "$ns/ghost"
	assert_match "gone: no pod" "$TK_ERR" "no pod '$ns/ghost'"
}

# ---- concurrency: two ADDs race on an unloaded datapath ------------------------------------------
test_cni_concurrent_adds() {
	cni_setup 4
	local k pids=()
	for k in 1 2 3 4; do
		# shellcheck disable=SC2046
		(cni ADD "$(conf 1.1.0 . $k)" $(pod_env $k)
		 echo "$CNI_RC" >"$TK_TMP/rc.$k") &
		pids+=($!)
	done
	wait "${pids[@]}"
	for k in 1 2 3 4; do
		assert_eq "ADD pod$k exit" "$(cat "$TK_TMP/rc.$k")" 0
	done
	assert_eq "every pod registered" "$(registrations)" 4
	assert_eq "one restore attachment" "$(proxy status --json | jq '.nics | length')" 1
}

# ---- real traffic --------------------------------------------------------------------------------
# pod1 at priority 1, pod2 at 2
pods_talk() { tk_pod_talk 1 1 $N && tk_pod_talk 2 2 $N; }

# ADD two pods (network config + jq FILTER), their classes at nic0, clamping, DEL, and back to
# best effort
check_cni_traffic_classes() { # FILTER
	cni_setup 2
	tk_listen "$TK_TEST_ID" 5001
	local k
	for k in 1 2; do
		# shellcheck disable=SC2046
		cni ADD "$(conf 1.1.0 ".priorities = [$k] | $1" $k)" $(pod_env $k)
		expect_ok "ADD pod$k with priorities [$k]"
	done
	# pod1's priority 1 in tc1, pod2's priority 2 in tc2
	assert_tc_deltas "registered pods" "1=$N 2=$N" pods_talk
	# pod1 is not allowed priority 2: clamped to its highest allowed below (1)
	assert_tc_deltas "pod1 priority 2 clamped" "1=$N 2=0" tk_pod_talk 1 2 $N
	for k in 1 2; do
		# shellcheck disable=SC2046
		cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env $k)
		expect_ok "DEL pod$k"
	done
	assert_eq "unregistered" "$(registrations)" 0
	assert_tc_deltas "after DEL: back in tc0" "0>=$((2 * N)) 1=0 2=0" pods_talk
	assert_eq "listener got everything" "$(tk_listen_count "$TK_TEST_ID" 5001)" $((5 * N))
}

test_cni_traffic_classes() {
	check_cni_traffic_classes .
}

# saveHook tc: ADD attaches the save program to the pod's eth0 (a pinned tcx link per pod), DEL
# removes it
# A pod with two attachments chained to tsn (eth0, and net1 of a second network): both ADDs
# succeed, the pod stays registered until its last DEL, and each DEL takes its own interface's
# save hook (with the tc hook: one link per interface) and nothing of the other's.
test_cni_two_attachments_one_pod() {
	cni_setup 1
	tk_listen "$TK_TEST_ID" 5001
	local pod=/run/netns/tk$TK_TEST_ID-pod1 links=0
	nsenter --net="$pod" -- ip link add net1 type veth peer name net1p || tk_fail "veth"
	nsenter --net="$pod" -- ip link set net1 up
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD eth0"
	cni ADD "$(conf 1.1.0)" CNI_CONTAINERID=ctr1 CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "ADD net1"
	assert_eq "one registration" "$(registrations)" 1
	assert_eq "the registration names no single interface" \
		"$(proxy status --json | jq '[.policy[] | select(.ifindex? // 0 != 0)] | length')" 0
	[ "$(proxy status --json | jq -r .config.save_hook)" = tc ] && links=2
	assert_eq "save links" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" $links
	assert_eq "eth0 restored with both attachments" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" CNI_CONTAINERID=ctr1 CNI_NETNS="$pod" \
		CNI_IFNAME=net1
	expect_ok "DEL net1"
	assert_eq "still registered" "$(registrations)" 1
	assert_eq "save links after DEL net1" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" \
		$((links / 2))
	assert_eq "eth0 still restored" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N
	# shellcheck disable=SC2046
	cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 1)
	expect_ok "DEL eth0"
	assert_eq "unregistered" "$(registrations)" 0
	assert_eq "no save links" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" 0
	assert_eq "eth0 no longer restored" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" 0
}

# A pod on two TSN networks has the policy of its newest ADD; DEL of that attachment takes its
# network's grant along: the pod falls back to the policy of the newest attachment left (it
# kept the deleted network's priorities before). Judged by nic0's per-class counters.
test_cni_del_takes_its_networks_grant_along() {
	cni_setup 1
	tk_listen "$TK_TEST_ID" 5001
	local pod=/run/netns/tk$TK_TEST_ID-pod1
	nsenter --net="$pod" -- ip link add net1 type veth peer name net1p || tk_fail "veth"
	nsenter --net="$pod" -- ip link set net1 up
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0)" $(pod_env 1)
	expect_ok "ADD eth0, network A: priorities 1"
	cni ADD "$(conf 1.1.0 '.name = "tsnnet-b" | .priorities = [1, 2]')" CNI_CONTAINERID=ctr1 \
		CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "ADD net1, network B: priorities 1, 2"
	assert_eq "with B: priority 2 restored" "$(tk_talk_class "$TK_TEST_ID" 1 2 2 $N)" $N
	cni DEL "$(conf 1.1.0 '.name = "tsnnet-b" | del(.prevResult)')" CNI_CONTAINERID=ctr1 \
		CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "DEL net1"
	assert_eq "still registered" "$(registrations)" 1
	assert_eq "A's policy again" "$(proxy status --json | jq -r '.policy[0].priorities')" 1
	assert_eq "priority 2 no more (clamped to 1)" "$(tk_talk_class "$TK_TEST_ID" 1 2 2 $N)" 0
	assert_eq "priority 1 still" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N

	# a pod denied by hand meanwhile stays denied: DEL narrows a registration, makes none
	cni ADD "$(conf 1.1.0 '.name = "tsnnet-b" | .priorities = [1, 2]')" CNI_CONTAINERID=ctr1 \
		CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "ADD net1 again"
	proxy deny --netns "$pod" >/dev/null || tk_fail "deny by hand"
	cni DEL "$(conf 1.1.0 '.name = "tsnnet-b" | del(.prevResult)')" CNI_CONTAINERID=ctr1 \
		CNI_NETNS="$pod" CNI_IFNAME=net1
	expect_ok "DEL net1 after the deny"
	assert_eq "still unregistered" "$(registrations)" 0
}

# A pod whose interface the runtime recreated (a new device, a new ifindex) has a dead save link:
# CHECK fails, and ADD again repairs it (on main it failed with "Link has been severed" and left
# a link pinned that CHECK then took for healthy). The observer at nic0 tells what the pod's
# packets got. (A removed NIC link: test_cni_check_errors.)
test_cni_dead_attachment_check_fails_add_repairs() {
	cni_setup 1
	local pod=/run/netns/tk$TK_TEST_ID-pod1 cfg
	cfg=$(conf 1.1.0)
	# shellcheck disable=SC2046 # word splitting of the VAR=VALUE list is intended
	{
		cni ADD "$cfg" $(pod_env 1)
		expect_ok "ADD"
		cni CHECK "$cfg" $(pod_env 1)
		expect_ok "CHECK"
		tk_observe_start 6061-6063
		tk_talk "$TK_TEST_ID" 1 --port 6061 --count 50 --priority 1 >/dev/null
		tk_fixture_recreate_pod_link "$TK_TEST_ID" 1
		cni CHECK "$cfg" $(pod_env 1)
		expect_code "CHECK, pod interface recreated" 105 "^the pod's eth0 has no save hook$"
		assert_match "CHECK says why" "$(echo "$CNI_OUT" | jq -r .details)" "recreated"
		tk_talk "$TK_TEST_ID" 1 --port 6062 --count 50 --priority 1 >/dev/null
		cni ADD "$cfg" $(pod_env 1)
		expect_ok "ADD again repairs"
		cni CHECK "$cfg" $(pod_env 1)
		expect_ok "CHECK after the repair"
		assert_eq "one save link, on the new eth0" \
			"$(find "$TK_PIN/links" -name 'save_*' -printf '%f\n')" \
			"save_$(ino "$pod")_$(nsenter --net="$pod" ip -j link show eth0 | jq '.[0].ifindex')"
		tk_talk "$TK_TEST_ID" 1 --port 6063 --count 50 --priority 1 >/dev/null
		tk_observe_stop
		cni DEL "$(conf 1.1.0 'del(.prevResult)')" $(pod_env 1)
		expect_ok "DEL"
	}
	assert_eq "priority 1 restored at nic0" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6061 and .priority == 1')" 50
	assert_eq "interface recreated: priority 0 at nic0" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6062 and .priority == 0')" 50
	assert_eq "after ADD again: priority 1 at nic0" \
		"$(tk_observe_count "$TK_NODE" nic0 '.dport == 6063 and .priority == 1')" 50
	assert_eq "no save link left after DEL" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" 0
}

test_cni_save_hook_tc() {
	tk_require tcx
	check_cni_traffic_classes '.saveHook = "tc"'
	assert_eq "datapath uses the tc save hook" \
		"$(proxy status --json | jq -r .config.save_hook)" tc
	assert_eq "no save links left after DEL" "$(find "$TK_PIN/links" -name 'save_*' | wc -l)" 0
	# the default (auto) means tc on this kernel: it agrees
	cni STATUS "$(conf 1.1.0 'del(.prevResult)')"
	assert_eq "STATUS with the default save hook against a tc datapath" "$CNI_RC" 0
	# a second configuration that disagrees is refused, not silently adopted
	cni STATUS "$(conf 1.1.0 'del(.prevResult) | .saveHook = "tracepoint"')"
	expect_code "STATUS with the tracepoint hook against a tc datapath" 50 "saveHook tracepoint"
}

test_cni_log_file() {
	cni_setup 1
	local log=$TK_TMP/tsn.log
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 ".logFile = \"$log\"")" $(pod_env 1)
	expect_ok "ADD with logFile"
	assert_match "ADD logged" "$(cat "$log")" "ADD ctr1: registered netns"
	assert_eq "stderr quiet" "$CNI_ERR" ""
	# shellcheck disable=SC2046
	cni ADD "$(conf 1.1.0 ".logFile = \"$log\" | .tsnIfname = \"tknonic0\"")" $(pod_env 1)
	expect_code "failing ADD" 101
	assert_match "error logged" "$(cat "$log")" "error 101"
}

# ---- a real runtime: podman (CNI backend) + bridge or ptp, host-local + tsn ----------------------
# Everything of podman's lives under $TK_TMP (config, storage, IPAM leases, plugin dir); podman
# runs in the node netns, so the primary plugin's forwarding switch and its links stay there.
# PRIMARY: bridge (the container on bridge tkcni0, routed to nic0) or ptp (a routed veth, the
# host side holding the gateway address as /32, no bridge: the plugin behind Calico's shape).
podman_setup() { # PRIMARY
	local id=$TK_TEST_ID primary=$1 p primary_conf
	"$TK_ROOT/scripts/deps.sh" cni >/dev/null || tk_fail "scripts/deps.sh cni failed"
	command -v podman >/dev/null || tk_fail "podman is not installed (scripts/deps.sh cni)"
	[ -x "/usr/lib/cni/$primary" ] || tk_fail "no /usr/lib/cni/$primary (scripts/deps.sh cni)"
	PM=$TK_TMP/podman
	mkdir -p "$PM"/{bin,net.d,root,run,ipam}
	for p in "$primary" host-local loopback; do ln -s "/usr/lib/cni/$p" "$PM/bin/$p"; done
	cp "$TK_BUILD/tsn" "$PM/bin/tsn"
	tk_pod_rootfs "$PM/rootfs"
	tk_podman_conf "$PM" "$PM/root" "$PM/run" vfs "$PM/bin" "$PM/net.d"
	# the pod subnet is the fixture's: the TSN network routes it back through nic0
	tk_ns "$TK_NODE" ip addr flush dev br0
	case $primary in
	bridge) primary_conf='{"type": "bridge", "bridge": "tkcni0", "isGateway": true}' ;;
	ptp) primary_conf='{"type": "ptp"}' ;;
	*) tk_fail "podman_setup: unknown primary plugin '$primary'" ;;
	esac
	jq -n --arg pin "$TK_PIN" --arg log "$PM/tsn.log" --arg ipam "$PM/ipam" \
		--arg net "198.18.$id" --argjson primary "$primary_conf" '
		{cniVersion: "1.0.0", name: "tknet", plugins: [
		 $primary + {ipMasq: false,
		  ipam: {type: "host-local", dataDir: $ipam, routes: [{dst: "0.0.0.0/0"}],
			 ranges: [[{subnet: "\($net).0/24", rangeStart: "\($net).100",
				    rangeEnd: "\($net).200", gateway: "\($net).1"}]]}},
		 {type: "tsn", tsnIfname: "nic0", pinDir: $pin, priorities: [1, 2],
		  logFile: $log}]}' >"$PM/net.d/10-tknet.conflist"
	tk_defer "pm rm -af; pm rm -af --storage"
	# libcni's result cache is fixed at /var/lib/cni in this podman: created, then removed
	# again by the test unless it was there before
	[ -e /var/lib/cni ] ||
		tk_defer "rmdir /var/lib/cni/results /var/lib/cni/networks /var/lib/cni"
}

pm() {
	nsenter --net="/run/netns/$TK_NODE" -- env CONTAINERS_CONF="$PM/containers.conf" \
		CONTAINERS_STORAGE_CONF="$PM/storage.conf" CONTAINERS_REGISTRIES_CONF=/dev/null \
		podman --root "$PM/root" --runroot "$PM/run" --cgroup-manager cgroupfs \
		--runtime runc --network-config-dir "$PM/net.d" "$@"
}

# A container on PRIMARY + tsn sends priorities 1 and 2: both reach nic0 restored, judged by
# the observer at nic0 and by nic0's traffic classes; rm unregisters it.
podman_runtime() { # PRIMARY
	cni_setup 1
	podman_setup "$1"
	local backend before after i d1 d2 id=$TK_TEST_ID
	backend=$(pm info --format '{{.Host.NetworkBackend}}' 2>"$TK_TMP/pm.err") ||
		tk_fail "podman info failed: $(cat "$TK_TMP/pm.err")"
	assert_eq "podman network backend" "$backend" cni
	pm network ls --format '{{.Name}}' | grep -qx tknet || tk_fail "podman does not see tknet"
	tk_listen "$id" 5001
	tk_observe_start 5001
	before=$(tk_tc_snapshot)
	pm run -d --name tktalk --network tknet --rootfs "$PM/rootfs" /bin/sh -c \
		"talker --dst 198.19.$id.2 --port 5001 --count $N --priority 1 &&
		 talker --dst 198.19.$id.2 --port 5001 --count $N --priority 2 && sleep 60" \
		>"$TK_TMP/pm.out" 2>"$TK_TMP/pm.err" ||
		tk_fail "podman run failed: $(cat "$TK_TMP/pm.err");" \
			"tsn log: $(cat "$PM/tsn.log" 2>/dev/null)"
	for ((i = 0; i < 100; i++)); do
		after=$(tk_tc_snapshot)
		d1=$(tk_tc_delta "$before" "$after" 1)
		d2=$(tk_tc_delta "$before" "$after" 2)
		[ "$d1" -ge $N ] && [ "$d2" -ge $N ] && break
		sleep 0.1
	done
	tk_observe_stop
	assert_eq "container priority 1 in tc1" "$d1" $N
	assert_eq "container priority 2 in tc2" "$d2" $N
	assert_eq "observer: priority 1 at nic0" \
		"$(tk_observe_count "$TK_NODE" nic0 '.priority == 1')" $N
	assert_eq "observer: priority 2 at nic0" \
		"$(tk_observe_count "$TK_NODE" nic0 '.priority == 2')" $N
	assert_eq "observer: nothing else at nic0" "$(tk_observe_count "$TK_NODE" nic0 true)" \
		$((2 * N))
	assert_eq "one registration (the container's netns)" "$(registrations)" 1
	assert_eq "registered by the plugin" \
		"$(proxy status --json | jq -r '.policy[0].registered_by')" cni
	# podman passes the container's name (K8S_POD_NAME) and no namespace
	assert_eq "status names the container" "$(proxy status --json | jq -r '.policy[0].pod')" \
		tktalk
	assert_match "tsn logged the ADD" "$(cat "$PM/tsn.log")" "ADD [0-9a-f]+: registered netns"
	pm rm -f tktalk >/dev/null 2>"$TK_TMP/pm.err" ||
		tk_fail "podman rm: $(cat "$TK_TMP/pm.err")"
	assert_eq "podman rm: DEL unregistered it" "$(registrations)" 0
	assert_match "tsn logged the DEL" "$(cat "$PM/tsn.log")" "DEL [0-9a-f]+: unregistered"
	[ ! -e "$(state_dir)" ] || tk_fail "records left: $(ls "$(state_dir)")"
	assert_eq "listener got everything" "$(tk_listen_count "$id" 5001)" $((2 * N))
}
test_cni_podman_runtime() { podman_runtime bridge; }
test_cni_podman_runtime_ptp() { podman_runtime ptp; }

# ---- tsn install / uninstall on sample conflists -------------------------------------------
tsn_install() { "$TK_BUILD/tsn" install "$@"; }
last_type() { jq -r '.plugins[-1].type' "$1"; }
tsn_entries() { cat "$@" | jq -s '[.[].plugins[] | select(.type == "tsn")] | length'; }

test_cni_install_samples() {
	local s d f orig sum mtime
	for s in bridge flannel calico; do
		d=$TK_TMP/$s
		mkdir -p "$d"
		f=$d/10-$s.conflist
		cp "$TK_ROOT/tests/cni-samples/10-$s.conflist" "$f"
		# a later file is not the primary; a hidden or foreign file is no config at all
		echo '{"cniVersion":"1.0.0","name":"z","plugins":[{"type":"ptp"}]}' \
			>"$d/99-z.conflist"
		echo 'not json' >"$d/00-notes.txt"
		chmod 600 "$f"
		orig=$(jq -S . "$f")
		assert_exit "$s: install" 0 tsn_install --conf-dir "$d" --nic nic0 \
			--priorities 1,2 --on-disallowed zero
		assert_match "$s: says so" "$TK_OUT" "installed"
		jq . "$f" >/dev/null || tk_fail "$s: result does not parse"
		assert_eq "$s: other plugins intact" "$(jq -S '.plugins[:-1]' "$f")" \
			"$(echo "$orig" | jq -S .plugins)"
		assert_eq "$s: top level intact" "$(jq -S 'del(.plugins)' "$f")" \
			"$(echo "$orig" | jq -S 'del(.plugins)')"
		assert_eq "$s: tsn last" "$(jq -c '.plugins[-1]' "$f")" \
			'{"type":"tsn","tsnIfname":"nic0","priorities":[1,2],"onDisallowed":"zero"}'
		assert_eq "$s: mode kept" "$(stat -c %a "$f")" 600
		assert_eq "$s: later file untouched" "$(tsn_entries "$d/99-z.conflist")" 0
		[ -z "$(find "$d" -name '.*tsn-tmp')" ] || tk_fail "$s: temporary file left"
		# idempotent: same entry, file not rewritten at all
		sum=$(sha256sum <"$f")
		mtime=$(stat -c %Y.%y "$f")
		sleep 0.01
		assert_exit "$s: install again" 0 tsn_install --conf-dir "$d" --nic nic0 \
			--priorities 1,2 --on-disallowed zero
		assert_match "$s: already installed" "$TK_OUT" "already installed"
		assert_eq "$s: unchanged" "$(sha256sum <"$f")" "$sum"
		assert_eq "$s: not rewritten" "$(stat -c %Y.%y "$f")" "$mtime"
		# new settings replace the entry in place
		assert_exit "$s: reinstall with other settings" 0 tsn_install --conf-dir "$d" \
			--nic nic0 --nic nic1 --priorities 3 --pin-dir /sys/fs/bpf/x --ttl-ms 500 \
			--save-hook tc
		assert_eq "$s: one tsn entry" "$(tsn_entries "$f")" 1
		assert_eq "$s: updated" \
			"$(jq -c '.plugins[-1] | [.tsnIfname, .priorities, .ttlMs, .saveHook]' "$f")" \
			'[["nic0","nic1"],[3],500,"tc"]'
		# the entry as the plugin itself parses it: past the config, DEL stops at the env
		CNI_OUT=$(jq -c '.plugins[-1] + {cniVersion: .cniVersion, name: .name}' "$f" |
			env -i CNI_COMMAND=DEL "$TK_BUILD/tsn" 2>/dev/null)
		assert_eq "$s: entry is a valid config" "$(echo "$CNI_OUT" | jq .code)" 4
		assert_exit "$s: uninstall" 0 "$TK_BUILD/tsn" uninstall --conf-dir "$d"
		assert_eq "$s: restored" "$(jq -S . "$f")" "$orig"
		assert_exit "$s: uninstall again" 0 "$TK_BUILD/tsn" uninstall --conf-dir "$d"
		assert_eq "$s: still restored" "$(jq -S . "$f")" "$orig"
	done

	d=$TK_TMP/bridge
	# --conflist picks a file other than the primary
	assert_exit "--conflist" 0 tsn_install --conf-dir "$d" --conflist 99-z.conflist --nic nic0
	assert_eq "--conflist: that file" "$(last_type "$d/99-z.conflist")" tsn
	assert_eq "--conflist: primary untouched" "$(last_type "$d/10-bridge.conflist")" portmap
	assert_exit "--plugin JSON" 0 tsn_install --conf-dir "$d" \
		--plugin '{"type":"tsn","tsnIfname":["eth1"],
			   "restore":["priority","tstamp","mark"]}'
	assert_eq "--plugin: entry" "$(jq -c '.plugins[-1]' "$d/10-bridge.conflist")" \
		'{"type":"tsn","tsnIfname":["eth1"],"restore":["priority","tstamp","mark"]}'
	assert_exit "uninstall from every file" 0 "$TK_BUILD/tsn" uninstall --conf-dir "$d"
	assert_eq "uninstalled everywhere" "$(tsn_entries "$d"/*.conflist)" 0

	# refusals leave the file as it was
	sum=$(sha256sum <"$d/10-bridge.conflist")
	assert_exit "install without a NIC" 1 tsn_install --conf-dir "$d"
	assert_match "names the problem" "$TK_ERR" tsnIfname
	assert_exit "install with a bad save hook" 2 tsn_install --conf-dir "$d" --nic nic0 \
		--save-hook kprobe
	assert_exit "install with a bad priority" 2 tsn_install --conf-dir "$d" --nic nic0 \
		--priorities 99
	assert_exit "install without --conf-dir" 2 tsn_install --nic nic0
	# a number that is no number, an unknown option: one line of ours, nothing half-parsed
	for args in "--wait abc" "--wait -5" "--capacity 12abc" "--ttl-ms 2s" "--bogus 1" \
		"--wait"; do
		# shellcheck disable=SC2086 # args: words
		assert_exit "install $args" 2 tsn_install --conf-dir "$d" --nic nic0 $args
		assert_eq "install $args: one line" "$(wc -l <<<"$TK_ERR")" 1
	done
	assert_match "names the unknown option" "$(tsn_install --conf-dir "$d" --bogus 2>&1)" \
		"unknown option '--bogus'"
	assert_eq "refusals changed nothing" "$(sha256sum <"$d/10-bridge.conflist")" "$sum"
	mkdir -p "$TK_TMP/single"
	echo '{"cniVersion":"0.4.0","name":"one","type":"bridge"}' >"$TK_TMP/single/10-one.conf"
	assert_exit "a single-plugin .conf" 1 tsn_install --conf-dir "$TK_TMP/single" --nic nic0
	assert_match "explains the .conf" "$TK_ERR" "conflist"
	mkdir -p "$TK_TMP/empty"
	assert_exit "empty conf dir" 1 tsn_install --conf-dir "$TK_TMP/empty" --nic nic0
	echo '{"cniVersion":"1.0.0","name":"bad",' >"$TK_TMP/empty/10-bad.conflist"
	assert_exit "broken primary" 1 tsn_install --conf-dir "$TK_TMP/empty" --nic nic0
	assert_match "says where" "$TK_ERR" "10-bad.conflist is not valid JSON"
	# --wait: the primary plugin's installer may come later
	mkdir -p "$TK_TMP/late"
	(sleep 1; cp "$TK_ROOT/tests/cni-samples/10-flannel.conflist" "$TK_TMP/late/") &
	assert_exit "--wait for the primary" 0 tsn_install --conf-dir "$TK_TMP/late" --nic nic0 \
		--wait 10
	wait
	assert_eq "--wait: installed" "$(last_type "$TK_TMP/late/10-flannel.conflist")" tsn
	# ... and may write it in place (cp creates the file empty, then writes it): with --wait a
	# file that does not parse yet is read again until the wait is over
	mkdir -p "$TK_TMP/inplace"
	: >"$TK_TMP/inplace/10-flannel.conflist"
	(sleep 1.5; cat "$TK_ROOT/tests/cni-samples/10-flannel.conflist" \
		>"$TK_TMP/inplace/10-flannel.conflist") &
	assert_exit "--wait for a primary written in place" 0 tsn_install \
		--conf-dir "$TK_TMP/inplace" --nic nic0 --wait 10
	wait
	assert_eq "in place: installed" "$(last_type "$TK_TMP/inplace/10-flannel.conflist")" tsn
	# one that never parses is the error once the wait is over, and is left as it is
	sum=$(md5sum <"$TK_TMP/empty/10-bad.conflist")
	assert_exit "--wait, never valid" 1 tsn_install --conf-dir "$TK_TMP/empty" --nic nic0 \
		--wait 2
	assert_match "--wait, never valid: says where" "$TK_ERR" "10-bad.conflist is not valid JSON"
	assert_eq "--wait, never valid: one line" "$(wc -l <<<"$TK_ERR")" 1
	assert_eq "--wait, never valid: untouched" "$(md5sum <"$TK_TMP/empty/10-bad.conflist")" "$sum"
}

# ---- fuzzing the parser, bounded ----------------------------------------------------------------
test_cni_fuzz_config_parser() {
	"$TK_ROOT/scripts/deps.sh" fuzz >/dev/null || tk_fail "scripts/deps.sh fuzz failed"
	# a private output dir: the corpus of a long run in build/fuzz is not disturbed
	FUZZ_OUT=$TK_TMP/fuzz "$TK_ROOT/tests/fuzz/run.sh" "${TK_FUZZ_SECONDS:-20}" \
		>"$TK_TMP/fuzz.log" 2>&1 || {
		tail -n 40 "$TK_TMP/fuzz.log"
		tk_fail "the fuzzer found a crash (or did not build)"
	}
	assert_match "fuzzer ran" "$(cat "$TK_TMP/fuzz.log")" "Done [0-9]+ runs"
}

# ---- Kubernetes manifests ------------------------------------------------------------------
test_cni_deploy_manifests() {
	/usr/bin/python3 -c 'import yaml' 2>/dev/null || {
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq python3-yaml >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null &&
				apt-get install -y -qq python3-yaml >/dev/null; } ||
			tk_fail "cannot install python3-yaml"
	}
	/usr/bin/python3 - "$TK_ROOT/deploy" <<'PY' || tk_fail "manifest check failed"
import os, re, sys, yaml

d = sys.argv[1]
def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)
def ok(msg):
    print("ok " + msg)

docs = {}
for f in ("daemonset.yaml", "configmap.yaml", "kustomization.yaml"):
    with open(os.path.join(d, f)) as fh:
        loaded = [x for x in yaml.safe_load_all(fh) if x]
    if len(loaded) != 1:
        fail(f"{f}: expected one document, got {len(loaded)}")
    docs[f] = loaded[0]
ok("manifests parse")

cm = docs["configmap.yaml"]
if cm.get("apiVersion") != "v1" or cm.get("kind") != "ConfigMap":
    fail("configmap.yaml is not a v1 ConfigMap")
for key in ("TSN_NIC", "TSN_PRIORITIES", "TSN_ON_DISALLOWED", "TSN_RESTORE", "TSN_PIN_DIR"):
    if not isinstance(cm["data"].get(key), str):
        fail(f"ConfigMap lacks string data {key}")
if not re.fullmatch(r"[0-9,-]+", cm["data"]["TSN_PRIORITIES"]):
    fail("TSN_PRIORITIES is not a priority list")
ok("ConfigMap has the NIC and the policy")

ds = docs["daemonset.yaml"]
if ds.get("apiVersion") != "apps/v1" or ds.get("kind") != "DaemonSet":
    fail("daemonset.yaml is not an apps/v1 DaemonSet")
if ds["metadata"]["namespace"] != cm["metadata"]["namespace"]:
    fail("DaemonSet and ConfigMap in different namespaces")
sel = ds["spec"]["selector"]["matchLabels"]
tmpl = ds["spec"]["template"]
if any(tmpl["metadata"]["labels"].get(k) != v for k, v in sel.items()):
    fail("selector does not match the template labels")
spec = tmpl["spec"]
if spec.get("hostNetwork") is not True:
    fail("hostNetwork is not true")
if not any(t.get("operator") == "Exists" for t in spec.get("tolerations", [])):
    fail("no toleration for every taint: nodes with taints would lack the plugin")
ok("DaemonSet: selector, hostNetwork, tolerations")

all_vols = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
for path in ("/opt/cni/bin", "/etc/cni/net.d", "/sys/fs/bpf", "/run/tsnkit", "/run/netns"):
    if path not in all_vols.values():
        fail(f"no hostPath volume for {path}")
# what install.sh install writes to
vols = {n: p for n, p in all_vols.items() if p in ("/opt/cni/bin", "/etc/cni/net.d", "/sys/fs/bpf")}
init = spec.get("initContainers") or fail("no init container")
inst = init[0]
if inst["securityContext"].get("privileged") is not True:
    fail("init container is not privileged")
mounts = {m["name"]: m for m in inst["volumeMounts"]}
env = {e["name"]: e.get("value") for e in inst.get("env", [])}
host = env.get("HOST", "/host")
for name, path in vols.items():
    if name not in mounts:
        fail(f"init container does not mount {path}")
    if mounts[name]["mountPath"] != host + path:
        fail(f"{path} mounted at {mounts[name]['mountPath']}, install.sh expects {host + path}")
    if mounts[name].get("readOnly"):
        fail(f"{path} is read-only in the init container")
bpffs = [n for n, p in vols.items() if p == "/sys/fs/bpf"][0]
if mounts[bpffs].get("mountPropagation") != "Bidirectional":
    fail("bpffs mount must be Bidirectional, so that a bpffs mounted by install reaches the node")
cmd = inst.get("command", []) + inst.get("args", [])
if cmd[:2] != ["/opt/tsnkit/install.sh", "install"]:
    fail(f"init container runs {cmd}, not install.sh install")
if [r["configMapRef"]["name"] for r in inst.get("envFrom", [])] != [cm["metadata"]["name"]]:
    fail("init container does not take its settings from the ConfigMap")
ok("init container: privileged, mounts, command, settings")

images = {c["image"] for c in init + spec["containers"]}
if len(images) != 1:
    fail(f"containers use different images: {images}")
image = images.pop()
if not re.fullmatch(r"[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?", image):
    fail(f"image '{image}' is not a valid reference")
keep = spec["containers"][0]
if keep.get("command", [])[:2] != ["/opt/tsnkit/install.sh", "keep"]:
    fail("main container does not keep the chaining")
keep_mounts = {m["mountPath"]: m for m in keep["volumeMounts"]}
# the conf and bin dirs for the chaining; for its tsnproxy, tsntrace and tsntop the node's bpffs,
# the plugin's records and the netns at the node's own paths (pin dirs and netns paths are the
# node's), read only but for bpffs
if set(keep_mounts) != {host + "/etc/cni/net.d", host + "/opt/cni/bin", "/sys/fs/bpf",
                        "/run/tsnkit", "/run/netns"}:
    fail(f"main container mounts {sorted(keep_mounts)}")
for path in ("/run/tsnkit", "/run/netns"):
    if not keep_mounts[path].get("readOnly"):
        fail(f"main container may write {path}")
for path in ("/sys/fs/bpf", "/run/netns"):
    if keep_mounts[path].get("mountPropagation") != "HostToContainer":
        fail(f"{path} in the main container must be HostToContainer: new pins and netns appear")
ok(f"image {image}; main container keeps the chaining, sees pins, records and netns")

with open(os.path.join(d, "Containerfile")) as fh:
    cf = fh.read()
froms = re.findall(r"^FROM\s+(\S+)", cf, re.M)
if not froms or not all(f.startswith("debian:") for f in froms):
    fail(f"Containerfile does not build on Debian: {froms}")
for need in ("make", "-static", "/opt/tsnkit/bin/tsn", "/opt/tsnkit/node/tsnproxy",
             "/opt/tsnkit/bin/", "tsntrace", "tsntop", "libmicrohttpd12",
             "/opt/tsnkit/install.sh", "tsnproxy.bpf.o"):
    if need not in cf:
        fail(f"Containerfile lacks {need}")
ok("Containerfile builds static binaries on Debian into /opt/tsnkit")
if set(docs["kustomization.yaml"]["resources"]) != {"configmap.yaml", "daemonset.yaml"}:
    fail("kustomization.yaml does not list the manifests")
ok("kustomization lists the manifests")
PY
	# the init container's script, against a node tree in $TK_TMP, with the ConfigMap's data
	local host=$TK_TMP/host tsnkit=$TK_TMP/opt-tsnkit envs
	mkdir -p "$host/opt/cni/bin" "$host/etc/cni/net.d" "$host/sys/fs/bpf" "$tsnkit/bin" \
		"$tsnkit/node" "$tsnkit/bpf"
	cp "$TK_BUILD/tsn" "$TK_BUILD/tsnproxy" "$tsnkit/bin/"
	cp "$TK_BUILD/tsnproxy" "$tsnkit/node/"
	cp "$TK_BUILD/tsnproxy.bpf.o" "$tsnkit/bpf/"
	cp "$TK_ROOT/tests/cni-samples/10-calico.conflist" "$host/etc/cni/net.d/"
	envs=$(/usr/bin/python3 -c 'import sys, yaml, shlex
d = yaml.safe_load(open(sys.argv[1]))["data"]
print(" ".join(shlex.quote(k + "=" + v) for k, v in d.items()))' "$TK_ROOT/deploy/configmap.yaml")
	# in a netns of its own that has the ConfigMap's NIC: install.sh checks that the node has it
	eval "env HOST=$host TSNKIT=$tsnkit TSN_NO_BPFFS_CHECK=1 $envs unshare --net \
		sh -c 'ip link add eth1 type veth peer name eth1p && exec sh \"\$0\" install' \
		$TK_ROOT/deploy/install.sh" >"$TK_TMP/inst.out" 2>&1 ||
		tk_fail "install.sh install: $(cat "$TK_TMP/inst.out")"
	[ -x "$host/opt/cni/bin/tsn" ] || tk_fail "tsn not copied"
	[ -x "$host/opt/cni/bin/tsnproxy" ] || tk_fail "tsnproxy not copied"
	[ -f "$host/opt/cni/bin/tsnkit/tsnproxy.bpf.o" ] || tk_fail "BPF object not copied"
	assert_eq "install.sh chained tsn with the ConfigMap's settings" \
		"$(jq -c '.plugins[-1] | [.type, .tsnIfname, .priorities, .restore]' \
			"$host/etc/cni/net.d/10-calico.conflist")" \
		'["tsn","eth1",[0,1,2,3,4,5,6,7],["priority","tstamp"]]'
	eval "env HOST=$host TSNKIT=$tsnkit sh $TK_ROOT/deploy/install.sh uninstall" >/dev/null ||
		tk_fail "install.sh uninstall"
	assert_eq "install.sh uninstall" \
		"$(jq -S . "$host/etc/cni/net.d/10-calico.conflist")" \
		"$(jq -S . "$TK_ROOT/tests/cni-samples/10-calico.conflist")"
}
