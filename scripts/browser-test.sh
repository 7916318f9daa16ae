#!/usr/bin/env bash
# Runs the citizen portal's browser test suite (Tests/browser, Python + Selenium against Debian's chromium):
# builds the server, starts it in demo mode in a fresh temporary directory on a free loopback port, runs the
# suite against it and always stops it. Arguments go to pytest (e.g. -k security, -x).
# Screenshots of the key pages land in browser-screenshots/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

for tool in /usr/bin/chromium /usr/bin/chromedriver; do
  if [ ! -x "$tool" ]; then
    echo "strongroom: $tool is missing; run scripts/install-system-deps.sh" >&2
    exit 1
  fi
done

# The Python environment: created and filled once (only what Tests/browser/requirements.txt pins).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python - Tests/browser/requirements.txt <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, wanted = line.partition("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  .venv/bin/pip install --quiet --disable-pip-version-check -r Tests/browser/requirements.txt
fi

# The server refuses rule files that others can write (see scripts/test.sh).
chmod -R go-w Catalog Policies
umask 022

# The same build plan as `swift test` (so after it nothing is compiled again; `--product` alone would rebuild
# HummingbirdCore and what depends on it with another plan).
swift build --build-tests
binary="$(swift build --show-bin-path)/strongroom"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/strongroom-browser.XXXXXX")
log="$tmp/server.log"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop_server EXIT

# Many fresh accounts come from one address: lift the sign-up throttle for this throwaway installation.
"$binary" serve --demo --keys "$tmp/Keys" --data "$tmp/data" --catalog Catalog --policies Policies \
  --port "$port" --sign-ups-per-address 10000 >"$log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "strongroom: the server exited before it was ready:" >&2
    cat "$log" >&2
    exit 1
  fi
  if .venv/bin/python -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url/healthz" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ "$ready" -ne 1 ]; then
  echo "strongroom: the server did not answer $url/healthz within 60 seconds:" >&2
  cat "$log" >&2
  exit 1
fi

echo "strongroom: browser tests against $url (server log $log)" >&2
status=0
STRONGROOM_URL="$url" STRONGROOM_BIN="$binary" STRONGROOM_TMP="$tmp" STRONGROOM_LOG="$log" \
  .venv/bin/python -m pytest -c Tests/browser/pytest.ini --rootdir Tests/browser --durations=15 Tests/browser "$@" || status=$?
echo "strongroom: screenshots in $repo/browser-screenshots/" >&2
if [ "$status" -ne 0 ]; then
  echo "strongroom: browser tests failed (exit $status); the server log follows" >&2
  tail -n 40 "$log" >&2 || true
fi
exit "$status"
