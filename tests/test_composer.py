"""The SweepComposer composes each job's config exactly as Hydra's load_sweep_config does, and the
YamlWriter writes it as OmegaConf.to_yaml does.

Property test: generated sweeps of every kind of override (values on typed and untyped keys,
`+`, `++`, `~` with and without value, dict and list merges, interpolations, config groups with
nested defaults, `@package` and `+group@pkg`, `~group`, `_global_` packages, Hydra overrides,
and overrides that fail) are composed both ways, job by job, by one composer for all sweeps (as
a multirun's composer serves all its batches); each job's config must be the same node for node
(types, flags, values as written, key order) and print the same, or both ways must fail with the
same error.

The app (tests/apps/compose_app) has a typed schema (registered here), groups whose options
interpolate the config, a group option with a defaults list of its own, and interpolations into
the hydra node.
"""

import enum
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from app_runner import APPS_DIR
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import ConfigCompositionException
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_launch import compose
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.hydra_vertex_pipeline_launcher.vertex_pipeline_launcher import (
    VertexPipelineLauncher,
)
from hydra_vertex_pipelines.job_files import YamlWriter
from hydra_vertex_pipelines.planning.applying import parse_override
from hydra_vertex_pipelines.planning.composer import (
    HYDRA_JOB_ENTRIES,
    SweepComposer,
    sweep_composer,
)
from hydra_vertex_pipelines.planning.job_plan import split_configs
from hydra_vertex_pipelines.planning.snapshot import same_config

APP = APPS_DIR / "compose_app" / "app.py"
PARSER = OverridesParser.create()


class Color(enum.Enum):
    red = 1
    blue = 2


@dataclass
class TrainSchema:
    lr: float = 0.1
    epochs: int = 3
    tags: list[str] = field(default_factory=lambda: ["a"])
    limits: dict[str, int] = field(default_factory=lambda: {"cpu": 1})
    color: Color = Color.red
    patience: int | None = None


ConfigStore.instance().store(name="compose_schema", node=TrainSchema, package="train")

MASTER_OVERRIDES = [
    "hydra.job.config.override_dirname.exclude_keys=[seed]",
    "hydra.job.env_copy=[HOME]",
]
VALUE_KEYS = [
    "x",
    "name",
    "seed",
    "ref",
    "nested.a",
    "nested.b",
    "nested.c",
    "nested.c.d",
    "nested.interp",
    "linked.a",
    "from_hydra",
    "train.lr",
    "train.epochs",
    "train.tags",
    "train.limits",
    "train.limits.gpu",
    "train.color",
    "train.patience",
    "db.port",
    "db.driver",
    "model.width",
    "model_db.user",
    "unknown.key",
]
VALUES = [
    "1",
    "-3",
    "2.5",
    "abc",
    "'q s'",
    "null",
    "true",
    "blue",
    "[1,2,3]",
    "[]",
    "{k: 1}",
    "{d: 4, e: [x]}",
    "${x}",
    "${nested.a}",
    "'${name}-2'",
    "${oc.env:HOME}",
]
GROUP_OVERRIDES = [
    "db=postgres",
    "db=mysql",
    "db=missing",
    "model=large",
    "model=small",
    "+extra=a",
    "+extra=b",
    "+extra@ex=b",
    "~db",
    "~model=small",
    "+db@backup=mysql",
    "db@backup=postgres",
    "model={layers: 1}",
]
HYDRA_OVERRIDES = ["hydra.job.name=other", "hydra.job.config.override_dirname.item_sep=;"]

value_override = st.builds(
    lambda prefix, key, value: f"{prefix}{key}={value}",
    st.sampled_from(["", "+", "++"]),
    st.sampled_from(VALUE_KEYS),
    st.sampled_from(VALUES),
)
deletion = st.builds(
    lambda key, value: f"~{key}" if value is None else f"~{key}={value}",
    st.sampled_from(VALUE_KEYS),
    st.none() | st.sampled_from(["1", "3", "mysql", "${nested.a}"]),
)
override = st.one_of(
    value_override,
    value_override,
    value_override,
    deletion,
    st.sampled_from(GROUP_OVERRIDES),
    st.sampled_from(GROUP_OVERRIDES),
    st.sampled_from(HYDRA_OVERRIDES),
)
sweep = st.lists(st.lists(override, max_size=4), min_size=3, max_size=3)
# one for every example: the entries it keeps are reused across sweeps
WRITER = YamlWriter()


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DictConfig, HydraContext]]:
    sweep_dir = tmp_path_factory.mktemp("compose")
    cwd = os.getcwd()
    os.chdir(sweep_dir)
    try:
        yield compose(MASTER_OVERRIDES, sweep_dir, APP)
    finally:
        os.chdir(cwd)
        GlobalHydra.instance().clear()


