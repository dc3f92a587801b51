# Two commands on a fresh machine: `make demo` and `make test` (README.md).
# Each installs what is missing first; nothing here downloads a binary outside the
# package registries (crates.io, PyPI, npm, Debian).

PYTHON ?= python3
PORT ?= 8080
# TFLite Micro's Python interpreter: the bit-exact oracle in the tests and the peer in the benchmark.
TFLM_VERSION := 0.dev20261023182759
# npm's binaryen provides wasm-opt (wasm-pack would otherwise download one); cargo installs
# wasm-bindgen and wasm-pack.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: demo test bench bench-page oracle fetch build web web-tools test-rust test-wasm test-page

# Serves the page on http://127.0.0.1:$(PORT) until interrupted.
demo: web
	node tools/serve.mjs www $(PORT)

test: test-rust test-wasm test-page

test-rust: oracle fetch
	MCUPATCH_PYTHON=$(PYTHON) cargo test --release --all-targets
	cargo run --release --example classify -- models/visual_wake_words.tflite data/images/astronaut.png
	cargo run --release --example plan_for_mcu -- models/visual_wake_words.tflite stm32f411

# The wasm facade in headless Chromium.
test-wasm: web-tools fetch
	wasm-pack test --headless --chrome --release -- --no-default-features --test wasm

# The page end to end: a fake webcam fed from real photos, in Debian's chromium.
test-page: web build
	node tests/web/e2e.mjs

bench: oracle fetch
	MCUPATCH_PYTHON=$(PYTHON) cargo bench --bench inference

# Frames per second of the page in headless Chromium, layer by layer next to patches.
bench-page: web build
	node benches/page.mjs

build:
	cargo build --release

web: web-tools fetch
	wasm-pack build --target web --release --out-dir www/pkg --no-typescript --no-pack -- --no-default-features
	mkdir -p www/assets
	cp models/visual_wake_words.tflite data/images/* www/assets/

web-tools:
	tools/install-web-tools

fetch:
	PYTHON=$(PYTHON) models/fetch

oracle:
	@$(PYTHON) -c "import sys, importlib.metadata as m; sys.exit(m.version('tflite-micro') != '$(TFLM_VERSION)')" 2>/dev/null \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check "tflite-micro==$(TFLM_VERSION)"
