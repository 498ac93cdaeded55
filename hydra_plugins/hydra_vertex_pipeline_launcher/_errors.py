from hydra.errors import HydraException


class LauncherConfigError(HydraException):
    """Bad launcher config or job overrides, found before anything is compiled, run or submitted."""
