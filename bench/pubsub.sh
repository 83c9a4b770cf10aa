#!/usr/bin/env bash
# PUBLISH throughput of tierkv-server and redis-server side by side, with
# redis-benchmark publishing to a channel that has 1 or 100 subscribers, and
# with 1,000 patterns present (none matching, plus one channel subscriber).
# Subscribers are redis-cli processes that read every message (pinned with the
# load generator). Each scenario runs ROUNDS times per server, alternating
# which server goes first; the table shows the median ops/s and the ratio.
#
# Usage: bench/pubsub.sh [--quick]     (REQUESTS, ROUNDS, CLIENTS, PIPELINES)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

side_by_side_options 200000 "$@"

side_by_side_begin "$REDIS_BENCHMARK"

TIERKV_ARGS="--tier none ${TIERKV_ARGS:-}"
start_tierkv_and_redis

cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }

# start_subscribers PORT COUNT: COUNT redis-cli processes on bench.ch; their
# PIDs go to SUB_PIDS.
SUB_PIDS=()
start_subscribers() {
  local port=$1 count=$2 i
  for ((i = 0; i < count; i++)); do
    "${CLIENT_PIN[@]}" "$REDIS_CLI" -h 127.0.0.1 -p "$port" subscribe bench.ch >/dev/null 2>&1 &
    SUB_PIDS+=($!)
    BENCH_PIDS+=($!)
  done
  for ((i = 0; i < 200; i++)); do
    [[ $(cli "$port" pubsub numsub bench.ch | tail -n 1) == "$count" ]] && return 0
    sleep 0.05
  done
  die "subscribers did not all subscribe on port $port"
}

start_patterns() {
  local port=$1 patterns=() i
  for ((i = 0; i < 1000; i++)); do patterns+=("p$i.*"); done
  "${CLIENT_PIN[@]}" "$REDIS_CLI" -h 127.0.0.1 -p "$port" psubscribe "${patterns[@]}" >/dev/null 2>&1 &
  SUB_PIDS+=($!)
  BENCH_PIDS+=($!)
  for ((i = 0; i < 200; i++)); do
    [[ $(cli "$port" pubsub numpat) == 1000 ]] && return 0
    sleep 0.05
  done
  die "patterns did not all subscribe on port $port"
}

stop_subscribers() {
  local pid
  for pid in "${SUB_PIDS[@]}"; do stop_pid "$pid"; done
  SUB_PIDS=()
}

# publish_rps PORT PIPELINE: redis-benchmark's requests per second for PUBLISH.
publish_rps() {
  "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$1" -c "$CLIENTS" -n "$REQUESTS" -P "$2" --csv \
    PUBLISH bench.ch hello 2>/dev/null | csv_rate
}

echo "| scenario | -P | tierkv ops/s | redis ops/s | tierkv/redis |"
echo "|---|---|---|---|---|"
for scenario in "1 subscriber" "100 subscribers" "1000 patterns + 1 subscriber"; do
  IFS=, read -r -a pipes <<<"$PIPELINES"
  for pipeline in "${pipes[@]}"; do
    declare -A RESULTS=([tierkv]="" [redis]="")
    for ((round = 0; round < ROUNDS; round++)); do
      order=(tierkv redis)
      ((round % 2)) && order=(redis tierkv)
      for name in "${order[@]}"; do
        port=${PORT[$name]}
        case $scenario in
          "1 subscriber") start_subscribers "$port" 1 ;;
          "100 subscribers") start_subscribers "$port" 100 ;;
          *) start_patterns "$port"; start_subscribers "$port" 1 ;;
        esac
        RESULTS[$name]+="$(publish_rps "$port" "$pipeline")"$'\n'
        stop_subscribers
        assert_alive "$name" "${PID[$name]}"
      done
    done
    t=$(printf '%s' "${RESULTS[tierkv]}" | median)
    r=$(printf '%s' "${RESULTS[redis]}" | median)
    echo "| $scenario | $pipeline | $t | $r | $(ratio "$t" "$r")x |"
  done
done
