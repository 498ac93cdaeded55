"""read_launcher_conf builds at once where the checks that need no merge pass, and runs every
check only where the build fails: its result and its messages are those of running every check
first (launcher_setting_problems), then building."""

import copy
from collections.abc import Sequence
from typing import Any

import pytest
from hydra.core.global_hydra import GlobalHydra
from local_launch import compose
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_vertex_pipelines.config_reading import _built_launcher, _read, read_launcher_conf
from hydra_vertex_pipelines.errors import LauncherConfigError, config_problems
from hydra_vertex_pipelines.setting_checks import launcher_setting_problems

# (key under hydra.launcher, value): one of each kind of problem, and values that fit
SETTINGS: list[tuple[Sequence[str], Any]] = [
    (("poll_interval_s",), "often"),  # refused by OmegaConf
    (("mode",), "cloud"),  # not one of the Enum's names
    (("local", "max_parallel_jobs"), [1]),  # in a nested dataclass
    (("labels",), {"a": None}),  # a mapping of other than plain values
    (("reserved_ip_ranges",), "range-a"),  # a list written as text
    (("bogus",), 1),  # no setting
    (("local",), 3),  # a dataclass written as a value
    (("components",), 5),  # not a mapping of components
    (("components", "train", "retries"), "twice"),
    (("components", "train", "resources", "cpu"), 8),  # fits: 8 -> "8"
    (("components", "train", "resources", "strategy"), "SPOT"),  # fits: an Enum
    (("components", "train", "args"), ["x=${hydra.job.name}"]),  # fits: kept as written
    (("components", "train", "env"), [1]),
    (("components", "data", "args"), "${hydra.job.name}"),  # OmegaConf takes it; a list as text
    (("components", "data", "resource"), {"cpu": "4"}),
    (("app", "resources", "accelerator_count"), "one"),
    (("image",), None),  # fits
]
# a problem that only OmegaConf's merge finds (the checks without a merge pass it)
MERGE_ONLY = SETTINGS[0]


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The two-step app's composed config as written (a plain dict)."""
    cfg, _ = compose(["hydra/launcher=two_step"], tmp_path_factory.mktemp("sweep") / "s")
    GlobalHydra.instance().clear()
    written = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(written, dict)
    return {str(key): value for key, value in written.items()}


def _launcher_node(whole: dict[str, Any], changes: Sequence[tuple[Sequence[str], Any]]) -> Any:
    """hydra.launcher of a copy of `whole` with `changes` made (each where an earlier one left
    a mapping to make it in), as an untyped config's node."""
    changed = copy.deepcopy(whole)
    for path, value in changes:
        node = changed["hydra"]["launcher"]
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[path[-1]] = copy.deepcopy(value)
    cfg = OmegaConf.create(changed)
    assert isinstance(cfg, DictConfig)
    return cfg.hydra.launcher


def _checked_first(node: Any) -> Any:
    """hydra.launcher read as before: every check, then the build."""
    values = _read(node)
    found = launcher_setting_problems(values)
    if found:
        raise config_problems(found)
    return _built_launcher(values)


def _outcome(read: Any, node: Any) -> tuple[str, str]:
    """What `read` makes of `node`: its result, or its error, as text."""
    try:
        return "conf", repr(read(node))
    except (LauncherConfigError, OmegaConfBaseException) as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: ".".join(s[0]))
def test_read_as_when_checked_first(
    whole: dict[str, Any], setting: tuple[Sequence[str], Any]
) -> None:
    # each setting alone, and beside a problem that only a merge finds
    for changes in ([setting], [setting, MERGE_ONLY]):
        node = _launcher_node(whole, changes)
        assert _outcome(read_launcher_conf, node) == _outcome(_checked_first, node)


def test_unchanged_config_reads_as_its_dataclass(whole: dict[str, Any]) -> None:
    conf = read_launcher_conf(_launcher_node(whole, []))
    assert conf == _checked_first(_launcher_node(whole, []))
    assert conf.components["data"].env == {"DATA_MODE": "full", "A_FLAG": "1"}


def test_value_that_does_not_resolve_raises_omegaconf_error(whole: dict[str, Any]) -> None:
    # an escaped interpolation resolves to one, which the build cannot resolve: no check refuses
    # it, so the build's own error is raised, as it was
    node = _launcher_node(whole, [(("pipeline_name",), "\\${nowhere}")])
    with pytest.raises(OmegaConfBaseException):
        read_launcher_conf(node)
