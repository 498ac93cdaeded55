"""A task function whose return value is picked by `kind`, for the return value callback."""

from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig


def _numpy(kind: str) -> Any:
    import numpy as np

    return np.float32(0.25) if kind == "numpy_float" else np.int64(7)


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Any:
    kind = str(cfg.kind)
    if kind == "fail":
        raise RuntimeError("the task failed")
    if kind.startswith("numpy"):
        return _numpy(kind)
    job = HydraConfig.get().job
    values: dict[str, Any] = {
        "runtime": {
            "num": job.num,
            "id": job.id,
            "name": job.name,
            "subdir": HydraConfig.get().sweep.subdir,
        },
        "float": 2.0,
        "int": 3,
        "str": "done",
        "none": None,
        "dict": {"loss": 0.125, "steps": [1, None], "name": "run"},
        "config": cfg.nested,
    }
    return values[kind]


if __name__ == "__main__":
    main()
