"""hydra.launcher.mode=compile: the sweep becomes kfp-compiled pipeline specs and job files.

The two-step app (tests/apps/sweep_app) has a data component and a main train component wired by an
artifact; its launcher config sets resources, retries, caching, env, display_name and after.
"""

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import kfp.components
import pytest
import yaml
from app_runner import APPS_DIR, app_env
from google.protobuf import json_format
from hydra.core.utils import JobReturn, JobStatus
from kfp.pipeline_spec import pipeline_spec_pb2
from local_launch import launch
from omegaconf import OmegaConf
from override_keys import keys_of

from hydra_plugins.hydra_vertex_pipeline_launcher.callbacks import from_arg_json
from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling import compiled_job
from hydra_vertex_pipelines.compiling.template import PipelineTemplate, compile_template
from hydra_vertex_pipelines.planning.overrides import OverrideKey

APP = APPS_DIR / "sweep_app" / "main.py"
SWEEP = [
    "hydra/launcher=two_step",
    "hydra.launcher.components.train.resources.accelerator_count=2",
    "optim.lr=0.1,0.01",
    "++data.n=3",
    "+dataset_name=mnist",
    "~optim.momentum",
    "db=postgres",
    "db@backup=postgres",
    "+db@extra=sqlite",
]
# Hydra's basic sweeper writes a deletion as `~key=null`; the order is the command line's
JOB0 = [
    "optim.lr=0.1",
    "++data.n=3",
    "+dataset_name=mnist",
    "~optim.momentum=null",
    "db=postgres",
    "db@backup=postgres",
    "+db@extra=sqlite",
]
PARAMETERS0 = {
    "optim__lr": "0.1",
    "data__n": "3",
    "dataset_name": "mnist",
    "optim__momentum": "null",
    "db": "postgres",
    "db__at__backup": "postgres",
    "db__at__extra": "sqlite",
}
# the spec's pipeline parameters: the overrides', the main component's run dir and runtime
INPUTS0 = sorted([*PARAMETERS0, "hydra_run_dir", "hydra_runtime"])
CALLBACKS = "hydra_plugins.hydra_vertex_pipeline_launcher.callbacks"
CALLBACK = "++hydra.callbacks.vertex_pipeline_return_value"
RUNTIME_CALLBACK = "++hydra.callbacks.vertex_pipeline_launching_job"


def param(name: str) -> str:
    return f"{{{{$.inputs.parameters['{name}']}}}}"


def quoted(path: str) -> str:
    """Paths are quoted in args: any character a path has is text to Hydra."""
    return f'"{path}"'


TRAIN_ARGS = [
    f"optim.lr={param('optim__lr')}",
    f"++data.n={param('data__n')}",
    f"+dataset_name={param('dataset_name')}",
    f"~optim.momentum={param('optim__momentum')}",
    f"db={param('db')}",
    f"db@backup={param('db__at__backup')}",
    f"+db@extra={param('db__at__extra')}",
    "data.dir=" + quoted("{{$.inputs.artifacts['dataset'].path}}"),
    f"hydra.run.dir={quoted(param('hydra_run_dir'))}",
    "++hydra.mode=RUN",  # a single run, whatever the app's config says
    # the launching job's runtime fields (job num, id, name, ...), set back by a callback
    f"{RUNTIME_CALLBACK}._target_={CALLBACKS}.LaunchingJobCallback",
    f"{RUNTIME_CALLBACK}.runtime='{param('hydra_runtime')}'",
    f"{CALLBACK}._target_={CALLBACKS}.ReturnValueCallback",
    f"{CALLBACK}.output_file=" + quoted("{{$.outputs.parameters['return_value'].output_file}}"),
]
DATA_ARGS = [
    f"++data.n={param('data__n')}",
    "data.shuffle=false",
    "data.out_dir=" + quoted("{{$.outputs.artifacts['dataset'].path}}"),
    "hydra.run.dir=" + quoted("{{$.outputs.artifacts['hydra_output'].path}}"),
]


def run_dir(job_dir: Path) -> str:
    """The main component's run dir on Vertex: the job dir under the pipeline root (a sweep dir
    outside the launch dir keeps its absolute path's parts)."""
    return f"/gcs/my-bucket/pipelines/{str(job_dir).lstrip('/')}"


def container(spec: dict[str, Any], component: str) -> dict[str, Any]:
    executor: dict[str, Any] = spec["deploymentSpec"]["executors"][f"exec-{component}"]
    return dict(executor["container"])


