#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# VM test lane: boot Debian's 6.12 kernel under qemu (software emulation) on top of this host's
# own root filesystem, and run a command from the repo in it. The host kernel lacks kprobes,
# fprobe, fentry, taprio/etf/mqprio, VLAN and netkit; the guest kernel has them all.
#
#   tests/vm/run.sh --prepare                   download + unpack the kernel, build the initramfs
#   tests/vm/run.sh [OPTS] -- CMD [ARGS...]     run CMD in the VM (cwd = repo), exit with its status
#   tests/vm/run.sh [OPTS] --shell              interactive shell in the VM (Ctrl-A x quits qemu)
#   tests/vm/run.sh [OPTS] --lane [LANE ARGS]   run tests/vm/test_*.sh in the VM: tests/vm/lane.sh
#                                               [--scope all|rt] [-k PAT] [-v]
#   OPTS: --kernel DIR   a cache dir made by --prepare (default: the newest one for the package)
#         --timeout SECS qemu is killed after this long (default 2400 with --lane, else 1200;
#                        env TK_VM_TIMEOUT)
#
# Environment: TK_VM_KERNEL_PKG  kernel meta-package to resolve (default linux-image-6.12-amd64)
#              TK_VM_ACCEL       qemu accelerator: auto (default: kvm if a probe boot works
#                                there, else tcg), kvm, tcg, tcg,thread=single, ...
#              TK_VM_DIR         work dir (default build/vm); TK_* variables are passed to the guest
#              TK_VM_LOCK        lock serializing VMs machine-wide (default /run/lock/tsnkit-vm.lock)
#
# Layout of the guest: / is an overlay of the host's / (9p, read-only) under a tmpfs, so the
# guest runs the host's binaries and sees the repo at the same path, and nothing it writes
# reaches the host except through /run/tkvm (a writable 9p share of a per-run dir under
# build/vm/). The guest's modules come from a second read-only 9p share at /lib/modules.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM_DIR=${TK_VM_DIR:-$ROOT/build/vm}
CACHE=$VM_DIR/cache
KERNEL_PKG=${TK_VM_KERNEL_PKG:-linux-image-6.12-amd64}
TIMEOUT=${TK_VM_TIMEOUT:-}	# default by mode, in main
# Modules the initramfs needs to mount the host; modprobe adds their dependencies and skips
# the built-in ones.
BOOT_MODULES=(virtio_pci netfs 9pnet 9pnet_virtio 9p overlay) # virtio_pci: built in on 6.12, not 6.1
LOCK=${TK_VM_LOCK:-/run/lock/tsnkit-vm.lock}
GUEST_IO=/run/tkvm # where the per-run share appears inside the guest

