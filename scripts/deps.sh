#!/usr/bin/env bash
# Installs the real parts the demo and the tests use, only when missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v haproxy >/dev/null || need+=(haproxy)
/usr/bin/python3 -c 'import redis' 2>/dev/null || need+=(python3-redis)
if ((${#need[@]})); then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing: ${need[*]}"
	$sudo apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go is required (https://go.dev/dl)"; exit 1; }

# ioredis for the client e2e test, pinned by e2e/clients/package-lock.json.
if command -v npm >/dev/null && [ ! -d e2e/clients/node_modules/ioredis ]; then
	(cd e2e/clients && npm ci --no-audit --no-fund --silent) || echo "npm could not install ioredis (the ioredis test will fail)"
fi
