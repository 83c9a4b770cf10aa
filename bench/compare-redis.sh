#!/usr/bin/env bash
# Side-by-side throughput / latency / CPU-per-request comparison of
# tierkv-server and redis-server with redis-benchmark.
#
# Both servers run at once on 127.0.0.1 with persistence off; each round runs
# every test at every pipeline depth against both, the server that goes first
# alternating from round to round. Per run we record redis-benchmark's --csv
# line (rps, p50, p99) and the server's utime+stime delta from /proc/PID/stat.
# The summary shows medians over rounds and tierkv/redis ratios.
#
# Collection tests (lpush, spop, lrange_100, ...; see lib/collection_prep.py)
# get their key reset (and filled, for the pop tests) before every run, and a
# test that a server does not implement is reported as unsupported and skipped.
#
# Usage: bench/compare-redis.sh [--quick] [options]   (see --help)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: $0 [--quick] [options]

  --quick                 smoke test: tiny counts, 2 rounds (also QUICK=1)
  --rounds N              rounds per test (ROUNDS, default 3)
  -n, --requests N        requests per run at -P 1 (REQUESTS, default 200000)
  --requests-pipelined N  requests per run at -P >1 (REQUESTS_PIPELINED, default 5x REQUESTS)
  --tests LIST            redis-benchmark tests (TESTS, default set,get,incr,mset)
  --pipelines LIST        pipeline depths (PIPELINES, default 1,16)
  -c, --clients N         connections (CLIENTS, default 50)
  --keyspace N            redis-benchmark -r (KEYSPACE, default 1000000)
  --data-size N           redis-benchmark -d, value bytes (DATA_SIZE, default 3)
  --out DIR               keep raw results + summary.md in DIR (OUT_DIR)
  --run-timeout S         cap per redis-benchmark run (RUN_TIMEOUT, default 300)
  --no-prefill            skip writing the whole keyspace before round 1 (PREFILL=0;
                          only done when TESTS has set, get, incr or mset)

Environment: TIERKV_BIN (default <repo>/build/bin/tierkv-server), REDIS_BIN,
REDIS_BENCHMARK, REDIS_CLI, TIERKV_ARGS / REDIS_ARGS (extra server args),
REDIS_BENCHMARK_ARGS (extra redis-benchmark args, e.g. "--threads 3"),
SUMMARY_ARGS (extra lib/compare_summary.py args, e.g. "--target-tput 2"),
PIN=0 (no taskset), SERVER_CPUS (default 0), CLIENT_CPUS (default 1),
KEEP_TMP=1 (keep server dirs and logs), LABEL (first column of summary.md rows).
EOF
}

QUICK=${QUICK:-0}
ROUNDS=${ROUNDS:-}
REQUESTS=${REQUESTS:-}
REQUESTS_PIPELINED=${REQUESTS_PIPELINED:-}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-1,16}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-}
DATA_SIZE=${DATA_SIZE:-3}
OUT_DIR=${OUT_DIR:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
PREFILL=${PREFILL:-1}

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    -n|--requests) REQUESTS=$2; shift ;;
    --requests-pipelined) REQUESTS_PIPELINED=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --pipelines) PIPELINES=$2; shift ;;
    -c|--clients) CLIENTS=$2; shift ;;
    --keyspace) KEYSPACE=$2; shift ;;
    --data-size) DATA_SIZE=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --run-timeout) RUN_TIMEOUT=$2; shift ;;
    --no-prefill) PREFILL=0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-2}; REQUESTS=${REQUESTS:-10000}
  REQUESTS_PIPELINED=${REQUESTS_PIPELINED:-100000}; KEYSPACE=${KEYSPACE:-10000}
  ((RUN_TIMEOUT > 60)) && RUN_TIMEOUT=60
else
  ROUNDS=${ROUNDS:-3}; REQUESTS=${REQUESTS:-200000}
  REQUESTS_PIPELINED=${REQUESTS_PIPELINED:-$((REQUESTS * 5))}
  KEYSPACE=${KEYSPACE:-1000000}
fi
for v in ROUNDS REQUESTS REQUESTS_PIPELINED CLIENTS KEYSPACE DATA_SIZE RUN_TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
IFS=, read -r -a TEST_LIST <<<"$TESTS"
IFS=, read -r -a PIPE_LIST <<<"$PIPELINES"
read -r -a RB_EXTRA <<<"${REDIS_BENCHMARK_ARGS:-}"

