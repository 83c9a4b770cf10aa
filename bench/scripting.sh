#!/usr/bin/env bash
# Script throughput of tierkv-server and redis-server side by side: EVALSHA of a
# 5-command script and FCALL of the same body as a library function (and, for scale,
# EVALSHA of a script that only returns), each with redis-benchmark at -P 1 and -P 16.
# Each scenario runs ROUNDS times per server, alternating which server goes first; the
# table shows the median ops/s and the ratio.
#
# Usage: bench/scripting.sh [--quick]     (REQUESTS, ROUNDS, CLIENTS, PIPELINES)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

side_by_side_options 200000 "$@"

side_by_side_begin "$REDIS_BENCHMARK"

# Five commands on the script's own key (redis-benchmark's __rand_int__ spreads keys).
BODY="redis.call('SET', KEYS[1], ARGV[1]) redis.call('INCR', KEYS[2]) redis.call('GET', KEYS[1]) \
redis.call('EXPIRE', KEYS[1], 100) return redis.call('EXISTS', KEYS[1])"
LIBRARY="#!lua name=benchlib
redis.register_function('five', function(KEYS, ARGV) $BODY end)"

TIERKV_ARGS="--tier none ${TIERKV_ARGS:-}"
declare -A SHA5 SHA0
start_tierkv_and_redis

cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }

for name in tierkv redis; do
  SHA5[$name]=$(cli "${PORT[$name]}" script load "$BODY")
  SHA0[$name]=$(cli "${PORT[$name]}" script load "return 1")
  [[ $(cli "${PORT[$name]}" function load replace "$LIBRARY") == benchlib ]] || die "$name: FUNCTION LOAD failed"
  [[ $(cli "${PORT[$name]}" fcall five 2 k n v) == 1 ]] || die "$name: FCALL gave a wrong answer"
done

# rps PORT PIPELINE COMMAND...: redis-benchmark's requests per second.
rps() {
  "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$1" -c "$CLIENTS" -n "$REQUESTS" -P "$2" -r 100000 --csv \
    "${@:3}" 2>/dev/null | csv_rate
}

echo "| scenario | -P | tierkv ops/s | redis ops/s | tierkv/redis |"
echo "|---|---|---|---|---|"
for scenario in "EVALSHA, 5 commands" "FCALL, 5 commands" "EVALSHA, return 1"; do
  IFS=, read -r -a pipes <<<"$PIPELINES"
  for pipeline in "${pipes[@]}"; do
    declare -A RESULTS=([tierkv]="" [redis]="")
    for ((round = 0; round < ROUNDS; round++)); do
      order=(tierkv redis)
      ((round % 2)) && order=(redis tierkv)
      for name in "${order[@]}"; do
        port=${PORT[$name]}
        case $scenario in
          "EVALSHA, 5 commands")
            result=$(rps "$port" "$pipeline" EVALSHA "${SHA5[$name]}" 2 "key:__rand_int__" "n:__rand_int__" v) ;;
          "FCALL, 5 commands")
            result=$(rps "$port" "$pipeline" FCALL five 2 "key:__rand_int__" "n:__rand_int__" v) ;;
          *)
            result=$(rps "$port" "$pipeline" EVALSHA "${SHA0[$name]}" 0) ;;
        esac
        RESULTS[$name]+="$result"$'\n'
        assert_alive "$name" "${PID[$name]}"
      done
    done
    t=$(printf '%s' "${RESULTS[tierkv]}" | median)
    r=$(printf '%s' "${RESULTS[redis]}" | median)
    echo "| $scenario | $pipeline | $t | $r | $(ratio "$t" "$r")x |"
  done
done
