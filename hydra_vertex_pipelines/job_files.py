"""The files a job leaves in its dir before it runs: `.hydra/{config,hydra,overrides}.yaml`, as
Hydra writes them, and `parameters.json`, the runtime values it is run or submitted with.

PyYAML writes YAML in pure Python: a hydra.yaml takes a few ms, most of a job's planning. The
jobs composed from one base composition (planning/composer.py) share most of it: their hydra
node but for hydra.overrides, .job and .runtime, and the task config's top-level entries that the
job's value overrides leave alone. The text of a block mapping is the texts of its entries one
after the other, so YamlWriter writes each shared entry once per base. The first config of each
base is checked against OmegaConf.to_yaml whole (the base is then written whole if it differs).
"""

import json
from collections.abc import Set
from typing import Any

import yaml
from omegaconf import Container, DictConfig, OmegaConf
from omegaconf._utils import get_omega_conf_dumper

from .compiling.compiled_job import CompiledJob
from .planning.composer import HYDRA_JOB_ENTRIES
from .planning.job_plan import JobConfigs
from .planning.snapshot import ConfigSnapshot


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


def _entry_container(mapping: DictConfig, key: Any) -> Any:
    """The entry's value as OmegaConf.to_container gives it within its mapping."""
    node = mapping._get_node(key)
    plain = isinstance(node, Container) and not (
        node._is_none() or node._is_missing() or node._is_interpolation()
    )
    if plain:
        return OmegaConf.to_container(node, enum_to_str=True)
    masked = OmegaConf.to_container(OmegaConf.masked_copy(mapping, [key]), enum_to_str=True)
    assert isinstance(masked, dict)
    return masked[key]


class YamlWriter:
    """OmegaConf.to_yaml of the jobs' configs: the mapping at `path` (nested single-key
    mappings above it: ("hydra",) for `{hydra: ...}`) is written entry by entry, the entries a
    job shares with its base once per base."""

    def __init__(self) -> None:
        # (base, path, key) -> the entry's text
        self._shared: dict[tuple[ConfigSnapshot, tuple[str, ...], Any], str] = {}
        # (base, path) -> whether its entries add up to OmegaConf.to_yaml's text
        self._checked: dict[tuple[ConfigSnapshot, tuple[str, ...]], bool] = {}

    def text(
        self,
        cfg: DictConfig,
        path: tuple[str, ...],
        base: ConfigSnapshot | None,
        own: Set[Any],
    ) -> str:
        """`cfg` as OmegaConf.to_yaml writes it; `own`: the keys of the mapping at `path` that
        are the job's own (the others are its base's)."""
        mapping: Any = cfg
        for key in path:
            if not isinstance(mapping, DictConfig) or list(mapping) != [key]:
                return OmegaConf.to_yaml(cfg)
            mapping = mapping._get_node(key)
        if base is None or not isinstance(mapping, DictConfig) or len(mapping) == 0:
            return OmegaConf.to_yaml(cfg)
        if (base, path) not in self._checked:
            joined = self._joined(mapping, path, base, own)
            self._checked[(base, path)] = joined == OmegaConf.to_yaml(cfg)
        if not self._checked[(base, path)]:
            return OmegaConf.to_yaml(cfg)
        return self._joined(mapping, path, base, own)

    def _joined(
        self, mapping: DictConfig, path: tuple[str, ...], base: ConfigSnapshot, own: Set[Any]
    ) -> str:
        parts = [f"{'  ' * depth}{key}:\n" for depth, key in enumerate(path)]
        for key in mapping:
            if key in own:
                parts.append(_entry_text(mapping, key, path))
                continue
            shared = (base, path, key)
            if shared not in self._shared:
                self._shared[shared] = _entry_text(mapping, key, path)
            parts.append(self._shared[shared])
        return "".join(parts)


def _entry_text(mapping: DictConfig, key: Any, path: tuple[str, ...]) -> str:
    """The text of one entry of the mapping at `path`, as it is in the whole document."""
    wrapped: Any = {key: _entry_container(mapping, key)}
    for outer in reversed(path):
        wrapped = {outer: wrapped}
    return yaml_text(wrapped).split("\n", len(path))[-1]


def write_job_files(job: CompiledJob, configs: JobConfigs, writer: YamlWriter) -> None:
    """`configs`: the job's composed config (HydraConfig is the job's: job_plan.plan_job)."""
    plan = job.plan
    hydra_dir = plan.job_dir / str(configs.hydra.hydra.output_subdir or ".hydra")
    hydra_dir.mkdir(parents=True, exist_ok=True)
    base = configs.base
    (hydra_dir / "config.yaml").write_text(writer.text(configs.task, (), base, configs.changed))
    hydra_yaml = writer.text(configs.hydra, ("hydra",), base, HYDRA_JOB_ENTRIES)
    (hydra_dir / "hydra.yaml").write_text(hydra_yaml)
    (hydra_dir / "overrides.yaml").write_text(yaml_text(list(plan.overrides)))
    parameters = {
        "pipeline_spec": str(job.spec_path),
        "parameter_values": job.runtime_parameters,
    }
    (plan.job_dir / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
