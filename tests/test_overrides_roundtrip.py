"""Job overrides survive the trip through the compiled pipeline: sweeper -> parameter -> arg.

Each example writes overrides the way Hydra's sweepers do (`Override.get_key_element()` `=`
`Override._get_value_element_as_str(value)`), turns them into pipeline parameter values with the
launcher, substitutes those into the args of a compiled spec with the LocalRunner's own placeholder
resolution (as Vertex substitutes them), and parses the resulting arg with Hydra's parser. The arg
must be the sweeper's text again, parse to the same override, and give back the generated value.

Values Hydra itself cannot round-trip (found by experiment, hydra-core 1.3.2), so excluded from the
value check below; `test_hydra_limits` pins each of them:

- an unquoted string that reads as another type: "1", "1_0", "1e3", ".5", "inf", "nan", "true",
  "null", "+1" ... comes back as int, float, bool or None (Hydra writes plain strings unquoted and
  escapes only ``\\()[]{}:=,`` and whitespace);
- an unquoted string holding a character outside the unquoted grammar (a quote, non-ASCII text,
  ``~ # ! & ; < > ^``, a newline or a NUL) is written back unquoted and then refused by the parser;
- a dict key that reads as int, float, bool or null ("1", "true") comes back typed;
- an empty unquoted string inside a list or dict: `['']` is written `[]` and comes back as an
  empty list, `{a: ''}` is written `{a:}` and refused (at the top level `k=` gives '' back).

Quoted strings (any text: quotes, backslashes, unicode, newlines, `${...}`, `{{...}}`), ints,
floats (inf, -inf, nan, -0.0), bools, null, lists and dicts all round-trip. A sweeper's deletion is
`~key=null`; a bare `~key` has no value and stays a literal arg.
"""

import math
import os
import re
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Quote, QuotedString
from hydra.errors import HydraException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from override_keys import keys_of

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.template import (
    RESERVED_NAMES,
    PipelineTemplate,
    compile_template,
)
from hydra_vertex_pipelines.planning.overrides import (
    OverrideKey,
    parameter_names,
    parse_job_overrides,
)
from hydra_vertex_pipelines.runner import TaskResult, placeholders

PARSER = OverridesParser.create()

# key elements as a sweeper writes them: config keys, groups, packages, every prefix, and keys
# whose parameter names collide (a.b / a/b, a_b / a-b, keywords, digits, reserved names)
KEYS = [
    "optim.lr",
    "+extra.new",
    "++forced.key",
    "~gone",
    "db",
    "db@backup",
    "+db@extra",
    "model/encoder",
    "a.b",
    "a/b",
    "a_b",
    "a-b",
    "$weird.$key",
    "layers.0.size",
    "class",
    "return_value",
]
# a deletion without value: no parameter, the arg is the key element itself
BARE = "~old"


def compile_main_only(texts: Sequence[str]) -> PipelineTemplate:
    conf = VertexPipelineLauncherConf(
        mode=Mode.compile,
        pipeline_name="roundtrip",
        components={"app": ComponentConf(main=True, command=["python", "app.py"])},
    )
    return compile_template(conf, keys_of(texts))


@pytest.fixture(scope="module")
def template() -> PipelineTemplate:
    """ONE template for every example: the keys are fixed, the values vary."""
    return compile_main_only([f"{k}=" for k in KEYS] + [BARE])


_SPECS: dict[str, dict[str, Any]] = {}


def resolved_args(template: PipelineTemplate, texts: Sequence[str], tmp: Path) -> list[str]:
    """The main task's override args after placeholder substitution, as the LocalRunner does it."""
    parsed = parse_job_overrides(texts)
    assert tuple(o.override_key for o in parsed) == template.override_keys
    if template.digest not in _SPECS:
        _SPECS[template.digest] = template.spec
    spec = _SPECS[template.digest]
    parameters = template.runtime_parameters(parsed, str(tmp / "run"), {})
    task = spec["root"]["dag"]["tasks"][template.main_task]
    result = TaskResult(task=template.main_task)
    placeholders.resolve_inputs(spec, parameters, task, {}, result)
    container = spec["deploymentSpec"]["executors"]["exec-app"]["container"]
    args: list[str] = container["args"][: len(texts)]
    return [placeholders.resolve(arg, result) for arg in args]


