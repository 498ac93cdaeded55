"""Preflight: before the first create of a multirun, what makes first runs fail is checked, in
parallel and within seconds, and the sweep is refused, with every problem and its fix at once,
before anything is submitted or written:

    credentials   Application Default Credentials present and accepted (and whose)
    project       Vertex AI answers for the project and region (one List of one job)
    bucket        the pipeline root's bucket exists, is in a compatible location, is writable
    image         each component's image is a real reference (no placeholder) in its registry;
                  a mutable tag with caching on is a warning

Against a plain-http api_endpoint (the emulator) nothing goes to Google: no credentials, the
project asked of the emulator, the bucket of the storage emulator (STORAGE_EMULATOR_HOST; not
checked without one), images only in registries on this machine. `hydra.launcher.preflight=false`
skips it all. A multirun is checked once, before its first batch.

The checks mostly wait on the network, so the launcher starts them in the background as soon as it
is set up (start_preflight): they run while the sweeper checks its batch and the first job is
composed, and preflight() takes their findings before the first create.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hydra.errors import CompactHydraException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..storage import STORAGE_EMULATOR_ENV
from .bucket import check_bucket
from .credentials import Identity, check_credentials
from .findings import Finding, Outcome, warning
from .images import ImageRef, ImageUse, image_uses, read_images
from .project import check_project
from .registry import look_up

log = logging.getLogger(__name__)

# seconds the checks may take together; one still running then is reported and not waited for
DEADLINE_S = 10.0
# multiruns (start time, sweep dir) that passed: a batched sweeper launches once per batch
_PASSED: set[tuple[int, str]] = set()


class _ChecksAhead:
    """The findings of a multirun's checks, made on a daemon thread (a check stuck in a request
    cannot hold up the exit)."""

    def __init__(self, conf: VertexPipelineLauncherConf) -> None:
        self.conf = conf
        self._done = threading.Event()
        self._findings: list[Finding] = []
        self._error: Exception | None = None
        self.seconds = 0.0
        threading.Thread(target=self._run, name="preflight", daemon=True).start()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            self._findings = findings_of(self.conf)
        except Exception as e:  # raised where the findings are taken
            self._error = e
        self.seconds = time.monotonic() - started
        self._done.set()

    def findings(self) -> list[Finding]:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._findings


# multiruns (start time, sweep dir) whose checks were started ahead
_AHEAD: dict[tuple[int, str], _ChecksAhead] = {}


class PreflightFailed(CompactHydraException):
    """A check found what would make the sweep fail; nothing was submitted."""


def _run_parallel(checks: Sequence[tuple[str, Callable[[], list[Finding]]]]) -> list[Finding]:
    """Run each check on its own daemon thread (a check stuck in a request cannot hold up the
    exit) and collect their findings until the deadline."""
    results: dict[int, list[Finding]] = {}

    def run(index: int, check: Callable[[], list[Finding]]) -> None:
        results[index] = check()

    threads = [
        threading.Thread(target=run, args=(i, c), name=f"preflight-{n}", daemon=True)
        for i, (n, c) in enumerate(checks)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    findings: list[Finding] = []
    for index, (name, _) in enumerate(checks):
        if index in results:
            findings += results[index]
        else:
            findings.append(warning(name, f"no answer within {DEADLINE_S:g} s: not checked"))
    return findings


def _image_check(
    use: ImageUse, ref: ImageRef, identity: Identity | None
) -> Callable[[], list[Finding]]:
    token = identity.token if identity else None
    who = identity.who if identity else "you"
    return lambda: [look_up(use, ref, token, who)]


def findings_of(conf: VertexPipelineLauncherConf) -> list[Finding]:
    """Every check's findings."""
    offline = (conf.api_endpoint or "").startswith("http://")
    storage_emulator = os.environ.get(STORAGE_EMULATOR_ENV)
    findings: list[Finding] = []
    to_look_up: list[tuple[ImageUse, ImageRef]] = []
    for read in read_images(image_uses(conf)):
        if isinstance(read, Finding):
            findings.append(read)
        else:
            to_look_up.append(read)
    identity = None
    if not offline:
        found, identity = check_credentials()
        findings += found
        if identity is None:  # nothing else can be asked of Google Cloud
            return findings
    who = identity.who if identity else "you"
    credentials = identity.credentials if identity else None
    checks: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("project", lambda: check_project(conf, credentials, who))
    ]
    if storage_emulator or not offline:
        bucket_credentials = None if storage_emulator else credentials
        checks.append(("bucket", lambda: check_bucket(conf, bucket_credentials, who)))
    checks += [
        ("image", _image_check(use, ref, identity))
        for use, ref in to_look_up
        if ref.local or not offline
    ]
    return findings + _run_parallel(checks)


def _summary(findings: Sequence[Finding]) -> str:
    passed = [f for f in findings if f.outcome == Outcome.OK]
    images = [f for f in passed if f.check == "image"]
    parts = [f.text for f in passed if f.check != "image"]
    if images:
        parts.append(f"{len(images)} image{'s' if len(images) > 1 else ''} found")
    return "; ".join(parts) or "nothing to check"


def start_preflight(conf: VertexPipelineLauncherConf, sweep_dir: Path, started_ns: int) -> None:
    """Start the multirun's checks in the background; preflight() takes their findings."""
    multirun = (started_ns, str(sweep_dir))
    if multirun not in _PASSED and multirun not in _AHEAD:
        _AHEAD[multirun] = _ChecksAhead(conf)


def preflight(conf: VertexPipelineLauncherConf, sweep_dir: Path, started_ns: int) -> None:
    """Check, once per multirun; raise PreflightFailed listing every problem with its fix."""
    multirun = (started_ns, str(sweep_dir))
    if multirun in _PASSED:
        return
    ahead = _AHEAD.pop(multirun, None)
    if ahead is not None and ahead.conf == conf:
        findings = ahead.findings()
        seconds = ahead.seconds
    else:  # not started ahead, or for another config
        started = time.monotonic()
        findings = findings_of(conf)
        seconds = time.monotonic() - started
    for found in findings:
        if found.outcome == Outcome.WARNING:
            log.warning(f"Preflight: {found.check}: {found.text}")
    problems = [f for f in findings if f.outcome == Outcome.PROBLEM]
    if problems:
        lines = "\n".join(f"  - {f.check}: {f.text}" for f in problems)
        raise PreflightFailed(
            f"The sweep would fail on Vertex AI; nothing was submitted:\n{lines}\n"
            "(hydra.launcher.preflight=false skips these checks.)"
        )
    _PASSED.add(multirun)
    log.info(f"Preflight passed in {seconds:.1f} s: {_summary(findings)}")
