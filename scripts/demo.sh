#!/usr/bin/env bash
# Local demo on loopback: a Redis master with a replica, three of our
# sentinels, and what they discover about each other. Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SENTINEL_BIN:-bin/sentinel}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/sentinel

work=$(mktemp -d /tmp/sentinel-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: ask the kernel, then let go of it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "port $1 did not answer"; exit 1; }

master=$(free_port); replica=$(free_port)
redis-server --port "$master" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --logfile "$work/master.log" &
pids+=($!)
redis-server --port "$replica" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --logfile "$work/replica.log" --replicaof 127.0.0.1 "$master" &
pids+=($!)
wait_ping "$master"; wait_ping "$replica"
echo "redis master 127.0.0.1:$master, replica 127.0.0.1:$replica"

sports=()
t0=$(now_ms)
for n in 1 2 3; do
	p=$(free_port); sports+=("$p")
	mkdir -p "$work/s$n"
	cat >"$work/s$n/sentinel.conf" <<EOF
port $p
bind 127.0.0.1
dir $work/s$n
sentinel monitor mymaster 127.0.0.1 $master 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
EOF
	"$BIN" "$work/s$n/sentinel.conf" >"$work/s$n/log" 2>&1 &
	pids+=($!)
done
for p in "${sports[@]}"; do wait_ping "$p"; done
echo "three sentinels on ports ${sports[*]}"

# Discovery: every sentinel finds the replica (from INFO) and both peers
# (from hello messages on __sentinel__:hello).
for _ in $(seq 200); do
	done_all=1
	for p in "${sports[@]}"; do
		r=$(redis-cli -p "$p" SENTINEL MASTER mymaster | awk 'f{print;f=0} /^num-slaves$|^num-other-sentinels$/{f=1}' | tr '\n' ' ')
		[ "$r" = "1 2 " ] || done_all=0
	done
	[ $done_all = 1 ] && break
	sleep 0.1
done
t1=$(now_ms)
echo "full discovery (1 replica, 2 peers on each sentinel) after $((t1 - t0)) ms"
echo
echo "\$ redis-cli -p ${sports[0]} SENTINEL get-master-addr-by-name mymaster"
redis-cli -p "${sports[0]}" SENTINEL get-master-addr-by-name mymaster
echo
echo "\$ redis-cli -p ${sports[0]} SENTINEL replicas mymaster   (name, flags, link status)"
redis-cli -p "${sports[0]}" SENTINEL replicas mymaster | awk 'f{print "  " k ": " $0;f=0} /^(name|flags|master-link-status)$/{k=$0;f=1}'
echo
echo "\$ redis-cli -p ${sports[0]} SENTINEL sentinels mymaster   (peers found through hello)"
redis-cli -p "${sports[0]}" SENTINEL sentinels mymaster | awk 'f{print "  " k ": " $0;f=0} /^(ip|port|flags)$/{k=$0;f=1}'
echo
echo "\$ redis-cli -p ${sports[0]} INFO sentinel"
redis-cli -p "${sports[0]}" INFO sentinel | tr -d '\r' | sed 's/^/  /'
echo
echo "killing the master (kill -9) to show subjective down..."
t2=$(now_ms)
kill -9 "${pids[0]}"
for _ in $(seq 100); do
	redis-cli -p "${sports[0]}" SENTINEL master mymaster | grep -q s_down && break
	sleep 0.05
done
echo "  +sdown seen $(( $(now_ms) - t2 )) ms after the kill (down-after 1000 ms)"
echo "  flags now: $(redis-cli -p "${sports[0]}" SENTINEL master mymaster | awk 'f{print;f=0} /^flags$/{f=1}')"
echo
echo "the state each sentinel persisted ($work/s1/sentinel.conf):"
grep '^sentinel' "$work/s1/sentinel.conf" | sed 's/^/  /'
echo
echo "demo done; stopping everything."
