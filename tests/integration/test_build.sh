#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The build as a packager runs it: with CFLAGS, CPPFLAGS and LDFLAGS of their own (Debian's
# dpkg-buildflags, another -O level), every binary still builds under the Makefile's -Werror,
# and the flags reach the compiler and the linker. Each build is in a directory of the test's
# own; the run's BPF objects and skeletons are linked in (up to date: make follows the links),
# so only the C is compiled again.

build_targets() { # NAME TARGETS MAKE-VARIABLE...: build TARGETS (binaries, or all) in $TK_TMP/NAME
	local dir=$TK_TMP/$1 targets=() t f
	for t in $2; do
		[ "$t" = all ] && targets+=(all) || targets+=("$dir/$t")
	done
	shift 2
	mkdir -p "$dir"
	for f in "$TK_BUILD"/*.bpf.o "$TK_BUILD"/*.skel.h; do
		ln -s "$f" "$dir/"
	done
	make -C "$TK_ROOT" --no-print-directory -j"$(nproc)" BUILD="$dir" "$@" "${targets[@]}" \
		>"$TK_TMP/make.out" 2>&1 ||
		tk_fail "make $*: $(grep -m1 -E 'error|Error' "$TK_TMP/make.out")"
}
build_with() { build_targets "$1" all "${@:2}"; } # NAME MAKE-VARIABLE...: every binary

# Debian's flags for a package build (dpkg-buildflags on bookworm, with bindnow hardening)
test_build_with_debian_flags() {
	local dir=$TK_TMP/debian
	build_with debian \
		CFLAGS="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security" \
		CPPFLAGS="-D_FORTIFY_SOURCE=2" LDFLAGS="-Wl,-z,relro -Wl,-z,now"
	# CPPFLAGS reached the compiler: fortified libc calls; LDFLAGS the linker: bound at load
	assert_ne "tsnproxy's fortified calls" \
		"$(nm -D "$dir/tsnproxy" | grep -cE ' __[a-z]+_chk(@|$)')" 0
	assert_match "tsnproxy bound now" "$(readelf -d "$dir/tsnproxy")" 'FLAGS.*BIND_NOW'
	assert_match "tsntrace bound now" "$(readelf -d "$dir/tsntrace")" 'FLAGS.*BIND_NOW'
}

# GCC's flow-dependent warnings (-Wformat-truncation, -Wmaybe-uninitialized) differ per -O level
test_build_at_other_optimisation_levels() {
	build_with O1 CFLAGS="-g -O1"
	echo "ok built at -O1"
	build_with O3 CFLAGS="-g -O3"
	echo "ok built at -O3"
}

# The binaries built with AddressSanitizer and UndefinedBehaviorSanitizer (make SANITIZE=1), any
# finding fatal (exit 86; leaks at exit too): the unit tests, bad input, and a real run on the
# fixture (enforce mode restoring a pod's priority to nic0's class 1, tsntrace following the
# packets, tsntop's frame, status, stop; then the CNI plugin's ADD and DEL of the pod) find
# nothing.
test_build_sanitized() {
	local pod N=20 cfg talker
	build_targets san "tsntrace tsntop tsnproxy tsn talker test_unit" SANITIZE=1
	export ASAN_OPTIONS=exitcode=86:detect_leaks=1 UBSAN_OPTIONS=exitcode=86:print_stacktrace=1
	TK_BUILD=$TK_TMP/san
	assert_exit "unit tests" 0 "$TK_BUILD/test_unit"
	assert_exit "tsnproxy features" 0 "$TK_BUILD/tsnproxy" features --json
	assert_exit "tsnproxy start --nic without its argument" 2 "$TK_BUILD/tsnproxy" start --nic
	assert_exit "tsntrace with an unknown flag" 2 "$TK_BUILD/tsntrace" --no-such-flag
	assert_exit "tsntrace with a bad pcap expression" 2 "$TK_BUILD/tsntrace" udp port x
	assert_exit "tsntop with a bad interval" 2 "$TK_BUILD/tsntop" --delay x

	tk_fixture_up "$TK_TEST_ID" 1
	tk_listen "$TK_TEST_ID" 5001
	pod=tk$TK_TEST_ID-pod1
	proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	assert_exit "tsnproxy start" 0 proxy start --nic nic0
	assert_exit "tsnproxy allow" 0 proxy allow --netns "$pod" --priorities 1
	tk_trace_start "$TK_TMP/trace.out" --netns "$pod" --dport 5001 --expect priority --count $N
	assert_eq "restored: nic0's class 1" "$(tk_talk_class "$TK_TEST_ID" 1 1 1 $N)" $N
	tk_trace_stop
	assert_eq "tsntrace: every packet kept its priority to the NIC, exit" "$TK_TRACE_RC" 0
	# sending until killed: the sanitized tsntop takes its time to attach
	nsenter --net="/run/netns/$pod" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" --port 5001 \
		--priority 1 --count 1000000 --interval-us 2000 --duration 60 >/dev/null 2>&1 &
	talker=$!
	tk_defer "kill $talker; wait $talker"
	assert_exit "tsntop --once" 0 env -u TERM "$TK_BUILD/tsntop" --nic "nic0@$TK_NODE" \
		--netns "$pod" --pin-dir "$TK_PIN" --tc-map 0,1,2,3 --once -d 1
	assert_match "tsntop: the pod's flow, restored" "$TK_OUT" "$pod/eth0 +udp .* restored"
	assert_exit "tsnproxy status" 0 proxy status --json
	assert_exit "tsnproxy deny" 0 proxy deny --netns "$pod"
	assert_exit "tsnproxy stop" 0 proxy stop

	# the plugin as a runtime runs it (a clean environment but the sanitizers' options)
	local state=/run/tsnkit/cni/sys_fs_bpf_tk$TK_TEST_ID
	tk_defer "rm -rf $state $state.statedir"
	cfg=$(jq -nc --arg pin "$TK_PIN" --arg ns "/run/netns/$pod" '{cniVersion: "1.1.0",
		name: "tsnnet", type: "tsn", tsnIfname: "nic0", pinDir: $pin, priorities: [1],
		prevResult: {cniVersion: "1.1.0", interfaces: [{name: "eth0", sandbox: $ns}]}}')
	# shellcheck disable=SC2317 # called through assert_exit
	plugin() { # VERB CONFIG
		printf '%s' "$2" | nsenter --net="/run/netns/$TK_NODE" -- env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" \
			UBSAN_OPTIONS="$UBSAN_OPTIONS" CNI_COMMAND="$1" CNI_CONTAINERID=ctr1 \
			CNI_NETNS="/run/netns/$pod" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
			"$TK_BUILD/tsn"
	}
	assert_exit "tsn: a configuration that is not JSON" 1 plugin ADD '{"cniVersion": '
	assert_exit "tsn ADD" 0 plugin ADD "$cfg"
	assert_eq "tsn ADD: registered by cni" "$(proxy status --json |
		jq -r '.policy[] | .registered_by')" cni
	assert_exit "tsn DEL" 0 plugin DEL "$(jq -c 'del(.prevResult)' <<<"$cfg")"
	assert_eq "tsn DEL: unregistered" "$(proxy status --json | jq '[.policy[]?] | length')" 0
}
