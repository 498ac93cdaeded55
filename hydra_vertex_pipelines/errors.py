from collections.abc import Sequence

from hydra.errors import CompactHydraException


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
