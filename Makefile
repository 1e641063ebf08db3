# Front end for the CMake builds. Every target installs what it needs first.
#   make deps    apt packages (scripts/install-deps.sh; idempotent)
#   make         release build (build/release)
#   make test    unit tests (release), daemon integration tests, interop tests
#                against the TypeScript implementation, unit tests under
#                ASan+UBSan, then bounded fuzz runs
#   make bench   Google Benchmark micro benchmarks (build/bench)
#   make fuzz    longer fuzz runs (FUZZ_SECONDS each, default 300)
#   make demo    the main job: a small local mesh showing traffic crossing it
#   make sim     the simulator at 1,000 nodes (SIM_ARGS to change)
#   make bench-net  iperf3/ping through fips0 in namespaces (root)
#   make install    binaries, systemd units, default /etc/fips/fips.yaml (if
#                absent); PREFIX (/usr/local), DESTDIR (scripts/install.sh)
#   make deb     Debian package of the release build in build/deb (scripts/build-deb.sh)
#   make sim     mesh simulator (real nodes, in-memory links, manual clock):
#                SIM_ARGS (default: 1,000-node scale-free mesh) -> table
SHELL := /bin/bash
JOBS ?= $(shell nproc)
GEN := -G Ninja
CMAKE ?= cmake
FUZZ_SECONDS ?= 300
TEST_FUZZ_SECONDS ?= 15
SIM_ARGS ?= --topology scalefree --nodes 1000 --seed 1 --verbose

PREFIX ?= /usr/local

.PHONY: install deb
.PHONY: all deps release asan fuzz-build test unit-release unit-asan fuzz-smoke integration interop bench fuzz demo sim clean format

all: release

deps:
	@bash scripts/install-deps.sh

build/release/build.ninja: | deps
	$(CMAKE) -S . -B build/release $(GEN) -DCMAKE_BUILD_TYPE=Release

release: build/release/build.ninja
	$(CMAKE) --build build/release -j $(JOBS)

build/asan/build.ninja: | deps
	$(CMAKE) -S . -B build/asan $(GEN) -DCMAKE_BUILD_TYPE=Debug -DFIPS_SANITIZE=ON

asan: build/asan/build.ninja
	$(CMAKE) --build build/asan -j $(JOBS)

build/fuzz/build.ninja: | deps
	CC=clang CXX=clang++ $(CMAKE) -S . -B build/fuzz $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIPS_FUZZ=ON

fuzz-build: build/fuzz/build.ninja
	$(CMAKE) --build build/fuzz -j $(JOBS)

unit-release: release
	cd build/release && ctest --output-on-failure -j $(JOBS)

unit-asan: asan
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

fuzz-smoke: fuzz-build
	@bash scripts/run-fuzzers.sh build/fuzz/fuzz $(TEST_FUZZ_SECONDS)

integration: release
	@bash scripts/run-integration.sh

# Interop with the TypeScript FIPS implementation (tests/interop; skips
# without node >= 18 or the @fips/core tarball beside the repository).
interop: release
	@bash scripts/run-interop.sh

test: deps
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory unit-release && \
	$(MAKE) --no-print-directory integration && \
	$(MAKE) --no-print-directory interop && \
	$(MAKE) --no-print-directory unit-asan && \
	$(MAKE) --no-print-directory fuzz-smoke && \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

build/bench/build.ninja: | deps
	$(CMAKE) -S . -B build/bench $(GEN) -DCMAKE_BUILD_TYPE=Release -DFIPS_BENCH=ON -DFIPS_TESTS=OFF

bench: build/bench/build.ninja
	$(CMAKE) --build build/bench -j $(JOBS)
	./build/bench/bench/fips_bench --benchmark_min_time=0.2 --benchmark_out=build/bench/bench.json --benchmark_out_format=json
	@python3 scripts/bench-report.py build/bench/bench.json

fuzz: fuzz-build
	@bash scripts/run-fuzzers.sh build/fuzz/fuzz $(FUZZ_SECONDS)

demo: release
	@bash scripts/demo.sh

# iperf3/ping through fips0 in network namespaces (root), 1 and 2 hops.
bench-net: release
	@bash scripts/bench-net.sh

# As a service: the fips user, fips.service (CAP_NET_ADMIN only), README
# "Install as a service".
install: release
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" bash scripts/install.sh

deb: release
	@bash scripts/build-deb.sh

sim: release
	./build/release/apps/fips-sim $(SIM_ARGS)

format:
	find src apps tests fuzz bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
