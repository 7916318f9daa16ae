#!/usr/bin/env bash
# Builds Strongroom and runs it with demo data in ./demo (created on first run): keys, database, sample
# catalog and default policies. Installs system libraries when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
swift build --product strongroom
BIN="$(swift build --show-bin-path)/strongroom"
mkdir -p demo
cd demo
if [ ! -e Keys/root.key ]; then
  "$BIN" init --keys Keys --data data
fi
"$BIN" keys status --keys Keys
