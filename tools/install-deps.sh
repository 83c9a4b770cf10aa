#!/usr/bin/env bash
# Installs the Debian packages tierkv needs to build, test and benchmark.
# Does nothing when every package is already installed; runs `apt-get update`
# only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config make git
  clang libclang-rt-14-dev          # libFuzzer target and its runtime
  libasio-dev                       # networking (standalone asio)
  libcli11-dev                      # tierkv-bench's command line
  libssl-dev openssl                # TLS, SHA-1, SHA-256 of ACL passwords; openssl makes the TLS tests' certificates
  libjemalloc-dev                   # allocator with exact statistics for INFO memory
  libxxhash-dev                     # fast keyspace hashing
  liblzf-dev                        # LZF, as Redis compresses strings in DUMP and RDB
  liblua5.1-0-dev lua-cjson-dev lua-bitop   # Lua scripts (EVAL, FCALL) with Redis's cjson and bit libraries
  librocksdb-dev                    # RocksTier, the disk tier (Debian 12: RocksDB 7.8)
  libpmemobj-dev                    # PmemTier, the persistent-memory tier (Debian 12: PMDK 1.12; optional in the build)
  libgtest-dev libgmock-dev         # unit tests
  libbenchmark-dev                  # micro-benchmarks
  libhiredis-dev                    # C client for integration tests
  python3 python3-redis python3-pytest   # redis-py integration suite
  python3-celery                    # Celery with the server as broker and result backend (test_celery.py)
  redis-server redis-tools          # reference implementation and load generator
  python3-prometheus-client         # parses the metrics endpoint's page (test_metrics.py)
  prometheus prometheus-redis-exporter   # scrape the endpoint; the exporter reads tierkv as it reads Redis (test_metrics.py)
  procps                            # ps/pgrep for test harnesses
  chromium                          # renders tierkv-bench's HTML report in a test (headless screenshot)
  nodejs                            # framework tests: BullMQ, ioredis, node-redis (tests/integration/frameworks)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# npm: Debian's package, unless the nodejs installed already brings its own.
if ! command -v npm >/dev/null 2>&1; then missing+=("npm"); fi

# The framework tests' node packages, from their committed package-lock.json.
install_node_packages() {
  "$(dirname "$0")/../tests/integration/frameworks/run.sh" --install
}

if [ ${#missing[@]} -eq 0 ]; then
  install_node_packages
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian starts the redis-server service it just installed on 127.0.0.1:6379, the
# port `make run` wants. We install it only as a test reference, so when this run
# installed it, stop the service and keep it from starting at boot.
if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now redis-server.service >/dev/null 2>&1 || true
fi
# The same for the services of prometheus and the exporter: the tests start their own.
for service in prometheus prometheus-redis-exporter prometheus-node-exporter; do
  if [[ " ${missing[*]} " == *" prometheus"* ]] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  fi
done

install_node_packages
