#!/usr/bin/env bash
# Runs the benchmark suite from a fresh clone: installs system libraries and wrk (Debian package) when missing,
# builds strongroom-bench and strongroom in release mode in .build-bench (so the development .build stays
# unlocked), then runs strongroom-bench with the arguments given, for example:
#   scripts/bench.sh --quick
#   scripts/bench.sh --only http --only soak --only bad-input
# STRONGROOM_BENCH_BUILD_DIR overrides the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "strongroom: need root or sudo to install wrk" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "strongroom: installing wrk (HTTP load generator for the http and soak scenarios)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
BUILD_DIR="${STRONGROOM_BENCH_BUILD_DIR:-.build-bench}"
swift build -c release --scratch-path "$BUILD_DIR" --product strongroom-bench
swift build -c release --scratch-path "$BUILD_DIR" --product strongroom
BIN="$(swift build -c release --scratch-path "$BUILD_DIR" --show-bin-path)"
exec "$BIN/strongroom-bench" --server "$BIN/strongroom" "$@"
