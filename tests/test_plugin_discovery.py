"""Hydra finds the launcher, shows its config, and its start-up scan stays light."""

import copy
import json
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import yaml
from app_runner import APPS_DIR, RunApp, app_env
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from omegaconf import OmegaConf

from hydra_plugins.hydra_vertex_pipeline_launcher.config import ComposedLauncherConf, ResourcesConf
from hydra_plugins.hydra_vertex_pipeline_launcher.vertex_pipeline_launcher import (
    VertexPipelineLauncher,
)

APP = APPS_DIR / "sweep_app" / "main.py"
TARGET = (
    "hydra_plugins.hydra_vertex_pipeline_launcher.vertex_pipeline_launcher.VertexPipelineLauncher"
)


def test_discovered_as_a_launcher() -> None:
    # the scan loads plugin modules itself: compare by name, not identity
    launchers = [f"{c.__module__}.{c.__qualname__}" for c in Plugins.instance().discover(Launcher)]
    assert TARGET in launchers
    assert issubclass(VertexPipelineLauncher, Launcher)


def test_info_plugins_lists_it(run_app: RunApp) -> None:
    proc = run_app(APP, "--info", "plugins")
    assert proc.returncode == 0, proc.stderr
    section = proc.stdout.split("Launcher:", 1)[1].split("Sweeper:", 1)[0]
    assert "VertexPipelineLauncher" in section.split()


