# Image of the pipeline's train component: `python -m example_app.train ...` on a GPU.
# Build from the repository root (the build context):
#   docker build -f example_app/docker/train.Dockerfile -t IMAGE .
# The base brings CUDA, cuDNN, torch and torchvision; pick a tag whose CUDA the pipeline's
# accelerators support (T4, L4, A100, H100 all run CUDA 12 builds).
ARG BASE_IMAGE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The launcher plugin (its Hydra callback reports train's return value to the pipeline) with the
# example's extra dependencies; torch and torchvision of the base image already satisfy them.
COPY setup.py pyproject.toml README.md ./
COPY hydra_plugins ./hydra_plugins
COPY hydra_vertex_pipelines ./hydra_vertex_pipelines
RUN pip install ".[example]"
COPY example_app ./example_app

# /app is the working directory: `python -m example_app.train` imports example_app from it.
CMD ["python", "-m", "example_app.train", "--help"]
