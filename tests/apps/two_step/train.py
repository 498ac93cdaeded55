"""Main step of the two-step test pipeline; the app a multirun launches."""

from pathlib import Path

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    n = int(Path(cfg.data.dir, "n.txt").read_text()) if cfg.data.dir else int(cfg.data.n)
    return float(cfg.optim.lr) * n


if __name__ == "__main__":
    main()
