#!/usr/bin/env bash
# Durable writes side by side: tierkv-server and redis-server, both with
# `--appendonly yes --appendfsync always`, so that no reply to a write goes
# out before the write is fdatasync'ed.
#
# Part 1 is bench/compare-redis.sh with that configuration (SET and INCR,
# -P 1, -c 50, 3 rounds, both servers at once, medians, per-round figures and
# tierkv/redis ratios), checked against this benchmark's targets: throughput
# >= 1.5x Redis, p99 no worse. Both servers' data dirs are under the same
# temporary directory ($TMPDIR, default /tmp), so on the same filesystem.
#
# With --fsync-delay 50,200,3500 part 1 runs once per latency on a simulated
# disk instead: both servers' data dirs on tmpfs (FSYNC_DELAY_DIR, default
# /dev/shm), where a sync costs nothing, and lib/fsync_delay.c (built here with
# cc) preloaded into both, which makes every fsync/fdatasync last that many
# microseconds (a sleep, like a real device wait) and counts the calls, so the
# per-round lines show each server's writes per fsync and mean fsync time.
# That gives a fast (NVMe-like) and a slow disk on any machine, the same for
# both servers, without this VM's own fsync (see docs/BENCHMARKS.md 4.1).
# Part 2 (skipped without strace, or with --no-fsync-count) counts fsyncs:
# per round, each server is started on an empty dir under
# `strace --seccomp-bpf -e trace=fsync,fdatasync` (only those syscalls stop the
# tracee) for one SET run, and the fsync calls timestamped inside the run give
# fsyncs/s and writes per fsync (the group commit size). strace adds time to
# each fsync, so part 2's ops/s are not the benchmark's; writes per fsync is
# the figure to read.
#
# Usage: bench/durability-always.sh [--quick] [options]   (see --help)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: $0 [--quick] [options] [-- compare-redis.sh options]

  --quick               smoke test: n=10000, keyspace 10000 (also QUICK=1); still 3 rounds
  --rounds N            rounds (ROUNDS, default 3)
  -n, --requests N      requests per redis-benchmark run (REQUESTS, default 100000)
  --tests LIST          redis-benchmark tests (TESTS, default set,incr)
  --fsync-requests N    SETs per strace run, one per server and round (FSYNC_REQUESTS,
                        default 20000; quick 5000)
  --no-fsync-count      skip part 2 (FSYNC_COUNT=0)
  --fsync-delay LIST    simulated disks instead of \$TMPDIR's: part 1 once per fsync latency
                        in microseconds (e.g. 50,200,3500), data dirs on tmpfs
                        (FSYNC_DELAY_DIR, default /dev/shm); part 2 is not run (FSYNC_DELAYS)
  --out DIR             keep compare-redis.sh's raw results + summary.md in DIR/always
                        and the fsync counts in DIR/fsync.tsv

Everything after -- goes to bench/compare-redis.sh (e.g. --clients 100).
Environment as for bench/compare-redis.sh (TIERKV_BIN, REDIS_BIN, TIERKV_ARGS, ...).
EOF
}

QUICK=${QUICK:-0}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-}
TESTS=${TESTS:-set,incr}
FSYNC_REQUESTS=${FSYNC_REQUESTS:-}
FSYNC_COUNT=${FSYNC_COUNT:-1}
FSYNC_DELAYS=${FSYNC_DELAYS:-}
FSYNC_DELAY_DIR=${FSYNC_DELAY_DIR:-/dev/shm}
OUT_DIR=${OUT_DIR:-}
PASS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    -n|--requests) REQUESTS=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --fsync-requests) FSYNC_REQUESTS=$2; shift ;;
    --no-fsync-count) FSYNC_COUNT=0 ;;
    --fsync-delay) FSYNC_DELAYS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; PASS=("$@"); break ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
if [[ $QUICK == 1 ]]; then
  REQUESTS=${REQUESTS:-10000}; FSYNC_REQUESTS=${FSYNC_REQUESTS:-5000}; KEYSPACE_ARG=(--keyspace 10000)
else
  REQUESTS=${REQUESTS:-100000}; FSYNC_REQUESTS=${FSYNC_REQUESTS:-20000}; KEYSPACE_ARG=()
fi
for v in ROUNDS REQUESTS FSYNC_REQUESTS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
IFS=, read -r -a DELAY_LIST <<<"$FSYNC_DELAYS"
for d in "${DELAY_LIST[@]}"; do
  [[ $d =~ ^[0-9]+$ ]] || die "--fsync-delay takes microseconds, e.g. 50,200,3500 (got '$d')"
