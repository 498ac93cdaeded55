"""Run the launcher in this process on the local test app, as Hydra's sweepers call it."""

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra import initialize_config_dir
from hydra._internal.callbacks import Callbacks
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.types import Quote, QuotedString
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig
from processes import alive

APP_DIR = Path(__file__).parent / "apps" / "sweep_app"


def compose(
    overrides: Sequence[str], sweep_dir: Path, app: Path = APP_DIR / "main.py"
) -> tuple[DictConfig, HydraContext]:
    """The app's multirun config with `overrides` (its config is `conf/config.yaml` beside it),
    set as Hydra's current config, and the context a launcher is set up with."""
    GlobalHydra.instance().clear()
    # Hydra's public initialization (left initialized: launch() clears it, as do the tests' hooks)
    initialize_config_dir(str(app.parent / "conf"), job_name=app.stem, version_base=None)
    loader = GlobalHydra.instance().config_loader()
    # quoted: a sweep dir may hold any character
    quoted_dir = QuotedString(text=str(sweep_dir), quote=Quote.double).with_quotes()
    cfg = loader.load_configuration(
        "config", [*overrides, f"hydra.sweep.dir={quoted_dir}"], run_mode=RunMode.MULTIRUN
    )
    HydraConfig.instance().set_config(cfg)
    return cfg, HydraContext(config_loader=loader, callbacks=Callbacks(cfg))


def launch(
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
    task_function: Callable[[Any], Any] = lambda cfg: None,
    app: Path = APP_DIR / "main.py",
    initial_job_idx: int = 0,
) -> Sequence[JobReturn]:
    """Launch `job_overrides` on the app composed with `overrides`, as a sweeper would (its
    batch starting at job number `initial_job_idx`)."""
    try:
        cfg, context = compose(overrides, sweep_dir, app)
        launcher = Plugins.instance().instantiate_launcher(
            hydra_context=context, task_function=task_function, config=cfg
        )
        return launcher.launch(job_overrides, initial_job_idx=initial_job_idx)
    finally:
        GlobalHydra.instance().clear()


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose argv contains `text` (every component gets its job dir in argv)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found