@pytest.fixture(scope="module")
def composer(master: tuple[DictConfig, HydraContext]) -> SweepComposer:
    """One for every example, as one multirun's composer composes all its batches: the bases it
    keeps (one per set of group overrides) are reused across sweeps."""
    return SweepComposer(master[1].config_loader)


def outcome(loader: Any, config: DictConfig, job: list[str]) -> DictConfig | Exception:
    """The job's config as `loader.load_sweep_config` composes it, or the error it raises."""
    try:
        composed: DictConfig = loader.load_sweep_config(config, job)
    except Exception as e:  # both ways must fail alike
        return e
    return composed


def assert_same(fast: DictConfig | Exception, full: DictConfig | Exception, job: list[str]) -> None:
    if isinstance(full, Exception):
        assert isinstance(fast, Exception), (job, full)
        assert (type(fast), str(fast)) == (type(full), str(full)), job
        return
    assert isinstance(fast, DictConfig), (job, fast)
    assert same_config(fast, full), job
    assert OmegaConf.to_yaml(fast) == OmegaConf.to_yaml(full), job
    assert fast._metadata.resolver_cache == full._metadata.resolver_cache


@given(jobs=sweep)
@settings(
    max_examples=int(os.environ.get("COMPOSER_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_job_is_composed_as_hydra_composes_it(
    master: tuple[DictConfig, HydraContext], composer: SweepComposer, jobs: list[list[str]]
) -> None:
    config, context = master
    for job in jobs:
        full = outcome(context.config_loader, config, job)
        fast = outcome(composer, config, job)
        assert_same(fast, full, job)
        # the batch check's shortcut never passes a job that Hydra refuses
        if composer.composes(config, job):
            assert isinstance(full, DictConfig), (job, full)
        if isinstance(fast, DictConfig):
            # the job's .hydra/ files, each entry written once per distinct value
            composed = composer.compose(config, job)
            configs = split_configs(composed)
            task = WRITER.text(configs.task, (), configs.base, configs.changed)
            assert task == OmegaConf.to_yaml(configs.task), job
            hydra = WRITER.text(configs.hydra, ("hydra",), configs.base, HYDRA_JOB_ENTRIES)
            assert hydra == OmegaConf.to_yaml(configs.hydra), job


def test_value_and_group_sweeps_are_composed_once_per_set_of_group_choices(
    master: tuple[DictConfig, HydraContext],
) -> None:
    config, context = master
    composer = SweepComposer(context.config_loader)
    jobs = [
        [f"train.lr={lr}", f"db={db}", f"model={model}", "+tag=${x}", "~nested.c"]
        for lr in (0.1, 0.2)
        for db in ("mysql", "postgres")
        for model in ("small", "large")
    ]
    for job in jobs:
        composed = composer.compose(config, job)
        assert composed.faithful
        assert_same(composed.config, context.config_loader.load_sweep_config(config, job), job)
    # 4 compositions by Hydra for the 8 jobs, 8 restored from their snapshots
    assert len(composer._bases) == 4


@pytest.mark.parametrize(
    "job",
    [
        ["hydra.job.name=other"],  # the hydra node: Hydra composes it
        ["~ref"],  # `ref: ${x}` is resolved while the deletion is applied
        ["linked.a=5"],  # OmegaConf.update reads `linked: ${nested}` on the way
        ["x=[1,2"],  # does not parse: Hydra's error
    ],
)
def test_what_the_composer_leaves_to_hydra(
    master: tuple[DictConfig, HydraContext], job: list[str]
) -> None:
    config, context = master
    composer = SweepComposer(context.config_loader)
    assert composer._compose_fast(config, job) is None
    full = outcome(context.config_loader, config, job)
    assert_same(outcome(composer, config, job), full, job)


def test_the_launcher_composes_the_sweepers_checks_too(
    master: tuple[DictConfig, HydraContext],
) -> None:
    """BasicSweeper.validate_batch_is_legal composes every job of a batch through the context's
    config loader before the launcher gets the batch."""
    config, context = master
    loader = context.config_loader
    VertexPipelineLauncher().setup(
        hydra_context=context, task_function=lambda cfg: None, config=config
    )
    try:
        assert isinstance(context.config_loader, SweepComposer)
        assert context.config_loader.loader is loader
        assert sweep_composer(context) is context.config_loader
        # everything else is Hydra's loader
        assert context.config_loader.get_search_path() is loader.get_search_path()
        assert context.config_loader.repository is loader.repository  # type: ignore[attr-defined]
    finally:
        context.config_loader = loader


def test_a_cwd_change_between_jobs_is_seen(
    master: tuple[DictConfig, HydraContext], tmp_path: Path
) -> None:
    config, context = master
    composer = SweepComposer(context.config_loader)
    composer.compose(config, ["x=1"])
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        fast = composer.compose(config, ["x=2"]).config
        assert_same(fast, context.config_loader.load_sweep_config(config, ["x=2"]), ["x=2"])
    finally:
        os.chdir(cwd)


class Batch(Sweeper):
    """A sweeper reduced to Hydra's check that each job of a batch composes."""

    def __init__(self, context: HydraContext, config: DictConfig) -> None:
        self.hydra_context, self.config = context, config

    def setup(self, *, hydra_context: HydraContext, task_function: Any, config: DictConfig) -> None:
        raise NotImplementedError

    def sweep(self, arguments: list[str]) -> Any:
        raise NotImplementedError


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("nested.nope=1", "Could not override 'nested.nope'"),
        ("train.epochs=many", "Error merging override train.epochs=many"),  # typed: an int
        ("+x=2", "Could not append to config. An item is already at 'x'"),
        ("+train.limits.gpu=abc", "Error merging override +train.limits.gpu=abc"),  # dict[str, int]
        ("train.patience=null", None),  # optional: composes
        ("db=missing", "db/missing"),
    ],
)
def test_the_sweepers_batch_check_composes_only_what_it_cannot_tell(
    master: tuple[DictConfig, HydraContext],
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
    error: str | None,
) -> None:
    """Jobs of value overrides that their group overrides' composition takes are not composed:
    the batch check (Sweeper.validate_batch_is_legal) needs no config; the others are, and fail
    with Hydra's error."""
    config, context = master
    composer = SweepComposer(context.config_loader)
    composed: list[list[str]] = []
    compose = composer.compose

    def counting(master: DictConfig, job: list[str]) -> Any:
        composed.append(list(job))
        return compose(master, job)

    monkeypatch.setattr(composer, "compose", counting)
    jobs = [[f"x={x}", "+tag=a b", f"train.lr={x / 10}", "db=postgres"] for x in range(50)]
    batch = [*jobs, ["seed=7", "nested.a=${x}"], [bad]]
    checking = Batch(HydraContext(config_loader=composer, callbacks=context.callbacks), config)
    if error is None:
        checking.validate_batch_is_legal(batch)
        assert composed == []
    else:
        with pytest.raises(ConfigCompositionException, match=re.escape(error)):
            checking.validate_batch_is_legal(batch)
        assert composed == [[bad]]
    # what Hydra composed: the bases of the group overrides, once each
    assert sorted(composer._views) == [(), ("db=postgres",)]


override_key = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,3}(\.[A-Za-z_][A-Za-z0-9_]{0,3}){0,2}", fullmatch=True),
    st.sampled_from(["null", "true", "nan", "inf", "_", "a-b", "é", "a..b", "1a", "a/b"]),
)
override_value = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(str),
    st.from_regex(r"[+-]?[0-9_]{1,4}(\.[0-9]{0,3})?([eE][+-]?[0-9])?", fullmatch=True),
    st.sampled_from(["-0", "-0.0", "01", ".5", "5.", "1e3", "inf", "nan", "0x1", "٣"]),
)


@given(key=override_key, value=override_value)
@settings(max_examples=300, deadline=None)
def test_key_number_overrides_are_read_as_hydra_reads_them(key: str, value: str) -> None:
    text = f"{key}={value}"
    try:
        expected: Override | type[Exception] = PARSER.parse_override(text)
    except Exception as e:
        expected = type(e)
    try:
        got: Override | type[Exception] = parse_override(PARSER, text)
    except Exception as e:
        got = type(e)
    assert repr(got) == repr(expected)  # nan as nan
    if isinstance(got, Override):
        assert type(got.value()) is type(expected.value())  # type: ignore[union-attr]
