#!/usr/bin/env bash
# Runs the whole Strongroom test suite from a fresh clone: installs system libraries when missing, then one
# `swift test` (which builds everything once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
exec swift test "$@"
