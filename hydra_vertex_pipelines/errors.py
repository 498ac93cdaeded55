import re
from collections.abc import Sequence

from hydra.errors import CompactHydraException

from hydra_plugins.hydra_vertex_pipeline_launcher import __version__


class LauncherConfigError(CompactHydraException):
    """Bad launcher config or job overrides, found before anything is compiled, run or submitted.
    Hydra prints it as its message alone, without a stack trace."""


def config_problems(problems: Sequence[str]) -> LauncherConfigError:
    """One error that lists every problem of the launcher config."""
    return LauncherConfigError(
        "Invalid launcher config; nothing was compiled, run or submitted:\n  - "
        + "\n  - ".join(problems)
    )


class PipelineJobFailed(RuntimeError):
    """A job whose pipeline did not succeed; the message says which task failed and why."""


# Hydra's error (1.1 to 1.3) for a callback whose class it cannot import
_MISSING_CALLBACK = re.compile(
    r"Error (?:locating target|loading) '(hydra_plugins\.hydra_vertex_pipeline_launcher\.[\w.]+)'"
)


def explain_failure(message: str) -> str:
    """A job's failure message, with the fix added when it shows a cause the launcher knows:
    a main component whose image lacks the launcher's Hydra callbacks (or has an older version)."""
    missing = _MISSING_CALLBACK.search(message)
    if missing is None:
        return message
    return (
        f"{message}\nFix: {missing[1]} cannot be imported there: the main component's image "
        f"must contain hydra-vertex-pipeline-launcher {__version__}, the launcher's version "
        f"(`pip install hydra-vertex-pipeline-launcher=={__version__}`, or `pip install .` from "
        "its source, as example_app/docker/train.Dockerfile does)."
    )
