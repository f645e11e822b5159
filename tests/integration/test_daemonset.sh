#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Kubernetes deployment (deploy/) run for real on the fixture's node netns: the image built
# from deploy/Containerfile by podman, the DaemonSet's pod played by `podman kube play` (its
# template turned into a Pod by scripts/daemonset-to-pod, the hostPath volumes pointed at this
# test's node directories), then a TSN pod started by podman's CNI backend through the conflist
# the DaemonSet wrote. What reaches nic0 is judged by the observer (build/observe) and the
# fixture's listener. These are the steps of docs/kubernetes.md, "Run it with podman".
#
# Image cache: the base image (a debootstrapped minimal bookworm, imported as debian:bookworm and
# debian:bookworm-slim) and the built image, tagged with a hash of the build context, live in a
# podman store of their own under TK_IMAGE_CACHE (default /var/cache/tsnkit-test/daemonset), so
# that only the first run after a source change builds. A test plays its pods in a store of its
# own under TK_TMP that sees the cache as a read-only image store: what it made goes with that
# store, and no other podman store of the machine is touched.

DS_CACHE=${TK_IMAGE_CACHE:-/var/cache/tsnkit-test/daemonset}
DS_MIRROR=${TK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DS_BASE=docker.io/library/debian:bookworm
DS_IMAGE=localhost/tsnkit
N=200
# the first run debootstraps the base and builds the image (tests/run.sh reads these)
# shellcheck disable=SC2034
TK_TIMEOUT_test_daemonset_end_to_end=1200 TK_TIMEOUT_test_daemonset_upgrade=1200 \
	TK_TIMEOUT_test_daemonset_bad_config=1200

proxy() { tk_ns "$TK_NODE" "$NODE/opt/cni/bin/tsnproxy" --pin-dir "$TK_PIN" "$@"; }
registrations() { proxy status --json 2>/dev/null | jq '.policy | length' || echo 0; }

# podman on the image cache's store; the cache lock stays with this shell
ds_cache_pm() {
	env CONTAINERS_CONF="$DS_CACHE/containers.conf" \
		CONTAINERS_STORAGE_CONF="$DS_CACHE/storage.conf" \
		CONTAINERS_REGISTRIES_CONF=/dev/null podman "$@" {DS_LOCK_FD}>&-
}

# podman of the test's node: in its netns, its own store over the cache's images, its CNI
# configuration and plugins being the node's directories
pm() {
	nsenter --net="/run/netns/$TK_NODE" -- env CONTAINERS_CONF="$PM/containers.conf" \
		CONTAINERS_STORAGE_CONF="$PM/storage.conf" CONTAINERS_REGISTRIES_CONF=/dev/null \
		podman "$@" {DS_LOCK_FD}>&-
}

# A minimal bookworm made here (there is no registry), imported under the names the
# Containerfile's FROM lines use.
ds_base_image() {
	local root=$DS_CACHE/base.rootfs
	command -v debootstrap >/dev/null || tk_fail "no debootstrap (scripts/deps.sh daemonset)"
	tk_log "debootstrap bookworm into $root"
	rm -rf "$root"
	nice -n 10 debootstrap --variant=minbase bookworm "$root" "$DS_MIRROR" \
		>"$TK_TMP/debootstrap.log" 2>&1 ||
		tk_fail "debootstrap failed: $(tail -n 3 "$TK_TMP/debootstrap.log")"
	tar -C "$root" -c . | ds_cache_pm import \
		--change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD=["/bin/bash"]' - "$DS_BASE" >/dev/null ||
		tk_fail "podman import of the base image failed"
	ds_cache_pm tag "$DS_BASE" "$DS_BASE-slim" || tk_fail "podman tag $DS_BASE-slim failed"
	rm -rf "$root"
}

# Hash of the base image and of the build context as the Containerfile sees it: the tree less
# the directories that .containerignore lists.
ds_context_key() {
	local d prune=()
	while read -r d; do
		[[ -z "$d" || "$d" == "#"* ]] || prune+=(-path "./${d%/}" -prune -o)
	done <"$TK_ROOT/.containerignore"
	{
		ds_cache_pm image inspect --format '{{.Id}}' "$DS_BASE"
		cd "$TK_ROOT" && find . "${prune[@]}" -type f -print0 | LC_ALL=C sort -z |
			xargs -0 sha256sum
	} | sha256sum | cut -c 1-16
}

# $DS_IMAGE:latest is this context's image, built if the cache does not have it. The cache is
# locked exclusively while it changes, then shared until the test ends: another checkout's
# build (which retags :latest and prunes) waits for the tests using the image.
ds_image() {
	local key old
	mkdir -p "$DS_CACHE/storage" "$DS_CACHE/net.d" /run/tsnkit-test-images
	exec {DS_LOCK_FD}>"$DS_CACHE/lock"
	flock -x "$DS_LOCK_FD"
	# builds use the host's network (--network host): no CNI network of the cache's is used
	tk_podman_conf "$DS_CACHE" "$DS_CACHE/storage" /run/tsnkit-test-images overlay /usr/lib/cni \
		"$DS_CACHE/net.d"
	if ! ds_cache_pm image exists "$DS_BASE" || ! ds_cache_pm image exists "$DS_BASE-slim"; then
		ds_base_image
	fi
	key=$(ds_context_key)
	if ! ds_cache_pm image exists "$DS_IMAGE:src-$key"; then
		tk_log "podman build $DS_IMAGE:src-$key (new sources: this takes minutes)"
		nice -n 10 env -C "$TK_ROOT" CONTAINERS_CONF="$DS_CACHE/containers.conf" \
			CONTAINERS_STORAGE_CONF="$DS_CACHE/storage.conf" \
			CONTAINERS_REGISTRIES_CONF=/dev/null \
			podman build --pull=never --network host -f deploy/Containerfile \
			-t "$DS_IMAGE:src-$key" . \
			>"$TK_TMP/build.log" 2>&1 {DS_LOCK_FD}>&- ||
			tk_fail "podman build failed: $(tail -n 5 "$TK_TMP/build.log")"
		ds_cache_pm tag "$DS_IMAGE:src-$key" "$DS_IMAGE:latest"
		# one built image and its build layers in the cache, not one per source change
		for old in $(ds_cache_pm images --format '{{.Repository}}:{{.Tag}}' \
			--filter "reference=$DS_IMAGE:src-*"); do
			[ "$old" = "$DS_IMAGE:src-$key" ] || ds_cache_pm rmi "$old" >/dev/null
		done
		ds_cache_pm image prune -f >/dev/null
	fi
	ds_cache_pm tag "$DS_IMAGE:src-$key" "$DS_IMAGE:latest" || tk_fail "podman tag failed"
	flock -s "$DS_LOCK_FD"
}

# The fixture, the image, and a node for them: its CNI bin dir with the primary plugin (bridge,
# host-local, loopback), its conf dir with the primary's conflist (network tknet, over the
# fixture's pod subnet, routed back through nic0), its bpffs dir ($TK_PIN), and podman.
ds_setup() {
	local id=$TK_TEST_ID p
	"$TK_ROOT/scripts/deps.sh" cni daemonset >/dev/null ||
		tk_fail "scripts/deps.sh cni daemonset failed"
	tk_fixture_up "$id" 1
	ds_image
	NODE=$TK_TMP/node
	PM=$TK_TMP/podman
	CONFLIST=$NODE/etc/cni/net.d/10-tknet.conflist
	mkdir -p "$NODE/opt/cni/bin" "$NODE/etc/cni/net.d" "$PM"/{root,run,ipam,kube-net.d}
	mkdir -p "$TK_PIN"
	tk_defer "rmdir $TK_PIN"
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	tk_defer "rm -rf /run/tsnkit/cni/sys_fs_bpf_tk$id"
	for p in bridge host-local loopback; do cp "/usr/lib/cni/$p" "$NODE/opt/cni/bin/"; done
	tk_ns "$TK_NODE" ip addr flush dev br0
	jq -n --arg ipam "$PM/ipam" --arg net "198.18.$id" '
		{cniVersion: "1.0.0", name: "tknet", plugins: [
		 {type: "bridge", bridge: "tkcni0", isGateway: true, ipMasq: false,
		  ipam: {type: "host-local", dataDir: $ipam, routes: [{dst: "0.0.0.0/0"}],
			 ranges: [[{subnet: "\($net).0/24", rangeStart: "\($net).100",
				    rangeEnd: "\($net).200", gateway: "\($net).1"}]]}}]}' \
		>"$CONFLIST"
	PRIMARY=$(jq -S . "$CONFLIST")
	tk_pod_rootfs "$PM/rootfs"
	tk_podman_conf "$PM" "$PM/root" "$PM/run" overlay "$NODE/opt/cni/bin" \
		"$NODE/etc/cni/net.d" "$DS_CACHE/storage"
	# everything of the test's store goes: pods, containers, the pause image kube play built
	tk_defer "pm pod rm -af -t 0; pm rm -af -t 0; pm rmi -af"
	# libcni's result cache is fixed at /var/lib/cni in this podman
	[ -e /var/lib/cni ] ||
		tk_defer "rmdir /var/lib/cni/results /var/lib/cni/networks /var/lib/cni"
	tk_listen "$id" 5001
}

# The DaemonSet's pod for this node: deploy/configmap.yaml with the test's settings (the
# fixture's NIC, its pin dir, a log file of its own, priorities 1,2) and then the data given, as
# a user edits it; deploy/daemonset.yaml as it is, turned into a Pod whose hostPath volumes are
# the node's (bpffs, /run/tsnkit and /run/netns are the machine's: the test's pin dir is one
# of its own in bpffs, the plugin's records and podman's netns are there).
ds_manifest() { # OUT [KEY=VALUE...]
	local out=$1
	shift
	/usr/bin/python3 - "$TK_ROOT/deploy/configmap.yaml" TSN_NIC=nic0 TSN_PRIORITIES=1,2 \
		"TSN_PIN_DIR=$TK_PIN" "TSN_LOG_FILE=$TK_TMP/tsn.log" "$@" \
		>"$TK_TMP/configmap.yaml" <<'PY' || tk_fail "cannot edit the ConfigMap"
import sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    if k not in cm["data"]:
        sys.exit(f"ConfigMap has no {k}")
    cm["data"][k] = v
yaml.safe_dump(cm, sys.stdout, sort_keys=False)
PY
	"$TK_ROOT/scripts/daemonset-to-pod" --host-path "/opt/cni/bin=$NODE/opt/cni/bin" \
		--host-path "/etc/cni/net.d=$NODE/etc/cni/net.d" --restart-policy Never \
		"$TK_TMP/configmap.yaml" "$TK_ROOT/deploy/daemonset.yaml" >"$out" ||
		tk_fail "scripts/daemonset-to-pod failed"
}

# kube play's podman: the same store, but a network configuration dir of its own, since kube play
# writes its default network's conflist there even for a pod on the host network
kube() { pm --network-config-dir "$PM/kube-net.d" kube "$@"; }

# Stop the DaemonSet's pod as a kubelet does (SIGTERM, then the grace period), then remove it:
# podman 4.3's `kube play --down` alone kills it at once, so keep could not uninstall.
ds_stop() { # YAML
	pm pod stop -t 10 tsnkit >/dev/null 2>"$TK_TMP/down.err" ||
		tk_fail "podman pod stop: $(cat "$TK_TMP/down.err")"
	assert_match "keep uninstalled when stopped" "$(pm logs tsnkit-keep 2>&1)" \
		"10-tknet.conflist: uninstalled"
	kube play --down "$1" >/dev/null 2>"$TK_TMP/down.err" ||
		tk_fail "podman kube play --down: $(cat "$TK_TMP/down.err")"
}

ds_play() { # YAML [kube play options]: plays it, fails the test with podman's words if it fails
	local yaml=$1
	shift
	kube play "$@" "$yaml" >"$TK_TMP/play.out" 2>"$TK_TMP/play.err" ||
		tk_fail "podman kube play: $(tail -n 3 "$TK_TMP/play.err")" \
			"init log: $(pm logs tsnkit-install 2>&1)"
}

# the node's conf dir but podman's own lock file (a runtime of the node's)
conf_files() { find "$NODE/etc/cni/net.d" -mindepth 1 ! -name cni.lock -printf '%f\n' | sort; }
ctr_state() { pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1" 2>/dev/null; }
tsn_entry() { jq -c '.plugins[-1] | select(.type == "tsn")' "$CONFLIST"; }
# packets the observer saw leave nic0 that match a jq condition
at_nic() { tk_observe_count "$TK_NODE" nic0 "$1"; }

# The DaemonSet's pod has installed (kube play returns once the init container exited 0, and
# removes it then): keep runs, the entry has the given priorities.
ds_installed() { # what priorities
	assert_eq "$1: keep container runs" "$(ctr_state tsnkit-keep | cut -d' ' -f1)" running
	assert_eq "$1: primary plugins intact" \
		"$(jq -S '.plugins[:-1]' "$CONFLIST")" \
		"$(echo "$PRIMARY" | jq -S .plugins)"
	assert_eq "$1: tsn chained last" \
		"$(tsn_entry | jq -c '[.tsnIfname, .priorities, .pinDir]')" \
		"[\"nic0\",$2,\"$TK_PIN\"]"
}

# Start a TSN pod through the node's conflist; it runs CMD, then waits.
tsn_pod() { # name cmd
	pm run -d --name "$1" --network tknet --rootfs "$PM/rootfs" /bin/sh -c "$2; sleep 300" \
		>/dev/null 2>"$TK_TMP/pm.err" ||
		tk_fail "podman run $1: $(cat "$TK_TMP/pm.err"); tsn log: $(cat "$TK_TMP/tsn.log")"
}
talk() { # prio count
	echo "talker --dst 198.19.$TK_TEST_ID.2 --port 5001 --count $2 --priority $1"
}
# wait until the observer saw COUNT packets of priority PRIO at nic0 (bounded)
await_prio() { # prio count
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(at_nic ".priority == $1")" -ge "$2" ] && return 0
		sleep 0.1
	done
}

# the keep container's metrics on the node's loopback (TSN_METRICS_LISTEN), parsed
ds_scrape() {
	local body
	body=$(tk_ns "$TK_NODE" /usr/bin/python3 -c 'import urllib.request, sys
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:9476/metrics", timeout=5).read().decode())'
	) || return 1
	tk_metrics_parse <<<"$body"
}

test_daemonset_end_to_end() {
	ds_setup
	local yaml=$TK_TMP/tsnkit-pod.yaml f m tt i s1 s2
	ds_manifest "$yaml"
	assert_eq "the Pod is the DaemonSet's template" \
		"$(/usr/bin/python3 -c 'import sys, yaml, json
docs = list(yaml.safe_load_all(open(sys.argv[1])))
ds = yaml.safe_load(open(sys.argv[2]))
pod = [d for d in docs if d["kind"] == "Pod"][0]
for v in ds["spec"]["template"]["spec"]["volumes"] + pod["spec"]["volumes"]:
    v.get("hostPath", {}).pop("path", None)
print(pod["spec"].pop("restartPolicy") == "Never" and
      pod["spec"] == ds["spec"]["template"]["spec"] and
      pod["metadata"]["labels"] == ds["spec"]["template"]["metadata"]["labels"])' \
			"$yaml" "$TK_ROOT/deploy/daemonset.yaml")" True

	# the binaries the pod installs are the image's, static: they run on the node as they are
	ds_play "$yaml"
	ds_installed "install" "[1,2]"
	for f in tsn tsnproxy; do
		[ -x "$NODE/opt/cni/bin/$f" ] || tk_fail "$f not installed into the node's bin dir"
		assert_match "$f is static" "$(ldd "$NODE/opt/cni/bin/$f" 2>&1)" \
			"not a dynamic executable"
	done
	[ -f "$NODE/opt/cni/bin/tsnkit/tsnproxy.bpf.o" ] || tk_fail "BPF object not installed"
	tk_ns "$TK_NODE" "$NODE/opt/cni/bin/tsnproxy" features >/dev/null ||
		tk_fail "the installed tsnproxy does not run on the node"
	assert_eq "nothing else in the conf dir" "$(conf_files)" 10-tknet.conflist
	# no pod yet, so no datapath: the metrics say so (keep starts its server after the install)
	for ((i = 0; i < 50; i++)); do
		m=$(ds_scrape 2>/dev/null) && break
		sleep 0.2
	done
	assert_eq "metrics before the first pod: up 0" "$(jq .tsnproxy_up <<<"$m")" 0

	# a TSN pod through the conflist the DaemonSet wrote: every packet at its priority on nic0
	tk_observe_start 5001
	tsn_pod tktalk "$(talk 1 $N) && $(talk 2 $N)"
	await_prio 2 $N
	assert_eq "observer: priority 1 at nic0" "$(at_nic '.priority == 1')" $N
	assert_eq "observer: priority 2 at nic0" "$(at_nic '.priority == 2')" $N
	assert_eq "observer: nothing else at nic0" "$(at_nic true)" $((2 * N))
	assert_eq "one registration (the pod's netns)" "$(registrations)" 1
	assert_match "the plugin logged the ADD" "$(cat "$TK_TMP/tsn.log")" \
		"ADD [0-9a-f]+: registered"

	# the keep container serves the metrics on the node's loopback, and traces pods by name;
	# its counters are the status' ones, read between two status reads (the pod's packets with
	# metadata other than the talker's may still be saved meanwhile)
	s1=$(proxy status --json | jq .counters.saved)
	m=$(ds_scrape) || tk_fail "scrape of the keep container's metrics failed"
	s2=$(proxy status --json | jq .counters.saved)
	assert_eq "metrics: up" "$(jq .tsnproxy_up <<<"$m")" 1
	assert_ge "metrics: saved, at least status before" "$(jq .tsnproxy_saved_total <<<"$m")" "$s1"
	assert_le "metrics: saved, at most status after" "$(jq .tsnproxy_saved_total <<<"$m")" "$s2"
	assert_ge "metrics: every datagram saved" "$(jq .tsnproxy_saved_total <<<"$m")" $((2 * N))
	assert_eq "metrics: the pod attached, by its name" "$(jq -r 'to_entries[] |
		select(.key | startswith("tsnproxy_pod_attached{") and contains("pod=\"tktalk\"")) |
		.value' <<<"$m")" 1
	pm exec tsnkit-keep tsntrace --pod tktalk --dport 5001 --json --summary --count 5 \
		--duration 60 --ready-file /tmp/tt.ready >"$TK_TMP/tt.json" 2>"$TK_TMP/tt.err" &
	tt=$!
	tk_defer "kill $tt 2>/dev/null"
	for ((i = 0; i < 150; i++)); do
		pm exec tsnkit-keep test -e /tmp/tt.ready 2>/dev/null && break
		kill -0 "$tt" 2>/dev/null || tk_fail "tsntrace in keep exited: $(cat "$TK_TMP/tt.err")"
		sleep 0.2
	done
	# shellcheck disable=SC2046
	pm exec tktalk $(talk 1 5) >/dev/null || tk_fail "talker in tktalk failed"
	wait "$tt" || tk_fail "tsntrace --pod tktalk in keep: $(cat "$TK_TMP/tt.err")"
	assert_eq "tsntrace in keep: the pod's 5 datagrams, named after it" \
		"$(jq -s -r '[.[] | select(.type == "packet") | .path[0].netns] | join(",")' \
			"$TK_TMP/tt.json")" "tktalk,tktalk,tktalk,tktalk,tktalk"
	pm rm -f -t 0 tktalk >/dev/null || tk_fail "podman rm tktalk"
	assert_eq "pod removed: DEL unregistered it" "$(registrations)" 0
	assert_eq "listener got everything" "$(tk_listen_count "$TK_TEST_ID" 5001)" $((2 * N + 5))

	# stopping the DaemonSet's pod: keep uninstalls; the binaries stay (docs/kubernetes.md)
	ds_stop "$yaml"
	assert_eq "stopped: the conflist is the primary's again" \
		"$(jq -S . "$CONFLIST")" "$PRIMARY"
	assert_eq "stopped: nothing else in the conf dir" "$(conf_files)" 10-tknet.conflist
	[ -x "$NODE/opt/cni/bin/tsn" ] || tk_fail "stopped: the plugin binary went"
	assert_eq "stopped: no pod left" "$(pm pod ps -q | wc -l)" 0
}

# Upgrade: the pod played again with another priority set (the old pod stops, like a rolling
# update). The entry is updated in place; a pod started before keeps its policy and works; a new
# pod gets the new one. Policy clamp: a priority a pod may not use becomes the highest below.
test_daemonset_upgrade() {
	ds_setup
	local v1=$TK_TMP/v1.yaml v2=$TK_TMP/v2.yaml
	ds_manifest "$v1"
	ds_manifest "$v2" TSN_PRIORITIES=1-3
	ds_play "$v1"
	ds_installed "v1" "[1,2]"
	tsn_pod tkold true
	# a rolling update: the old pod stops (and uninstalls), the new one installs
	ds_stop "$v1"
	assert_eq "between the two: the conflist is the primary's" \
		"$(jq -S . "$CONFLIST")" "$PRIMARY"
	ds_play "$v2"
	ds_installed "v2" "[1,2,3]"
	assert_eq "v2: one tsn entry, in the same place" \
		"$(jq '[.plugins[] | .type]' -c "$CONFLIST")" \
		'["bridge","tsn"]'
	tk_observe_start 5001
	pm exec tkold /bin/sh -c "$(talk 3 $N)" >/dev/null || tk_fail "the old pod cannot send"
	await_prio 2 $N
	assert_eq "old pod: priority 3 clamped to 2 (its policy 1,2)" \
		"$(at_nic '.priority == 2')" $N
	tsn_pod tknew "$(talk 3 $N)"
	await_prio 3 $N
	assert_eq "new pod: priority 3 kept (policy 1-3)" \
		"$(at_nic '.priority == 3')" $N
	assert_eq "observer: nothing else at nic0" "$(at_nic true)" $((2 * N))
	assert_eq "two registrations" "$(registrations)" 2
	assert_eq "listener got everything" "$(tk_listen_count "$TK_TEST_ID" 5001)" $((2 * N))
	pm rm -f -t 0 tkold tknew >/dev/null || tk_fail "podman rm"
	assert_eq "pods removed: DEL unregistered them" "$(registrations)" 0
	ds_stop "$v2"
	assert_eq "stopped: the conflist is the primary's again" \
		"$(jq -S . "$CONFLIST")" "$PRIMARY"
}

# Bad configuration: the init container fails with one line that says what is wrong, the keep
# container never starts, the primary conflist is untouched.
test_daemonset_bad_config() {
	ds_setup
	local yaml=$TK_TMP/bad.yaml conf=$NODE/etc/cni/net.d sum log what
	sum=$(sha256sum <"$CONFLIST")
	bad_case() { # what expected-line [settings...]
		what=$1
		ds_manifest "$yaml" "${@:3}"
		kube play "$yaml" >/dev/null 2>&1 && tk_fail "$what: podman kube play succeeded"
		assert_match "$what: init container failed" "$(ctr_state tsnkit-install)" \
			"^exited [1-9]"
		log=$(pm logs tsnkit-install 2>&1)
		assert_eq "$what: one line in its log" "$(echo "$log" | wc -l)" 1
		assert_match "$what: says what is wrong" "$log" "$2"
		assert_ne "$what: keep never ran" "$(ctr_state tsnkit-keep | cut -d' ' -f1)" running
		assert_eq "$what: primary conflist untouched" "$(sha256sum <"$CONFLIST")" "$sum"
		kube play --down "$yaml" >/dev/null 2>&1 || tk_fail "$what: kube play --down"
	}
	bad_case "no such NIC" "^tsnkit: TSN_NIC: this node has no network interface tknonic0$" \
		TSN_NIC=tknonic0
	bad_case "bad priority list" "^tsn: --priorities takes a list like" TSN_PRIORITIES=1,99
	cp "$CONFLIST" "$conf/20-other.conflist"
	bad_case "two conflists" \
		"^tsnkit: 2 CNI configurations in /etc/cni/net.d \(10-tknet.conflist 20-other"
	assert_eq "two conflists: the other one untouched too" \
		"$(jq -S . "$conf/20-other.conflist")" "$PRIMARY"
}
