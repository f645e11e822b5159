#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run by the tsnkit DaemonSet (deploy/daemonset.yaml) on each node:
#   install.sh install   copy tsn, tsnproxy and the BPF object into the node's CNI bin dir and
#                        chain tsn into the primary conflist (init container)
#   install.sh keep      re-assert the chaining every TSN_RESYNC_S seconds, since a primary
#                        plugin's own installer may rewrite its conflist (main container);
#                        uninstall when the pod is stopped, so that a deleted DaemonSet leaves
#                        no tsn entry behind; serve tsnproxy's metrics on TSN_METRICS_LISTEN
#                        (ADDR:PORT; empty: not served), restarted when it exits
#   install.sh uninstall take tsn out of the conflists again
# Paths of the node are under $HOST (default /host); settings come from the ConfigMap:
# TSN_NIC (space separated), TSN_PRIORITIES, TSN_ON_DISALLOWED, TSN_RESTORE, TSN_PIN_DIR,
# TSN_CONFLIST (optional file name), TSN_LOG_FILE (optional), TSN_METRICS_LISTEN (optional).
# The keep container has the node's bpffs at /sys/fs/bpf: TSN_PIN_DIR is the same path there.
set -eu

HOST=${HOST:-/host}
TSNKIT=${TSNKIT:-/opt/tsnkit}
CNI_BIN=$HOST/opt/cni/bin
CNI_CONF=$HOST/etc/cni/net.d

die() { echo "tsnkit: $*" >&2; exit 1; }
# a child that has not exited (an exited one stays a zombie until waited for)
running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }

# The NICs exist on this node: a misspelt name would otherwise show only when the first pod's ADD
# fails. /proc/net/dev lists the interfaces of this process' netns: the node's (hostNetwork).
check_nics() {
	for nic in $TSN_NIC; do
		awk -F: -v nic="$nic" 'NR > 2 { sub(/^ +/, "", $1); if ($1 == nic) found = 1 }
			END { exit !found }' /proc/net/dev ||
			die "TSN_NIC: this node has no network interface $nic"
	done
}

# Without TSN_CONFLIST, tsn chains into the first configuration file of the conf dir, the one the
# runtime uses. Several of them usually mean a leftover of another network plugin, so which one
# is used is the node's accident: refuse, and let TSN_CONFLIST name the one.
check_one_config() {
	[ -z "${TSN_CONFLIST:-}" ] || return 0
	set --
	for f in "$CNI_CONF"/*.conflist "$CNI_CONF"/*.conf "$CNI_CONF"/*.json; do
		if [ -e "$f" ]; then set -- "$@" "${f##*/}"; fi
	done
	[ $# -le 1 ] ||
		die "$# CNI configurations in /etc/cni/net.d ($*): set TSN_CONFLIST to the one" \
			"the runtime uses"
}

# the settings against the node, before anything on it changes
check_node() {
	[ -n "${TSN_NIC:-}" ] || die "TSN_NIC is not set (ConfigMap tsnkit-config)"
	check_nics
	check_one_config
}

install_args() {
	set -- --conf-dir "$CNI_CONF" --wait "${TSN_WAIT_S:-300}"
	for nic in $TSN_NIC; do set -- "$@" --nic "$nic"; done
	[ -z "${TSN_PRIORITIES:-}" ] || set -- "$@" --priorities "$TSN_PRIORITIES"
	[ -z "${TSN_ON_DISALLOWED:-}" ] || set -- "$@" --on-disallowed "$TSN_ON_DISALLOWED"
	[ -z "${TSN_RESTORE:-}" ] || set -- "$@" --restore "$TSN_RESTORE"
	[ -z "${TSN_PIN_DIR:-}" ] || set -- "$@" --pin-dir "$TSN_PIN_DIR"
	[ -z "${TSN_CONFLIST:-}" ] || set -- "$@" --conflist "$TSN_CONFLIST"
	[ -z "${TSN_LOG_FILE:-}" ] || set -- "$@" --log-file "$TSN_LOG_FILE"
	"$TSNKIT/bin/tsn" install "$@"
}

# copy through a temporary name: kubelet may be executing the old binary right now
copy() { # src dst
	cp "$1" "$2.tsnkit-new"
	mv -f "$2.tsnkit-new" "$2"
}

do_install() {
	[ -d "$CNI_BIN" ] || die "$CNI_BIN does not exist (hostPath /opt/cni/bin not mounted?)"
	[ -d "$CNI_CONF" ] || die "$CNI_CONF does not exist (hostPath /etc/cni/net.d not mounted?)"
	# the plugin pins its datapath in bpffs: make sure the node has one
	if [ "$(stat -f -c %T "$HOST/sys/fs/bpf" 2>/dev/null)" != bpf_fs ] &&
		[ -z "${TSN_NO_BPFFS_CHECK:-}" ]; then
		mount -t bpf bpf "$HOST/sys/fs/bpf" || die "no bpffs at /sys/fs/bpf and cannot mount it"
	fi
	check_node
	copy "$TSNKIT/bin/tsn" "$CNI_BIN/tsn"
	copy "$TSNKIT/node/tsnproxy" "$CNI_BIN/tsnproxy"
	mkdir -p "$CNI_BIN/tsnkit"
	copy "$TSNKIT/bpf/tsnproxy.bpf.o" "$CNI_BIN/tsnkit/tsnproxy.bpf.o"
	install_args
}

case "${1:-}" in
install) do_install ;;
keep)
	metrics=
	trap '[ -z "$metrics" ] || kill "$metrics" 2>/dev/null
		"$TSNKIT/bin/tsn" uninstall --conf-dir "$CNI_CONF"; exit 0' TERM INT
	while :; do
		# a subshell: a check that fails (die) ends this attempt, not the keeping
		(check_node && install_args) >/dev/null || echo "tsnkit: re-install failed" >&2
		# the metrics server: started, and again if it ended (its error is in the log)
		if [ -n "${TSN_METRICS_LISTEN:-}" ] &&
			{ [ -z "$metrics" ] || ! running "$metrics"; }; then
			"$TSNKIT/bin/tsnproxy" --pin-dir "${TSN_PIN_DIR:-/sys/fs/bpf/tsnkit}" \
				metrics --listen "$TSN_METRICS_LISTEN" &
			metrics=$!
		fi
		sleep "${TSN_RESYNC_S:-60}" &
		wait $! || true
	done
	;;
uninstall) "$TSNKIT/bin/tsn" uninstall --conf-dir "$CNI_CONF" ;;
*) die "usage: install.sh install|keep|uninstall" ;;
esac