def test_cfg_hydra_shows_the_launcher_config(run_app: RunApp) -> None:
    proc = run_app(
        APP, "--cfg", "hydra", "--package", "hydra.launcher", "hydra/launcher=vertex_pipeline"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# @package hydra.launcher")
    launcher = yaml.safe_load(proc.stdout)
    assert launcher["_target_"] == TARGET
    assert launcher["mode"] == "vertex"
    assert launcher["project"] == "${oc.env:GOOGLE_CLOUD_PROJECT,null}"
    assert launcher["pipeline_name"] == "${hydra.job.name}"
    assert launcher["image"] == "${oc.env:VERTEX_PIPELINE_IMAGE,null}"
    # the default pipeline's component: every task setting, typed, overridable without `+`
    assert launcher["app"] == {
        "command": [],
        "args": [],
        "resources": dict.fromkeys(f.name for f in fields(ResourcesConf)),
        "retries": 0,
        "caching": None,
        "env": {},
        "display_name": None,
    }
    assert launcher["components"] == {}
    assert launcher["local"] == {"main": "subprocess", "max_parallel_jobs": 1, "timeout_s": None}


def test_copies_of_the_config_store_share_the_launchers_entry() -> None:
    """Hydra deep-copies the whole ConfigStore for every composition of every app: the
    launcher's entry is not copied there; loading it gives a copy of its typed node."""
    store = ConfigStore.instance()
    entry = store.repo["hydra"]["launcher"]["vertex_pipeline.yaml"]
    assert copy.deepcopy(store).repo["hydra"]["launcher"]["vertex_pipeline.yaml"] is entry
    loaded = [store.load("hydra/launcher/vertex_pipeline.yaml").node for _ in range(2)]
    node_type = OmegaConf.get_type(loaded[0])
    assert node_type is not None and node_type.__qualname__ == ComposedLauncherConf.__qualname__
    assert loaded[0] is not loaded[1] and loaded[0] == loaded[1]
    assert OmegaConf.is_struct(loaded[0].components) is False


def test_user_launcher_yaml_and_cli_overrides(run_app: RunApp) -> None:
    """tests/apps/sweep_app/conf/hydra/launcher/two_step.yaml has vertex_pipeline in defaults."""
    proc = run_app(
        APP,
        "--cfg",
        "hydra",
        "--package",
        "hydra.launcher",
        "hydra/launcher=two_step",
        "hydra.launcher.components.train.resources.accelerator_count=2",
        "hydra.launcher.components.data.resources.memory=8G",
        # a setting the yaml did not write, without `+`; a component made on the command line
        "hydra.launcher.components.data.retries=3",
        "+hydra.launcher.components.eval={command:[python,eval.py],after:[train]}",
        "+hydra.launcher.labels.team=ml",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# @package hydra.launcher")
    launcher = yaml.safe_load(proc.stdout)
    assert launcher["_target_"] == TARGET
    assert launcher["mode"] == "compile"  # from the user's yaml, over the plugin's default
    assert launcher["location"] == "us-central1"  # from the plugin's config
    train = launcher["components"]["train"]
    # limits, not a machine type: every custom-job key stays null
    assert {k: v for k, v in train["resources"].items() if v is not None} == {
        "cpu": "8",
        "memory": "32Gi",
        "accelerator_type": "NVIDIA_L4",
        "accelerator_count": 2,
    }
    assert train["main"] is True and train["retries"] == 2
    assert launcher["components"]["data"]["resources"]["memory"] == "8G"
    assert launcher["components"]["data"]["retries"] == 3
    assert launcher["components"]["eval"] == {"command": ["python", "eval.py"], "after": ["train"]}
    assert launcher["labels"] == {"team": "ml"}


def test_bad_type_on_the_command_line_is_refused(run_app: RunApp, tmp_path: Path) -> None:
    """Components are checked against ComponentConf when the sweep launches, not composed typed."""
    proc = run_app(
        APP,
        "-m",
        "hydra/launcher=two_step",
        "hydra.launcher.components.train.resources.accelerator_count=two",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 1
    key = "hydra.launcher.components.train.resources.accelerator_count"
    assert f"{key}=two is not a whole number or null: set e.g. {key}=1." in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multirun.yaml"]


SCAN = textwrap.dedent(
    """
    import json, sys
    from hydra.core.plugins import Plugins
    before = set(sys.modules)
    Plugins.instance()
    after = set(sys.modules)
    print(json.dumps({"before": sorted(before), "after": sorted(after)}))
    """
)
HEAVY = ("kfp", "google.cloud.", "google.api_core", "google.protobuf", "grpc", "torch", "numpy")


def test_plugin_scan_imports_nothing_heavy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCAN],
        cwd=APPS_DIR,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = json.loads(proc.stdout)
    before, after = set(modules["before"]), set(modules["after"])
    # the scan did import the plugin ...
    assert "hydra_plugins.hydra_vertex_pipeline_launcher.vertex_pipeline_launcher" in after
    assert "hydra_plugins.hydra_vertex_pipeline_launcher.config" in after
    # ... and nothing heavy with it (google.cloud itself may come from a .pth at start-up)
    added = after - before
    heavy = sorted(m for m in added if m == "google.cloud" or m.startswith(HEAVY) or m in HEAVY)
    assert heavy == []
    private = sorted(
        m for m in added if m.startswith("hydra_plugins.hydra_vertex_pipeline_launcher._")
    )
    assert private == []
    library = sorted(m for m in added if m.startswith("hydra_vertex_pipelines"))
    assert library == ["hydra_vertex_pipelines", "hydra_vertex_pipelines.choices"]


def printed_by(code: str) -> list[str]:
    """The lines that `python -c code` prints in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout.splitlines()


KFP_WITHOUT_CLIENT = """
import os, sys
import hydra_vertex_pipelines.compiling.template
import kfp
print(sorted(m for m in sys.modules if m.startswith(("kfp.client", "kubernetes"))))
print(kfp.Client.__module__, kfp.components.__name__, "_KFP_RUNTIME" in os.environ)
"""


def test_compiling_imports_kfp_without_the_kfp_server_client() -> None:
    """The compiler needs kfp.dsl and kfp.compiler, not kfp.client (0.17 s); kfp.Client is still
    there for code that reads it later, and the process's environment is as it was."""
    loaded_first, after = printed_by(KFP_WITHOUT_CLIENT)
    assert loaded_first == "[]"
    assert after == "kfp.client.client kfp.components False"


VERTEX_API_ALONE = """
import sys
import hydra_vertex_pipelines.executors.vertex.executor
print(sorted(m for m in sys.modules if m.startswith("google.cloud.aiplatform_v1.services"))[-1:])
print(len([m for m in sys.modules if m.startswith("google.cloud.aiplatform_v1.types.")]))
from google.cloud.aiplatform_v1 import DatasetServiceClient
from google.cloud.aiplatform_v1.types import Model
from google.cloud import aiplatform
print(DatasetServiceClient.__name__, Model.__name__, aiplatform.PipelineJob.__name__)
from google.cloud import aiplatform_v1
from google.cloud.aiplatform_v1.services import pipeline_service
print(aiplatform_v1.PipelineServiceClient is pipeline_service.PipelineServiceClient)
"""


def test_the_vertex_executor_imports_only_the_pipeline_service_of_the_api() -> None:
    """aiplatform_v1's package __init__ would import every service's client and every message
    (0.5 s); the launcher loads the pipeline service's, and the whole package is there for code
    that reads the rest later (the Vertex AI SDK here)."""
    services, types, later, same = printed_by(VERTEX_API_ALONE)
    assert services.startswith("['google.cloud.aiplatform_v1.services.pipeline_service")
    assert int(types) < 60  # of ~200
    assert later == "DatasetServiceClient Model PipelineJob"
    assert same == "True"
