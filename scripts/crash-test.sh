#!/usr/bin/env bash
# Crash test: nothing acknowledged is lost, nothing unacknowledged is half-present, the audit log verifies, and the
# server made progress until it was killed.
#
# Initialises a fresh installation in a temporary directory, adds a caseworker (`strongroom staff bootstrap` makes the
# first administrator, who runs `strongroom staff add`; the load
# driver signs in with the one-time code computed from the enrolment secret), starts `strongroom serve` with the
# offline test payment provider, and drives concurrent writes over HTTP (`strongroom-bench crash load`): citizens
# create, update and submit requests, pay fees and post messages; a sign-up desk signs new citizens up and in during
# the round (so the kill can land in a sign-up or the creation of a citizen's keys); the caseworker claims, messages
# and decides submitted requests. Every write is journaled before it is sent and again when it is acknowledged.
#
# First, round 0 checks the checker: a short load that stops by itself, a SIGKILL with nothing in flight, and
# `strongroom-bench crash self-test`, which requires `crash check` to pass that state and to fail each fault it
# forges in copies (a journal claiming acknowledged writes the database lacks; a request missing a field row; fields
# and audit entries without their request; a request row without its audit entry; a lost message).
#
# Then each round kills the server with SIGKILL at a random moment and:
#   1. fails when fewer than CRASH_MIN_ACKS writes were acknowledged before the kill (a server that accepts nothing
#      fails), and reports acknowledgements and the longest gap between them,
#   2. copies the database (with its -wal and -shm) and the subject key store (a rollback-journal database: with its
#      -journal, or -wal/-shm if its header says WAL) as they are on disk (server down),
#   3. runs `strongroom audit verify` (and --since the checkpoint saved after the previous crash),
#   4. restarts the server and runs `strongroom-bench crash check`: every acknowledged write of every kind (request,
#      update, submit, payment, message, claim, decision, sign-up, session) is on disk, has its audit entry and reads
#      back as acknowledged; every write on disk that was never acknowledged is whole and in a state one of its writes
#      could leave; no field, blind index, message, payment or audit entry without its record and no record or change
#      without its audit entry; every shredding key a field needs is in the key store.
# Repeats for CRASH_ROUNDS rounds; exits non-zero with FAIL lines on the first failure.
#
# Environment:
#   STRONGROOM_BUILD_DIR  build directory (swift build --scratch-path), default .build (the one `swift test` used)
#   STRONGROOM_BIN_DIR    use the binaries in this directory as they are (no build)
#   CRASH_ROUNDS (5)  CRASH_SEED (random; printed)  CRASH_WORKERS (16)  CRASH_CITIZENS (8)
#   CRASH_KILL_MIN_MS (300)  CRASH_KILL_MAX_MS (4000): the kill comes this long after writing begins
#   CRASH_MIN_ACKS (20)   fail a round in which fewer writes were acknowledged before the kill
#   CRASH_REQUIRE_CLEAN_STOP=1  fail when the server does not exit on SIGTERM at the end (otherwise a note)
#   CRASH_STALL_SECONDS (3)     a stall: no write acknowledged in this many seconds before a kill (in a round that
#                               ran at least that long)
#   CRASH_FAIL_ON_STALL=1       fail on a stall (otherwise a note)
#   CRASH_KEEP=1      keep the temporary directory (it is always kept on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

ROUNDS="${CRASH_ROUNDS:-5}"
SEED="${CRASH_SEED:-$(( $(date +%s) % 100000 ))}"
WORKERS="${CRASH_WORKERS:-16}"
CITIZENS="${CRASH_CITIZENS:-8}"
KILL_MIN_MS="${CRASH_KILL_MIN_MS:-300}"
KILL_MAX_MS="${CRASH_KILL_MAX_MS:-4000}"
MIN_ACKS="${CRASH_MIN_ACKS:-20}"
STALL_SECONDS="${CRASH_STALL_SECONDS:-3}"
RANDOM="$SEED"
STARTED_AT=$(date +%s)

say() { printf 'crash-test: %s\n' "$*"; }
fail() {
  printf 'crash-test: FAIL: %s\n' "$*" >&2
  FAILED=1
  exit 1
}

if [ -n "${STRONGROOM_BIN_DIR:-}" ]; then
  BIN="$STRONGROOM_BIN_DIR"
else
  BUILD_DIR="${STRONGROOM_BUILD_DIR:-.build}"
  scripts/install-system-deps.sh
  say "building strongroom and strongroom-bench (debug) in $BUILD_DIR"
  # The same build plan as `swift test`, so that after it (as in CI) nothing is compiled again; building single
  # products would rebuild HummingbirdCore and its dependents with another plan.
  swift build --scratch-path "$BUILD_DIR" --build-tests
  BIN="$(swift build --scratch-path "$BUILD_DIR" --show-bin-path)"
fi
for tool in strongroom strongroom-bench; do
  [ -x "$BIN/$tool" ] || fail "no $BIN/$tool; build it or set STRONGROOM_BIN_DIR"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/strongroom-crash.XXXXXX")"
