# The two commands: `make run` and `make test`. Everything else is detail.
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
DEBUG_DIR ?= build-debug
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
CMAKE_FLAGS ?=
RUN_ARGS ?=

.PHONY: all deps build debug run test test-asan fuzz bench bench-durability bench-collections bench-capacity clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

debug:
	cmake -S . -B $(DEBUG_DIR) -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(DEBUG_DIR) -j $(JOBS)

run: deps build
	mkdir -p data
	$(BUILD_DIR)/bin/tierkv-server --dir ./data $(RUN_ARGS)

test: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
# plus a short bounded libFuzzer run on the RESP parser.
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DTIERKV_SANITIZE=ON -DTIERKV_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)
	$(MAKE) fuzz FUZZ_SECONDS=60

FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DTIERKV_FUZZ=ON -DTIERKV_TESTS=OFF -DTIERKV_BENCH=OFF -DTIERKV_SANITIZE=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target resp_parser_fuzz
	mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/bin/resp_parser_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(FUZZ_DIR)/corpus tests/fuzz/seeds

bench: deps build
	bench/compare-redis.sh

# Durability benchmarks against redis-server: appendfsync always, checkpoint
# bytes and memory, restart time. Small sizes by default (a few minutes);
# FULL=1 for the sizes in docs/BENCHMARKS.md (1M keys, ~1 GiB; about 20 min).
FULL ?= 0
BENCH_SIZE = $(if $(filter 1,$(FULL)),,--quick)
bench-durability: deps build
	bench/durability-always.sh $(BENCH_SIZE)
	bench/checkpoint-cost.py $(BENCH_SIZE)
	bench/checkpoint-memory.py $(BENCH_SIZE)
	bench/restart-time.py $(BENCH_SIZE)

# Collection benchmarks (issue 4) against redis-server: redis-benchmark's
# collection tests at -P 1 and -P 16 (tierkv/redis throughput, target >= 1.0
# each), then used_memory per element for five collection shapes (target
# <= 0.8x Redis each). Small sizes by default (a few minutes); FULL=1 for the
# sizes in docs/BENCHMARKS.md section 5.
COLLECTION_TESTS = lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600
bench-collections: deps build
	SUMMARY_ARGS="--target-tput 1.0" bench/compare-redis.sh $(BENCH_SIZE) \
		--tests $(COLLECTION_TESTS) --pipelines 1,16 --clients 50 --run-timeout 900
	bench/collection-memory.py $(BENCH_SIZE)

# tierkv-bench: the capacity sweep of docs/OPERATIONS.md "Sizing" (tierkv tiering vs Redis
# allkeys-lru, 64 MiB budget, to 4x; ~5 min) and the generator against redis-benchmark (~3 min).
bench-capacity: deps build
	bench/capacity-sweep.py
	bench/generator-efficiency.py

clean:
	rm -rf $(BUILD_DIR) $(DEBUG_DIR) $(ASAN_DIR) $(FUZZ_DIR)
