# Thin wrapper over CMake (as neovim does). `make test` builds and runs every test.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

# Hardening (docs/hardening.md): `make sanitize` builds engine, bindings and codlua with
# ASan+UBSan (LeakSanitizer on) and runs every test; `make fuzz` builds the libFuzzer
# targets with clang and runs each for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600 for a long run).
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
SANITIZE_FLAGS = -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g"

.PHONY: all build demo test bench install clean sanitize fuzz fuzz-build hardening

all: build

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

# The main job on bundled data: a COD prediction with its report and plots.
demo: build
	$(BUILD_DIR)/codlua predict --data examples/synthetic --out out/demo
	@echo "report: out/demo/report.md (plots in out/demo/plots/)"

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

# Benchmarks build in their own tree; see bench/README.md for how to run each.
bench:
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCOD_BENCH=ON -DCOD_TESTS=OFF
	cmake --build build-bench -j$(JOBS)

install: build
	cmake --install $(BUILD_DIR)

sanitize:
	cmake -S . -B $(ASAN_DIR) -DCOD_SANITIZE=ON $(SANITIZE_FLAGS) $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j$(JOBS)
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1} \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j$(JOBS)

fuzz-build:
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DCOD_FUZZ=ON -DCOD_TESTS=OFF $(SANITIZE_FLAGS) $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) --target fuzz -j$(JOBS)

fuzz: fuzz-build
	bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

hardening: sanitize fuzz

clean:
	rm -rf $(BUILD_DIR)
