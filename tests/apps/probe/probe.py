"""A Hydra app that returns what it sees of itself: its task config, its whole Hydra config
(resolved) and the text of its input dataset. The fidelity tests compare it between launchers."""

from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf


def probe(cfg: DictConfig) -> dict[str, Any]:
    return {
        "cfg": OmegaConf.to_container(cfg, resolve=True),
        "hydra": OmegaConf.to_container(HydraConfig.get(), resolve=True, enum_to_str=True),
        "data": Path(cfg.data.dir, "data.txt").read_text() if cfg.data.dir else None,
    }


main = hydra.main(config_path="conf", config_name="config", version_base="1.3")(probe)

if __name__ == "__main__":
    main()