def same(a: Any, b: Any) -> bool:
    """Equality that tells types apart (1, 1.0, True), knows nan == nan and -0.0 != 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    return bool(a == b)


def same_override(a: Override, b: Override) -> bool:
    return (
        a.key_or_group == b.key_or_group
        and a.package == b.package
        and a.type == b.type
        and a.value_type == b.value_type
        and same(a.value(), b.value())
    )


def expected(value: Any) -> Any:
    """What Hydra's parser gives back for a value a sweeper wrote."""
    if isinstance(value, QuotedString):
        return value.text
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    return value


# --- value strategies -------------------------------------------------------------------------

# Hydra's INT / FLOAT / BOOL / NULL tokens (OverrideLexer.g4), case-insensitive
_DIGITS = r"[0-9](_?[0-9])*"
_TYPED = re.compile(
    rf"[+-]?(0|[1-9](_?[0-9])*"
    rf"|(({_DIGITS})?\.{_DIGITS}|{_DIGITS}\.|{_DIGITS})(e[+-]?{_DIGITS})?"
    r"|inf|nan)|true|false|null",
    re.IGNORECASE,
)


def reads_typed(text: str) -> bool:
    return _TYPED.fullmatch(text.strip(" \t")) is not None


# characters Hydra can write unquoted: its ID/unquoted grammar plus the ones it escapes
UNQUOTED_ALPHABET = string.ascii_letters + string.digits + "_/-\\+.$%*@?|" + " \t,=:[](){}"
TRICKY = [
    "${x}",
    "${oc.env:HOME}",
    "{{$.inputs.parameters['optim__lr']}}",
    "{{a}}",
    "\\",
    "\\\\",
    "\\'",
    '\\"',
    "'",
    '"',
    ",",
    "=",
    " ",
    "é",
    "中文",
    "🙂",
    "\n",
    "null",
    "1",
    "a,b",
    "a\\,b",
]

unquoted_text = st.lists(
    st.sampled_from(["${x}", "{{a}}", "\\", "\\,", ",", "=", " ", "a", "1", "inf"])
    | st.text(UNQUOTED_ALPHABET, max_size=4),
    max_size=5,
).map("".join)
plain_str = unquoted_text.filter(lambda s: not reads_typed(s))
quoted_text = st.lists(
    st.sampled_from(TRICKY) | st.text(st.characters(exclude_categories=["Cs"]), max_size=4),
    max_size=5,
).map("".join)
quoted = st.builds(QuotedString, text=quoted_text, quote=st.sampled_from(list(Quote)))
dict_key = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_-]{0,6}", fullmatch=True).filter(
    lambda k: not reads_typed(k)
)


def primitives(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        strings,
        quoted,
    )


