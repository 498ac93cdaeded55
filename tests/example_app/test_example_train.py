import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

import pytest
from hydra.core.utils import JobReturn

from example_app import data_prepare
from tests.example_app.harness import run_hydra_app, subprocess_env

if find_spec("torch") is None or find_spec("sklearn") is None:
    pytest.skip("needs the example extra (torch, scikit-learn)", allow_module_level=True)

# small and quick on a CPU, and still well above 90% on the digits
QUICK_TRAINING = ["model.conv_channels=16", "train.batch_size=32", "train.epochs=4"]

pytestmark = pytest.mark.usefixtures("hydra_restore_singletons", "single_torch_thread")


# loaded by the tests that use them (3 s), not at collection
@pytest.fixture(scope="module")
def torch() -> ModuleType:
    import torch

    return torch


@pytest.fixture(scope="module")
def train() -> ModuleType:
    from example_app import train

    return train


@pytest.fixture
def single_torch_thread(torch: ModuleType) -> Iterator[None]:
    """One intra-op thread: the tiny test model gains nothing from more, and thread handoffs
    dominate on small shared machines."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("digits")
    splits = data_prepare.build_digits(test_fraction=0.2, seed=0)
    data_prepare.write_dataset(splits, "digits", out_dir)
    return out_dir


def run_train(train: ModuleType, run_dir: Path, data_dir: Path, *overrides: str) -> JobReturn:
    return run_hydra_app(train, [f"data.dir={data_dir}", f"hydra.run.dir={run_dir}", *overrides])


def test_train_on_digits_returns_the_test_accuracy_and_saves_a_model_that_reproduces_it(
    tmp_path: Path, digits_dir: Path, train: ModuleType, torch: ModuleType
) -> None:
    job = run_train(train, tmp_path, digits_dir, *QUICK_TRAINING, "train.device=cpu")

    accuracy = job.return_value
    assert type(accuracy) is float
    assert accuracy >= 0.9
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] == accuracy
    assert metrics["device"] == "cpu"
    assert metrics["precision"] == "fp32"
    assert (metrics["train_images"], metrics["test_images"]) == (1438, 359)
    assert [epoch["epoch"] for epoch in metrics["epochs"]] == [1, 2, 3, 4]
    for epoch in metrics["epochs"]:
        assert epoch["seconds"] > 0
        assert epoch["images_per_s"] == pytest.approx(1438 / epoch["seconds"])
    assert metrics["epochs"][-1]["train_loss"] < metrics["epochs"][0]["train_loss"]

    # the saved model, loaded again, scores the same on the test split
    checkpoint = torch.load(tmp_path / "model.pt")
    model = train.build_model(checkpoint["conv_channels"], checkpoint["hidden_units"])
    model.load_state_dict(checkpoint["state_dict"])
    settings = train.execution_settings("cpu", "fp32")
    test_split = train.load_split(
        digits_dir, train.read_manifest(digits_dir), "test", settings.device
    )
    normalization = train.Normalization(**checkpoint["normalization"])
    assert train.evaluate(model, test_split, normalization, settings) == accuracy


def test_training_is_seeded(tmp_path: Path, digits_dir: Path, train: ModuleType) -> None:
    overrides = ["model.conv_channels=8", "train.epochs=1"]
    runs = {
        name: run_train(train, tmp_path / name, digits_dir, *overrides, f"train.seed={seed}")
        for name, seed in [("first", 0), ("again", 0), ("other_seed", 1)]
    }
    losses = {
        name: json.loads((tmp_path / name / "metrics.json").read_text())["epochs"][0]["train_loss"]
        for name in runs
    }
    assert losses["first"] == losses["again"] != losses["other_seed"]
    assert runs["first"].return_value == runs["again"].return_value


def test_train_without_a_prepared_dataset_says_so(tmp_path: Path, train: ModuleType) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape("run example_app.data_prepare first")):
        run_train(train, tmp_path / "run", tmp_path / "empty")


def test_train_refuses_a_corrupted_dataset(
    tmp_path: Path, digits_dir: Path, train: ModuleType
) -> None:
    corrupted = tmp_path / "corrupted"
    corrupted.mkdir()
    for path in digits_dir.iterdir():
        (corrupted / path.name).write_bytes(path.read_bytes())
    labels = corrupted / "test_labels.npy"
    labels.write_bytes(labels.read_bytes()[:-1] + b"\x09")
    with pytest.raises(ValueError, match=re.escape("test_labels.npy does not match the sha256")):
        run_train(train, tmp_path / "run", corrupted)


def test_train_on_cuda_without_cuda_says_so(
    tmp_path: Path, digits_dir: Path, train: ModuleType, torch: ModuleType
) -> None:
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    with pytest.raises(ValueError, match=re.escape("train.device=cuda but CUDA is not available")):
        run_train(train, tmp_path, digits_dir, "train.device=cuda")


def test_train_on_a_gpu_by_default(
    tmp_path: Path, digits_dir: Path, train: ModuleType, torch: ModuleType
) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    accuracy = run_train(train, tmp_path, digits_dir, *QUICK_TRAINING).return_value

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["device"] == "cuda"
    tf32 = torch.cuda.get_device_capability()[0] >= 8
    assert metrics["precision"] == ("tf32" if tf32 else "fp32")
    assert accuracy >= 0.9


def test_unknown_precision_is_refused(tmp_path: Path, digits_dir: Path, train: ModuleType) -> None:
    with pytest.raises(ValueError, match=re.escape("train.precision=fp8 is unknown")):
        run_train(train, tmp_path, digits_dir, "train.precision=fp8")


def test_tf32_on_the_cpu_is_refused(tmp_path: Path, digits_dir: Path, train: ModuleType) -> None:
    message = "train.precision=tf32 needs a CUDA GPU of compute capability 8.0 or newer"
    with pytest.raises(ValueError, match=re.escape(message)):
        run_train(train, tmp_path, digits_dir, "train.device=cpu", "train.precision=tf32")


def test_standalone_apps_chain_through_their_defaults(tmp_path: Path) -> None:
    """data_prepare (as a module) writes where train (as a script) reads by default."""
    commands = [
        [sys.executable, "-m", "example_app.data_prepare", "data.source=digits"],
        [
            sys.executable,
            str(Path(data_prepare.__file__).with_name("train.py")),
            "data.source=digits",
            "model.conv_channels=8",
            "train.epochs=1",
            f"hydra.run.dir={tmp_path / 'train_run'}",
        ],
    ]
    for command in commands:
        result = subprocess.run(
            command, cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "outputs" / "datasets" / "digits" / "manifest.json").is_file()
    metrics = json.loads((tmp_path / "train_run" / "metrics.json").read_text())
    assert metrics["source"] == "digits"
    assert (tmp_path / "train_run" / "model.pt").is_file()


# run as `python example_app/<app>.py`, as the one-line command's component is in an image where
# example_app is not installed: its folder is on sys.path, the repository root is not
AS_A_SCRIPT = """
import importlib.util, os, runpy, sys
root, app = sys.argv[1:3]
sys.path[:] = [os.path.dirname(app), *(p for p in sys.path if p not in ("", root))]
assert importlib.util.find_spec("example_app") is None
sys.argv = [app, *sys.argv[3:]]
try:
    runpy.run_path(app, run_name="__main__")
finally:
    assert "torch" not in sys.modules, "composing imported torch"
"""


@pytest.mark.parametrize("app", ["data_prepare.py", "train.py"])
def test_each_app_runs_as_a_script_where_example_app_is_not_importable(
    app: str, tmp_path: Path
) -> None:
    """Each app is one file: it imports nothing of example_app, nor torch to compose (a sweep is
    launched where torch need not be installed)."""
    script = Path(data_prepare.__file__).with_name(app)
    result = subprocess.run(
        [sys.executable, "-c", AS_A_SCRIPT, str(script.parents[1]), str(script), "--cfg", "job"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "data:" in result.stdout and "train:" in result.stdout
