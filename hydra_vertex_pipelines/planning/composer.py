"""SweepComposer: each job's config exactly as Hydra's `load_sweep_config` composes it, without
composing it from scratch for every job.

Hydra composes a job by reading the config files and the ConfigStore again, building the
defaults tree from the config-group overrides, merging the configs, then applying the other
overrides (values: `x=1`, `+a.b=2`, `++c=3`, `~d`) with
`ConfigLoaderImpl._apply_overrides_to_config`, and last recording the overrides in the hydra
node. Only the group overrides shape the defaults tree, so the composer asks Hydra once per
distinct sequence of group overrides for that composition (`load_configuration`, Hydra's own),
keeps it as a snapshot, and per job restores a copy, applies the job's value overrides with
Hydra's own function and sets what Hydra derives from the overrides: `hydra.overrides.task`,
`hydra.job.override_dirname`, the working dir, the copied environment variables and the
resolver cache of the launching config.

It hands a job to Hydra's own composition wherever it cannot show that the result is the same:
an override of the hydra node (`hydra.*`, `hydra/...`: the search path, the job's name or the
override_dirname settings may change), a sweep, an override that does not parse, an
interpolation that Hydra would resolve while applying an override (on the way to its key, or at
the key of a deletion, a `+` addition or a merged dict or list), a config loader that is not
Hydra's, and any error (Hydra then raises its own). A composition that does not come back the
same from its pickle is deep-copied instead (snapshot.py). tests/test_composer.py compares both
ways on generated sweeps of every kind of override.

The launcher installs it as the multirun's config loader (VertexPipelineLauncher.setup), so the
sweeper's check that every job of a batch composes (Sweeper.validate_batch_is_legal, which drops
the configs) goes through it too: a job known to compose from its group overrides' composition
and its value overrides alone (`composes`, applying.py) is not composed for it. Everything but
`load_sweep_config` is Hydra's loader itself.
"""

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.plugins.config_source import ConfigSource
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from .applying import fits, independent, parse_override, resolved_on_apply
from .snapshot import ConfigSnapshot

# the entries of the hydra node that are each job's own (the overrides, the job's name, num, id
# and override_dirname, the working and output dir): the others are those of its base
HYDRA_JOB_ENTRIES = frozenset({"overrides", "job", "runtime"})
# Hydra's check that every job of a batch composes, which drops the configs it composes
_BATCH_CHECK = Sweeper.validate_batch_is_legal.__code__


@dataclass(frozen=True)
class Composed:
    """A job's config and how it was made."""

    config: DictConfig
    # the composition of the launching config's Hydra overrides and the job's group overrides
    # that it was restored from; None: composed by Hydra from scratch
    base: ConfigSnapshot | None
    # the top-level keys that the job's value overrides set or deleted: the config's other
    # top-level entries are the base's, and so is its hydra node but for hydra.overrides,
    # .job and .runtime (HYDRA_JOB_ENTRIES)
    changed: frozenset[str]

    @property
    def faithful(self) -> bool:
        """Known to come back the same from a pickle (its base was checked: snapshot.py)."""
        return self.base is not None and self.base.pickled


