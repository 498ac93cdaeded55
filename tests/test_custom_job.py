"""Components with a machine type compile into Vertex custom jobs through
google-cloud-pipeline-components: their payload, filled in as Vertex fills it, is parsed with the
real aiplatform_v1 messages, strictly (an unknown field fails), and its machine, accelerators,
disk and scheduling are checked."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud.aiplatform_v1.types.custom_job import WorkerPoolSpec
from google.protobuf import json_format
from hydra.core.utils import JobStatus
from local_launch import APP_DIR, launch
from override_keys import keys_of

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    ResourcesConf,
    SchedulingStrategy,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.arg_table import arg_table
from hydra_vertex_pipelines.compiling.template import compile_template
from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.planning.overrides import arg_json
from hydra_vertex_pipelines.runner import TaskResult
from hydra_vertex_pipelines.runner.custom_job import fill_payload
from hydra_vertex_pipelines.runner.spec import (
    component_of,
    container_of,
    custom_job_payload,
    custom_job_worker,
    dag_tasks,
)
from hydra_vertex_pipelines.vertex_api import CustomJob

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example_app" / "train.py"
T4 = ResourcesConf(machine_type="n1-standard-4", accelerator_type="NVIDIA_TESLA_T4")


def strict(message: Any, data: Mapping[str, Any]) -> Any:
    """`data` as the proto-plus message type `message`; unknown fields raise ParseError."""
    return message.wrap(json_format.ParseDict(data, message.pb()(), ignore_unknown_fields=False))


def pipeline(resources: ResourcesConf, **settings: Any) -> VertexPipelineLauncherConf:
    """data -> train, train a custom job with `resources`."""
    return VertexPipelineLauncherConf(
        mode=Mode.compile,
        pipeline_name="p",
        components={
            "data": ComponentConf(
                image="img/data:1", command=["python", "d.py"], outputs={"ds": "data.out"}
            ),
            "train": ComponentConf(
                main=True,
                image="img/train:1",
                command=["python", "-m", "app"],
                inputs={"data.dir": "data.ds"},
                env={"WANDB_MODE": "offline"},
                resources=resources,
            ),
        },
        **settings,
    )


def custom_job(
    spec: Mapping[str, Any],
    values: Mapping[str, str],
    artifacts: Mapping[str, Path] | None = None,
) -> CustomJob:
    """The train task's CustomJob as its launcher creates it: the payload filled in as Vertex
    does (input parameters `values`, input artifacts at `artifacts`), parsed strictly."""
    node = dag_tasks(spec)["train"]
    payload = custom_job_payload(spec, node)
    assert payload is not None
    result = TaskResult(
        task="train",
        input_parameters=dict(values),
        input_artifacts=dict(artifacts or {"ds": Path("/gcs/b/r/data/ds")}),
    )
    job: CustomJob = strict(
        CustomJob, json.loads(fill_payload(payload, component_of(spec, node), result))
    )
    return job


# the main task's own parameters: its run dir and the launching job's runtime fields
RUN_DIR = {"hydra_run_dir": "/gcs/b/r/0", "hydra_runtime": arg_json({"job.num": 0, "s": '"a\\'})}


def test_the_tutorial_machine_becomes_the_custom_jobs_worker_pool() -> None:
    template = compile_template(pipeline(T4), keys_of(("optim.lr=",)))
    job = custom_job(
        template.spec, {"optim__lr": "0.1", **RUN_DIR}, {"ds": Path("/gcs/b/r/data/ds")}
    )
    pool = job.job_spec.worker_pool_specs[0]
    assert pool.machine_spec.machine_type == "n1-standard-4"
    assert pool.machine_spec.accelerator_type.name == "NVIDIA_TESLA_T4"
    assert pool.machine_spec.accelerator_count == 1
    assert (pool.disk_spec.boot_disk_type, pool.disk_spec.boot_disk_size_gb) == ("pd-ssd", 100)
    assert pool.replica_count == 1
    assert job.job_spec.scheduling.strategy.name == "STANDARD"
    assert job.job_spec.scheduling.timeout.total_seconds() == 7 * 24 * 3600
    # the container runs the app with the Hydra-override args a plain component gets
    container = pool.container_spec
    assert container.image_uri == "img/train:1"
    assert list(container.command) == ["python", "-m", "app"]
    callbacks = "hydra_plugins.hydra_vertex_pipeline_launcher.callbacks"
    launching = "++hydra.callbacks.vertex_pipeline_launching_job"
    callback = "++hydra.callbacks.vertex_pipeline_return_value"
    assert list(container.args) == [
        "optim.lr=0.1",
        'data.dir="/gcs/b/r/data/ds"',
        'hydra.run.dir="/gcs/b/r/0"',
        "++hydra.mode=RUN",
        f"{launching}._target_={callbacks}.LaunchingJobCallback",
        f"{launching}.runtime='{RUN_DIR['hydra_runtime']}'",
        f"{callback}._target_={callbacks}.ReturnValueCallback",
        f"{callback}.output_file=${{hydra.run.dir}}/return_value.json",
    ]
    assert {e.name: e.value for e in container.env} == {"WANDB_MODE": "offline"}
    assert job.display_name == "train"
    assert dict(job.labels) == {"hydra_component": "train"}
    # the compiled worker pool, before Vertex fills it in, is a WorkerPoolSpec as it stands
    compiled = custom_job_worker(component_of(template.spec, dag_tasks(template.spec)["train"]))
    assert strict(WorkerPoolSpec, compiled).machine_spec.machine_type == "n1-standard-4"


def test_the_launcher_container_has_no_limits_and_the_task_keeps_its_settings() -> None:
    conf = pipeline(T4)
    train = conf.components["train"]
    train.retries, train.caching, train.display_name = 2, False, "Train the model"
    spec = compile_template(conf, ()).spec
    node = dag_tasks(spec)["train"]
    launcher = container_of(spec, node)
    assert "resources" not in launcher and "env" not in launcher
    assert node["retryPolicy"]["maxRetryCount"] == 2
    assert node["cachingOptions"] == {}
    assert node["taskInfo"]["name"] == "Train the model"
    assert custom_job(spec, RUN_DIR).display_name == "Train the model"
    # the plain data component stays a container task
    assert custom_job_payload(spec, dag_tasks(spec)["data"]) is None


def test_spot_disk_timeout_and_the_launchers_network_settings() -> None:
    resources = ResourcesConf(
        machine_type="a2-highgpu-2g",
        accelerator_type="NVIDIA_TESLA_A100",
        boot_disk_type="pd-standard",
        boot_disk_size_gb=500,
        strategy=SchedulingStrategy.SPOT,
        restart_job_on_worker_restart=True,
        timeout_s=3600,
    )
    conf = pipeline(
        resources,
        service_account="runner@p.iam.gserviceaccount.com",
        network="projects/1/global/networks/vpc",
        reserved_ip_ranges=["range-a"],
        encryption_spec_key_name="projects/p/locations/l/keyRings/r/cryptoKeys/k",
        labels={"Team": "ML"},
    )
    job = custom_job(compile_template(conf, ()).spec, RUN_DIR)
    pool = job.job_spec.worker_pool_specs[0]
    # the count comes with the machine type: a2-highgpu-2g has 2 A100s
    assert pool.machine_spec.accelerator_count == 2
    assert (pool.disk_spec.boot_disk_type, pool.disk_spec.boot_disk_size_gb) == (
        "pd-standard",
        500,
    )
    scheduling = job.job_spec.scheduling
    assert scheduling.strategy.name == "SPOT"
    assert scheduling.restart_job_on_worker_restart is True
    assert scheduling.timeout.total_seconds() == 3600
    assert job.job_spec.service_account == "runner@p.iam.gserviceaccount.com"
    assert job.job_spec.network == "projects/1/global/networks/vpc"
    assert list(job.job_spec.reserved_ip_ranges) == ["range-a"]
    assert job.encryption_spec.kms_key_name.endswith("cryptoKeys/k")
    assert dict(job.labels) == {"team": "ml", "hydra_component": "train"}
    # a component's own settings win over the launcher's
    own = ResourcesConf(machine_type="n1-standard-8", service_account="own@p", network="n2")
    job = custom_job(compile_template(pipeline(own, network="n1"), ()).spec, RUN_DIR)
    assert (job.job_spec.service_account, job.job_spec.network) == ("own@p", "n2")
    assert job.job_spec.worker_pool_specs[0].machine_spec.accelerator_count == 0


def test_flex_start_waits_as_long_as_configured() -> None:
    resources = ResourcesConf(
        machine_type="g2-standard-8",
        accelerator_type="NVIDIA_L4",
        strategy=SchedulingStrategy.FLEX_START,
        max_wait_s=1800,
    )
    job = custom_job(compile_template(pipeline(resources), ()).spec, RUN_DIR)
    assert job.job_spec.scheduling.strategy.name == "FLEX_START"
    assert job.job_spec.scheduling.max_wait_duration.total_seconds() == 1800


def test_a_custom_job_main_reports_its_value_through_its_run_dir() -> None:
    template = compile_template(pipeline(T4), ())
    assert template.main_custom_job
    component = component_of(template.spec, dag_tasks(template.spec)["train"])
    # no output parameter that the VM could not write: GCPC's own gcp_resources only
    assert list(component["outputDefinitions"]["parameters"]) == ["gcp_resources"]
    plain = compile_template(pipeline(ResourcesConf(cpu="4")), ())
    assert not plain.main_custom_job
    outputs = component_of(plain.spec, dag_tasks(plain.spec)["train"])["outputDefinitions"]
    assert "return_value" in outputs["parameters"]


def test_the_arg_table_shows_the_custom_jobs_container_and_machine() -> None:
    table = arg_table(compile_template(pipeline(T4), keys_of(("optim.lr=",))).spec)
    row = next(line for line in table.splitlines() if line.startswith("| train"))
    assert row.startswith(
        "| train (custom job: n1-standard-4 + 1 NVIDIA_TESLA_T4) | `python -m app` | "
    )
    assert "`optim.lr={{$.inputs.parameters['optim__lr']}}`" in row


def test_values_a_payload_cannot_carry_are_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    overrides = [
        "hydra/launcher=main_only",
        "hydra.launcher.mode=compile",
        "hydra.launcher.components.main.resources.machine_type=n1-standard-4",
    ]
    with pytest.raises(LauncherConfigError) as error:
        launch(overrides, [["x=1"], ["+tag='a\\b'"], ['+tag="a b"']], tmp_path)
    problems = str(error.value).splitlines()[1:]
    assert len(problems) == 2
    assert problems[0].startswith("  - job #1: +tag=\"'a\\\\b'\" goes to main, which runs as")
    assert problems[1].startswith("  - job #2: +tag='\"a b\"' goes to main")
    assert 'cannot hold ", \\ or control characters' in problems[1]
    assert not (tmp_path / "pipeline.yaml").exists()


def test_the_example_trains_on_the_tutorial_machine_and_one_override_makes_it_spot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    compile_mode = ["hydra/launcher=mnist_pipeline", "hydra.launcher.mode=compile"]
    spot = ["hydra.launcher.components.train.resources.strategy=SPOT"]
    for strategy, overrides in (("STANDARD", []), ("SPOT", spot)):
        sweep = tmp_path / strategy
        rets = launch([*compile_mode, *overrides], [["optim.lr=0.01"]], sweep, app=EXAMPLE)
        assert rets[0].status == JobStatus.UNKNOWN
        spec = yaml.safe_load((sweep / "pipeline.yaml").read_text())
        job = custom_job(spec, {"optim__lr": "0.01", **RUN_DIR}, {"dataset": Path("/gcs/ds")})
        pool = job.job_spec.worker_pool_specs[0]
        assert pool.machine_spec.machine_type == "n1-standard-4"
        assert pool.machine_spec.accelerator_type.name == "NVIDIA_TESLA_T4"
        assert pool.machine_spec.accelerator_count == 1
        assert job.job_spec.scheduling.strategy.name == strategy
        assert list(pool.container_spec.command) == ["python", "-m", "example_app.train"]


def test_a_pipeline_of_custom_jobs_runs_locally_with_caching_and_hydra_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(APP_DIR)
    both = [
        "hydra/launcher=local_two_step",
        "hydra.launcher.components.prep.resources.machine_type=e2-standard-4",
        "hydra.launcher.components.main.resources.machine_type=n1-standard-4",
        "hydra.launcher.components.main.resources.accelerator_type=NVIDIA_TESLA_T4",
    ]
    rets = launch(both, [["x=2", "data.n=3"], ["x=3", "data.n=3"]], tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2
    # the data artifact travelled from one custom job to the other: x**2 + n
    assert [r.return_value for r in rets] == [7.0, 12.0]
    # the prep custom job ran once: job 1 reused it from the cache
    assert (tmp_path / "0" / "logs" / "prep.log").exists()
    assert not (tmp_path / "1" / "logs" / "prep.log").exists()
    # both kept their Hydra output dirs: prep's artifact, main's run dir (the job dir, as under
    # Hydra's basic launcher) with its config
    prep_output = tmp_path / "0" / "artifacts" / "prep" / "hydra_output" / ".hydra"
    assert "data.n=3" in (prep_output / "overrides.yaml").read_text()
    main_output = tmp_path / "1"
    assert "x: 3" in (main_output / "composed.yaml").read_text()
    assert json.loads((main_output / "return_value.json").read_text()) == 12.0
