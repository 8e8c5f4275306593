# Thin wrapper over CMake (as neovim does). `make test` builds and runs every test.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build demo test bench install clean

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

clean:
	rm -rf $(BUILD_DIR)
