#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# docs/testing.md's kernel matrix is generated from the guest lanes' recorded results
# (tests/vm/results/, tests/vm/matrix.sh): the checked-in tables must be what the generator makes
# of the checked-in results, and the two checks the lanes rely on must really fail on a
# difference. No kernel involved: this is the host lane's half of keeping the matrix true.

KM=$TK_ROOT/tests/vm/matrix.sh

test_kernel_matrix_doc_matches_lane_results() {
	assert_exit "matrix.sh check" 0 "$KM" check
	local n pkg pkgs
	# every guest lane CI runs has its recorded result (.ci/run: VM_LANES, "NAME PACKAGE [ARGS]")
	pkgs=$(sed -n 's/^[[:space:]]*"vm-[^ ]* \(linux-image-[^" ]*\)[^"]*"$/\1/p' "$TK_ROOT/.ci/run")
	assert_ge "guest lanes in .ci/run" "$(echo "$pkgs" | wc -w)" 1
	for pkg in $pkgs; do
		assert_exit "$pkg recorded" 0 test -s "$TK_ROOT/tests/vm/results/$pkg.json"
	done
	n=$(find "$TK_ROOT/tests/vm/results" -name '*.json' | wc -l)
	assert_eq "the table has a row per recorded lane, twice" \
		"$("$KM" table | grep -c '^| `linux-image-')" $((2 * n))
}

# A copy of the docs and the results: a feature that changes in a result fails check until
# update regenerates the table, which then says what changed.
test_kernel_matrix_check_fails_on_stale_doc() {
	local d=$TK_TMP/km f
	mkdir -p "$d/results"
	cp "$TK_ROOT/docs/testing.md" "$d/testing.md"
	cp "$TK_ROOT"/tests/vm/results/*.json "$d/results/"
	f=$(find "$d/results" -name '*.json' | sort | head -n 1)
	assert_exit "unchanged copy" 0 "$KM" --results "$d/results" --doc "$d/testing.md" check
	jq '.features.tcx = (.features.tcx | not)' "$f" >"$d/x" && mv "$d/x" "$f"
	assert_exit "a result's tcx flipped: check" 1 "$KM" --results "$d/results" \
		--doc "$d/testing.md" check
	assert_match "it says what to do" "$TK_OUT" "matrix.sh update"
	assert_exit "update" 0 "$KM" --results "$d/results" --doc "$d/testing.md" update
	assert_exit "check after update" 0 "$KM" --results "$d/results" --doc "$d/testing.md" check
	assert_eq "only the matrix lines changed" \
		"$(diff "$TK_ROOT/docs/testing.md" "$d/testing.md" | grep -c '^[<>]')" 2
}

# The lane's half: a lane result that differs from its package's recorded one (a feature, a new
# skip) fails compare; the same result with only another kernel release passes.
test_kernel_matrix_compare_fails_on_changed_lane() {
	local d=$TK_TMP/km f
	mkdir -p "$d"
	f=$(find "$TK_ROOT/tests/vm/results" -name '*.json' | sort | head -n 1)
	jq '.kernel = "9.9.9-newer"' "$f" >"$d/release.json"
	assert_exit "another kernel release" 0 "$KM" compare "$d/release.json"
	jq '.features.kern_ctx = (.features.kern_ctx | not)' "$f" >"$d/feature.json"
	assert_exit "a feature changed" 1 "$KM" compare "$d/feature.json"
	assert_match "names it" "$TK_OUT" '"kern_ctx"'
	jq '.skipped += ["test_enforce_vm:test_new_skip"]' "$f" >"$d/skip.json"
	assert_exit "a new skip" 1 "$KM" compare "$d/skip.json"
	assert_match "names it" "$TK_OUT" "test_new_skip"
	jq '.package = "linux-image-unknown"' "$f" >"$d/unknown.json"
	assert_exit "a package never recorded" 1 "$KM" compare "$d/unknown.json"
	assert_match "says how to record it" "$TK_OUT" "matrix.sh record"
}