done
check_bins "$REDIS_BENCHMARK"

DURABLE=(--appendonly yes --appendfsync always)
fs_of() { df -PT "$1" | awk 'NR == 2 {print $1 " (" $2 ") mounted on " $7}'; }
log "data dirs on ${TMPDIR:-/tmp}: $(fs_of "${TMPDIR:-/tmp}") (both servers)"

# What one fsync costs on that filesystem right now: 200 appends of 4 KiB,
# each followed by fdatasync (how both servers' journals/AOFs grow). On a
# shared machine this moves with other people's I/O; it bounds what either
# server can do at -P 1.
fsync_probe() {
  "$PY" - "${1:-${TMPDIR:-/tmp}}" <<'EOF'
import os, statistics, sys, tempfile, time
fd, path = tempfile.mkstemp(prefix="tierkv-fsync-probe.", dir=sys.argv[1])
try:
    lat = []
    for _ in range(200):
        os.write(fd, b"x" * 4096)
        t0 = time.perf_counter()
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    print(f"median {statistics.median(lat):.2f} ms, p90 {lat[179]:.2f} ms, max {lat[-1]:.2f} ms")
finally:
    os.close(fd)
    os.unlink(path)
EOF
}

# ---------------------------------------------------------------- part 1
# compare_always OUT_NAME LABEL: part 1 once, with the environment it is given.
compare_always() {
  local out=()
  [[ -n $OUT_DIR ]] && out=(--out "$OUT_DIR/$1")
  TIERKV_ARGS="${DURABLE[*]} ${TIERKV_ARGS:-}" REDIS_ARGS="${DURABLE[*]} ${REDIS_ARGS:-}" \
  SUMMARY_ARGS="--target-tput 1.5 --target-cpu inf --target-p99 1 --per-round ${SUMMARY_ARGS:-}" \
  LABEL=$2 \
    "$BENCH_DIR/compare-redis.sh" --rounds "$ROUNDS" --requests "$REQUESTS" --tests "$TESTS" \
    --pipelines 1 "${KEYSPACE_ARG[@]}" "${out[@]}" "${PASS[@]}"
}

