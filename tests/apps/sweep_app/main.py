"""The launched app of the test pipelines: x squared plus the n its data step wrote (when one
ran); `behaviour` picks how it ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf


def _hang(cfg: DictConfig) -> None:
    """Start a grandchild and record both pids (with a pid_file), say so, then block until
    killed or cancelled."""
    if cfg.pid_file:
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        Path(cfg.pid_file).write_text(json.dumps([os.getpid(), grandchild.pid]))
    print("ready", flush=True)
    time.sleep(3600)


def _rendezvous(cfg: DictConfig) -> None:
    """Mark this job present, then wait (bounded) until the other job is present too."""
    folder = Path(cfg.rendezvous)
    (folder / f"job{cfg.me}").write_text("here")
    other = folder / f"job{1 - int(cfg.me)}"
    deadline = time.monotonic() + 30
    while not other.exists():
        if time.monotonic() > deadline:
            sys.exit("the other job never started: jobs did not run in parallel")
        time.sleep(0.05)


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Any:
    out = Path(HydraConfig.get().runtime.output_dir)
    (out / "composed.yaml").write_text(OmegaConf.to_yaml(cfg))
    if cfg.behaviour == "fail" or (cfg.behaviour == "fail_while" and Path(cfg.marker).exists()):
        print("something went wrong in main", file=sys.stderr)
        sys.exit(3)
    if cfg.behaviour == "flaky" and not Path(cfg.pid_file).exists():
        Path(cfg.pid_file).write_text("failed once")
        sys.exit("first attempt fails")
    if cfg.behaviour == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if cfg.behaviour == "hang":
        _hang(cfg)
    if "rendezvous" in cfg:
        _rendezvous(cfg)
    n = int(Path(cfg.data.dir, "n.txt").read_text()) if cfg.data.dir else 0
    return float(cfg.x) ** 2 + n


if __name__ == "__main__":
    main()