check_bins "$REDIS_BENCHMARK"
command -v timeout >/dev/null || die "coreutils timeout is required"

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_tmpdir
RES=${OUT_DIR:-$BENCH_TMP/results}
mkdir -p "$RES"
RUNS=$RES/runs.tsv
printf 'server\tround\ttest\tpipeline\trequests\tcpu_ticks\twall_s\tcsv\tclient_ticks\tother_ticks\tsteal_ticks\tfsyncs\tfsync_ns\n' >"$RUNS"

warn_if_busy
PREP=$BENCH_DIR/lib/collection_prep.py
read -r -a PREP_TESTS < <("$PY" "$PREP" tests)
# is_prep_test TEST: whether lib/collection_prep.py probes and prepares TEST.
is_prep_test() { [[ " ${PREP_TESTS[*]} " == *" ${1,,} "* ]]; }
declare -A PORT PID BIN
BIN[tierkv]=$TIERKV_BIN
BIN[redis]=$REDIS_BIN
for s in tierkv redis; do
  PORT[$s]=$(free_port)
  start_server "$s" "${BIN[$s]}" "${PORT[$s]}"
  PID[$s]=$SERVER_PID
done
for s in tierkv redis; do wait_ready "$s" "${PID[$s]}" "${PORT[$s]}"; done
log "tierkv: ${BIN[tierkv]} pid ${PID[tierkv]} port ${PORT[tierkv]}"
log "redis:  ${BIN[redis]} pid ${PID[redis]} port ${PORT[redis]}"
if [[ $PIN == 1 ]]; then
  log "pinning: servers on CPU $SERVER_CPUS, redis-benchmark on CPU $CLIENT_CPUS"
else
  log "pinning: off"
fi
[[ -n $BENCH_NICE ]] && log "nice: servers and redis-benchmark at $BENCH_NICE"
[[ $BENCH_RT == 1 ]] && log "servers and redis-benchmark run SCHED_FIFO (chrt -f 1)"

# A test either server cannot run (a command it does not implement yet) is
# skipped and listed as unsupported in the summary: redis-benchmark would stop
# at the first error reply and end the whole comparison.
UNSUPPORTED=$RES/unsupported.tsv
: >"$UNSUPPORTED"
supported=()
for t in "${TEST_LIST[@]}"; do
  why=""
  is_prep_test "$t" || { supported+=("$t"); continue; }
  for s in tierkv redis; do
    rc=0
    out=$("$PY" "$PREP" probe "${PORT[$s]}" "$t" </dev/null) || rc=$?
    case $rc in
      0) ;;
      3) why="$s: $out"; break ;;
      *) die "probing $s for $t failed (status $rc)" ;;
    esac
  done
  if [[ -n $why ]]; then
    log "unsupported, skipped: $t ($why)"
    printf '%s\t%s\n' "$t" "$why" >>"$UNSUPPORTED"
  else
    supported+=("$t")
  fi
done
TEST_LIST=("${supported[@]}")

# The prefill writes the string tests' keys (key:*, counter:*); collection
# tests have their own per-run state (prepare_run).
string_tests=0
for t in "${TEST_LIST[@]}"; do
  case ${t,,} in set|get|incr|mset) string_tests=1 ;; esac
done
((string_tests)) || PREFILL=0
if [[ $PREFILL == 1 ]]; then
  for s in tierkv redis; do
    log "prefilling $s: key:* and counter:* for all $KEYSPACE keyspace entries"
    run_bg_wait "${CLIENT_PIN[@]}" "$PY" "$BENCH_DIR/lib/prefill.py" "${PORT[$s]}" \
      "$KEYSPACE" "$DATA_SIZE" </dev/null || die "prefill of $s failed"
  done
fi
log "rounds=$ROUNDS tests=$(IFS=,; echo "${TEST_LIST[*]}") pipelines=$PIPELINES clients=$CLIENTS" \
    "n(P1)=$REQUESTS n(P>1)=$REQUESTS_PIPELINED keyspace=$KEYSPACE data=$DATA_SIZE B"

# requests_for PIPELINE: the request count of a run at that depth.
requests_for() {
  if [[ $1 -gt 1 ]]; then echo "$REQUESTS_PIPELINED"; else echo "$REQUESTS"; fi
}

# prepare_run SERVER TEST PIPELINE: put a collection test's key in its
# starting state (lib/collection_prep.py); nothing for the other tests.
prepare_run() {
  local s=$1 t=$2 p=$3
  is_prep_test "$t" || return 0
  run_bg_wait "${CLIENT_PIN[@]}" "$PY" "$PREP" prepare "${PORT[$s]}" "$t" \
    "$(requests_for "$p")" "$p" "$CLIENTS" "$DATA_SIZE" </dev/null \
    || die "preparing $s for $t -P $p failed"
}

