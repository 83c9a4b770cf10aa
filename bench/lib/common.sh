# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the sourcing scripts
# Shared helpers for the bench/*.sh comparison scripts: binary resolution,
# starting/stopping servers on 127.0.0.1, readiness, CPU accounting.
# Sourced, not executed. Callers must `trap bench_cleanup EXIT` (and INT/TERM).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3

# The tierkv binary: $TIERKV_BIN, else <repo>/build/bin/tierkv-server.
TIERKV_BIN=${TIERKV_BIN:-$REPO_ROOT/build/bin/tierkv-server}
REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || echo /usr/bin/redis-server)}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-$(command -v redis-benchmark || echo /usr/bin/redis-benchmark)}
CLK_TCK=$(getconf CLK_TCK)

# CPU pinning: servers on SERVER_CPUS, load generators on CLIENT_CPUS, only
# when taskset exists and at least two CPUs are usable. PIN=0 disables.
PIN=${PIN:-1}
SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
if [[ $PIN == 1 ]] && command -v taskset >/dev/null 2>&1 \
    && [[ $(nproc) -ge 2 ]]; then
  SERVER_PIN=(taskset -c "$SERVER_CPUS")
  CLIENT_PIN=(taskset -c "$CLIENT_CPUS")
else
  PIN=0
  SERVER_PIN=()
  CLIENT_PIN=()
fi
# BENCH_NICE=N (e.g. -19, as root): servers and load generators run at that nice level, so
# that other work on a shared machine (builds) takes little of their CPUs during a run.
# Both servers alike; the other work slows down meanwhile. Off by default.
BENCH_NICE=${BENCH_NICE:-}
# Nice is not always enough: a server that sleeps in fsync leaves its CPU to a build, and
# the kernel (EEVDF) lets the build finish its slice before the server runs again, so each
# fsync seems to last about a slice (Redis measured 0.5-1.1 ms mean for a 0.05 ms sync at
# nice -19). BENCH_RT=1 (root) runs servers and load generators SCHED_FIFO instead
# (`chrt -f 1`), as on a machine of their own: a wake-up runs at once. Same-priority FIFO
# threads do not preempt each other, so a server's background thread waits for its main
# thread to block; that can only slow a multi-threaded server (tierkv), not help it. Use it
# where the main thread blocks often (appendfsync always): under a load that keeps it busy
# (everysec at -P 16) tierkv's journal thread starves, and its writes are refused once the
# LSN reservation runs out (MISCONF).
BENCH_RT=${BENCH_RT:-0}
if [[ -n $BENCH_NICE ]]; then
  SERVER_PIN=(nice -n "$BENCH_NICE" "${SERVER_PIN[@]}")
  CLIENT_PIN=(nice -n "$BENCH_NICE" "${CLIENT_PIN[@]}")
fi
if [[ $BENCH_RT == 1 ]]; then
  SERVER_PIN=(chrt -f 1 "${SERVER_PIN[@]}")
  CLIENT_PIN=(chrt -f 1 "${CLIENT_PIN[@]}")
fi

# setpriv --pdeathsig: a server gets SIGTERM if this script dies without
# running its trap (e.g. SIGKILL).
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig TERM true 2>/dev/null; then
  DEATHSIG=(setpriv --pdeathsig TERM)
else
  DEATHSIG=()
fi

# SERVER_WRAP: a command the server runs under (e.g. strace), empty by default. The
# PID start_server records is then the wrapper's; the server itself is its child.
SERVER_WRAP=()

# FSYNC_SHIM: lib/fsync_delay.so (built by durability-always.sh), preloaded into both
# servers when set: every fsync/fdatasync then takes at least $FSYNC_DELAY_US, and
# each server counts its calls into $BENCH_TMP/NAME.fsyncs (fsync_counters reads it).
FSYNC_SHIM=${FSYNC_SHIM:-}

BENCH_TMP=""
BENCH_PIDS=()

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

bench_tmpdir() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tierkv-bench.XXXXXX")
}

check_bins() {
  local b
  for b in "$TIERKV_BIN" "$REDIS_BIN" "$REDIS_CLI" "$@"; do
    [[ -x $b ]] || die "not executable: $b (set TIERKV_BIN / REDIS_BIN / REDIS_CLI / REDIS_BENCHMARK)"
  done
}

