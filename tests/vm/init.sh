#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the VM lane's initramfs (built by tests/vm/run.sh --prepare). Runs busybox only:
# loads the 9p/overlay modules, makes the host's / (read-only 9p) under a tmpfs overlay the new
# root, mounts the pseudo filesystems the tests need, switches root to it, runs
# /run/tkvm/cmd.sh, writes its exit status to the writable share for the host, powers off. busybox sh has no pipefail;
# every step that matters is checked explicitly.
# shellcheck disable=SC3043 # busybox ash has local
set -eu

export PATH=/bin
NEW=/newroot
IO=/run/tkvm # as seen in the new root

die() {
	echo "vm init: $*" >&2
	# Power off rather than panic: the host then reports "no exit status" instead of hanging.
	poweroff -f
}

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

load_modules() {
	local ko
	while read -r ko; do
		insmod "/modules/$ko" || die "insmod $ko failed"
	done </modules/order
}

# 9p: large msize for throughput under emulation; the read-only host root can be cached
# (nothing changes it behind our back during a test run).
P9=trans=virtio,version=9p2000.L,msize=512000

mount_root() {
	mkdir -p /lower /rw "$NEW"
	mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || die "cannot mount the host root"
	mount -t tmpfs -o mode=0755 tmpfs /rw
	mkdir -p /rw/upper /rw/work
	mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work "$NEW" ||
		die "cannot mount the overlay"
}

mount_guest() {
	mount -t proc proc "$NEW/proc"
	mount -t sysfs sysfs "$NEW/sys"
	mount -t devtmpfs devtmpfs "$NEW/dev"
	# What udev would add: bash's process substitution <(...) needs /dev/fd.
	ln -sfn /proc/self/fd "$NEW/dev/fd"
	ln -sfn /proc/self/fd/0 "$NEW/dev/stdin"
	ln -sfn /proc/self/fd/1 "$NEW/dev/stdout"
	ln -sfn /proc/self/fd/2 "$NEW/dev/stderr"
	mkdir -p "$NEW/dev/pts" "$NEW/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$NEW/dev/pts"
	mount -t tmpfs tmpfs "$NEW/dev/shm"
	mount -t tmpfs -o mode=1777 tmpfs "$NEW/tmp"
	mount -t tmpfs -o mode=0755 tmpfs "$NEW/run"
	mount -t bpf bpf "$NEW/sys/fs/bpf"
	mount -t tracefs tracefs "$NEW/sys/kernel/tracing"
	mount -t debugfs debugfs "$NEW/sys/kernel/debug"
	mount -t cgroup2 cgroup2 "$NEW/sys/fs/cgroup"
	# The host has no /lib/modules for this kernel; the share gives modprobe the real tree.
	mkdir -p "$NEW/lib/modules"
	mount -t 9p -o "$P9,ro" modules "$NEW/lib/modules" || die "cannot mount the modules share"
	mkdir -p "$NEW$IO"
	mount -t 9p -o "$P9,cache=none" tkio "$NEW$IO" || die "cannot mount the io share"
}

# switch_root, not chroot: the kernel's usermode helpers (modprobe for module autoloading by tc
# and ip, core dumps) run in PID 1's root, which must be the host's tree with the guest's
# /lib/modules. After the switch only the host's binaries exist: busybox-static is one of them.
# shellcheck disable=SC2016 # expanded by the stage-2 shell
STAGE2='rc=0
hostname tsnkit-vm
/bin/bash '"$IO"'/cmd.sh || rc=$?
echo "$rc" >'"$IO"'/rc
sync
exec /bin/busybox poweroff -f'

load_modules
mount_root
mount_guest
[ -x "$NEW/bin/busybox" ] || die "the host has no /bin/busybox (scripts/deps.sh vm installs it)"
umount /proc /sys /dev
exec switch_root "$NEW" /bin/busybox sh -c "$STAGE2"
