# Two commands on a fresh machine: `make demo` and `make test` (README.md).
# Each installs what is missing first; nothing here downloads a binary outside the
# package registries (crates.io, PyPI, npm, Debian).

# The Python that creates the project's virtualenv (.venv/, git-ignored): the TFLite Micro
# oracle and pip live there, so a Python that refuses system-wide installs (PEP 668) works.
PYTHON ?= python3
VENV := $(CURDIR)/.venv
VENV_PYTHON := $(VENV)/bin/python
PORT ?= 8080
# The browser the page tests and benchmark drive, and the driver wasm-pack's tests use.
export CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
# Seconds each fuzz target runs in `make fuzz`.
FUZZ_SECONDS ?= 60
# TFLite Micro's Python interpreter: the bit-exact oracle in the tests and the peer in the benchmark.
TFLM_VERSION := 0.dev20261023182759
# TensorFlow's converter, for `make keras` only (a 1.6 GB venv of its own, .venv-keras/).
TENSORFLOW_VERSION := 2.21.0
KERAS_VENV := $(CURDIR)/.venv-keras
# TFLite (ai-edge-litert): the optimized-kernel and XNNPACK peers in the benchmark, and the
# oracle for the ops TFLite Micro lacks (TILE, REDUCE_PROD) in the tests.
LITERT_VERSION := 2.3.0
# npm's binaryen provides wasm-opt (wasm-pack would otherwise download one); cargo installs
# wasm-bindgen and wasm-pack.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: demo test bench bench-page bench-wasm oracle litert fetch build web web-tools test-rust test-wasm test-page test-serve fuzz soak keras deploy-mobilenet tensorflow

# Serves the page on http://127.0.0.1:$(PORT) until interrupted.
demo: web
	node tools/serve.mjs www $(PORT)

test: test-rust test-serve test-wasm test-page

test-rust: oracle litert fetch
	MCUPATCH_PYTHON=$(VENV_PYTHON) cargo test --release --all-targets
	# The fuzz targets follow the library's API (they had drifted unnoticed): compiled, not run.
	cargo check --release --manifest-path fuzz/Cargo.toml --bins --examples
	cargo run --release --example classify -- models/visual_wake_words.tflite data/images/astronaut.png
	cargo run --release --example plan_for_mcu -- models/visual_wake_words.tflite stm32f411

# The dev server under malformed and hostile requests.
test-serve:
	node --test tools/serve.test.mjs

# The wasm facade, and the simd128 fast paths against the scalar kernels, in headless Chromium.
test-wasm: web-tools fetch
	wasm-pack test --headless --chrome --chromedriver $(CHROMEDRIVER) --release -- --no-default-features --test wasm --test wasm_kernels