# an empty unquoted string survives only at the top level (see the module docstring)
nested = st.recursive(
    primitives(plain_str.filter(bool)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(dict_key, inner, max_size=3),
    max_leaves=6,
)
element = (
    primitives(plain_str)
    | st.lists(nested, max_size=3)
    | st.dictionaries(dict_key, nested, max_size=3)
)


@given(values=st.lists(element, min_size=len(KEYS), max_size=len(KEYS)))
@settings(
    max_examples=int(os.environ.get("ROUNDTRIP_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_overrides_round_trip(
    template: PipelineTemplate, values: list[Any], tmp_path: Path
) -> None:
    texts = [
        f"{k}={Override._get_value_element_as_str(v)}" for k, v in zip(KEYS, values, strict=True)
    ]
    texts.append(BARE)
    originals = [PARSER.parse_override(t) for t in texts]
    args = resolved_args(template, texts, tmp_path)
    # substituted verbatim, the arg is the sweeper's override again
    assert args == texts
    for arg, original, value in zip(args, originals, [*values, None], strict=True):
        parsed = PARSER.parse_override(arg)
        assert same_override(parsed, original), (arg, parsed, original)
        assert parsed.get_key_element() == original.get_key_element()
        if not original.is_delete():
            assert same(parsed.value(), expected(value)), (arg, parsed.value(), value)


def test_parameter_names_in_the_template(template: PipelineTemplate) -> None:
    names = list(template.parameter_names.values())
    assert len(names) == len(KEYS) and len(set(names)) == len(names)
    assert not set(names) & set(RESERVED_NAMES)
    assert all(n.isidentifier() for n in names)
    keys = keys_of(["a.b=", "a/b=", "class=", "return_value="])
    assert [template.parameter_names[k] for k in keys] == [
        "a__b",
        "a__b_2",
        "p_class",
        "return_value_2",
    ]


# --- names for any keys the grammar accepts --------------------------------------------------

key_segment = st.from_regex(r"[a-zA-Z_$][a-zA-Z0-9_$-]{0,5}", fullmatch=True)
key_path = st.lists(
    key_segment | st.from_regex(r"[0-9]{1,2}", fullmatch=True), min_size=1, max_size=3
)
key_element = st.builds(
    lambda prefix, path, sep, package: f"{prefix}{sep.join(path)}{package}",
    st.sampled_from(["", "+", "++", "~"]),
    key_path.filter(lambda p: not p[0].isdigit()),
    st.sampled_from([".", "/"]),
    st.sampled_from(["", "@pkg", "@_global_", "@a.b"]),
)


@given(keys=st.lists(key_element, min_size=1, max_size=8, unique=True))
@settings(max_examples=100, deadline=None)
def test_parameter_names_are_distinct_identifiers(keys: list[str]) -> None:
    parsed = []
    for key in keys:
        try:
            parsed.append(PARSER.parse_override(f"{key}=1").get_key_element())
        except HydraException:
            continue  # not a key Hydra accepts ("a/b" groups with "$" ...)
    override_keys = [OverrideKey(k, True) for k in dict.fromkeys(parsed)]
    if any(not re.search("[a-zA-Z0-9]", k.key_element) for k in override_keys):
        return  # refused with a message, see test_validation
    names = parameter_names(override_keys, reserved=RESERVED_NAMES)
    assert list(names) == override_keys
    assert len(set(names.values())) == len(names)
    assert all(n.isidentifier() and not n.startswith("_") for n in names.values())
    assert not set(names.values()) & set(RESERVED_NAMES)
    assert parameter_names(override_keys, reserved=RESERVED_NAMES) == names


def test_random_keys_compile_and_round_trip(tmp_path: Path) -> None:
    keys = ["A.B", "a.b", "a/b@pkg", "~a_b", "++a-b", "$x$.y", "if", "p_if", "layers.10"]
    template = compile_main_only([f"{k}=" for k in keys])
    texts = [f"{k}='{k}'" for k in keys]
    assert resolved_args(template, texts, tmp_path) == texts


# --- what Hydra itself cannot round-trip ------------------------------------------------------


@pytest.mark.parametrize(
    "value, comes_back",
    [
        ("1", 1),
        ("1_0", 10),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("true", True),
        ("null", None),
        ({"1": "a"}, {1: "a"}),
        ({"true": "a"}, {True: "a"}),
        ([""], []),
    ],
    ids=[
        "int-like",
        "underscore-int",
        "exponent",
        "point-float",
        "bool",
        "null",
        "key-int",
        "key-bool",
        "empty-in-list",
    ],
)
def test_hydra_limits_typed_lookalikes(value: Any, comes_back: Any) -> None:
    text = Override._get_value_element_as_str(value)
    assert same(PARSER.parse_override(f"k={text}").value(), comes_back)


def test_hydra_limits_empty_string_in_dict() -> None:
    with pytest.raises(HydraException):
        PARSER.parse_override(f"k={Override._get_value_element_as_str({'a': ''})}")


@pytest.mark.parametrize("value", ["a'b", 'a"b', "é", "a~b", "a#b", "a!b", "a\nb", "a\x00b"])
def test_hydra_limits_unquoted_characters(value: str) -> None:
    text = Override._get_value_element_as_str(value)
    with pytest.raises(HydraException):
        PARSER.parse_override(f"k={text}")
    # the same text as a quoted string is fine
    quoted_value = QuotedString(value, Quote.single).with_quotes()
    assert PARSER.parse_override(f"k={quoted_value}").value() == value
