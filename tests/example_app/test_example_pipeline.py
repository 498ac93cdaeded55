"""The whole MNIST pipeline (data_prepare -> train) in local mode through the launcher, offline."""

from pathlib import Path

import pytest
from hydra.core.utils import JobStatus
from local_launch import launch

REPO = Path(__file__).resolve().parents[2]


def test_local_pipeline_returns_each_jobs_accuracy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    monkeypatch.chdir(REPO)  # the components run `python -m example_app.<app>`
    # as the basic sweeper gives them for `... data.source=digits ... optim.lr=0.05,0.0001`
    fixed = ["data.source=digits", "train.epochs=1", "model.conv_channels=8"]
    rets = launch(
        ["hydra/launcher=mnist_pipeline", "hydra.launcher.mode=local"],
        [[*fixed, "optim.lr=0.05"], [*fixed, "optim.lr=0.0001"]],
        tmp_path,
        app=REPO / "example_app" / "train.py",
    )
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2
    accuracies = [r.return_value for r in rets]
    assert all(isinstance(a, float) and 0.0 <= a <= 1.0 for a in accuracies)
    # each job's own lr reached its train step (reaching 90% is test_example_train's business)
    assert accuracies[0] != accuracies[1]
    # the data step ran once: job 1 reused job 0's prepared dataset (caching)
    assert (tmp_path / "0" / "logs" / "data-prepare.log").exists()
    assert not (tmp_path / "1" / "logs" / "data-prepare.log").exists()
    metrics = tmp_path / "1" / "metrics.json"  # the job dir is train's Hydra output dir
    assert metrics.exists()
