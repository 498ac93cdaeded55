"""The part of the Vertex AI API client (google-cloud-aiplatform's `aiplatform_v1`) the launcher
uses: the pipeline service and its messages, imported without the rest of the API.

`google.cloud.aiplatform_v1`'s package `__init__` imports the client of every one of its services,
and `aiplatform_v1.types`'s the module of every message: 0.5 s of CPU, once per process, a third
of a vertex-mode launch before its first create, for the one service the launcher talks to. Both
packages are put in place without running their `__init__`; their submodules import as usual.
The first read of any other attribute of either package (`aiplatform_v1.DatasetServiceClient`,
`from google.cloud.aiplatform_v1.types import Model`, what the Vertex AI SDK does) runs the real
`__init__` then, so that code later in the process finds the whole package. Where something
imported a package before, it is used as it is.

Every module of the launcher takes these names from here.
"""

import importlib
import importlib.util
import sys
import threading
from typing import Any

# the packages whose __init__ runs on demand, parent first
PACKAGES = ("google.cloud.aiplatform_v1", "google.cloud.aiplatform_v1.types")
# one package __init__ at a time
_INIT_LOCK = threading.RLock()


def _defer_init(name: str) -> None:
    """Put package `name` in place without running its `__init__` (if nothing imported it)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is missing: pip install google-cloud-aiplatform")
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def on_demand(attribute: str) -> Any:
        submodule = f"{name}.{attribute}"
        if not attribute.startswith("__") and importlib.util.find_spec(submodule) is not None:
            return importlib.import_module(submodule)
        with _INIT_LOCK:
            if package.__dict__.pop("__getattr__", None) is not None:
                loader.exec_module(package)
        try:
            return package.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    setattr(package, "__getattr__", on_demand)  # noqa: B010 (a module-level __getattr__)
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, package)


for _package in PACKAGES:
    _defer_init(_package)

# ruff: noqa: E402 (the packages above are put in place first)
from google.cloud.aiplatform_v1.services.pipeline_service import PipelineServiceClient
from google.cloud.aiplatform_v1.services.pipeline_service.transports.rest import (
    PipelineServiceRestTransport,
)
from google.cloud.aiplatform_v1.types.custom_job import CustomJob
from google.cloud.aiplatform_v1.types.encryption_spec import EncryptionSpec
from google.cloud.aiplatform_v1.types.pipeline_failure_policy import PipelineFailurePolicy
from google.cloud.aiplatform_v1.types.pipeline_job import PipelineJob, PipelineTaskDetail
from google.cloud.aiplatform_v1.types.pipeline_service import ListPipelineJobsRequest
from google.cloud.aiplatform_v1.types.pipeline_state import PipelineState

__all__ = [
    "CustomJob",
    "EncryptionSpec",
    "ListPipelineJobsRequest",
    "PipelineFailurePolicy",
    "PipelineJob",
    "PipelineServiceClient",
    "PipelineServiceRestTransport",
    "PipelineState",
    "PipelineTaskDetail",
]
