#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a pcap-filter expression translated by lib/cbpf.c adds per run of the program calling it,
# in both load modes (direct packet loads, bpf_probe_read_kernel): build/pcapbench, baseline
# and filter alternating in the same run, ns from BPF run-time statistics. Prints figures, the
# ratio filter / baseline for each; asserts nothing.
#
#   bench/pcap_filter.sh [--repeat N] [--rounds R]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TK_BUILD:-$root/build}
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--repeat | --rounds) args+=("$1" "$2"); shift 2 ;;
	*) echo "usage: bench/pcap_filter.sh [--repeat N] [--rounds R]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/pcap_filter.sh: run as root" >&2; exit 2; }
[ -x "$build/pcapbench" ] || { echo "bench/pcap_filter.sh: build/pcapbench missing, run make" >&2; exit 2; }

exprs=(
	"udp and dst port 5001"
	"host 10.0.0.1 or host 10.0.0.9"
	"vlan or (ip and tcp[tcpflags] & tcp-syn != 0)"
	"ip6 or (ip[8] > 1 and len > 60 and not port 22)"
)
for mode in direct probe; do
	echo "--- $mode loads"
	"$build/pcapbench" ${args[@]+"${args[@]}"} $([ $mode = probe ] && echo --probe) "${exprs[@]}"
done
