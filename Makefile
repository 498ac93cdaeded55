# Every target sets up what it needs: a fresh clone runs `make demo-offline` or `make test` directly.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the release this workplace's package mirror carries
TORCH := torch==2.14.1 torchvision==0.29.1
REGISTRY ?= us-docker.pkg.dev/$(GOOGLE_CLOUD_PROJECT)/mnist
TAG ?= latest

.PHONY: install test lint bench demo demo-offline images push

$(STAMP): setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[test,example]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy hydra_plugins hydra_vertex_emulator example_app tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_local_overhead.py
