from collections.abc import Sequence
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parents[2] / "example_app" / "conf"

pytestmark = pytest.mark.usefixtures("hydra_restore_singletons")


def compose_with_launcher(overrides: Sequence[str]) -> DictConfig:
    pytest.importorskip("hydra_plugins.hydra_vertex_pipeline_launcher.config")
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose(
            "config",
            overrides=["hydra/launcher=mnist_pipeline", *overrides],
            return_hydra_config=True,
        )


def test_pipeline_wires_the_apps_data_keys() -> None:
    cfg = compose_with_launcher([])

    components = cfg.hydra.launcher.components
    assert list(components) == ["data_prepare", "train"]
    assert components.data_prepare.command == ["python", "-m", "example_app.data_prepare"]
    assert components.data_prepare.overrides == ["data"]
    assert components.data_prepare.outputs == {"dataset": "data.out_dir"}
    assert components.train.main is True
    assert components.train.command == ["python", "-m", "example_app.train"]
    assert components.train.inputs == {"data.dir": "data_prepare.dataset"}
    # the keys the launcher sets are keys of the apps' config
    for key in [*components.data_prepare.outputs.values(), *components.train.inputs]:
        parent, _, leaf = key.rpartition(".")
        assert leaf in OmegaConf.select(cfg, parent), key


def test_pipeline_resources_and_images_are_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TRAIN_IMAGE", "registry.example/mnist/train:1")
    cfg = compose_with_launcher(
        ["hydra.launcher.components.train.resources.accelerator_type=NVIDIA_L4"]
    )

    train = cfg.hydra.launcher.components.train
    assert train.resources.accelerator_type == "NVIDIA_L4"
    assert train.resources.accelerator_count == 1
    assert train.image == "registry.example/mnist/train:1"
    assert cfg.hydra.launcher.components.data_prepare.image.endswith("/data-prepare:latest")
