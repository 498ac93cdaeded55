"""What would put a secret into the compiled pipeline spec, whose args and env values anyone who
can read the pipeline sees (pipeline.yaml, pipeline_args.md, the Vertex AI console and API):
names that look like secrets, values shaped like credentials, and env interpolations, which only
the launcher could resolve, from this machine's environment. An interpolation in args is kept as
written and resolved by Hydra in the container, as job overrides are. Each problem's fix is an
override that removes the value, or replaces it with such an interpolation."""

import itertools
import re
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import ComponentConf

from .override_text import override_value, removal

_SECRET_MANAGER = "read it at run time from Secret Manager instead"
# a word of a name (split at '_', '.', '-' and camelCase) that names a secret
_SECRET_WORDS = frozenset(
    {
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASSPHRASE",
        "PWD",
        "CREDENTIAL",
        "CREDENTIALS",
        "APIKEY",
        "PRIVATEKEY",
    }
)
# more such words in environment variable names (a config key such as model.max_tokens or
# tokenizer.pad_token is no secret)
_ENV_SECRET_WORDS = _SECRET_WORDS | {"TOKEN", "TOKENS", "PAT", "DSN"}
# names that are no secrets although a word says so (the shell's working dirs)
_NOT_SECRETS = frozenset({"PWD", "OLDPWD"})
# two words in a row that name a secret: API_KEY, AWS_ACCESS_KEY_ID, AUTH_TOKEN, ...
_SECRET_KINDS = frozenset(
    {"API", "ACCESS", "PRIVATE", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "AUTH", "BEARER"}
)
_SECRET_PAIR_ENDS = frozenset({"KEY", "TOKEN"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# scheme://user:password@host
_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")
_CREDENTIAL_SHAPES = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    "an API secret key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    "a JSON web token": re.compile(r"\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def _words(name: str) -> list[str]:
    return [word.upper() for word in _WORD.findall(name)]


def secret_name(name: str, env: bool) -> bool:
    """Whether a name looks like a secret's: an environment variable's (`env`: *_TOKEN, *_KEY,
    GITHUB_PAT count) or a config key's (they do not: model.max_tokens, data.sort_key)."""
    if name.upper() in _NOT_SECRETS:
        return False
    words = _words(name)
    if any(word in (_ENV_SECRET_WORDS if env else _SECRET_WORDS) for word in words):
        return True
    if any(a in _SECRET_KINDS and b in _SECRET_PAIR_ENDS for a, b in itertools.pairwise(words)):
        return True
    return env and bool(words) and words[-1] in ("KEY", "KEYS")


def credential_kind(value: str) -> str | None:
    """What credential the value looks like (interpolations aside), or None."""
    value = _INTERPOLATION.sub("", value)
    if _URL_WITH_PASSWORD.search(value):
        return "a URL with a password"
    return next((kind for kind, shape in _CREDENTIAL_SHAPES.items() if shape.search(value)), None)


def _arg_key(arg: str) -> str:
    """The config key of a Hydra override: `++db.password@pkg=x` -> db.password."""
    return arg.partition("=")[0].lstrip("+~").partition("@")[0]


def _arg_problem(arg: str) -> str | None:
    """Why an arg would compile a secret: "name" (its key names one) or the credential kind."""
    literal = "${" not in arg.partition("=")[2]
    if "=" in arg and literal and secret_name(_arg_key(arg), env=False):
        return "name"
    return credential_kind(arg)


def _env_references(args: list[str], found: list[str | None]) -> list[str]:
    """The args with each value that would compile a secret replaced by an interpolation of an
    environment variable named after its key, which Hydra resolves in the container
    (+db.password=${oc.env:DB_PASSWORD}); such an arg that is no override is left out."""
    fixed = []
    for arg, problem in zip(args, found, strict=True):
        if not problem:
            fixed.append(arg)
        elif "=" in arg:
            name = re.sub("[^A-Z0-9]+", "_", _arg_key(arg).upper()).strip("_") or "VALUE"
            fixed.append(f"{arg.partition('=')[0]}=${{oc.env:{name}}}")
    return fixed


def _env_problems(key: str, comp: ComponentConf) -> Iterator[str]:
    for env_name, env_value in comp.env.items():
        at, remove = f"{key}.env.{env_name}", removal(f"{key}.env", env_name)
        if secret_name(env_name, env=True):
            yield (
                f"{at} looks like a secret, and env values are written into the pipeline spec "
                f"in clear text: {_SECRET_MANAGER} ({remove})."
            )
        elif "${" in env_value:
            yield (
                f"{at}={env_value!r} is an interpolation: env values are compiled into the "
                "pipeline spec, where nothing resolves them, so this machine's value would be "
                "written there in clear text. Write the value, pass it in args (Hydra resolves "
                f"an interpolation there in the container), or for a secret {_SECRET_MANAGER} "
                f"({remove})."
            )
        elif kind := credential_kind(env_value):
            yield (
                f"{at}: the value looks like {kind}, and env values are written into the "
                f"pipeline spec in clear text: {_SECRET_MANAGER} ({remove})."
            )


def secret_problems(key: str, comp: ComponentConf) -> Iterator[str]:
    """Problems of one component (`key` is where it is written: hydra.launcher.components.<name>,
    or hydra.launcher.app)."""
    yield from _env_problems(key, comp)
    found = [_arg_problem(arg) for arg in comp.args]
    # no arg that would compile a secret is shown as written
    fixed = f"{key}.args={override_value(_env_references(comp.args, found))}"
    for index, (arg, problem) in enumerate(zip(comp.args, found, strict=True)):
        at, arg_key = f"{key}.args[{index}]", _arg_key(arg)
        if problem == "name":
            yield (
                f"{at}: {arg_key} looks like a secret, and args are written into the pipeline "
                f"spec in clear text: pass an interpolation that the container resolves "
                f"({arg_key}=${{oc.env:NAME}}, e.g. {fixed}) or {_SECRET_MANAGER}."
            )
        elif problem:
            at += f" ({arg_key})" if "=" in arg else ""
            yield (
                f"{at}: the value looks like {problem}, and args are written into "
                f"the pipeline spec in clear text: {_SECRET_MANAGER}, e.g. as an interpolation "
                f"that the container resolves, {fixed}."
            )
