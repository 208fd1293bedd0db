#!/usr/bin/env bash
# Local demo on loopback: four Redis ports, each a master with a replica,
# three of our sentinels; discovery, then a master is killed and the
# failover is shown with timings, then the old master rejoins as a replica.
# Leaves nothing behind, Ctrl-C included.
set -euo pipefail
# Job-control noise ("Killed", the closed event stream) is expected here.
exec 2> >(grep --line-buffered -v -E " Killed | closed the connection" >&2)
cd "$(dirname "$0")/.."
BIN=${SENTINEL_BIN:-bin/sentinel}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/sentinel

work=$(mktemp -d /tmp/sentinel-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: ask the kernel, then let go of it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "port $1 did not answer"; exit 1; }

NPORTS=${NPORTS:-4}
masters=(); replicas=(); mpids=()
for n in $(seq 1 "$NPORTS"); do
	m=$(free_port); r=$(free_port)
	redis-server --port "$m" --bind 127.0.0.1 --save '' --appendonly no --repl-diskless-sync-delay 0 --dir "$work" --logfile "$work/m$n.log" &
	mpids+=($!); pids+=($!)
	redis-server --port "$r" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --logfile "$work/r$n.log" --replicaof 127.0.0.1 "$m" &
	pids+=($!)
	masters+=("$m"); replicas+=("$r")
done
for n in $(seq 0 $((NPORTS - 1))); do wait_ping "${masters[$n]}"; wait_ping "${replicas[$n]}"; done
for n in $(seq 0 $((NPORTS - 1))); do
	for _ in $(seq 100); do
		redis-cli -p "${replicas[$n]}" INFO replication | grep -q 'master_link_status:up' && break
		sleep 0.05
	done
done
for n in $(seq 0 $((NPORTS - 1))); do echo "redis port$((n + 1)): master 127.0.0.1:${masters[$n]}, replica 127.0.0.1:${replicas[$n]}"; done

sports=()
agent=$(free_port); front=$(free_port)
t0=$(now_ms)
for s in 1 2 3; do
	p=$(free_port); sports+=("$p")
	extra=()
	# The first sentinel also answers HAProxy's agent checks and pushes
	# routing changes to HAProxy's runtime API.
	[ "$s" = 1 ] && extra=(--agent-check "127.0.0.1:$agent" --haproxy-socket "$work/haproxy.sock")
	mkdir -p "$work/s$s"
	{
		echo "port $p"; echo "bind 127.0.0.1"; echo "dir $work/s$s"
		for n in $(seq 0 $((NPORTS - 1))); do
			echo "sentinel monitor port$((n + 1)) 127.0.0.1 ${masters[$n]} 2"
			echo "sentinel down-after-milliseconds port$((n + 1)) 1000"
			echo "sentinel failover-timeout port$((n + 1)) 10000"
		done
	} >"$work/s$s/sentinel.conf"
	"$BIN" "$work/s$s/sentinel.conf" "${extra[@]}" >"$work/s$s/log" 2>&1 &
	pids+=($!)
done
for p in "${sports[@]}"; do wait_ping "$p"; done
echo "three sentinels on ports ${sports[*]}"

# Discovery: every sentinel finds each replica (from INFO) and both peers
# (from hello messages on __sentinel__:hello).
for _ in $(seq 300); do
	done_all=1
	for p in "${sports[@]}"; do
		for n in $(seq 1 "$NPORTS"); do
			r=$(redis-cli -p "$p" SENTINEL MASTER "port$n" | awk 'f{print;f=0} /^num-slaves$|^num-other-sentinels$/{f=1}' | tr '\n' ' ')
			[ "$r" = "1 2 " ] || done_all=0
		done
	done
	[ $done_all = 1 ] && break
	sleep 0.1
done
t1=$(now_ms)
echo "full discovery ($NPORTS replicas and 2 peers on each sentinel) after $((t1 - t0)) ms"
echo
echo "\$ redis-cli -p ${sports[0]} SENTINEL get-master-addr-by-name port1"
redis-cli -p "${sports[0]}" SENTINEL get-master-addr-by-name port1
echo
echo "\$ redis-cli -p ${sports[0]} INFO sentinel"
redis-cli -p "${sports[0]}" INFO sentinel | tr -d '\r' | sed 's/^/  /'
echo

