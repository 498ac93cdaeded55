"""What each job sends to Vertex AI: ids, labels, the PipelineJob message; and the retry backoff."""

import io
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vertex_launch import APP_DIR, plan_sweep

from hydra_plugins.hydra_vertex_pipeline_launcher.callbacks import from_arg_json
from hydra_vertex_pipelines.compiling.graph import kfp_name
from hydra_vertex_pipelines.executors.vertex.labels import (
    APP_LABEL,
    DIGEST_LABEL,
    EXPERIMENT_LABEL,
    JOB_NUM_LABEL,
    LAUNCHER_LABELS,
    SWEEP_LABEL,
)
from hydra_vertex_pipelines.executors.vertex.progress import SweepProgress, summary_table
from hydra_vertex_pipelines.executors.vertex.request import RequestBuilder, job_id, sweep_id
from hydra_vertex_pipelines.executors.vertex.retry import RetryPolicy
from hydra_vertex_pipelines.vertex_api import PipelineFailurePolicy, PipelineJob

VERTEX_JOB_ID = re.compile(r"^[a-z][-a-z0-9]{0,127}$")


@given(name=st.text(min_size=1, max_size=300), num=st.integers(min_value=0, max_value=10**6))
def test_job_ids_are_valid_vertex_ids(name: str, num: int) -> None:
    pipeline = kfp_name(name) or "p"
    jid = job_id(pipeline, sweep_id(Path("/sweeps/a"), 1), num)
    assert VERTEX_JOB_ID.match(jid), jid
    assert jid.endswith(f"-{num}")


def test_sweep_id_is_deterministic_per_sweep_dir_and_start(tmp_path: Path) -> None:
    assert sweep_id(tmp_path / "a", 1) == sweep_id(tmp_path / "a", 1)
    assert sweep_id(tmp_path / "a", 1) != sweep_id(tmp_path / "b", 1)
    assert sweep_id(tmp_path / "a", 1) != sweep_id(tmp_path / "a", 2)
    assert re.fullmatch("[0-9a-f]{10}", sweep_id(tmp_path, 1))


def test_requests_share_the_template_and_fill_in_the_job(tmp_path: Path) -> None:
    conf, jobs = plan_sweep(
        APP_DIR,
        [
            "hydra.launcher.api_endpoint=http://127.0.0.1:1",
            "+hydra.launcher.labels.team=ML Research",
            "+hydra.launcher.labels.hydra_job_num=mine",
            "hydra.launcher.experiment=Sweeps_2024",
            "hydra.launcher.failure_policy=slow",
            "hydra.launcher.service_account=runner@p.iam.gserviceaccount.com",
            "hydra.launcher.encryption_spec_key_name=projects/p/locations/l/keyRings/r/cryptoKeys/k",
        ],
        [["x=1", "data.n=2"], ["x=3", "data.n=2"]],
        tmp_path,
    )
    requests = list(map(RequestBuilder(conf, "abc123", LAUNCHER_LABELS), jobs))
    first, second = (r.pipeline_job for r in requests)
    assert [r.job_id for r in requests] == ["sweep-app-abc123-0", "sweep-app-abc123-1"]
    assert first.pipeline_spec == second.pipeline_spec
    assert first.pipeline_spec["pipelineInfo"]["name"] == "sweep-app"
    values = [dict(j.runtime_config.parameter_values) for j in (first, second)]
    run_dirs = [v.pop("hydra_run_dir") for v in values]
    assert [from_arg_json(v.pop("hydra_runtime"))["job.num"] for v in values] == [0, 1]
    assert values == [{"x": "1", "data__n": "2"}, {"x": "3", "data__n": "2"}]
    # each job's Hydra output goes under the pipeline root, laid out as the sweep is locally
    for plan, request, run_dir in zip((j.plan for j in jobs), requests, run_dirs, strict=True):
        uri = f"gs://test-bucket/pipeline-root/{plan.relative_dir}"
        assert request.hydra_output_uri == uri
        assert run_dir == "/gcs/" + uri.removeprefix("gs://")
        assert str(plan.relative_dir).endswith(f"{tmp_path.name}/{plan.num}")
    assert first.runtime_config.gcs_output_directory == "gs://test-bucket/pipeline-root"
    assert first.runtime_config.failure_policy == (
        PipelineFailurePolicy.PIPELINE_FAILURE_POLICY_FAIL_SLOW
    )
    assert first.service_account == "runner@p.iam.gserviceaccount.com"
    assert first.encryption_spec.kms_key_name.endswith("cryptoKeys/k")
    assert first.display_name == "sweep-app #0 x=1 data.n=2"
    labels = dict(second.labels)
    assert labels[SWEEP_LABEL] == "abc123"
    assert labels[JOB_NUM_LABEL] == "1"  # the launcher's labels win
    assert labels[APP_LABEL] == "main"
    assert labels["team"] == "ml-research"
    assert labels[EXPERIMENT_LABEL] == "sweeps_2024"
    assert labels[DIGEST_LABEL] != dict(first.labels)[DIGEST_LABEL]
    assert requests[0].console_url == (
        "https://console.cloud.google.com/vertex-ai/locations/us-central1/pipelines/runs/"
        "sweep-app-abc123-0?project=test-project"
    )
    # the same job again has the same digest: a create retried after ALREADY_EXISTS adopts it
    again = list(map(RequestBuilder(conf, "abc123", LAUNCHER_LABELS), jobs))
    assert again[1].digest == requests[1].digest
    assert PipelineJob.to_dict(again[0].pipeline_job) == PipelineJob.to_dict(first)


@pytest.mark.parametrize("retry", range(8))
def test_backoff_is_jittered_and_bounded(retry: int) -> None:
    policy = RetryPolicy(initial_backoff_s=0.5, multiplier=2.0, max_backoff_s=4.0)
    waits = [policy.backoff_s(retry) for _ in range(200)]
    bound = min(4.0, 0.5 * 2**retry)
    assert all(0.0 <= w <= bound for w in waits)
    assert len(set(waits)) > 100


def test_summary_table_aligns_columns() -> None:
    table = summary_table([(0, "succeeded", "1.5", "a-0"), (10, "failed", "", "a-10")])
    assert table.splitlines() == [
        "#   state      value  job id",
        "0   succeeded  1.5    a-0",
        "10  failed            a-10",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    terminal = Terminal()
    progress = SweepProgress(terminal)
    progress.update(["PIPELINE_STATE_RUNNING", "PIPELINE_STATE_PENDING"])
    progress.update(["PIPELINE_STATE_RUNNING", "PIPELINE_STATE_SUCCEEDED"])
    progress.close()
    updates = terminal.getvalue().split("\r\033[K")
    assert updates[1] == "2 jobs: 1 pending, 1 running [0:00]"
    assert updates[2] == "2 jobs: 1 running, 1 succeeded [0:00]\n"


def test_progress_logs_a_line_per_change_elsewhere(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    progress = SweepProgress(stream)
    with caplog.at_level(logging.INFO):
        for states in (
            ["PIPELINE_STATE_RUNNING"],
            ["PIPELINE_STATE_RUNNING"],
            ["PIPELINE_STATE_FAILED"],
        ):
            progress.update(states)
        progress.close()
    assert [r.getMessage() for r in caplog.records] == [
        "1 jobs: 1 running [0:00]",
        "1 jobs: 1 failed [0:00]",
    ]
    assert stream.getvalue() == ""
