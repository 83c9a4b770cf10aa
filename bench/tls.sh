#!/usr/bin/env bash
# GET/SET over TLS, tierkv-server vs redis-server side by side, with
# redis-benchmark --tls presenting a client certificate (tls-auth-clients yes on
# both servers). A CA, a server and a client certificate are made with openssl
# in the temporary directory. Each test runs ROUNDS times per server at each
# pipeline depth, alternating which server goes first; the table shows the
# median requests/s and the ratio.
#
# Usage: bench/tls.sh [--quick]     (REQUESTS, ROUNDS, CLIENTS, PIPELINES, TESTS)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

side_by_side_options 200000 "$@"
TESTS=${TESTS:-set,get}

command -v openssl >/dev/null || die "openssl is needed to make the test certificates"
side_by_side_begin "$REDIS_BENCHMARK"

CERTS=$BENCH_TMP/certs
mkdir -p "$CERTS"
(
  cd "$CERTS"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 -new "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca
  for name in server client; do
    openssl req -new "${ec[@]}" -keyout $name.key -out $name.csr -subj /CN=$name
    echo "subjectAltName=IP:127.0.0.1" >$name.ext
    openssl x509 -req -in $name.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $name.crt -days 2 \
      -extfile $name.ext
  done
) >/dev/null 2>&1 || die "openssl could not make the certificates"

TLS_ARGS="--tls-cert-file $CERTS/server.crt --tls-key-file $CERTS/server.key --tls-ca-cert-file $CERTS/ca.crt"
declare -A PORT TLS_PORT PID
for name in tierkv redis; do
  PORT[$name]=$(free_port)
  TLS_PORT[$name]=$(free_port)
  bin=$TIERKV_BIN
  if [[ $name == redis ]]; then
    bin=$REDIS_BIN
    REDIS_ARGS="--tls-port ${TLS_PORT[$name]} $TLS_ARGS ${REDIS_ARGS:-}"
  else
    TIERKV_ARGS="--tier none --tls-port ${TLS_PORT[$name]} $TLS_ARGS ${TIERKV_ARGS:-}"
  fi
  start_server "$name" "$bin" "${PORT[$name]}"
  PID[$name]=$SERVER_PID
  wait_ready "$name" "${PID[$name]}" "${PORT[$name]}"
done

# rps PORT TEST PIPELINE: redis-benchmark's requests per second over TLS.
rps() {
  "${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$1" --tls --cacert "$CERTS/ca.crt" \
    --cert "$CERTS/client.crt" --key "$CERTS/client.key" -c "$CLIENTS" -n "$REQUESTS" -P "$3" -r 100000 \
    -t "$2" --csv 2>/dev/null | csv_rate
}

echo "| test | -P | tierkv req/s | redis req/s | tierkv/redis |"
echo "|---|---|---|---|---|"
IFS=, read -r -a tests <<<"$TESTS"
IFS=, read -r -a pipes <<<"$PIPELINES"
for test in "${tests[@]}"; do
  for pipeline in "${pipes[@]}"; do
    declare -A RESULTS=([tierkv]="" [redis]="")
    for ((round = 0; round < ROUNDS; round++)); do
      order=(tierkv redis)
      ((round % 2)) && order=(redis tierkv)
      for name in "${order[@]}"; do
        result=$(rps "${TLS_PORT[$name]}" "$test" "$pipeline")
        [[ -n $result ]] || die "redis-benchmark got no result from $name over TLS"
        RESULTS[$name]+="$result"$'\n'
        assert_alive "$name" "${PID[$name]}"
      done
    done
    t=$(printf '%s' "${RESULTS[tierkv]}" | median)
    r=$(printf '%s' "${RESULTS[redis]}" | median)
    echo "| $test | $pipeline | $t | $r | $(ratio "$t" "$r")x |"
  done
done