def task(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(spec["root"]["dag"]["tasks"][name])


def start_cli(sweep_dir: Path, hash_seed: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, APP.name, "-m", *SWEEP, f"hydra.sweep.dir={sweep_dir}"],
        cwd=APP.parent,
        env=app_env({"PYTHONHASHSEED": hash_seed}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class CliRun:
    def __init__(self, sweep_dir: Path, output: str, returncode: int) -> None:
        self.sweep_dir = sweep_dir
        self.output = output
        self.returncode = returncode

    @property
    def spec_bytes(self) -> bytes:
        return (self.sweep_dir / "pipeline.yaml").read_bytes()

    @property
    def spec(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load(self.spec_bytes)
        return loaded


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> list[CliRun]:
    """The same sweep compiled by two separate processes (with different hash seeds)."""
    root = tmp_path_factory.mktemp("cli")
    procs = [(root / f"run{i}", start_cli(root / f"run{i}", str(i + 1))) for i in range(2)]
    runs = []
    for sweep_dir, proc in procs:
        output, _ = proc.communicate(timeout=120)
        runs.append(CliRun(sweep_dir, output, proc.returncode))
    return runs


@pytest.fixture(scope="module")
def cli(cli_runs: list[CliRun]) -> CliRun:
    assert cli_runs[0].returncode == 0, cli_runs[0].output
    return cli_runs[0]


def test_cli_exits_0_with_a_log_line_per_job(cli: CliRun) -> None:
    assert "mode=compile" in cli.output
    for num, lr in enumerate(["0.1", "0.01"]):
        line = next(li for li in cli.output.splitlines() if f"#{num} : optim.lr={lr} " in li)
        assert line.endswith(str(cli.sweep_dir / str(num)))
    assert "COMPLETED" not in cli.output


def test_cli_writes_one_spec_and_the_job_files(cli: CliRun) -> None:
    specs = sorted(p.name for p in cli.sweep_dir.glob("pipeline*.yaml"))
    assert specs == ["pipeline.yaml"]
    assert sorted(p.name for p in cli.sweep_dir.iterdir() if p.is_dir()) == ["0", "1"]
    for num, lr in enumerate([0.1, 0.01]):
        job_dir = cli.sweep_dir / str(num)
        config = OmegaConf.load(job_dir / ".hydra" / "config.yaml")
        assert config.optim == {"lr": lr}  # momentum deleted
        assert config.db.driver == "postgres" and config.backup.driver == "postgres"
        assert config.extra.driver == "sqlite" and config.data.n == 3
        hydra_cfg = OmegaConf.load(job_dir / ".hydra" / "hydra.yaml")
        assert hydra_cfg.hydra.job.num == num
        assert hydra_cfg.hydra.launcher.mode == "compile"
        overrides = OmegaConf.to_container(OmegaConf.load(job_dir / ".hydra" / "overrides.yaml"))
        assert overrides == [f"optim.lr={lr}", *JOB0[1:]]
        parameters = json.loads((job_dir / "parameters.json").read_text())
        runtime = from_arg_json(parameters["parameter_values"].pop("hydra_runtime"))
        assert parameters == {
            "pipeline_spec": str(cli.sweep_dir / "pipeline.yaml"),
            "parameter_values": PARAMETERS0
            | {"optim__lr": str(lr), "hydra_run_dir": run_dir(job_dir)},
        }
        assert runtime["job.num"] == num and runtime["job.id"] == str(num)
        assert runtime["job.name"] == "main" and runtime["overrides.task"] == overrides
        assert runtime["sweep.dir"] == str(cli.sweep_dir) and runtime["sweep.subdir"] == str(num)


def test_spec_is_identical_across_processes_and_in_process(
    cli_runs: list[CliRun], tmp_path: Path, hydra_sweep_runner: Any
) -> None:
    assert [r.returncode for r in cli_runs] == [0, 0], cli_runs[1].output
    assert cli_runs[0].spec_bytes == cli_runs[1].spec_bytes
    with hydra_sweep_runner(
        calling_file=str(APP),
        calling_module=None,
        task_function=None,
        config_path="conf",
        config_name="config",
        overrides=SWEEP,
        temp_dir=tmp_path / "in_process",
    ):
        in_process = (tmp_path / "in_process" / "pipeline.yaml").read_bytes()
    assert in_process == cli_runs[0].spec_bytes


def test_spec_loads_back_with_kfp(cli: CliRun) -> None:
    component = kfp.components.load_component_from_file(str(cli.sweep_dir / "pipeline.yaml"))
    assert component.name == "two-step"
    assert sorted(component.component_spec.inputs or {}) == INPUTS0
    spec = json_format.ParseDict(cli.spec, pipeline_spec_pb2.PipelineSpec())
    assert spec.pipeline_info.name == "two-step"
    assert sorted(spec.root.dag.tasks) == ["data", "train"]
    assert sorted(spec.root.input_definitions.parameters) == INPUTS0
    # the container specs are well-formed for the deployment config schema too
    deployment = json_format.ParseDict(
        cli.spec["deploymentSpec"], pipeline_spec_pb2.PipelineDeploymentConfig()
    )
    train = deployment.executors["exec-train"].container
    assert train.resources.accelerator.resource_type == "NVIDIA_L4"


def test_args_are_hydra_overrides_with_placeholders(cli: CliRun) -> None:
    spec = cli.spec
    train, data = container(spec, "train"), container(spec, "data")
    assert train["command"] == ["python", "main.py"]
    assert train["args"] == TRAIN_ARGS
    # data.* overrides only (not dataset_name, which merely starts with the same letters)
    assert data["command"] == ["python", "data_step.py"]
    assert data["args"] == DATA_ARGS
    assert "optim.lr={{$.inputs.parameters['optim__lr']}}" in train["args"]
    assert "data.dir=" + quoted("{{$.inputs.artifacts['dataset'].path}}") in train["args"]


def test_inputs_outputs_and_return_value(cli: CliRun) -> None:
    spec = cli.spec
    comp_data, comp_train = spec["components"]["comp-data"], spec["components"]["comp-train"]
    assert sorted(comp_data["inputDefinitions"]["parameters"]) == ["data__n"]
    assert list(comp_data["outputDefinitions"]["artifacts"]) == ["dataset", "hydra_output"]
    assert "parameters" not in comp_data["outputDefinitions"]
    assert sorted(comp_train["inputDefinitions"]["parameters"]) == INPUTS0
    assert list(comp_train["inputDefinitions"]["artifacts"]) == ["dataset"]
    # the main component's Hydra output goes to its run dir parameter, not to an artifact
    assert "artifacts" not in comp_train["outputDefinitions"]
    assert comp_train["outputDefinitions"]["parameters"] == {
        "return_value": {"parameterType": "STRING"}
    }
    train = task(spec, "train")
    assert train["inputs"]["artifacts"]["dataset"] == {
        "taskOutputArtifact": {"outputArtifactKey": "dataset", "producerTask": "data"}
    }
    assert train["inputs"]["parameters"]["optim__lr"] == {"componentInputParameter": "optim__lr"}
    assert sorted(task(spec, "data")["inputs"]["parameters"]) == ["data__n"]


def test_task_settings(cli: CliRun) -> None:
    spec = cli.spec
    data_res = container(spec, "data")["resources"]
    assert data_res["resourceCpuLimit"] == "4" and data_res["resourceMemoryLimit"] == "16G"
    assert "accelerator" not in data_res
    train_res = container(spec, "train")["resources"]
    assert train_res["resourceCpuLimit"] == "8" and train_res["resourceMemoryLimit"] == "32Gi"
    # accelerator_count=2 came from the command line, over the launcher yaml's 1
    assert train_res["accelerator"]["resourceType"] == "NVIDIA_L4"
    assert train_res["accelerator"]["resourceCount"] == "2"
    data, train = task(spec, "data"), task(spec, "train")
    assert train["retryPolicy"]["maxRetryCount"] == 2
    assert "retryPolicy" not in data
    assert data["cachingOptions"] == {}  # caching: false
    assert train["cachingOptions"] == {"enableCache": True}  # follows enable_caching
    assert container(spec, "data")["env"] == [
        {"name": "A_FLAG", "value": "1"},
        {"name": "DATA_MODE", "value": "full"},
    ]
    assert container(spec, "train")["env"] == [{"name": "WANDB_MODE", "value": "offline"}]
    assert train["taskInfo"] == {"name": "Train the model"}
    assert data["taskInfo"] == {"name": "data"}
    assert train["dependentTasks"] == ["data"]
    assert "dependentTasks" not in data
    images = {c: container(spec, c)["image"] for c in ("data", "train")}
    assert images == {
        "data": "europe-docker.pkg.dev/my-project/apps/data:1",
        "train": "europe-docker.pkg.dev/my-project/apps/train:1",
    }


def test_compile_returns_unknown_status_one_compile_per_key_set(
    tmp_path: Path, hydra_sweep_runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_compiles(monkeypatch)
    sweep_dir = tmp_path / "sweep"
    with hydra_sweep_runner(
        calling_file=str(APP),
        calling_module=None,
        task_function=lambda cfg: pytest.fail("compile mode must not run the task"),
        config_path="conf",
        config_name="config",
        overrides=["hydra/launcher=two_step", "optim.lr=0.1,0.2,0.3", "data.n=5"],
        temp_dir=sweep_dir,
    ) as sweep:
        assert sweep.returns is not None
        returns: list[JobReturn] = [r for batch in sweep.returns for r in batch]
        assert len(returns) == 3
        assert len(calls) == 1
        for num, ret in enumerate(returns):
            assert ret.status == JobStatus.UNKNOWN
            assert ret.return_value is None
            assert ret.working_dir == str(sweep_dir / str(num))
            assert ret.cfg is not None and ret.cfg.optim.lr == [0.1, 0.2, 0.3][num]
            assert ret.hydra_cfg is not None and ret.hydra_cfg.hydra.job.num == num
            assert ret.overrides == [f"optim.lr={[0.1, 0.2, 0.3][num]}", "data.n=5"]
            assert ret.task_name == "main"
            parameters = json.loads((sweep_dir / str(num) / "parameters.json").read_text())
            runtime = from_arg_json(parameters["parameter_values"].pop("hydra_runtime"))
            assert runtime["job.num"] == num
            assert parameters["parameter_values"] == {
                "optim__lr": str([0.1, 0.2, 0.3][num]),
                "data__n": "5",
                "hydra_run_dir": run_dir(sweep_dir / str(num)),
            }


def count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[tuple[OverrideKey, ...]]:
    """Record the override keys of every template the launcher compiles (the real compiler
    runs)."""
    calls: list[tuple[OverrideKey, ...]] = []

    def counting(
        conf: VertexPipelineLauncherConf,
        keys: Sequence[OverrideKey],
        launching_overrides: Sequence[str],
        quote: str,
    ) -> PipelineTemplate:
        calls.append(tuple(keys))
        return compile_template(conf, keys, launching_overrides, quote)

    monkeypatch.setattr(compiled_job, "compile_template", counting)
    return calls


def spec_of(job_dir: Path) -> tuple[Path, dict[str, Any]]:
    parameters = json.loads((job_dir / "parameters.json").read_text())
    path = Path(parameters["pipeline_spec"])
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return path, loaded


def test_one_template_per_set_of_override_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_compiles(monkeypatch)
    jobs = [
        ["optim.lr=0.1", "~optim.momentum"],
        ["optim.lr=0.2", "~optim.momentum", "+extra=1"],
        ["optim.lr=0.3", "~optim.momentum"],
        ["optim.lr=0.4", "~optim.momentum=0.9"],
        ["optim.lr=0.5", "~optim.momentum", "+extra=2"],
    ]
    returns = launch(["hydra/launcher=two_step"], jobs, tmp_path, app=APP)
    assert [r.status for r in returns] == [JobStatus.UNKNOWN] * 5
    assert calls == [
        tuple(keys_of(("optim.lr=", "~optim.momentum"))),
        tuple(keys_of(("optim.lr=", "~optim.momentum", "+extra="))),
        tuple(keys_of(("optim.lr=", "~optim.momentum="))),
    ]
    # several key sets: one spec file per template, named by its digest
    files = sorted(p.name for p in tmp_path.glob("pipeline*.yaml"))
    assert len(files) == 3 and "pipeline.yaml" not in files
    paths = [spec_of(tmp_path / str(n))[0] for n in range(5)]
    assert paths[0] == paths[2] and paths[1] == paths[4]
    assert len(set(paths)) == 3
    # a deletion without value is a literal arg; with a value it travels as a parameter
    assert container(spec_of(tmp_path / "0")[1], "train")["args"][:2] == [
        f"optim.lr={param('optim__lr')}",
        "~optim.momentum",
    ]
    assert container(spec_of(tmp_path / "1")[1], "train")["args"][:3] == [
        f"optim.lr={param('optim__lr')}",
        "~optim.momentum",
        f"+extra={param('extra')}",
    ]
    assert container(spec_of(tmp_path / "3")[1], "train")["args"][:2] == [
        f"optim.lr={param('optim__lr')}",
        f"~optim.momentum={param('optim__momentum')}",
    ]
    values = [
        json.loads((tmp_path / str(n) / "parameters.json").read_text())["parameter_values"]
        for n in range(5)
    ]
    assert [v.pop("hydra_run_dir") for v in values] == [
        run_dir(tmp_path / str(n)) for n in range(5)
    ]
    assert [from_arg_json(v.pop("hydra_runtime"))["job.num"] for v in values] == list(range(5))
    assert values == [
        {"optim__lr": "0.1"},
        {"optim__lr": "0.2", "extra": "1"},
        {"optim__lr": "0.3"},
        {"optim__lr": "0.4", "optim__momentum": "0.9"},
        {"optim__lr": "0.5", "extra": "2"},
    ]
    # the data component takes no parameter of these keys
    for n in range(5):
        assert container(spec_of(tmp_path / str(n))[1], "data")["args"] == DATA_ARGS[1:]


def test_colliding_parameter_names_stay_distinct(tmp_path: Path) -> None:
    job = [
        "+a.b=1",
        "+a_b=2",
        "+a-b=3",
        "+A_B=4",
        "+dataset=5",
        "+return_value=6",
        "+hydra_run_dir=7",
        "+hydra_runtime=8",
    ]
    launch(["hydra/launcher=two_step"], [job], tmp_path, app=APP)
    _, spec = spec_of(tmp_path / "0")
    values = json.loads((tmp_path / "0" / "parameters.json").read_text())["parameter_values"]
    assert values.pop("hydra_run_dir") == run_dir(tmp_path / "0")
    assert from_arg_json(values.pop("hydra_runtime"))["job.num"] == 0
    assert sorted(values.values()) == ["1", "2", "3", "4", "5", "6", "7", "8"]
    by_value = {v: k for k, v in values.items()}
    args = container(spec, "train")["args"]
    for override in job:
        key_element, value = override.split("=")
        assert f"{key_element}={param(by_value[value])}" in args
    # names that an output or input artifact of the pipeline already uses are not reused
    assert by_value["5"] != "dataset" and by_value["6"] != "return_value"
    assert by_value["7"] != "hydra_run_dir" and by_value["8"] != "hydra_runtime"
    assert sorted(spec["root"]["inputDefinitions"]["parameters"]) == sorted(
        [*values, "hydra_run_dir", "hydra_runtime"]
    )


def _main_only(**components: ComponentConf) -> VertexPipelineLauncherConf:
    return VertexPipelineLauncherConf(mode=Mode.compile, pipeline_name="p", components=components)


def test_colliding_group_path_and_dotted_key() -> None:
    conf = _main_only(app=ComponentConf(main=True, command=["python", "app.py"]))
    keys = keys_of(("a.b=", "a/b=", "a_b=", "a-b=", "A.B=", "~a.b=", "+a.b=", "++a.b=", "a@b="))
    template = compile_template(conf, keys)
    names = [template.parameter_names[k] for k in keys]
    assert len(set(names)) == len(names)
    assert all(n.isidentifier() for n in names)
    args = container(template.spec, "app")["args"]
    assert args[: len(keys)] == [
        f"{k.key_element}={param(n)}" for k, n in zip(keys, names, strict=True)
    ]


def test_after_adds_an_ordering_edge() -> None:
    prep = ComponentConf(command=["python", "prep.py"])
    with_after = _main_only(prep=prep, app=ComponentConf(main=True, after=["prep"]))
    without = _main_only(prep=prep, app=ComponentConf(main=True))
    spec = compile_template(with_after, ()).spec
    assert task(spec, "app")["dependentTasks"] == ["prep"]
    assert "artifacts" not in task(spec, "app").get("inputs", {})
    assert "dependentTasks" not in task(compile_template(without, ()).spec, "app")


def test_component_overrides_follow_prefixes() -> None:
    conf = _main_only(
        data=ComponentConf(overrides=["data", "db"]),
        app=ComponentConf(main=True),
    )
    keys = keys_of(("data.n=", "+data.x=", "~data", "db=", "db@backup=", "database=", "dataset="))
    spec = compile_template(conf, keys).spec
    data_args = container(spec, "data")["args"][:-1]  # the last one is hydra.run.dir
    assert [a.split("=")[0] for a in data_args] == ["data.n", "+data.x", "~data", "db", "db@backup"]
    app_keys = [a.split("=")[0] for a in container(spec, "app")["args"][: len(keys)]]
    assert app_keys == [k.key_element for k in keys]


def test_same_input_compiles_to_identical_bytes() -> None:
    conf = _main_only(
        data=ComponentConf(
            overrides=["data"], outputs={"ds": "data.out"}, env={"B": "2", "A": "1"}
        ),
        app=ComponentConf(main=True, inputs={"data.dir": "data.ds"}, retries=1),
    )
    keys = keys_of(("optim.lr=", "data.n=", "~x"))
    first = compile_template(conf, keys)
    second = compile_template(conf, keys)
    assert first.spec_yaml == second.spec_yaml
    assert first.digest == second.digest
    assert compile_template(conf, keys_of(("data.n=", "optim.lr=", "~x"))).digest != first.digest


@pytest.fixture(autouse=True)
def _no_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    yield