if ((${#DELAY_LIST[@]})); then
  [[ $(df -PT "$FSYNC_DELAY_DIR" | awk 'NR == 2 {print $2}') == tmpfs ]] \
    || die "FSYNC_DELAY_DIR ($FSYNC_DELAY_DIR) must be on tmpfs, where a sync costs nothing"
  command -v cc >/dev/null || die "--fsync-delay needs a C compiler (cc) to build lib/fsync_delay.c"
  SHIM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tierkv-fsync-delay.XXXXXX")
  trap 'rm -rf "$SHIM_DIR"' EXIT
  cc -O2 -shared -fPIC -o "$SHIM_DIR/fsync_delay.so" "$BENCH_DIR/lib/fsync_delay.c" -ldl \
    || die "building lib/fsync_delay.c failed"
  for d in "${DELAY_LIST[@]}"; do
    log "simulated disk: fsync/fdatasync take ${d} us (data dirs on $(fs_of "$FSYNC_DELAY_DIR"))"
    log "fdatasync of a 4 KiB append there: $(LD_PRELOAD=$SHIM_DIR/fsync_delay.so FSYNC_DELAY_US=$d \
      fsync_probe "$FSYNC_DELAY_DIR")"
    TMPDIR=$FSYNC_DELAY_DIR FSYNC_SHIM=$SHIM_DIR/fsync_delay.so FSYNC_DELAY_US=$d \
      compare_always "always-fsync-${d}us" "${LABEL:-tierkv appendfsync always}, fsync ${d} us"
    log "fdatasync of a 4 KiB append after the runs: $(LD_PRELOAD=$SHIM_DIR/fsync_delay.so \
      FSYNC_DELAY_US=$d fsync_probe "$FSYNC_DELAY_DIR")"
  done
  exit 0
fi

log "fdatasync of a 4 KiB append there: $(fsync_probe)"
compare_always always "${LABEL:-tierkv appendfsync always}"

# ---------------------------------------------------------------- part 2
if [[ $FSYNC_COUNT != 1 ]]; then exit 0; fi
if ! command -v strace >/dev/null || ! strace -f -qq --seccomp-bpf -e trace=fsync true 2>/dev/null; then
  log "strace with --seccomp-bpf not available: no fsync counts"
  exit 0
fi

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_tmpdir
TIERKV_ARGS="${DURABLE[*]} ${TIERKV_ARGS:-}"
REDIS_ARGS="${DURABLE[*]} ${REDIS_ARGS:-}"
declare -A PORT WRAPPER BIN
BIN[tierkv]=$TIERKV_BIN
BIN[redis]=$REDIS_BIN
FSYNC_TSV=${OUT_DIR:+$OUT_DIR/fsync.tsv}
FSYNC_TSV=${FSYNC_TSV:-$BENCH_TMP/fsync.tsv}
mkdir -p "$(dirname "$FSYNC_TSV")"
printf 'server\tround\trequests\twall_s\tfsyncs\n' >"$FSYNC_TSV"

# fsync_run NAME ROUND: start NAME on an empty dir under strace, one SET run,
# count the fsyncs inside it.
fsync_run() {
  local s=$1 r=$2 trace w0 w1 n rc=0
  trace=$BENCH_TMP/$s.r$r.strace
  rm -rf "${BENCH_TMP:?}/$s"
  SERVER_WRAP=(strace -f -qq --seccomp-bpf -e "trace=fsync,fdatasync" -e signal=none -ttt -o "$trace")
  PORT[$s]=$(free_port)
  start_server "$s" "${BIN[$s]}" "${PORT[$s]}"
  SERVER_WRAP=()
  WRAPPER[$s]=$SERVER_PID
  wait_ready "$s" "${WRAPPER[$s]}" "${PORT[$s]}"
  w0=$(date +%s.%N)
  run_bg_wait timeout -k 5 300 "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "${PORT[$s]}" \
    -c 50 -n "$FSYNC_REQUESTS" -P 1 -r 100000 -t set -q </dev/null >"$BENCH_TMP/$s.fsync.out" 2>&1 || rc=$?
  w1=$(date +%s.%N)
  [[ $rc -eq 0 ]] || { cat "$BENCH_TMP/$s.fsync.out" >&2; die "redis-benchmark against $s (strace) failed"; }
  # SHUTDOWN NOSAVE: no final checkpoint; strace exits with the server and
  # has then written every line.
  "$REDIS_CLI" -h 127.0.0.1 -p "${PORT[$s]}" shutdown nosave >/dev/null 2>&1 || true
  stop_pid "${WRAPPER[$s]}"
  # Lines: "PID SECONDS.MICROS fdatasync(FD <unfinished ...>" or "... = 0"; a
  # "<... fdatasync resumed>" line is the same call's end and is not counted.
  n=$(awk -v a="$w0" -v b="$w1" '$2 >= a && $2 <= b && $3 ~ /^f(data)?sync\(/ {c++} END {print c + 0}' "$trace")
  printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$r" "$FSYNC_REQUESTS" \
    "$(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.3f", b-a}')" "$n" >>"$FSYNC_TSV"
  log "  round $r $s under strace: $FSYNC_REQUESTS SETs in $(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.2f", b-a}') s, $n fsyncs"
}

log "fsync count: $ROUNDS rounds of one SET run (-c 50 -P 1, n=$FSYNC_REQUESTS) per server under strace"
log "fdatasync of a 4 KiB append: $(fsync_probe)"
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=(tierkv redis); else order=(redis tierkv); fi
  for s in "${order[@]}"; do fsync_run "$s" "$r"; done
done
echo
echo "fsyncs during a SET run under strace (-c 50 -P 1, n=$FSYNC_REQUESTS), medians of $ROUNDS rounds;"
echo "ops/s here are slowed by strace (each fsync stops the server for strace); writes/fsync is the figure"
"$PY" - "$FSYNC_TSV" <<'EOF'
import csv, statistics, sys
runs = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    runs.setdefault(r["server"], []).append(r)
print(f"{'server':<8}{'ops/s':>9}{'fsyncs/s':>10}{'writes/fsync':>14}   per round (writes/fsync)")
for s, rs in runs.items():
    m = lambda f: statistics.median(f(r) for r in rs)
    wpf = [int(r["requests"]) / max(1, int(r["fsyncs"])) for r in rs]
    print(f"{s:<8}{m(lambda r: int(r['requests']) / float(r['wall_s'])):>9,.0f}"
          f"{m(lambda r: int(r['fsyncs']) / float(r['wall_s'])):>10,.0f}"
          f"{statistics.median(wpf):>14.1f}   " + ", ".join(f"{x:.1f}" for x in wpf))
EOF
exit 0
