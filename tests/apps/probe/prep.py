"""The probe pipeline's data step: writes data.text into its output dataset."""

from pathlib import Path

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = Path(cfg.data.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "data.txt").write_text(str(cfg.data.text))


if __name__ == "__main__":
    main()
