#!/usr/bin/env bash
# Runs the whole Strongroom test suite from a fresh clone: installs system libraries when missing, then one
# `swift test` (which builds everything once), then the portal's browser tests (scripts/browser-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
# The server refuses rule files that others can write; a checkout made under a loose umask (0002) has them.
chmod -R go-w Catalog Policies
# Files the tests write (copied catalogs, policy edits) must not come out group-writable either.
umask 022
status=0
swift test "$@" || status=$?
# Then the citizen portal in a real browser (Tests/browser); both run, and either failing fails the script.
scripts/browser-test.sh || status=$?
exit "$status"
