"""Main step of the Vertex test pipeline: x squared plus the data step's n; `behaviour` picks how
it ends (fail_while: fails while the file `marker` exists)."""

import sys
import time
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Any:
    if cfg.behaviour == "fail" or (cfg.behaviour == "fail_while" and Path(cfg.marker).exists()):
        print("something went wrong in main", file=sys.stderr)
        sys.exit(3)
    if cfg.behaviour == "hang":
        print("hanging until cancelled", flush=True)
        time.sleep(3600)
    n = int(Path(cfg.data.dir, "n.txt").read_text()) if cfg.data.dir else 0
    return {"x": cfg.x, "value": float(cfg.x) ** 2 + n}


if __name__ == "__main__":
    main()
