# Front door to the CMake build. `make` builds Release, `make test` builds and runs every test.
PREFIX ?= /usr/local
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test crash check-asan fuzz fuzz-short install deb deps demo pi pi-test pi-deb \
	bench report-check format format-check tidy tidy-short clean

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	scripts/run-tests $(BUILD)

# The crash tests at length (docs/ORDERS.md "Crash test"): the whole pipeline with 250 SIGKILLs
# of sm-signal, sm-risk and sm-order under each of four seeds (1000 in all), then sm-order alone
# under the broker's injected faults. `make test` runs short versions (tests/cli/*crash.bats).
crash: build
	for seed in 42 7 3 11; do \
	  SM_BIN=$(BUILD)/bin SM_CRASH_KILLS=250 SM_CRASH_SEED=$$seed tests/crash/pipeline-crash || exit 1; \
	done
	SM_BIN=$(BUILD)/bin tests/crash/sm-order-crash

check-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSM_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	scripts/run-tests $(ASAN_BUILD)

# FUZZ_SECONDS (default 600) of libFuzzer on each decoder: NDJSON messages, price CSV, Kite JSON,
# Kite instruments dump (needs clang and libFuzzer: scripts/install-deps --fuzz).
fuzz:
	tests/fuzz/run $(or $(FUZZ_SECONDS),600)

# The short run CI does after `make test`: catches what breaks a decoder quickly.
fuzz-short:
	tests/fuzz/run $(or $(FUZZ_SECONDS),12)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package of the build for the prefix /usr, in $(BUILD) (CPack; docs/SYSTEMD.md "Debian
# package"): programs, man pages, units, sysusers.d/tmpfiles.d, data, docs and examples.
deb: build
	cd $(BUILD) && cpack -G DEB

deps:
	scripts/install-deps

# PACED=1: slower, with a progress line every second while the history replays.
demo: build
	scripts/demo $(if $(PACED),--paced) $(BUILD)

# The Raspberry Pi 5 build: every program and test cross-compiled for aarch64 into build-pi/
# (the cross compiler, qemu-user and the arm64 libraries: scripts/pi installs them through
# scripts/install-deps --pi, or names the command to run as root). PI_TARGETS limits the build to
# the named targets.
pi:
	JOBS=$(JOBS) scripts/pi build-pi $(PI_TARGETS)

# The Pi build's tests under qemu-user (docs/OPERATIONS.md "Raspberry Pi 5"): every unit test and
# every bats file, or those PI_BATS names (scripts/pi-test). Not in CI: too long.
pi-test: pi
	JOBS=$(JOBS) scripts/pi-test build-pi

# The Debian package of the Pi build (arm64), as `make deb` makes the native one.
pi-deb: pi
	cd build-pi && cpack -G DEB

bench: build
	scripts/run-bench $(BUILD)

# Renders an sm-backtest HTML report in headless chromium and checks the screenshot (needs
# `apt-get install chromium`; not part of `make deps`, so CI stays fast). REPORT_DIR keeps the output.
report-check:
	cmake --build $(BUILD) -j $(JOBS) --target sm-backtest
	scripts/report-check $(BUILD) $(REPORT_DIR)

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

# CI fails on any file clang-format would change.
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.h' '*.cpp')

# clang-tidy with the checks in .clang-tidy over every lib/ and cmd/ source (minutes); CI runs
# tidy-short, the modules on the order path, where a bug costs money: core, the risk engine and
# its gateway, the order manager, the store and the SQLite wrapper under it, and the mains.
tidy: $(BUILD)/CMakeCache.txt
	scripts/tidy $(BUILD)

tidy-short: $(BUILD)/CMakeCache.txt
	scripts/tidy $(BUILD) lib/core lib/risk lib/gateway lib/order lib/store lib/sqlite cmd

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