STATE="$WORK/state"
SERVER_PID=""
LOAD_PID=""
FAILED=0
cleanup() {
  if [ -n "$LOAD_PID" ] && kill -0 "$LOAD_PID" 2>/dev/null; then kill "$LOAD_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$FAILED" != 0 ] || [ "${CRASH_KEEP:-0}" = 1 ]; then
    say "kept $WORK (server logs serve-*.log, journals in state/, database copies in snapshot-*/)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'FAILED=1; exit 130' INT TERM

say "seed $SEED (CRASH_SEED=$SEED reproduces the kill delays), $ROUNDS rounds, $WORKERS writers, $CITIZENS citizens"
"$BIN/strongroom" init --keys "$WORK/Keys" --data "$WORK/data" > "$WORK/init.log" 2>&1 \
  || { cat "$WORK/init.log" >&2; fail "strongroom init failed"; }
# The caseworker, added by the installation's first administrator (signed in as the operator of `staff add` with the
# code its authenticator secret gives now): both enrolments, with initial passwords and authenticator secrets, stay
# in the state directory (mode 0700).
mkdir -m 700 -p "$STATE"
INSTALL=(--keys "$WORK/Keys" --data "$WORK/data" --catalog "$ROOT/Catalog" --policies "$ROOT/Policies")
( umask 077; "$BIN/strongroom" staff bootstrap "${INSTALL[@]}" --login crash-administrator > "$STATE/admin-enrolment.txt" 2> "$WORK/staff.log" ) \
  || { cat "$WORK/staff.log" >&2; fail "strongroom staff bootstrap failed"; }
( umask 077
  STRONGROOM_OPERATOR_PASSWORD="$("$BIN/strongroom-bench" crash code "$STATE/admin-enrolment.txt" --field password)" \
  STRONGROOM_OPERATOR_CODE="$("$BIN/strongroom-bench" crash code "$STATE/admin-enrolment.txt")" \
    "$BIN/strongroom" staff add "${INSTALL[@]}" --operator crash-administrator \
    --login crash-caseworker --role caseworker --office central > "$STATE/staff-enrolment.txt" 2> "$WORK/staff.log" ) \
  || { cat "$WORK/staff.log" >&2; fail "strongroom staff add failed"; }

# Starts the server on a free port; sets SERVER_PID and PORT.
START_COUNT=0
STALLS=0
start_server() {
  START_COUNT=$((START_COUNT + 1))
  local log="$WORK/serve-$START_COUNT.log"
  : > "$log"
  "$BIN/strongroom" serve --keys "$WORK/Keys" --data "$WORK/data" --catalog "$ROOT/Catalog" --policies "$ROOT/Policies" \
    --host 127.0.0.1 --port 0 --payment-provider offline-test --sign-ups-per-address 1000000 > "$log" 2>&1 &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 600); do
    PORT="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/.*://')" || true
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$log" >&2; fail "the server exited while starting (start $START_COUNT)"; }
    sleep 0.1
  done
  fail "the server did not start listening within 60 s (start $START_COUNT, log $log)"
}

# Copies the database and the subject key store as they are on disk (the server must be down). The database runs in
# WAL mode: its -wal and -shm go with it. The subject key store uses a rollback journal (journal_mode=DELETE, see
# Sources/Strongroom/SubjectKeyStore.swift): a hot -journal left by the crash goes with it (opening the copy rolls
# it back); -wal and -shm only if its header says WAL (bytes 18-19 = 2).
snapshot() {
  local dir="$WORK/snapshot-$1" keys="$WORK/Keys/subjects.sqlite" companions=(-journal)
  mkdir -p "$dir"
  for file in "$WORK/data/strongroom.sqlite" "$WORK/data/strongroom.sqlite-wal" "$WORK/data/strongroom.sqlite-shm"; do
    [ -f "$file" ] && cp -p "$file" "$dir/"
  done
  if [ -f "$keys" ]; then
    [ "$(od -An -tu1 -j18 -N1 "$keys" | tr -d ' ')" = 2 ] && companions=(-wal -shm)
    cp -p "$keys" "$dir/"
    for suffix in "${companions[@]}"; do [ -f "$keys$suffix" ] && cp -p "$keys$suffix" "$dir/"; done
  fi
  SNAPSHOT="$dir"
}

audit_verify() {
  local round="$1" since=()
  [ "$round" -gt 0 ] && [ -f "$WORK/checkpoint-$((round - 1))" ] && since=(--since "$WORK/checkpoint-$((round - 1))")
  "$BIN/strongroom" audit verify --data "$WORK/data" --public-key "$WORK/Keys/audit-signing.pub" "${since[@]}" \
    > "$WORK/verify-$round.log" 2>&1 || { cat "$WORK/verify-$round.log" >&2; fail "round $round: strongroom audit verify failed"; }
  # A signed checkpoint of the log as the crash left it: the next round's verify proves the log extends it.
  "$BIN/strongroom" audit checkpoint --new --keys "$WORK/Keys" --data "$WORK/data" --save "$WORK/checkpoint-$round" \
    > "$WORK/checkpoint-$round.log" 2>&1 || { cat "$WORK/checkpoint-$round.log" >&2; fail "round $round: strongroom audit checkpoint --new failed"; }
  say "round $round: audit verify passed${since:+ (log extends the checkpoint saved after round $((round - 1)))}"
}

