"""Fidelity: what the main component composes from the compiled args is the job's config.

For generated override sets, a real Hydra app runs as the main component (subprocess, from the
compiled spec) and dumps the config it composed; it must equal the JobReturn's cfg, which the
launcher composed from the same overrides.
"""

import math
import os
from pathlib import Path
from typing import Any

import pytest
from hydra.core.override_parser.types import Quote, QuotedString
from hydra.core.utils import JobStatus
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from local_launch import APP_DIR, launch
from omegaconf import OmegaConf

# the sweep's size: test_job_fidelity.py shows the job's Hydra runtime in every mode; this shows
# random override values composing alike in real processes (test_overrides_roundtrip: in-process)
N_OVERRIDE_SETS = 12

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00$"),
    max_size=12,
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    _text,
)
_identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_identifiers, inner, max_size=3),
    max_leaves=6,
)


def render(value: Any) -> str:
    """A value as Hydra's sweepers write it on the command line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return QuotedString(text=value, quote=Quote.single).with_quotes()
    if isinstance(value, list):
        return "[" + ",".join(render(v) for v in value) + "]"
    return "{" + ",".join(f"{k}:{render(v)}" for k, v in value.items()) + "}"


@st.composite
def override_sets(draw: st.DrawFn) -> list[str]:
    overrides = [f"x={draw(st.integers(-100, 100) | st.floats(-1e6, 1e6))}"]
    for i, value in enumerate(draw(st.lists(_values, min_size=1, max_size=3))):
        overrides.append(f"+extra.k{i}={render(value)}")
    if draw(st.booleans()):
        overrides.append(f"++data.n={render(draw(_values))}")
    if draw(st.booleans()):
        overrides.append(f"+db={draw(st.sampled_from(['mysql', 'postgres']))}")
    if draw(st.booleans()):
        overrides.append("~pid_file")
    return overrides


@settings(
    max_examples=1,
    # one example is a whole sweep: shrinking it would rerun hundreds of jobs per step
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)
@given(st.lists(override_sets(), min_size=N_OVERRIDE_SETS, max_size=N_OVERRIDE_SETS))
def test_main_component_composes_the_jobs_config(
    tmp_path_factory: pytest.TempPathFactory, job_overrides: list[list[str]]
) -> None:
    sweep_dir = tmp_path_factory.mktemp("fidelity")
    cwd = os.getcwd()
    os.chdir(APP_DIR)
    try:
        rets = launch(
            # each job's own main process must compose its config: no reuse of cached runs
            [
                "hydra/launcher=main_only",
                "hydra.launcher.local.max_parallel_jobs=4",
                "hydra.launcher.enable_caching=false",
            ],
            job_overrides,
            sweep_dir,
        )
    finally:
        os.chdir(cwd)
    assert len(rets) == N_OVERRIDE_SETS
    for ret, overrides in zip(rets, job_overrides, strict=True):
        assert ret.status == JobStatus.COMPLETED, (overrides, ret._return_value)
        composed = Path(ret.working_dir or "", "composed.yaml")  # the job dir: its output dir
        assert composed.read_text() == OmegaConf.to_yaml(ret.cfg), overrides