# run_one SERVER ROUND TEST PIPELINE
# Besides the server's own CPU it records the client's (redis-benchmark, via
# `times`) and "other": machine-wide busy ticks minus both servers and the
# client, i.e. load from anything else on the machine (plus a little kernel
# work we cannot attribute), and hypervisor steal. The summary shows these as
# a noise indicator.
run_one() {
  local s=$1 r=$2 t=$3 p=$4 n csv w0 w1 rc=0 o
  local -A t0 t1
  local c0 c1 sys0 sys1 steal0 steal1 f0 f1
  n=$(requests_for "$p")
  csv=$RES/$s.r$r.$t.P$p.csv
  assert_alive "$s" "${PID[$s]}"
  for o in tierkv redis; do t0[$o]=$(proc_ticks "${PID[$o]}"); done
  read -r -a f0 < <(fsync_counters "$s")
  children_ticks; c0=$CHILD_TICKS; read -r sys0 steal0 < <(sys_ticks); w0=$(date +%s.%N)
  run_bg_wait timeout -k 5 "$RUN_TIMEOUT" "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" \
    -h 127.0.0.1 -p "${PORT[$s]}" -c "$CLIENTS" -n "$n" -P "$p" \
    -r "$KEYSPACE" -d "$DATA_SIZE" -t "$t" "${RB_EXTRA[@]}" --csv >"$csv" 2>"$csv.err" </dev/null || rc=$?
  w1=$(date +%s.%N); read -r sys1 steal1 < <(sys_ticks); children_ticks; c1=$CHILD_TICKS
  for o in tierkv redis; do t1[$o]=$(proc_ticks "${PID[$o]}"); done
  read -r -a f1 < <(fsync_counters "$s")
  if [[ $rc -ne 0 ]]; then
    cat "$csv" "$csv.err" >&2
    die "redis-benchmark against $s ($t -P $p) failed with status $rc"
  fi
  assert_alive "$s" "${PID[$s]}"
  grep -q '^"test","rps"' "$csv" || { cat "$csv" "$csv.err" >&2; die "no CSV header from redis-benchmark ($s $t -P $p)"; }
  local own=$((t1[$s] - t0[$s])) client=$((c1 - c0))
  local other=$((sys1 - sys0 - (t1[tierkv] - t0[tierkv]) - (t1[redis] - t0[redis]) - client))
  ((other < 0)) && other=0
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$r" "$t" "$p" "$n" \
    "$own" "$(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.3f", b-a}')" \
    "$(basename "$csv")" "$client" "$other" $((steal1 - steal0)) \
    $((f1[0] - f0[0])) $((f1[1] - f0[1])) >>"$RUNS"
  log "  round $r $t -P $p $s: $(tail -n 1 "$csv") other=$other steal=$((steal1 - steal0)) ticks"
}

start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=(tierkv redis); else order=(redis tierkv); fi
  log "round $r/$ROUNDS (order: ${order[*]})"
  for t in "${TEST_LIST[@]}"; do
    for p in "${PIPE_LIST[@]}"; do
      for s in "${order[@]}"; do prepare_run "$s" "$t" "$p"; run_one "$s" "$r" "$t" "$p"; done
    done
  done
done
log "benchmark runs took $(( $(date +%s) - start )) s"

summary_args=("$RUNS" --clk-tck "$CLK_TCK" --clients "$CLIENTS" --unsupported "$UNSUPPORTED"
              --tierkv-bin "$TIERKV_BIN" --redis-bin "$REDIS_BIN"
              --note "rounds=$ROUNDS keyspace=$KEYSPACE prefill=$PREFILL data=${DATA_SIZE}B pin=$PIN${BENCH_NICE:+ nice=$BENCH_NICE}$([[ $BENCH_RT == 1 ]] && echo " rt=fifo"); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)")
[[ -n $OUT_DIR ]] && summary_args+=(--markdown "$RES/summary.md" --label "${LABEL:-tierkv}")
read -r -a SUMMARY_EXTRA <<<"${SUMMARY_ARGS:-}"
summary_args+=("${SUMMARY_EXTRA[@]}")
"$PY" "$BENCH_DIR/lib/compare_summary.py" "${summary_args[@]}"
[[ -n $OUT_DIR ]] && log "raw results and summary.md in $RES"
exit 0
