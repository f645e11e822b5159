#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench`: every benchmark under bench/, one after the other (they share the 2 cores, so
# never in parallel). Benchmarks print figures; they assert nothing.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$dir"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b") ==="
	"$b" || rc=1
done
exit "$rc"