die() { echo "vm: $*" >&2; exit 2; }
note() { echo "vm: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- prepare: kernel package -> cache dir ----------------------------------------------------

# Sets KPKG (versioned image package), KPKG_VER and KREL (uname -r of the guest) from the
# meta-package's dependency, using only the host's configured apt sources.
resolve_kernel() {
	KPKG=$(apt-cache depends --important "$KERNEL_PKG" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [ -z "$KPKG" ]; then
		note "$KERNEL_PKG is not in the configured apt sources; reachable kernel meta-packages:"
		apt-cache search --names-only '^linux-image-[0-9.]+-amd64$' >&2 || true
		die "set TK_VM_KERNEL_PKG to one of them (third-party sources are not used)"
	fi
	KPKG_VER=$(apt-cache policy "$KPKG" | awk '$1 == "Candidate:" { print $2 }')
	if [ -z "$KPKG_VER" ] || [ "$KPKG_VER" = "(none)" ]; then die "no candidate version for $KPKG"; fi
	KREL=${KPKG#linux-image-}
}

# apt-get download into the cache dir; refreshes stale package lists once (a security update
# removes the old .deb from the mirror).
download_kernel() { # dir
	local dir=$1 opts=(-q -o APT::Sandbox::User=root)
	if ! (cd "$dir" && apt-get "${opts[@]}" download "$KPKG=$KPKG_VER" >/dev/null); then
		note "download failed; refreshing apt lists and retrying"
		apt-get update -qq >/dev/null
		resolve_kernel
		(cd "$dir" && apt-get "${opts[@]}" download "$KPKG=$KPKG_VER" >/dev/null)
	fi
}

# Unpack without installing: installing would pull initramfs-tools and touch the host's /boot.
unpack_kernel() { # dir
	local dir=$1 deb
	deb=$(ls "$dir"/linux-image-*.deb)
	rm -rf "$dir/root"
	dpkg-deb -x "$deb" "$dir/root"
	depmod -b "$dir/root" "$KREL"
	rm -f "$deb" # 100+ MB, and the unpacked tree is all we use
}

# What the initramfs is made of besides the kernel: rebuilt when this changes.
initramfs_key() {
	{ cat "$ROOT/tests/vm/init.sh"; echo "${BOOT_MODULES[*]}"; } | sha256sum | cut -c1-16
}

# Initramfs: static busybox, /init, and the decompressed boot modules in load order.
build_initramfs() { # dir
	local dir=$1 st=$1/initramfs.d m path ko
	rm -rf "$st"
	mkdir -p "$st"/{bin,dev,proc,sys,modules}
	cp /bin/busybox "$st/bin/busybox"
	install -m 0755 "$ROOT/tests/vm/init.sh" "$st/init"
	# The kernel opens /dev/console for init before anything is mounted.
	mknod -m 600 "$st/dev/console" c 5 1
	: >"$st/modules/order"
	for m in "${BOOT_MODULES[@]}"; do
		modprobe -d "$dir/root" -S "$KREL" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r path; do
		ko=$(basename "${path%.xz}")
		case "$path" in
		*.ko.xz) xz -dc "$path" >"$st/modules/$ko" ;; # busybox insmod cannot read .ko.xz (6.12)
		*.ko) cp "$path" "$st/modules/$ko" ;;          # 6.1 ships them uncompressed
		*) die "cannot put $path in the initramfs (unknown compression)" ;;
		esac
		echo "$ko" >>"$st/modules/order"
	done
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$dir/initramfs.cpio.gz.tmp"
	mv "$dir/initramfs.cpio.gz.tmp" "$dir/initramfs.cpio.gz"
	initramfs_key >"$dir/initramfs.key"
	rm -rf "$st"
}

initramfs_current() { # dir
	[ -s "$1/initramfs.cpio.gz" ] && [ "$(cat "$1/initramfs.key" 2>/dev/null)" = "$(initramfs_key)" ]
}

