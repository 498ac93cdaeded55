# Every target sets up what it needs: a fresh clone runs `make demo-offline` or `make test` directly.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the release this workplace's package mirror carries
TORCH := torch==2.14.1 torchvision==0.29.1
REGISTRY ?= us-docker.pkg.dev/$(GOOGLE_CLOUD_PROJECT)/mnist
# a tag per code version (the commit): Vertex's cache keys a task on its image's name
TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

MNIST_DATA_IMAGE ?= $(REGISTRY)/data-prepare:$(TAG)
MNIST_TRAIN_IMAGE ?= $(REGISTRY)/train:$(TAG)

.PHONY: install test lint bench demo demo-offline images push

$(STAMP): setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[test,example]'
	touch $(STAMP)

install: $(STAMP)

# 3 workers on the 2-core machines this runs on: a 4th costs more CPU (its collection, contention)
# than it fills while the others wait on subprocesses
test: $(STAMP)
	$(BIN)/python -m pytest -n 3 --dist loadscope tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy hydra_plugins hydra_vertex_pipelines hydra_vertex_emulator example_app tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_compile_scale.py --jobs 1000
	$(BIN)/python benchmarks/bench_vertex_submit.py --jobs 100
	$(BIN)/python benchmarks/bench_outage.py --outage-s 60
	$(BIN)/python benchmarks/bench_local_overhead.py
	$(BIN)/python benchmarks/bench_output_memory.py
	$(BIN)/python -m benchmarks.example_app.bench_train_throughput --device cpu --images 10000 --threads 1

# the MNIST pipeline, a 2-point lr sweep run locally (downloads MNIST from its mirrors)
demo: $(STAMP)
	$(BIN)/python example_app/train.py -m hydra/launcher=mnist_pipeline hydra.launcher.mode=local optim.lr=0.01,0.003

# the same offline, on scikit-learn's bundled digits
demo-offline: $(STAMP)
	$(BIN)/python example_app/train.py -m hydra/launcher=mnist_pipeline hydra.launcher.mode=local data.source=digits train.epochs=10 optim.lr=0.01,0.003

images:
	docker build -f example_app/docker/data_prepare.Dockerfile -t $(MNIST_DATA_IMAGE) .
	docker build -f example_app/docker/train.Dockerfile -t $(MNIST_TRAIN_IMAGE) .

push: images
	docker push $(MNIST_DATA_IMAGE)
	docker push $(MNIST_TRAIN_IMAGE)
