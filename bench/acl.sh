#!/usr/bin/env bash
# GET/SET throughput with an ACL user restricted to a key pattern and a few
# categories, against the default user (whose checks are skipped), on tierkv-server
# and redis-server side by side (the same user on both). redis-benchmark writes and
# reads key:__rand_int__; each case runs ROUNDS times per server, alternating which
# server goes first; the table shows the median requests/s and the ratios.
#
# Usage: bench/acl.sh [--quick]     (REQUESTS, ROUNDS, CLIENTS, PIPELINES, KEYSPACE)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

side_by_side_options 500000 "$@"
KEYSPACE=${KEYSPACE:-100000}
# The restricted user: one key pattern, reads and writes, minus the dangerous commands.
USER_RULES=(on '>benchpw' '~key:*' '+@read' '+@write' '+@connection' '-@dangerous')

side_by_side_begin "$REDIS_BENCHMARK"

TIERKV_ARGS="--tier none ${TIERKV_ARGS:-}"
start_tierkv_and_redis
for name in tierkv redis; do
  [[ $("$REDIS_CLI" -h 127.0.0.1 -p "${PORT[$name]}" ACL SETUSER bench "${USER_RULES[@]}") == OK ]] ||
    die "ACL SETUSER failed on $name"
done

# rps PORT TEST PIPELINE [AUTH...]: redis-benchmark's requests per second.
rps() {
  local port=$1 test=$2 pipeline=$3
  shift 3
  "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" "$@" -c "$CLIENTS" -n "$REQUESTS" \
    -P "$pipeline" -r "$KEYSPACE" -t "$test" --csv 2>/dev/null | csv_rate
}


echo "| test | -P | tierkv default | tierkv restricted | redis restricted | restricted/default (tierkv) | tierkv/redis (restricted) |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -r -a pipes <<<"$PIPELINES"
for test in set get; do
  for pipeline in "${pipes[@]}"; do
    declare -A RESULTS=([tierkv.default]="" [tierkv.user]="" [redis.user]="")
    for ((round = 0; round < ROUNDS; round++)); do
      order=(tierkv.default tierkv.user redis.user)
      ((round % 2)) && order=(redis.user tierkv.user tierkv.default)
      for run in "${order[@]}"; do
        name=${run%%.*}
        auth=()
        [[ $run == *.user ]] && auth=(--user bench -a benchpw)
        RESULTS[$run]+="$(rps "${PORT[$name]}" "$test" "$pipeline" "${auth[@]}")"$'\n'
        assert_alive "$name" "${PID[$name]}"
      done
    done
    d=$(printf '%s' "${RESULTS[tierkv.default]}" | median)
    u=$(printf '%s' "${RESULTS[tierkv.user]}" | median)
    r=$(printf '%s' "${RESULTS[redis.user]}" | median)
    echo "| ${test^^} | $pipeline | $d | $u | $r | $(ratio "$u" "$d")x | $(ratio "$u" "$r")x |"
  done
done
# Every GET/SET was allowed (a refusal answers fast and would pass for throughput):
# ACL LOG holds only redis-benchmark's CONFIG GET at start-up, which -@dangerous refuses.
for name in tierkv redis; do
  objects=$("$REDIS_CLI" -h 127.0.0.1 -p "${PORT[$name]}" ACL LOG 128 | awk 'prev == "object" {print} {prev = $0}')
  if [[ -n $objects ]] && grep -qvx 'config|get' <<<"$objects"; then die "$name refused GET/SET: $(sort -u <<<"$objects" | tr '\n' ' ')"; fi
done
