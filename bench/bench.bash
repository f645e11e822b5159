# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the fixture benchmarks (bench/tsntrace.sh, bench/tsntop.sh; bench/enforce.sh uses
# only the helpers below bench_init); not a benchmark itself
# (bench/run.sh runs *.sh only). Sets N, ROUNDS and ID from --packets/--rounds/--id (defaults
# given by the caller), checks root, and loads tests/lib.sh with a temp dir and the cleanup
# stack run at exit, like a test.
#
#   source bench/bench.bash; bench_init NAME DEFAULT_N DEFAULT_ROUNDS DEFAULT_ID "$@"

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TK_ROOT=$BENCH_ROOT TK_BUILD=${TK_BUILD:-$BENCH_ROOT/build}

bench_init() { # NAME DEFAULT_N DEFAULT_ROUNDS DEFAULT_ID ARGS...
	local name=$1
	N=$2
	ROUNDS=$3
	ID=$4
	shift 4
	while [ $# -gt 0 ]; do
		case $1 in
		--packets) N=$2; shift 2 ;;
		--rounds) ROUNDS=$2; shift 2 ;;
		--id) ID=$2; shift 2 ;;
		*) echo "usage: bench/$name [--packets N] [--rounds R] [--id ID]" >&2; exit 2 ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "bench/$name: run as root" >&2; exit 2; }
	TK_TEST_ID=$ID
	# shellcheck source=tests/lib.sh
	source "$TK_ROOT/tests/lib.sh"
	TK_TMP=$(mktemp -d /tmp/tk-bench.XXXXXX)
	trap tk_run_deferred EXIT
}

# pps of one flood of N datagrams from pod1 to the listener on PORT, as fast as it can send
bench_pps() { # PRIORITY
	local t0 t1
	t0=$(date +%s%N)
	tk_talk "$ID" 1 --port "$PORT" --count "$N" --interval-us 0 --priority "$1" >/dev/null
	t1=$(date +%s%N)
	echo $((N * 1000000000 / (t1 - t0)))
}

# A / B with three decimals: the figure every ratio part reports
bench_ratio() { # A B
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'
}

# Median of the numbers given, 0 for none
bench_median() { # NUMBERS...
	printf '%s\n' "$@" | sort -g |
		awk 'NF {a[++n] = $1} END {if (n) print a[int((n + 1) / 2)]; else print 0}'
}

# Start CMD in the background (stdout to OUT, stderr to ERR), killed at exit; wait until WAIT is
# a non-empty file (a ready file, a first output line). The pid is in BG_PID.
bench_bg() { # WAIT OUT ERR CMD...
	local wait=$1 out=$2 err=$3
	shift 3
	rm -f "$wait"
	"$@" >"$out" 2>"$err" &
	BG_PID=$!
	tk_defer "kill $BG_PID"
	while [ ! -s "$wait" ]; do
		kill -0 "$BG_PID" 2>/dev/null || { cat "$err"; exit 1; }
		sleep 0.02
	done
}
