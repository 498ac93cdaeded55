"""Jobs are submitted as they are planned: the first create reaches Vertex while later jobs are
still being composed, and a job that cannot be planned after earlier jobs were submitted fails
the launch without leaving them unaccounted for (checked server-side and in the manifest)."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hydra.core.utils import JobStatus
from hydra.errors import ConfigCompositionException
from local_launch import launch
from omegaconf import DictConfig
from vertex_checks import StartEmulator, emulator_jobs, wait_until
from vertex_launch import APP_DIR

from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME
from hydra_vertex_pipelines.planning.composer import Composed, SweepComposer

pytestmark = pytest.mark.usefixtures("in_app_dir")

APP = APP_DIR / "main.py"


def manifest_events(sweep_dir: Path, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in (sweep_dir / MANIFEST_NAME).read_text().splitlines()]
    return [line for line in lines if line["event"] == event]


def test_the_first_job_is_created_while_later_ones_are_being_composed(
    start_emulator: StartEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator()
    compose = SweepComposer.compose

    def compose_job_5_once_a_job_exists(
        self: SweepComposer, master: DictConfig, overrides: Sequence[str]
    ) -> Composed:
        if "x=5" in overrides:  # were the jobs all composed first, no create would come
            wait_until(lambda: bool(emulator.stats()["created"]), "a create during planning")
        return compose(self, master, overrides)

    monkeypatch.setattr(SweepComposer, "compose", compose_job_5_once_a_job_exists)
    overrides = [
        "hydra/launcher=fast",
        f"hydra.launcher.api_endpoint={emulator.endpoint}",
        "hydra.launcher.wait=false",
    ]
    rets = launch(overrides, [[f"x={x}"] for x in range(8)], tmp_path, app=APP)
    assert [r.status for r in rets] == [JobStatus.UNKNOWN] * 8
    assert len(emulator.stats()["created"]) == 8
    # each JobReturn's config, restored when read, is the job's
    assert [r.cfg.x for r in rets] == list(range(8))
    assert [r.hydra_cfg.hydra.job.num for r in rets] == list(range(8))


@pytest.mark.parametrize("cancel", [True, False], ids=["cancelled", "kept-running"])
def test_a_job_that_does_not_compose_after_others_were_submitted(
    start_emulator: StartEmulator, tmp_path: Path, cancel: bool
) -> None:
    """Hydra's BasicSweeper checks that every job composes before the launch; other sweepers may
    not. The launch fails with Hydra's error; the jobs created before are cancelled
    (cancel_on_interrupt=true) or keep running, in the manifest either way."""
    emulator = start_emulator(faults=FaultConfig(latency_s=0.2))
    overrides = [
        "hydra/launcher=fast",
        f"hydra.launcher.api_endpoint={emulator.endpoint}",
        f"hydra.launcher.cancel_on_interrupt={str(cancel).lower()}",
    ]
    release = tmp_path / "never"
    jobs = [[f"x={x}", f"+release={release}"] for x in range(3)] + [["no_such_key=1"]]
    with pytest.raises(ConfigCompositionException, match="Could not override 'no_such_key'"):
        launch(overrides, jobs, tmp_path / "sweep", app=APP)
    submitted = manifest_events(tmp_path / "sweep", "submit")
    assert {e["job_num"] for e in submitted} <= {0, 1, 2}
    (sweep,) = {e["sweep_id"] for e in manifest_events(tmp_path / "sweep", "sweep")}
    on_server = emulator_jobs(emulator, SWEEP_LABEL, sweep)
    # the creates sent while job #3 was composed (Hydra composes it again to raise its error)
    assert on_server
    assert {j["name"].rsplit("/", 1)[1] for j in on_server} <= {e["job_id"] for e in submitted}
    if cancel:
        wait_until(
            lambda: all(
                j["state"] == "PIPELINE_STATE_CANCELLED"
                for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)
            ),
            "every created job cancelled",
        )
    else:
        assert all(j["state"] != "PIPELINE_STATE_CANCELLED" for j in on_server)
        release.write_text("")
        wait_until(
            lambda: all(
                j["state"] == "PIPELINE_STATE_SUCCEEDED"
                for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)
            ),
            "the jobs kept running to the end",
        )
