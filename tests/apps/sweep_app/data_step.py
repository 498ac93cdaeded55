"""The data step of the test pipelines: writes data.n into its output artifact."""

from pathlib import Path

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = Path(cfg.data.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "n.txt").write_text(str(int(cfg.data.n)))


if __name__ == "__main__":
    main()