class SweepComposer(ConfigLoader):
    def __init__(self, loader: ConfigLoader) -> None:
        self.loader = loader
        self._parser = OverridesParser.create()
        # the launching config the caches below belong to
        self._master: DictConfig | None = None
        self._hydra_overrides: list[str] = []
        # key or group -> whether Hydra reads it as a config group
        self._groups: dict[str, bool] = {}
        # group overrides, in order -> Hydra's composition of them (None: it failed)
        self._bases: dict[tuple[str, ...], ConfigSnapshot | None] = {}
        # the same, restored once, for the batch check
        self._views: dict[tuple[str, ...], DictConfig] = {}
        # override text -> parsed
        self._overrides: dict[str, Override] = {}
        self._repo: Any = None

    # --- the fast path ----------------------------------------------------------------------

    def compose(self, master: DictConfig, overrides: Sequence[str]) -> "Composed":
        composed = self._compose_fast(master, overrides)
        if composed is not None:
            return composed
        config = self.loader.load_sweep_config(master, list(overrides))
        return Composed(config=config, base=None, changed=frozenset())

    def load_sweep_config(
        self, master_config: DictConfig, sweep_overrides: list[str]
    ) -> DictConfig:
        if sys._getframe(1).f_code is _BATCH_CHECK and self.composes(
            master_config, sweep_overrides
        ):
            return master_config  # the batch check drops the config: see `composes`
        return self.compose(master_config, sweep_overrides).config

    def composes(self, master: DictConfig, overrides: Sequence[str]) -> bool:
        """Whether the job is known to compose, without composing it (False: not known): the
        composition of its group overrides does, and Hydra takes each of its value overrides
        (applying.fits). For the sweeper's check of a batch: 1.3 ms a job composed."""
        try:
            split = self._split(master, overrides)
            if split is None:
                return False
            _, groups, values = split
            view = self._view(master, groups)
            env_copied = all(key in os.environ for key in view.hydra.job.env_copy)
        except Exception:
            return False
        return env_copied and independent(values) and all(fits(view, o) for o in values)

    def _compose_fast(self, master: DictConfig, overrides: Sequence[str]) -> "Composed | None":
        try:
            split = self._split(master, overrides)
            if split is None:
                return None
            parsed, groups, values = split
            base = self._base(master, groups)
            if base is None:
                return None
            cfg = base.restore()
            if any(resolved_on_apply(cfg, o) for o in values):
                return None
            ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
            _record_overrides(cfg, parsed)
        except Exception:
            return None
        OmegaConf.copy_cache(from_config=master, to_config=cfg)
        changed = frozenset(o.key_or_group.split(".", 1)[0] for o in values)
        return Composed(config=cfg, base=base, changed=changed)

    def _split(
        self, master: DictConfig, overrides: Sequence[str]
    ) -> tuple[list[Override], tuple[str, ...], list[Override]] | None:
        """The job's overrides parsed, its group overrides (the key of its base) and its value
        overrides; None where only Hydra composes the job (another config loader, a sweep, an
        override of the hydra node). Raises where an override does not parse."""
        if not isinstance(self.loader, ConfigLoaderImpl):
            return None
        parsed = [self._parsed(text) for text in overrides]
        if any(o.is_sweep_override() or o.key_or_group.startswith("hydra") for o in parsed):
            return None
        self._use_master(master)
        groups = tuple(o.input_line or "" for o in parsed if self._is_group(o))
        values = [o for o in parsed if not self._is_group(o)]
        return parsed, groups, values

    def _use_master(self, master: DictConfig) -> None:
        if master is self._master:
            return
        hydra_overrides = OmegaConf.to_container(master.hydra.overrides.hydra)
        assert isinstance(hydra_overrides, list)
        self._master = master
        self._hydra_overrides = [str(o) for o in hydra_overrides]
        self._groups = {}
        self._bases = {}
        self._views = {}
        self._repo = None

    def _parsed(self, text: str) -> Override:
        if text not in self._overrides:
            self._overrides[text] = parse_override(self._parser, text)
        return self._overrides[text]

    def _view(self, master: DictConfig, groups: tuple[str, ...]) -> DictConfig:
        """The base of these group overrides, restored once and only read (a KeyError where it
        does not compose)."""
        if groups not in self._views:
            base = self._base(master, groups)
            if base is None:
                raise KeyError(groups)
            self._views[groups] = base.restore()
        return self._views[groups]

    def _is_group(self, override: Override) -> bool:
        """As Hydra's defaults list decides (defaults_list.Overrides): a group override is one
        whose key is a config group and whose value is not a dict."""
        if isinstance(override.value(), dict):
            return False
        key = override.key_or_group
        if key not in self._groups:
            if self._repo is None:
                assert isinstance(self.loader, ConfigLoaderImpl) and self._master is not None
                # the repository a composition uses: the search path with the primary config's
                # hydra.searchpath and the launching command line's (the jobs change neither)
                _, self._repo = self.loader._parse_overrides_and_create_caching_repo(
                    self._master.hydra.job.config_name, self._hydra_overrides
                )
            self._groups[key] = bool(self._repo.group_exists(key))
        return self._groups[key]

    def _base(self, master: DictConfig, groups: tuple[str, ...]) -> ConfigSnapshot | None:
        """Hydra's composition of the launching command line's Hydra overrides and these group
        overrides, checked to come back the same from its snapshot."""
        if groups not in self._bases:
            try:
                composed = self.loader.load_configuration(
                    config_name=master.hydra.job.config_name,
                    overrides=[*self._hydra_overrides, *groups],
                    run_mode=RunMode.RUN,
                )
                snapshot: ConfigSnapshot | None = ConfigSnapshot(composed, check=True)
            except Exception:
                snapshot = None
            self._bases[groups] = snapshot
        return self._bases[groups]

    # --- Hydra's loader for everything else -------------------------------------------------

    def load_configuration(
        self,
        config_name: str | None,
        overrides: list[str],
        run_mode: RunMode,
        from_shell: bool = True,
        validate_sweep_overrides: bool = True,
    ) -> DictConfig:
        return self.loader.load_configuration(
            config_name=config_name,
            overrides=overrides,
            run_mode=run_mode,
            from_shell=from_shell,
            validate_sweep_overrides=validate_sweep_overrides,
        )

    def get_search_path(self) -> ConfigSearchPath:
        return self.loader.get_search_path()

    def get_sources(self) -> list[ConfigSource]:
        return self.loader.get_sources()

    def list_groups(self, parent_name: str) -> list[str]:
        return self.loader.list_groups(parent_name)

    def get_group_options(
        self,
        group_name: str,
        results_filter: ObjectType | None = ObjectType.CONFIG,
        config_name: str | None = None,
        overrides: list[str] | None = None,
    ) -> list[str]:
        return self.loader.get_group_options(group_name, results_filter, config_name, overrides)

    def compute_defaults_list(
        self, config_name: str | None, overrides: list[str], run_mode: RunMode
    ) -> Any:
        return self.loader.compute_defaults_list(config_name, overrides, run_mode)

    def __getattr__(self, name: str) -> Any:
        """Other attributes of Hydra's loader (plugins may read them)."""
        return getattr(self.__dict__["loader"], name)


