#!/usr/bin/env bash
# Installs the Node package only the client tests use (ioredis, pinned by
# e2e/clients/package-lock.json), when missing. `make test` runs it;
# `make demo` does not need it.
set -euo pipefail
if command -v npm >/dev/null && [ ! -d e2e/clients/node_modules/ioredis ]; then
	(cd e2e/clients && npm ci --no-audit --no-fund --silent) || echo "npm could not install ioredis (the ioredis test will fail)"
fi
