# Image of the pipeline's data_prepare component: `python -m example_app.data_prepare ...`.
# Build from the repository root (the build context):
#   docker build -f example_app/docker/data_prepare.Dockerfile -t IMAGE .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The example's dependencies first, so that code changes do not reinstall them. No torch: this
# step downloads MNIST with the standard library, and needs numpy for the arrays and scikit-learn
# for data.source=digits (hydra-core comes with the plugin).
RUN pip install "numpy>=1.24" "scikit-learn>=1.3"

# The launcher plugin (its Hydra callback and config schema), then the example apps.
COPY setup.py pyproject.toml README.md ./
COPY hydra_plugins ./hydra_plugins
COPY hydra_vertex_pipelines ./hydra_vertex_pipelines
RUN pip install .
COPY example_app ./example_app

# /app is the working directory: `python -m example_app.data_prepare` imports example_app from it.
CMD ["python", "-m", "example_app.data_prepare", "--help"]