prepare() {
	local t0 dir stamp
	t0=$(now)
	"$ROOT/scripts/deps.sh" vm
	resolve_kernel
	dir=$CACHE/$KREL
	stamp="$KPKG $KPKG_VER"
	mkdir -p "$dir"
	if [ "$(cat "$dir/package" 2>/dev/null)" != "$stamp" ] || [ ! -d "$dir/root/lib/modules/$KREL" ]; then
		note "fetching $KPKG $KPKG_VER"
		rm -f "$dir/package" "$dir/initramfs.cpio.gz" "$dir"/*.deb
		download_kernel "$dir"
		unpack_kernel "$dir"
		echo "$stamp" >"$dir/package"
	fi
	if ! initramfs_current "$dir"; then
		note "building initramfs"
		build_initramfs "$dir"
	fi
	ln -sfn "$KREL" "$CACHE/$KERNEL_PKG"
	note "kernel $KREL ($KPKG $KPKG_VER) ready in ${dir#"$ROOT"/} ($(elapsed "$t0")s)"
}

# ---- run ---------------------------------------------------------------------------------------

# Picks the kernel dir: --kernel, else the last one prepared for the package, else prepare now.
kernel_dir() {
	if [ -n "$KDIR" ]; then
		[ -f "$KDIR/initramfs.cpio.gz" ] || die "$KDIR is not a prepared kernel dir (run --prepare)"
	elif initramfs_current "$CACHE/$KERNEL_PKG"; then
		KDIR=$CACHE/$KERNEL_PKG
	else
		prepare
		KDIR=$CACHE/$KERNEL_PKG
	fi
	KDIR=$(cd "$KDIR" && pwd -P)
	# "linux-image-6.12.117+deb12-amd64 6.12.117-1~deb12u1": the package name ends in uname -r.
	KREL=$(awk '{ sub(/^linux-image-/, "", $1); print $1 }' "$KDIR/package")
}

# The guest runs $GUEST_IO/cmd.sh; it sets up the environment and execs the command.
write_cmd() { # mode args...
	local mode=$1 f=$IO/cmd.sh v
	shift
	{
		echo "# generated by tests/vm/run.sh"
		echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		echo "export HOME=/root LANG=C.UTF-8 TK_IN_VM=1 TK_VM_IO=$GUEST_IO"
		echo "export TK_VM_KERNEL_PKG=$(printf %q "$KERNEL_PKG")"
		# Forward the test knobs (TK_TEST_TIMEOUT, ...), never the host's whole environment.
		for v in $(compgen -e | grep '^TK_' || true); do
			case "$v" in TK_IN_VM | TK_VM_IO | TK_VM_DIR | TK_VM_KERNEL_PKG) continue ;; esac
			echo "export $v=$(printf %q "${!v}")"
		done
		echo "ip link set lo up"
		echo "cd $(printf %q "$ROOT") || exit 1"
		case "$mode" in
		shell)
			echo "export TERM=$(printf %q "${TERM:-vt100}")"
			# The serial console does not know the terminal size.
			if [ -t 0 ] && size=$(stty size 2>/dev/null); then
				echo "stty rows ${size% *} cols ${size#* } </dev/ttyS0"
			fi
			echo "echo 'tsnkit VM: $KREL, host / read-only + tmpfs overlay; exit or Ctrl-D to stop'"
			# ttyS0, not /dev/console, so that bash gets a controlling tty and job control.
			echo "exec setsid -c bash -i <>/dev/ttyS0 >&0 2>&0"
			;;
		run)
			echo "export TERM=dumb"
			printf 'exec'
			printf ' %q' "$@"
			echo
			;;
		esac
	} >"$f"
}

qemu_cmd() {
	local cpu=max
	# -cpu max under kvm asks for MSRs a nested hypervisor may refuse; host is what kvm runs
	[ "${ACCEL%%,*}" = kvm ] && cpu=host
	QEMU=(qemu-system-x86_64 -accel "$ACCEL" -cpu "$cpu" -smp 2 -m 2G -nographic
		-no-user-config -no-reboot -vga none -nic none
		# qboot: a minimal firmware that boots -kernel faster than SeaBIOS and, unlike it,
		# draws no banner and escape codes on the serial console.
		-bios qboot.rom
		-kernel "$KDIR/root/boot/vmlinuz-$KREL" -initrd "$KDIR/initramfs.cpio.gz"
		-append "console=ttyS0 panic=-1 quiet loglevel=5"
		# multidevs=remap: / spans several host filesystems; avoids inode number clashes.
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$KDIR/root/lib/modules,mount_tag=modules,security_model=none,readonly=on"
		-virtfs "local,path=$IO,mount_tag=tkio,security_model=none"
		-pidfile "$IO.pid")
}

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	local pid
	if [ -n "${IO:-}" ]; then
		# The VM must never outlive us, whatever happened.
		pid=$(cat "$IO.pid" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			sleep 1
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -rf "$IO" "$IO.pid"
	fi
}

# One VM at a time on the machine, from any clone: the host has two cores shared with builds
# and other tests.
take_lock() {
	mkdir -p "$VM_DIR"
	exec {LOCKFD}>"$LOCK"
	if ! flock -n "$LOCKFD"; then
		note "another VM is running; waiting for it"
		flock -w "$TIMEOUT" "$LOCKFD" || die "gave up waiting for the other VM"
	fi
	# Holding the lock, no VM runs: io dirs left by a run that was SIGKILLed are stale.
	rm -rf "$VM_DIR"/io.*
}

# Boots, runs cmd.sh, returns the guest command's exit status (124: timeout, 125: no status).
boot() { # mode
	local mode=$1 t0 rc=0 tpid qpid wpid fd
	IO=$(mktemp -d "$VM_DIR/io.XXXXXX")
	# a lane resumed after a crash: the logs and outcomes of the tests that finished
	if [ -n "${SEED_LOGS:-}" ] && [ -d "$SEED_LOGS" ]; then
		cp -a "$SEED_LOGS" "$IO/test-logs"
	fi
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	qemu_cmd
	write_cmd "$mode" "${CMD[@]}"
	mkdir -p "$VM_DIR/logs"
	t0=$(now)
	note "booting $KREL ($ACCEL, timeout ${TIMEOUT}s)"
	if [ "$mode" = shell ]; then
		# Foreground, on the terminal. --foreground keeps qemu on the tty's process group.
		timeout --foreground --kill-after=10 "$TIMEOUT" "${QEMU[@]}" || rc=$?
	else
		# Background + wait, so that a signal runs the trap at once; stdin is not qemu's.
		# The serial console ends lines with \r\n. Line-buffered, so that watch_oops sees it live.
		: >"$VM_DIR/logs/console.log"	# before watch_oops reads it, not when tee gets to it
		exec {fd}> >(stdbuf -oL tr -d '\r' | tee "$VM_DIR/logs/console.log")
		tpid=$!
		timeout --kill-after=10 "$TIMEOUT" "${QEMU[@]}" </dev/null >&"$fd" 2>&1 &
		qpid=$!
		watch_oops "$qpid" &
		wpid=$!
		wait "$qpid" || rc=$?
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		exec {fd}>&-
		wait "$tpid" 2>/dev/null || true
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		note "timed out after ${TIMEOUT}s; qemu killed"
		return 124
	fi
	[ "$rc" = 0 ] || note "qemu exited $rc"
	if [ -d "$IO/test-logs" ]; then
		rm -rf "$VM_DIR/test-logs"
		mv "$IO/test-logs" "$VM_DIR/test-logs"
	fi
	if [ -s "$IO/rc" ] && [ "$mode" != shell ] &&
		grep -qE "$OOPS_RE" "$VM_DIR/logs/console.log"; then
		# The kernel survived an oops: what ran after it tested a broken kernel, not tsnkit.
		note "the guest kernel oopsed (see the console); its exit status $(cat "$IO/rc") is void"
		rm -f "$IO/rc"
	fi
	if [ -s "$IO/rc" ]; then
		rc=$(cat "$IO/rc")
	else
		note "the guest reported no exit status, or oopsed (kernel panic, oops, early boot failure?)"
		# keep the console of a failed boot (not of a failed accelerator probe): the next
		# run overwrites console.log
		[ "${PROBE:-0}" = 1 ] || cp "$VM_DIR/logs/console.log" "$VM_DIR/logs/console.failed.$(date +%Y%m%d-%H%M%S).log"
		note "console kept in $VM_DIR/logs/console.failed.*.log"
		rc=125
	fi
	note "guest exited $rc after $(elapsed "$t0")s (boot + command + poweroff)"
	return "$rc"
}

# A kernel line that voids a run: what ran after it tested a broken kernel, not tsnkit. A soft
# lockup is one too: a CPU stuck in the kernel for 20 s and more never comes back under TCG.
OOPS_RE='\] (Oops|BUG|kernel BUG|watchdog: BUG: soft lockup|general protection fault|'
OOPS_RE+='traps: .*double fault)'

# An oopsed guest can hang until the timeout (20 min): stop it a few seconds after the first
# oops reaches the console, once its trace is there. The run then counts as a crash.
watch_oops() { # PID (timeout's, which passes the signal on to qemu)
	while kill -0 "$1" 2>/dev/null; do
		if grep -qE "$OOPS_RE" "$VM_DIR/logs/console.log" 2>/dev/null; then
			sleep 5
			note "the guest kernel oopsed; stopping it"
			kill "$1" 2>/dev/null
			return 0
		fi
		sleep 1
	done
}

# Sets ACCEL. auto: kvm when /dev/kvm is there and a probe boot of this kernel runs `true`
# under it, else tcg. /dev/kvm alone is not enough: a nested hypervisor can offer a kvm that
# fails on the first instruction it must emulate, or on an MSR the guest CPU model needs.
pick_accel() {
	ACCEL=${TK_VM_ACCEL:-auto}
	[ "$ACCEL" = auto ] || return 0
	ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		(ACCEL=kvm PROBE=1 TIMEOUT=60 && CMD=(true) && boot run) >/dev/null 2>&1; then
		ACCEL=kvm
	fi
	note "accelerator: $ACCEL"
}

main() {
	local mode='' rc=0
	KDIR=
	CMD=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--prepare) mode=prepare; shift ;;
		--shell) mode=shell; shift ;;
		--lane) mode=lane; shift; CMD=("$@"); break ;;
		--kernel) KDIR=${2:?--kernel needs a dir}; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
		--) mode=run; shift; CMD=("$@"); break ;;
		-h | --help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown argument '$1' (see --help)" ;;
		esac
	done
	[ -n "$mode" ] || die "nothing to do (see --help)"
	# A whole lane takes 5-20 min under TCG; a guest that hangs without an oops on the
	# console (watch_oops ends the loud ones at once) is stopped by this.
	[ -n "$TIMEOUT" ] || { [ "$mode" = lane ] && TIMEOUT=2400 || TIMEOUT=1200; }
	[ "$(id -u)" = 0 ] || die "needs root (9p export of /, and the tests need root in the guest)"
	take_lock
	# A kept cache does not mean qemu is still installed (fresh CI image, build/ restored).
	if [ "$mode" != prepare ] && ! command -v qemu-system-x86_64 >/dev/null; then
		"$ROOT/scripts/deps.sh" vm
	fi
	case "$ROOT/" in
	/tmp/* | /run/* | /dev/* | /proc/* | /sys/*)
		# The guest mounts its own filesystems there, hiding the host's.
		[ "$mode" = prepare ] || die "the repo ($ROOT) must not be under /tmp, /run, /dev, /proc or /sys" ;;
	esac
	case "$mode" in
	prepare) prepare ;;
	shell) kernel_dir; pick_accel; boot shell || rc=$? ;;
	run)
		[ ${#CMD[@]} -gt 0 ] || die "no command after --"
		kernel_dir
		pick_accel
		boot run || rc=$?
		;;
	lane)
		kernel_dir
		pick_accel
		# Test logs go to the writable share, and end up in build/vm/test-logs.
		export TK_LOGDIR=$GUEST_IO/test-logs
		CMD=(tests/vm/lane.sh "${CMD[@]}")
		boot run || rc=$?
		# A guest that died without reporting, or whose kernel oopsed (rc 125), did not fail
		# a test: its console is kept, and the lane goes on in a new guest, twice at most,
		# from the test it died in (lane.sh --resume over the outcomes the crashed run left).
		# Seen here in about 1 of 5 lanes, right after a taprio test: a double fault in the
		# slab fast path, or an oops in the verifier (docs/testing.md).
		for retry in 1 2; do
			[ "$rc" = 125 ] || break
			note "the guest crashed; resuming the lane in a new guest ($retry of 2)"
			SEED_LOGS=$VM_DIR/test-logs
			[ "${CMD[1]:-}" = --resume ] || CMD=("${CMD[0]}" --resume "${CMD[@]:1}")
			rc=0
			boot run || rc=$?
		done
		;;
	esac
	exit "$rc"
}

main "$@"
