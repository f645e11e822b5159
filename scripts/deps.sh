#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages that the build, the demo and the tests need; only the missing
# ones, quiet when nothing is missing. Also mounts bpffs when the machine has none, since the
# proxy and the tests pin their state there. Idempotent; concurrent runs install one at a time
# (lock: TK_DEPS_LOCK, default /run/lock/tsnkit-deps.lock).
set -euo pipefail

LOCK=${TK_DEPS_LOCK:-/run/lock/tsnkit-deps.lock}
PKGS=(
	clang llvm make gcc pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libjson-c-dev libncurses-dev libpcap0.8-dev libmicrohttpd-dev
	iproute2 iptables iputils-ping tmux util-linux procps kmod jq strace tshark
	python3-jsonschema python3-prometheus-client
)
# Extra sets, asked for by name: "deps.sh cni" adds the runtime test's packages, "deps.sh cni
# daemonset" those of the image build and kube play (tests/integration/test_daemonset.sh),
# "deps.sh bench" the benches' peers (bpftrace).
for extra in "$@"; do
	case "$extra" in
	cni) PKGS+=(podman runc containernetworking-plugins busybox-static) ;;
	daemonset) PKGS+=(debootstrap catatonit python3-yaml) ;;
	vm) PKGS+=(qemu-system-x86 busybox-static xz-utils cpio) ;;
	fuzz) PKGS+=(libclang-rt-14-dev) ;;
	bench) PKGS+=(bpftrace) ;;
	*) echo "deps.sh: unknown package set '$extra'" >&2; exit 2 ;;
	esac
done

find_missing() {
	missing=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
}

bpffs_missing() { [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/fs/bpf; }

find_missing
if ((${#missing[@]})) && [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}) and not root to install them" >&2
	exit 1
fi
if ((${#missing[@]})) || bpffs_missing; then
	# Runs of tsnkit on one machine get here at the same time (.ci/run's host lane beside its
	# guest lanes; a test's extra set beside run.sh's): one works while the others wait, then
	# they look again, so nothing is installed twice and bpffs is not mounted over a run's pins.
	# apt waits for any other dpkg user (an unattended upgrade) the same way.
	exec {lock_fd}>"$LOCK"
	flock -w 900 "$lock_fd" || { echo "deps.sh: gave up waiting for $LOCK" >&2; exit 1; }
	find_missing
	if ((${#missing[@]})); then
		echo "deps.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
		apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
	fi
	if bpffs_missing; then
		mount -t bpf bpf /sys/fs/bpf
	fi
	exec {lock_fd}>&-
fi
