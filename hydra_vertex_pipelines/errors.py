from hydra.errors import CompactHydraException


class LauncherConfigError(CompactHydraException):
    """Bad launcher config or job overrides, found before anything is compiled, run or submitted.
    Hydra prints it as its message alone, without a stack trace."""


class PipelineJobFailed(RuntimeError):
    """A job whose pipeline did not succeed; the message says which task failed and why."""
