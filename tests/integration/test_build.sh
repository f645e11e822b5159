#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The build as a packager runs it: with CFLAGS, CPPFLAGS and LDFLAGS of their own (Debian's
# dpkg-buildflags, another -O level), every binary still builds under the Makefile's -Werror,
# and the flags reach the compiler and the linker. Each build is in a directory of the test's
# own; the run's BPF objects and skeletons are linked in (up to date: make follows the links),
# so only the C is compiled again.

build_with() { # NAME MAKE-VARIABLE...: build every binary into $TK_TMP/NAME
	local dir=$TK_TMP/$1 f
	shift
	mkdir -p "$dir"
	for f in "$TK_BUILD"/*.bpf.o "$TK_BUILD"/*.skel.h; do
		ln -s "$f" "$dir/"
	done
	make -C "$TK_ROOT" --no-print-directory -j"$(nproc)" BUILD="$dir" "$@" all \
		>"$TK_TMP/make.out" 2>&1 || tk_fail "make $*: $(grep -m1 -E 'error|Error' "$TK_TMP/make.out")"
}

# Debian's flags for a package build (dpkg-buildflags on bookworm, with bindnow hardening)
test_build_with_debian_flags() {
	local dir=$TK_TMP/debian
	build_with debian CFLAGS="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security" \
		CPPFLAGS="-D_FORTIFY_SOURCE=2" LDFLAGS="-Wl,-z,relro -Wl,-z,now"
	# CPPFLAGS reached the compiler: fortified libc calls; LDFLAGS the linker: bound at load
	assert_ne "tsnproxy's fortified calls" "$(nm -D "$dir/tsnproxy" | grep -cE ' __[a-z]+_chk(@|$)')" 0
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
