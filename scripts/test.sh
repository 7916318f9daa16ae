#!/usr/bin/env bash
# Runs the whole Strongroom test suite from a fresh clone: installs system libraries when missing, then one
# `swift test` (which builds everything once). The portal's browser suite runs on its own with
# scripts/browser-test.sh until its known failures are fixed (issue 15).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
# The server refuses rule files that others can write; a checkout made under a loose umask (0002) has them.
chmod -R go-w Catalog Policies
# Files the tests write (copied catalogs, policy edits) must not come out group-writable either.
umask 022
exec swift test "$@"
