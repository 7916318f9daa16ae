#!/usr/bin/env bash
# Installs the system libraries Strongroom links against, when missing:
# libsodium (field encryption, signatures, password hashing) and SQLite (the embedded database), and
# chromium with chromium-driver for the portal's browser tests.
# Uses apt-get, with sudo when not root. Safe to run repeatedly.
set -euo pipefail

needed=()
pkg-config --exists libsodium 2>/dev/null || needed+=(libsodium-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || needed+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || needed+=(pkg-config)
# The portal's browser tests (scripts/browser-test.sh) drive Debian's chromium through its chromedriver.
[ -x /usr/bin/chromium ] || needed+=(chromium)
[ -x /usr/bin/chromedriver ] || needed+=(chromium-driver)

if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "strongroom: missing ${needed[*]}; install them with your system's package manager" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "strongroom: need root or sudo to install ${needed[*]}" >&2; exit 1
  fi
fi

echo "strongroom: installing ${needed[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
