#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `tsnproxy metrics`: the enforce mode's counters, tracking-table fill and NIC/pod attachment
# health as OpenMetrics, once on stdout and served over HTTP (--listen), scraped during real
# traffic and parsed by a real parser (Debian's python3-prometheus-client, OpenMetrics parser);
# its counters agree with `tsnproxy status --json`. The server runs in the fixture's node netns,
# on that netns' own loopback.

PORT=9476

proxy() { tk_ns "$TK_NODE" "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" "$@"; }

# Scrape /metrics in the node netns, parsed, with the response's content_type.
scrape() {
	local body
	body=$(tk_ns "$TK_NODE" /usr/bin/python3 -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    open(sys.argv[2], "w").write(r.headers["Content-Type"])
    sys.stdout.write(r.read().decode())' "http://127.0.0.1:$PORT/metrics" "$TK_TMP/ctype") ||
		return 1
	tk_metrics_parse <<<"$body" | jq -c --arg ct "$(cat "$TK_TMP/ctype")" '. + {content_type: $ct}'
}

metrics_setup() {
	/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
		tk_fail "python3-prometheus-client is not installed (scripts/deps.sh)"
	tk_fixture_up "$TK_TEST_ID" 2
	tk_listen "$TK_TEST_ID" 5001
	tk_defer "nsenter --net=/run/netns/$TK_NODE -- $TK_BUILD/tsnproxy --pin-dir $TK_PIN stop"
	proxy start --nic nic0 >/dev/null || tk_fail "tsnproxy start failed"
	proxy allow --netns "${TK_PODS[0]}" --priorities 1 >/dev/null || tk_fail "allow pod1"
}

# Start the server (its pid in SERVER) and wait until it answers.
serve() { # LISTEN
	local i
	nsenter --net="/run/netns/$TK_NODE" -- "$TK_BUILD/tsnproxy" --pin-dir "$TK_PIN" metrics \
		--listen "$1" >"$TK_TMP/server.out" 2>"$TK_TMP/server.err" &
	SERVER=$!
	tk_defer "kill $SERVER 2>/dev/null; wait $SERVER"
	for ((i = 0; i < 50; i++)); do
		scrape >/dev/null 2>&1 && return 0
		kill -0 "$SERVER" 2>/dev/null || tk_fail "metrics server exited: $(cat "$TK_TMP/server.err")"
		sleep 0.1
	done
	tk_fail "metrics server never answered: $(cat "$TK_TMP/server.err")"
}

# every counter of a status JSON as {"tsnproxy_NAME_total": value}
status_counters() { jq -c '.counters | with_entries(.key = "tsnproxy_\(.key)_total")'; }

# Counters, fill and health, scraped while pod1 sends: every counter of the scrape lies between
# a status taken before and one taken after it, saved grows between scrapes; once the traffic
# stops, scrape and status agree exactly.
test_metrics_scrape_during_traffic() {
	local talker s1 m s2 m1 m2 ok
	metrics_setup
	serve "127.0.0.1:$PORT"
	nsenter --net="/run/netns/${TK_PODS[0]}" -- "$TK_BUILD/talker" --dst "$TK_LISTEN_IP" \
		--port 5001 --priority 1 --interval-us 2000 --count 1500 >/dev/null 2>&1 &
	talker=$!
	tk_defer "kill $talker 2>/dev/null; wait $talker"
	sleep 0.5
	s1=$(proxy status --json | status_counters)
	m1=$(scrape) || tk_fail "scrape failed"
	s2=$(proxy status --json | status_counters)
	sleep 0.5
	m2=$(scrape) || tk_fail "second scrape failed"
	tk_log "scrape: $m1"
	assert_eq "Content-Type" "$(jq -r .content_type <<<"$m1")" \
		"application/openmetrics-text; version=1.0.0; charset=utf-8"
	assert_eq "up" "$(jq '.tsnproxy_up' <<<"$m1")" 1
	ok=$(jq -n --argjson a "$s1" --argjson m "$m1" --argjson b "$s2" \
		'[$a | keys[] as $k | $a[$k] <= $m[$k] and $m[$k] <= $b[$k]] | (length > 0 and all)')
	assert_eq "every counter between status before and after the scrape ($s1 / $s2)" "$ok" true
	assert_ge "traffic during the scrape: saved grew in status" \
		"$(jq -n --argjson a "$s1" --argjson b "$s2" \
			'$b.tsnproxy_saved_total - $a.tsnproxy_saved_total')" 1
	assert_ge "saved grew between scrapes" \
		"$(jq -n --argjson a "$m1" --argjson b "$m2" \
			'$b.tsnproxy_saved_total - $a.tsnproxy_saved_total')" 100
	assert_ge "restored priority during traffic" \
		"$(jq '.tsnproxy_restored_priority_total' <<<"$m2")" 100
	assert_ge "track capacity" "$(jq '.tsnproxy_track_capacity' <<<"$m1")" 64
	assert_eq "nic0 attached" "$(jq -r 'to_entries[] |
		select(.key | startswith("tsnproxy_nic_attached{") and contains("nic=\"nic0\"")) |
		.value' <<<"$m1")" 1
	assert_eq "one pod registered" "$(jq '.tsnproxy_pods' <<<"$m1")" 1
	assert_eq "pod1 attached" "$(jq -r --arg ns "${TK_PODS[0]}" 'to_entries[] |
		select(.key | startswith("tsnproxy_pod_attached{") and
		contains("netns=\"\($ns)\"")) | .value' <<<"$m1")" 1

	wait "$talker"
	sleep 1.5	# past the TTL: every saved entry restored or expired, nothing moves
	s1=$(proxy status --json | status_counters)
	m=$(scrape) || tk_fail "scrape after traffic failed"
	s2=$(proxy status --json | status_counters)
	assert_eq "status stable after traffic" "$s1" "$s2"
	assert_eq "scrape equals status --json" \
		"$(jq -n --argjson a "$s1" --argjson m "$m" '[$a | keys[] | . as $k |
			$a[$k] == $m[$k]] | all')" true
	assert_ge "every datagram saved" "$(jq .tsnproxy_saved_total <<<"$m")" 1500

	# the one-shot form prints the same families
	assert_exit "metrics on stdout" 0 proxy metrics
	assert_eq "stdout: counters equal status" "$(tk_metrics_parse <<<"$TK_OUT" |
		jq -c --argjson a "$s1" '[$a | keys[] as $k | .[$k] == $a[$k]] | all')" true
	assert_eq "stdout ends with # EOF" "$(tail -n 1 <<<"$TK_OUT")" "# EOF"

	# not /metrics: 404; SIGTERM ends the server cleanly
	assert_eq "404 elsewhere" "$(tk_ns "$TK_NODE" /usr/bin/python3 -c '
import urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:'$PORT'/nope", timeout=5)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)')" 404
	kill -TERM "$SERVER"
	wait "$SERVER"
	assert_eq "server exit on SIGTERM" "$?" 0
}

# A pod whose save link is gone and a NIC without its restore show 0; an unloaded datapath
# scrapes as tsnproxy_up 0.
test_metrics_health_and_not_running() {
	local m ino l
	metrics_setup
	serve "$PORT"	# a bare port: 127.0.0.1
	ino=$(stat -L -c %i "/run/netns/${TK_PODS[0]}")
	# the pod's save program detached behind tsnproxy's back (its link pin kept)
	tk_ns "${TK_PODS[0]}" tc filter del dev eth0 egress 2>/dev/null
	for l in "$TK_PIN"/links/save_"${ino}"_*; do
		[ -e "$l" ] && bpftool link detach pinned "$l" 2>/dev/null
	done
	for l in "$TK_PIN"/links/restore_*; do
		[ -e "$l" ] && bpftool link detach pinned "$l" 2>/dev/null
	done
	tk_ns "$TK_NODE" tc filter del dev nic0 egress 2>/dev/null
	m=$(scrape) || tk_fail "scrape failed"
	tk_log "scrape: $m"
	assert_eq "pod1 no longer attached" "$(jq -r 'to_entries[] |
		select(.key | startswith("tsnproxy_pod_attached{")) | .value' <<<"$m")" 0
	assert_eq "pod1 still alive" "$(jq -r 'to_entries[] |
		select(.key | startswith("tsnproxy_pod_alive{")) | .value' <<<"$m")" 1
	assert_eq "nic0 not attached" "$(jq -r 'to_entries[] |
		select(.key | startswith("tsnproxy_nic_attached{")) | .value' <<<"$m")" 0
	assert_eq "status agrees: nic0" "$(proxy status --json | jq '.nics[0].attached')" false
	proxy stop >/dev/null || tk_fail "stop"
	m=$(scrape) || tk_fail "scrape of a stopped proxy failed"
	assert_eq "stopped: up 0" "$(jq .tsnproxy_up <<<"$m")" 0
	assert_eq "stopped: nothing else" "$(jq 'del(.content_type) | length' <<<"$m")" 1
}

# Bad flags, a bad address, a port in use: one line, exit 2, no server left.
test_metrics_bad_input() {
	local p bad
	tk_fixture_up "$TK_TEST_ID" 1
	# a port in use in the node netns: a listener of our own
	tk_ns "$TK_NODE" /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", '$PORT')); s.listen(1); time.sleep(60)' &
	p=$!
	tk_defer "kill $p; wait $p"
	sleep 0.5
	assert_exit "port in use" 2 proxy metrics --listen "127.0.0.1:$PORT"
	assert_match "port in use: says so" "$TK_ERR" \
		"^tsnproxy: metrics: --listen: cannot listen on 127.0.0.1:$PORT: Address already in use"
	assert_eq "port in use: one line" "$(wc -l <<<"$TK_ERR")" 1
	for bad in "nohost:80" "127.0.0.1:0" "127.0.0.1:70000" "300.1.1.1:80" "[::1]80" ""; do
		assert_exit "--listen '$bad'" 2 proxy metrics --listen "$bad"
		assert_match "--listen '$bad': says so" "$TK_ERR" "is not PORT, ADDR:PORT"
		assert_eq "--listen '$bad': one line" "$(wc -l <<<"$TK_ERR")" 1
	done
	assert_exit "unknown flag" 2 proxy metrics --port 9
	assert_match "unknown flag: says so" "$TK_ERR" "metrics: unknown option '--port'"
	assert_exit "no argument" 2 proxy metrics --listen
	assert_exit "positional" 2 proxy metrics 9476
}