def _record_overrides(cfg: DictConfig, parsed: Sequence[Override]) -> None:
    """What Hydra sets from the overrides after applying them (ConfigLoaderImpl.
    _load_configuration_impl): the task overrides in order, the override_dirname, and the
    working dir and copied environment variables as of now."""
    hydra = cfg.hydra
    task = hydra.overrides.task
    task.clear()
    for override in parsed:
        task.append(override.input_line)
    with open_dict(hydra):
        for key in hydra.job.env_copy:
            hydra.job.env_set[key] = os.environ[key]
    hydra.runtime.cwd = os.getcwd()
    dirname = hydra.job.config.override_dirname
    hydra.job.override_dirname = get_overrides_dirname(
        overrides=list(parsed),
        kv_sep=dirname.kv_sep,
        item_sep=dirname.item_sep,
        exclude_keys=dirname.exclude_keys,
    )


def sweep_composer(hydra_context: HydraContext) -> SweepComposer:
    """The multirun's composer: the one installed as its config loader, else a new one."""
    loader = hydra_context.config_loader
    return loader if isinstance(loader, SweepComposer) else SweepComposer(loader)


def install(hydra_context: HydraContext) -> None:
    """Compose the multirun's jobs with a SweepComposer, the sweeper's checks included."""
    hydra_context.config_loader = sweep_composer(hydra_context)
