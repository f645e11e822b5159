#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build and run the libFuzzer target of the tsn CNI plugin's parser (fuzz_cni_config.c).
#   tests/fuzz/run.sh [SECONDS]     default 300; the test suite runs it for 20 s
#   FUZZ_OUT=DIR                    where the binary, corpus and crashes go (build/fuzz)
# Needs clang's libFuzzer runtime (scripts/deps.sh fuzz: libclang-rt-14-dev). The corpus grows
# in build/fuzz/corpus (seeded from tests/fuzz/corpus); a crash leaves build/fuzz/crash-* and
# makes this exit non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TK_BUILD:-$ROOT/build}
SECS=${1:-300}
OUT=${FUZZ_OUT:-$BUILD/fuzz}
CLANG=${CLANG:-clang}

[ -f "$BUILD/libtsnkit.a" ] || { echo "fuzz: $BUILD/libtsnkit.a is not built (make)" >&2; exit 2; }
mkdir -p "$OUT/corpus"
# shellcheck disable=SC2046 # pkg-config prints a word list
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -D_GNU_SOURCE -Wall -Werror -Wno-unused-parameter \
	-I"$BUILD" -I"$ROOT/progs" -I"$ROOT/lib" -I"$ROOT/proxy/cni" \
	"$ROOT/tests/fuzz/fuzz_cni_config.c" "$ROOT/proxy/cni/config.c" "$BUILD/libtsnkit.a" \
	$(pkg-config --libs libbpf json-c) -lelf -lz -o "$OUT/fuzz_cni_config"
cp -n "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/"
cd "$OUT"
# -rss_limit/-max_len keep a run inside the machine; leaks count as failures
exec ./fuzz_cni_config -max_total_time="$SECS" -max_len=8192 -rss_limit_mb=2048 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$OUT/" corpus
