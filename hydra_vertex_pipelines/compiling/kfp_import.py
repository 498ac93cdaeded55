"""kfp, imported without the client of a Kubeflow Pipelines server.

`import kfp` runs kfp's package `__init__`, which imports `kfp.client`: the REST client of a KFP
server and the kubernetes library, 0.17 s of CPU (a sixth of a vertex-mode launch before its first
create) that compiling never uses. kfp's `__init__` skips its eager imports when `_KFP_RUNTIME` is
`true` (how kfp's own executor starts in a container), so the package itself is imported that way;
`kfp.dsl` and `kfp.compiler` are then imported as usual. `kfp.Client`, `kfp.dsl` and
`kfp.components` stay reachable as attributes of `kfp` (imported when first read), for code in the
same process that uses them after the launcher.
"""

import importlib
import os
import sys
from types import ModuleType
from typing import Any

RUNTIME_ENV = "_KFP_RUNTIME"
# what kfp's __init__ would have imported: attribute -> (module, name in it or None)
EAGER = {"Client": ("kfp.client", "Client"), "dsl": ("kfp.dsl", None)}
EAGER["components"] = ("kfp.components", None)


def _on_demand(name: str) -> Any:
    if name not in EAGER:
        raise AttributeError(f"module 'kfp' has no attribute {name!r}")
    module_name, attribute = EAGER[name]
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def import_kfp() -> ModuleType:
    """The kfp package, imported without kfp.client if nothing imported it before."""
    if "kfp" in sys.modules:
        return sys.modules["kfp"]
    saved = os.environ.get(RUNTIME_ENV)
    os.environ[RUNTIME_ENV] = "true"
    try:
        kfp = importlib.import_module("kfp")
    finally:
        if saved is None:
            del os.environ[RUNTIME_ENV]
        else:
            os.environ[RUNTIME_ENV] = saved
    if saved != "true":
        setattr(kfp, "__getattr__", _on_demand)  # noqa: B010 (a module-level __getattr__)
    return kfp
