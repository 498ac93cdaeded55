"""A plain Hydra app, as a user writes one, with no launcher config: x squared, plus the n that a
data step wrote into data.dir when one ran before it."""

from pathlib import Path

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    n = int(Path(cfg.data.dir, "n.txt").read_text()) if cfg.data.dir else 0
    return float(cfg.x) ** 2 + n


if __name__ == "__main__":
    main()