# HAProxy in front, configured by the sentinel and checked by its agent.
redis-cli -p "${sports[0]}" SENTINEL FLUSHCONFIG >/dev/null
"$BIN" haproxy-config "$work/s1/sentinel.conf" --agent-addr "127.0.0.1:$agent" \
	--frontend-port-base "$front" --stats-socket "$work/haproxy.sock" >"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_ping "$front"
via_haproxy() { redis-cli -p "$front" INFO server 2>/dev/null | tr -d '\r' | awk -F: '/^tcp_port/{print $2}'; }
for _ in $(seq 100); do [ "$(via_haproxy)" = "${masters[0]}" ] && break; sleep 0.05; done
echo "HAProxy frontend 127.0.0.1:$front (port1) routes to the Redis on port $(via_haproxy) (the master)"
echo

redis-cli -p "${masters[0]}" SET demo:key "written before the failover" >/dev/null
redis-cli -p "${masters[0]}" WAIT 1 1000 >/dev/null   # replicated before the crash
echo "killing the master of port1 (kill -9 127.0.0.1:${masters[0]}), down-after 1000 ms..."
t2=$(now_ms)
kill -9 "${mpids[0]}"
for _ in $(seq 300); do
	a=$(redis-cli -p "${sports[0]}" SENTINEL get-master-addr-by-name port1 | tail -1)
	[ "$a" = "${replicas[0]}" ] && break
	sleep 0.02
done
t3=$(now_ms)
echo "events for port1, first seen on any sentinel (ms after the kill; from their logs):"
python3 - "$t2" "$work"/s*/log <<'PY'
import sys, re, datetime
t0 = int(sys.argv[1]) / 1000
first = {}
for path in sys.argv[2:]:
    for line in open(path):
        m = re.match(r'time=(\S+) .*msg="(\S+) (.*?)"', line)
        if not m or "port1" not in m.group(3):
            continue
        ts = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp() - t0
        if ts >= 0 and m.group(2) not in first:
            first[m.group(2)] = ts
for e in ["+sdown", "+odown", "+try-failover", "+elected-leader", "+selected-slave", "+promoted-slave", "+failover-end", "+switch-master"]:
    if e in first:
        print("  %-16s +%5d ms" % (e, first[e] * 1000))
PY
echo "get-master-addr-by-name port1 -> 127.0.0.1:$(redis-cli -p "${sports[0]}" SENTINEL get-master-addr-by-name port1 | tail -1) after $((t3 - t2)) ms"
for p in "${sports[@]:1}"; do
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$p" SENTINEL get-master-addr-by-name port1 | tail -1)" = "${replicas[0]}" ] && break
		sleep 0.02
	done
	echo "  sentinel on $p says: $(redis-cli -p "$p" SENTINEL get-master-addr-by-name port1 | paste -sd: -) ($(( $(now_ms) - t2 )) ms)"
done
echo "the key written before: '$(redis-cli -p "${replicas[0]}" GET demo:key)' on the new master"
for _ in $(seq 200); do [ "$(via_haproxy)" = "${replicas[0]}" ] && break; sleep 0.02; done
echo "HAProxy now routes port1 to the Redis on port $(via_haproxy) ($(( $(now_ms) - t2 )) ms after the kill)"
echo
echo "restarting the old master (empty); the sentinels turn it into a replica of the new one..."
redis-server --port "${masters[0]}" --bind 127.0.0.1 --save '' --appendonly no --repl-diskless-sync-delay 0 --dir "$work" --logfile "$work/m1b.log" &
pids+=($!)
t4=$(now_ms)
for _ in $(seq 600); do
	redis-cli -p "${masters[0]}" ROLE 2>/dev/null | head -1 | grep -q slave && break
	sleep 0.05
done
echo "  old master 127.0.0.1:${masters[0]} is now: $(redis-cli -p "${masters[0]}" ROLE | head -3 | paste -sd' ' -) ($(( $(now_ms) - t4 )) ms; redis-sentinel waits 4 hello periods first, so do we)"
echo "  meanwhile HAProxy never sent it a client: the agent said: $(printf 'port1 127.0.0.1:%s\n' "${masters[0]}" | timeout 1 python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",'"$agent"')); s.sendall(sys.stdin.read().encode()); print(s.recv(200).decode().strip())')"
echo "  and HAProxy still routes port1 to port $(via_haproxy)"
echo
echo "the state each sentinel persisted ($work/s1/sentinel.conf, generated part):"
sed -n '/# Generated by CONFIG REWRITE/,$p' "$work/s1/sentinel.conf" | grep -E 'port1|current-epoch|myid' | sed 's/^/  /'
echo
echo "demo done; stopping everything."
