"""A Hydra app as images built for older stacks have them (Python 3.8, hydra-core 1.1: no
version_base): returns what it sees of its job."""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config")
def main(cfg: DictConfig) -> dict:  # type: ignore[type-arg]
    job = HydraConfig.get().job
    return {"seed": cfg.seed, "num": job.num, "id": job.id, "name": job.name}


if __name__ == "__main__":
    main()
