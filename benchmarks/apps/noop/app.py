"""A Hydra app that does nothing: benchmarks/bench_compile_scale.py times launchers with it."""

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    pass


if __name__ == "__main__":
    main()
