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
# go.mod asks for a newer Go than Debian packages. Go 1.21 and later fetch
# it themselves unless GOTOOLCHAIN is local; older ones (Debian 12's 1.19)
# cannot.
want=$(sed -n 's/^go //p' go.mod)
have=$(go env GOVERSION 2>/dev/null || echo go1.0)
have=${have#go}
if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" != "$want" ]; then
	toolchain=$(go env GOTOOLCHAIN 2>/dev/null || echo local)
	if [[ $have =~ ^1\.([0-9]+) ]] && { ((BASH_REMATCH[1] < 21)) || [ "$toolchain" = local ]; }; then
		echo "Go $have cannot build this (go.mod: go $want, GOTOOLCHAIN=$toolchain): install Go $want or newer from https://go.dev/dl"
		exit 1
	fi
fi
