#!/usr/bin/env bash
# Builds Strongroom and runs the HTTP API in demo mode on an embedded SQLite database in ./demo
# (keys and demo accounts are created on first run and printed). Installs system libraries when missing.
# Extra arguments go to `strongroom serve`, for example: scripts/demo.sh --port 9090
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
# The server refuses rule files that others can write; a checkout made under a loose umask (0002) has them.
chmod -R go-w Catalog Policies
swift build --product strongroom
BIN="$(swift build --show-bin-path)/strongroom"
mkdir -p demo
exec "$BIN" serve --demo --keys demo/Keys --data demo/data --catalog Catalog --policies Policies "$@"
