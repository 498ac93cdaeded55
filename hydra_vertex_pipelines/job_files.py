"""The files a job leaves in its dir before it runs: `.hydra/{config,hydra,overrides}.yaml`, as
Hydra writes them, and `parameters.json`, the runtime values it is run or submitted with.

PyYAML writes YAML in pure Python: a hydra.yaml takes a few ms, most of a job's planning. The
jobs of a sweep share most of it (the hydra node but for `hydra.job`, `.overrides` and
`.runtime`; the task config's keys the job's overrides leave alone), and the text of a block
mapping is the texts of its entries one after the other, so YamlWriter writes each entry once per
distinct value. Each file is still exactly OmegaConf.to_yaml's text: an entry's text is reused
only for a value equal to the one it was written for (types included), and the first config of
each kind is checked against OmegaConf.to_yaml whole.
"""

import json
import math
from collections.abc import Sequence
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf._utils import get_omega_conf_dumper

from .compiling.compiled_job import CompiledJob
from .planning.job_plan import JobConfigs

# distinct values whose text is kept per mapping entry (a sweep over a group alternates a few)
_KEPT_PER_ENTRY = 8


def yaml_text(container: Any) -> str:
    """A config's container as OmegaConf.to_yaml writes it."""
    text: str = yaml.dump(
        container,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        Dumper=get_omega_conf_dumper(),
    )
    return text


def same_value(a: Any, b: Any) -> bool:
    """Equal and written alike: types (1, 1.0, True), key order, nan and -0.0 told apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same_value(ka, kb) and same_value(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and (math.isnan(a) or a == 0.0):
        return repr(a) == repr(b)
    return bool(a == b)


class YamlWriter:
    """OmegaConf.to_yaml of the jobs' configs, each entry of one chosen mapping written once per
    distinct value."""

    def __init__(self) -> None:
        # (path, key) -> the last distinct values of that entry and their texts
        self._entries: dict[tuple[tuple[str, ...], Any], list[tuple[Any, str]]] = {}
        # mapping paths whose entries' texts were checked to add up to the whole text
        self._checked: dict[tuple[str, ...], bool] = {}

    def text(self, cfg: DictConfig, path: Sequence[str] = ()) -> str:
        """`cfg` as OmegaConf.to_yaml writes it; the entries of the mapping at `path` (nested
        single-key mappings above it: ("hydra",) for `{hydra: ...}`) are written one by one."""
        path = tuple(path)
        container = OmegaConf.to_container(cfg, enum_to_str=True)
        mapping: Any = container
        for key in path:
            if not isinstance(mapping, dict) or list(mapping) != [key]:
                return yaml_text(container)
            mapping = mapping[key]
        if not isinstance(mapping, dict) or not mapping:
            return yaml_text(container)
        if path not in self._checked:
            self._checked[path] = self._joined(path, mapping) == yaml_text(container)
        if not self._checked[path]:
            return yaml_text(container)
        return self._joined(path, mapping)

    def _joined(self, path: tuple[str, ...], mapping: dict[Any, Any]) -> str:
        head = "".join(f"{'  ' * depth}{key}:\n" for depth, key in enumerate(path))
        return head + "".join(self._entry(path, key, value) for key, value in mapping.items())

    def _entry(self, path: tuple[str, ...], key: Any, value: Any) -> str:
        kept = self._entries.setdefault((path, key), [])
        for kept_value, text in kept:
            if same_value(kept_value, value):
                return text
        wrapped: Any = {key: value}
        for outer in reversed(path):
            wrapped = {outer: wrapped}
        text = yaml_text(wrapped).split("\n", len(path))[-1]
        kept.append((value, text))
        if len(kept) > _KEPT_PER_ENTRY:
            kept.pop(0)
        return text


def write_job_files(job: CompiledJob, configs: JobConfigs, writer: YamlWriter) -> None:
    """`configs`: the job's composed config (HydraConfig is the job's: job_plan.plan_job)."""
    plan = job.plan
    hydra_dir = plan.job_dir / str(configs.hydra.hydra.output_subdir or ".hydra")
    hydra_dir.mkdir(parents=True, exist_ok=True)
    (hydra_dir / "config.yaml").write_text(writer.text(configs.task))
    (hydra_dir / "hydra.yaml").write_text(writer.text(configs.hydra, ("hydra",)))
    (hydra_dir / "overrides.yaml").write_text(yaml_text(list(plan.overrides)))
    parameters = {
        "pipeline_spec": str(job.spec_path),
        "parameter_values": job.runtime_parameters,
    }
    (plan.job_dir / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