# Runs one round of load in the background; sets LOAD_PID once writing has begun.
start_load() {
  local round="$1" seconds="$2"
  "$BIN/strongroom-bench" crash load --port "$PORT" --state "$STATE" --round "$round" --workers "$WORKERS" --citizens "$CITIZENS" \
    --seconds "$seconds" --min-acks "$MIN_ACKS" --stall-seconds "$STALL_SECONDS" > "$WORK/load-$round.log" 2>&1 &
  LOAD_PID=$!
  for _ in $(seq 1 1200); do
    [ -f "$STATE/started-$round" ] && return 0
    kill -0 "$LOAD_PID" 2>/dev/null || { cat "$WORK/load-$round.log" >&2; fail "round $round: the load driver exited before writing"; }
    sleep 0.1
  done
  fail "round $round: the load driver did not start writing within 120 s"
}

# Waits for the load driver; fails on a refused write or too few acknowledgements (FAIL lines in its output).
finish_load() {
  local round="$1" load_status=0
  wait "$LOAD_PID" || load_status=$?
  LOAD_PID=""
  cat "$WORK/load-$round.log"
  [ "$load_status" = 0 ] || fail "round $round: the load driver failed (FAIL lines above: a write refused while the server was up, or too few acknowledged)"
  ACKS="$(sed -n 's/.*: acknowledged \([0-9]*\) writes.*/\1/p' "$WORK/load-$round.log" | head -1)"
  GAP="$(sed -n 's/.*longest gap between acknowledgements \([0-9.]*\) s.*/\1/p' "$WORK/load-$round.log" | head -1)"
  FIGURES+=("round $round: ${ACKS:-?} acknowledged (minimum $MIN_ACKS), longest gap ${GAP:-?} s")
}

FIGURES=()
start_server

# Round 0: the checker's self-test on a state it must pass, and on forged copies it must fail.
start_load 0 3
finish_load 0
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
snapshot 0
audit_verify 0
start_server
"$BIN/strongroom-bench" crash self-test --port "$PORT" --state "$STATE" --snapshot "$SNAPSHOT" --round 0 > "$WORK/self-test.log" 2>&1 \
  || { cat "$WORK/self-test.log" >&2; fail "the crash checker's self-test failed: it passes a fault or fails an intact state"; }
cat "$WORK/self-test.log"
say "round 0: the checker passed the intact state and detected every forged fault"

for round in $(seq 1 "$ROUNDS"); do
  start_load "$round" 60
  delay_ms=$(( KILL_MIN_MS + (RANDOM * 32768 + RANDOM) % (KILL_MAX_MS - KILL_MIN_MS + 1) ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/serve-$START_COUNT.log" >&2; fail "round $round: the server died by itself under load"; }
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  finish_load "$round"
  if grep -q '^STALL:' "$WORK/load-$round.log"; then
    STALLS=$((STALLS + 1))
    [ "${CRASH_FAIL_ON_STALL:-0}" = 1 ] && fail "round $round: the server had stopped answering before the kill"
  fi
  say "round $round: server killed with SIGKILL ${delay_ms} ms after writing began; ${ACKS:-?} writes acknowledged (minimum $MIN_ACKS)"

  snapshot "$round"
  audit_verify "$round"
  start_server
  "$BIN/strongroom-bench" crash check --port "$PORT" --state "$STATE" --snapshot "$SNAPSHOT" --round "$round" \
    > "$WORK/check-$round.log" 2>&1 || { cat "$WORK/check-$round.log" >&2; fail "round $round: crash check failed"; }
  cat "$WORK/check-$round.log"
done

# A clean stop at the end, and one last verification of the whole log.
kill -TERM "$SERVER_PID"
for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  # Not what this test is about (durability), so a note rather than a failure; CRASH_REQUIRE_CLEAN_STOP=1 fails.
  say "note: strongroom serve did not exit within 15 s of SIGTERM; killing it"
  [ "${CRASH_REQUIRE_CLEAN_STOP:-0}" = 1 ] && fail "strongroom serve ignores SIGTERM"
  kill -9 "$SERVER_PID"
fi
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
"$BIN/strongroom" audit verify --data "$WORK/data" --public-key "$WORK/Keys/audit-signing.pub" --since "$WORK/checkpoint-$ROUNDS" \
  > "$WORK/verify-final.log" 2>&1 || { cat "$WORK/verify-final.log" >&2; fail "final strongroom audit verify failed"; }
[ "$STALLS" = 0 ] || say "note: in $STALLS of $ROUNDS rounds the server had stopped answering writes for over $STALL_SECONDS s before it was killed (STALL lines above; CRASH_FAIL_ON_STALL=1 fails)"
for line in "${FIGURES[@]}"; do say "$line"; done
say "PASS: $ROUNDS crashes, every acknowledged write present and readable, nothing half-present, audit log intact ($(( $(date +%s) - STARTED_AT )) s)"