# The page end to end: a fake webcam fed from real photos, in Debian's chromium; one feature
# file at a time (two browsers at once are flaky on two cores); a file still running after ten
# minutes fails (node 20 times whole files), its browsers closed. `make test-page
# PAGE_TESTS='camera|tour'` runs the tests whose names match the pattern.
PAGE_TESTS ?=
test-page: web build
	node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=./tests/web/reporter.mjs \
	  $(if $(PAGE_TESTS),--test-name-pattern='$(PAGE_TESTS)' )tests/web/*.test.mjs

# mcupatch native next to TFLite and TFLite Micro, same inputs, one table (benches/inference.rs);
# then the planner: VWW, MobileNetV2-1.0 @224 auto and the cost curve over chains (benches/planner.rs).
bench: oracle litert fetch
	MCUPATCH_PYTHON=$(VENV_PYTHON) cargo bench --bench inference
	cargo bench --bench planner

# Frames per second of the page in headless Chromium, layer by layer next to patches.
bench-page: web build
	node benches/page.mjs

# Raw VWW inference in wasm (headless Chromium) next to native, in the same run; then where
# the wasm time goes per op kind (benches/wasm_split.rs, as `make bench` prints natively).
bench-wasm: web build
	node benches/wasm.mjs
	wasm-pack test --headless --chrome --chromedriver $(CHROMEDRIVER) --release -- --no-default-features --bench wasm_split -- --nocapture

build:
	cargo build --release

web: web-tools fetch
	wasm-pack build --target web --release --out-dir www/pkg --no-typescript --no-pack -- --no-default-features
	mkdir -p www/assets
	cp models/visual_wake_words.tflite models/mltk/rock_paper_scissors.tflite models/mltk/image_classification.tflite data/images/* www/assets/

web-tools:
	tools/install-web-tools

fetch: $(VENV_PYTHON)
	PYTHON=$(VENV_PYTHON) models/fetch

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

oracle: $(VENV_PYTHON)
	@$(VENV_PYTHON) -c "import sys, importlib.metadata as m; sys.exit(m.version('tflite-micro') != '$(TFLM_VERSION)')" 2>/dev/null \
	  || $(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check "tflite-micro==$(TFLM_VERSION)"

# Real converter output: small Keras models converted by TensorFlow (tools/keras_models.py,
# into models/keras/, never committed), every tensor against TFLite Micro and every seventh
# patch plan against layer by layer (tests/keras.rs), and each exported for TFLite Micro and
# run in it (tests/export.rs). Not in `make test`: installing
# TensorFlow takes ~1.5 min with a warm pip cache (a 1.6 GB download without), converting ~1 min.
keras: oracle litert tensorflow
	$(KERAS_VENV)/bin/python tools/keras_models.py models/keras
	MCUPATCH_PYTHON=$(VENV_PYTHON) MCUPATCH_KERAS_DIR=models/keras cargo test --release --test keras -- --ignored --nocapture
	MCUPATCH_PYTHON=$(VENV_PYTHON) MCUPATCH_KERAS_DIR=models/keras cargo test --release --test export -- --ignored --nocapture converted_keras

# The deploy issue's targets: keras.applications' MobileNetV2-0.5 @128 and -0.35 @96
# converted by TensorFlow (tools/mobilenet_v2_targets.py, seeded, real photos as the
# representative data; into models/, never committed), exported with `--patch auto` and run
# in TFLite Micro: the same outputs, and at most 0.70× and 0.75× of the smallest arena TFLite
# Micro needs for the unchanged model (tests/export.rs). Not in `make test` (TensorFlow);
# converting takes ~2.5 min, the check ~2 min.
deploy-mobilenet: oracle fetch tensorflow
	$(KERAS_VENV)/bin/python tools/mobilenet_v2_targets.py models
	MCUPATCH_PYTHON=$(VENV_PYTHON) cargo test --release --test export -- --ignored --nocapture mobilenet_v2

# TensorFlow's converter in a venv of its own.
tensorflow:
	test -x $(KERAS_VENV)/bin/python || $(PYTHON) -m venv $(KERAS_VENV)
	@$(KERAS_VENV)/bin/python -c "import sys, importlib.metadata as m; sys.exit(m.version('tensorflow-cpu') != '$(TENSORFLOW_VERSION)')" 2>/dev/null \
	  || $(KERAS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "tensorflow-cpu==$(TENSORFLOW_VERSION)"

litert: $(VENV_PYTHON)
	@$(VENV_PYTHON) -c "import sys, importlib.metadata as m; sys.exit(m.version('ai-edge-litert') != '$(LITERT_VERSION)')" 2>/dev/null \
	  || $(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check "ai-edge-litert==$(LITERT_VERSION)"

# Coverage-guided fuzzing (cargo-fuzz, nightly): every target for FUZZ_SECONDS from the
# committed corpus and seeds made from the real and generated models (fuzz/run).
fuzz: fetch
	fuzz/run $(FUZZ_SECONDS)

# The library in a long load → plan → run loop; its RSS must stay flat (SOAK_ROUNDS rounds).
soak: fetch
	cargo test --release --test soak -- --ignored --nocapture
