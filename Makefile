# Two commands on a fresh machine: `make demo` and `make test` (README.md).
# Each installs what is missing first; nothing here downloads a binary at run time.

PYTHON ?= python3
# TFLite Micro's Python interpreter: the bit-exact oracle in the tests and the peer in the benchmark.
TFLM_VERSION := 0.dev20261023182759

.PHONY: demo test bench oracle fetch build

demo: fetch build
	./target/release/mcupatch inspect models/visual_wake_words.tflite
	./target/release/mcupatch run models/visual_wake_words.tflite data/images/*
	./target/release/mcupatch plan models/visual_wake_words.tflite --streamed-input --in-place-depthwise --sram 32K
	./target/release/mcupatch run models/visual_wake_words.tflite data/images/* --patch auto --sram 20K --streamed-input --in-place-depthwise

test: oracle fetch
	MCUPATCH_PYTHON=$(PYTHON) cargo test --release --all-targets

bench: oracle fetch
	MCUPATCH_PYTHON=$(PYTHON) cargo bench --bench inference

build:
	cargo build --release

fetch:
	PYTHON=$(PYTHON) models/fetch

oracle:
	@$(PYTHON) -c "import sys, importlib.metadata as m; sys.exit(m.version('tflite-micro') != '$(TFLM_VERSION)')" 2>/dev/null \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check "tflite-micro==$(TFLM_VERSION)"