# free_port: print a TCP port that is free on 127.0.0.1 right now.
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server NAME BIN PORT -> sets SERVER_PID (no subshell: the server
# must stay our child so cleanup can wait for it). Data dir and log go under
# $BENCH_TMP/NAME. Extra args from TIERKV_ARGS / REDIS_ARGS (word-split).
start_server() {
  local name=$1 bin=$2 port=$3 extra=()
  local dir=$BENCH_TMP/$name
  mkdir -p "$dir"
  if [[ $name == tierkv ]]; then read -r -a extra <<<"${TIERKV_ARGS:-}"
  else read -r -a extra <<<"${REDIS_ARGS:-}"; fi
  # taskset and setpriv exec the server, so $! is the server's own PID (the
  # wrapper's with SERVER_WRAP; the server then gets its own death signal).
  local wrap=() shim=()
  ((${#SERVER_WRAP[@]})) && wrap=("${SERVER_WRAP[@]}" "${DEATHSIG[@]}")
  [[ -n $FSYNC_SHIM ]] && shim=(env "LD_PRELOAD=$FSYNC_SHIM" "FSYNC_COUNT_FILE=$BENCH_TMP/$name.fsyncs")
  "${SERVER_PIN[@]}" "${DEATHSIG[@]}" "${wrap[@]}" "${shim[@]}" "$bin" --port "$port" --bind 127.0.0.1 --save "" \
    --appendonly no --dir "$dir" "${extra[@]}" \
    </dev/null >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  BENCH_PIDS+=("$SERVER_PID")
}

# fsync_counters NAME: "calls nanoseconds" of NAME's fsync/fdatasync so far, as
# lib/fsync_delay.c counts them; "0 0" without the shim.
fsync_counters() {
  local file=$BENCH_TMP/$1.fsyncs
  if [[ -s $file ]]; then
    od -An -tu8 -N16 "$file" | awk '{print $1, $2}'
  else
    echo "0 0"
  fi
}

# wait_ready NAME PID PORT: up to 10 s for PING -> PONG.
wait_ready() {
  local name=$1 pid=$2 port=$3 i
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$BENCH_TMP/$name/server.log" >&2 || true
      die "$name (pid $pid) exited during startup"
    fi
    if [[ $("$REDIS_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$BENCH_TMP/$name/server.log" >&2 || true
  die "$name did not answer PING on port $port within 10 s"
}

# assert_alive NAME PID
assert_alive() {
  if ! kill -0 "$2" 2>/dev/null; then
    tail -n 20 "$BENCH_TMP/$1/server.log" >&2 || true
    die "$1 (pid $2) died"
  fi
}

# proc_ticks PID: utime+stime of the whole process (all threads), clock ticks.
proc_ticks() {
  local s
  s=$(<"/proc/$1/stat") || return 1
  s=${s##*) }            # drop "pid (comm) "; comm may contain spaces
  # shellcheck disable=SC2086
  set -- $s               # now $1 = state (field 3), so utime=$12 stime=$13
  echo $(( ${12} + ${13} ))
}

# sys_ticks: "busy steal" for the whole machine from /proc/stat, in ticks
# (busy = user + nice + system; softirq, iowait and idle excluded).
sys_ticks() {
  awk '/^cpu /{print $2 + $3 + $4, $9; exit}' /proc/stat
}

# children_ticks: set CHILD_TICKS to user+sys of all reaped children of this
# shell, in ticks. Call it directly, not in $(...): `times` in a subshell
# reports the subshell's own (zero) counters.
children_ticks() {
  times >"$BENCH_TMP/.times"
  CHILD_TICKS=$(awk -v hz="$CLK_TCK" 'NR == 2 {
      t = 0
      for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
      printf "%d\n", t * hz + 0.5 }' "$BENCH_TMP/.times")
}

stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_bg_wait CMD...: run CMD in the background and wait for it, so that a
# trapped signal interrupts the wait at once (bash defers traps until a
# foreground child exits); bench_cleanup kills it. Returns CMD's status.
BENCH_CHILD=""
run_bg_wait() {
  local rc=0
  "$@" &
  BENCH_CHILD=$!
  wait "$BENCH_CHILD" || rc=$?
  BENCH_CHILD=""
  return "$rc"
}

bench_cleanup() {
  local pid
  if [[ -n $BENCH_CHILD ]]; then stop_pid "$BENCH_CHILD"; BENCH_CHILD=""; fi
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
  if [[ -n $BENCH_TMP && -d $BENCH_TMP && ${KEEP_TMP:-0} != 1 ]]; then
    rm -rf "$BENCH_TMP"
  fi
}

# warn_if_busy: the numbers are meaningless on a loaded machine; say so.
warn_if_busy() {
  local l1
  l1=$(cut -d' ' -f1 /proc/loadavg)
  if "$PY" -c "import sys; sys.exit(0 if float('$l1') > 0.5 else 1)"; then
    log "warning: load average is $l1 before starting; results may be noisy"
  fi
}

# side_by_side_options FULL_REQUESTS ARGS...: the options of the side-by-side scripts,
# each overridable from the environment: QUICK (or --quick), REQUESTS (FULL_REQUESTS,
# 20000 quick), ROUNDS (3, 1 quick), CLIENTS (50), PIPELINES (1,16).
side_by_side_options() {
  QUICK=${QUICK:-0}
  [[ ${2:-} == --quick ]] && QUICK=1
  REQUESTS=${REQUESTS:-$([[ $QUICK == 1 ]] && echo 20000 || echo "$1")}
  ROUNDS=${ROUNDS:-$([[ $QUICK == 1 ]] && echo 1 || echo 3)}
  CLIENTS=${CLIENTS:-50}
  PIPELINES=${PIPELINES:-1,16}
}

# csv_rate: redis-benchmark --csv output on stdin -> the last test's requests per second.
csv_rate() { tail -n 1 | cut -d, -f2 | tr -d '"'; }

# median: numbers on stdin, one per line -> their median.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ratio A B: A / B with two decimals (0 when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

# side_by_side_begin TOOLS...: what every side-by-side script does first: checks the
# tools, makes the temp dir, stops its servers on exit and warns on a busy machine.
side_by_side_begin() {
  check_bins "$@"
  bench_tmpdir
  BENCH_PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  warn_if_busy
}

# start_tierkv_and_redis: starts both servers on free ports and waits until they answer:
# PORT[name] and PID[name] for name in tierkv, redis.
start_tierkv_and_redis() {
  declare -gA PORT PID
  local name bin
  for name in tierkv redis; do
    PORT[$name]=$(free_port)
    bin=$TIERKV_BIN
    [[ $name == redis ]] && bin=$REDIS_BIN
    start_server "$name" "$bin" "${PORT[$name]}"
    PID[$name]=$SERVER_PID
    wait_ready "$name" "${PID[$name]}" "${PORT[$name]}"
  done
}
