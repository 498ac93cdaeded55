"""Preflight: each check passes against a server that has what the sweep needs and refuses the
sweep, with its fix, against one that has not; a refused sweep sends no create and writes no
manifest (the emulator counts what it was sent). Everything runs against servers on 127.0.0.1:
the Vertex AI emulator (project; its registry endpoint for images), gcp-storage-emulator (the
bucket), and small local servers for Google's token endpoint and an unwritable bucket."""

import dataclasses
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2.credentials import Credentials as UserCredentials
from hydra.core.utils import JobStatus
from local_servers import id_token, read_only_storage, serve, token_endpoint, token_registry
from vertex_checks import StartEmulator
from vertex_launch import APP_DIR, launch

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    VertexPipelineLauncherConf,
)
from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_pipelines.executors.vertex.client import VertexCredentialsError
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME
from hydra_vertex_pipelines.executors.vertex.preflight import (
    PreflightFailed,
    preflight,
    start_preflight,
)
from hydra_vertex_pipelines.executors.vertex.preflight.credentials import (
    account_of,
    check_credentials,
)
from hydra_vertex_pipelines.executors.vertex.preflight.findings import Outcome
from hydra_vertex_pipelines.executors.vertex.preflight.images import ImageRef, ImageUse, parse_image
from hydra_vertex_pipelines.executors.vertex.preflight.registry import look_up

pytestmark = pytest.mark.usefixtures("in_app_dir")

IMAGE = "apps/square:1"
JOBS = [["x=1"], ["x=2"]]
L = "hydra.launcher"


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """The launcher's log messages (Hydra configures the root logger's handlers per launch)."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    package_log = logging.getLogger("hydra_vertex_pipelines")
    level = package_log.level
    package_log.setLevel(logging.INFO)  # whether or not a launch configured logging before
    package_log.addHandler(handler)
    yield messages
    package_log.removeHandler(handler)
    package_log.setLevel(level)


def fast(emulator: Emulator, image: str = IMAGE, *more: str) -> list[str]:
    """The one-component app against the emulator, its image in the emulator's registry."""
    return [
        "hydra/launcher=fast",
        f"{L}.api_endpoint={emulator.endpoint}",
        f"{L}.components.main.image={emulator.registry_host}/{image}",
        *more,
    ]


def refused(emulator: Emulator, tmp_path: Path, overrides: Sequence[str]) -> str:
    """The launch's refusal; nothing was sent to be created and nothing written."""
    with pytest.raises(PreflightFailed) as refusal:
        launch(APP_DIR, overrides, JOBS, tmp_path)
    assert emulator.stats()["requests"]["create"] == 0
    assert not (tmp_path / MANIFEST_NAME).exists()
    message = str(refusal.value)
    assert "nothing was submitted" in message and f"{L}.preflight=false" in message
    return message


def problems(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("  - ")]


def test_a_sweep_that_passes_every_check_runs(
    start_emulator: StartEmulator, tmp_path: Path, logged: list[str]
) -> None:
    emulator = start_emulator(images=(IMAGE,))
    rets = launch(APP_DIR, fast(emulator), JOBS, tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2
    stats = emulator.stats()["requests"]
    assert stats["manifest"] == 1 and stats["create"] == 2  # the image was looked up once
    passed = [m for m in logged if m.startswith("Preflight passed")]
    assert len(passed) == 1, logged
    assert "project test-project (us-central1) answers" in passed[0]
    assert "gs://test-bucket in us, writable" in passed[0]
    assert "1 image found" in passed[0]


def test_a_project_vertex_refuses_is_refused(start_emulator: StartEmulator, tmp_path: Path) -> None:
    denied = FaultConfig(error_rate=1.0, error_codes=(403,), error_kinds=("list",))
    emulator = start_emulator(images=(IMAGE,), faults=denied)
    (line,) = problems(refused(emulator, tmp_path, fast(emulator)))
    assert "project: you may not use Vertex AI Pipelines in project test-project" in line
    assert "roles/aiplatform.user" in line


def test_a_missing_bucket_is_refused(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emulator = start_emulator(images=(IMAGE,))
    root = f"{L}.pipeline_root=gs://no-such-bucket/root"
    (line,) = problems(refused(emulator, tmp_path, fast(emulator, IMAGE, root)))
    assert "gs://no-such-bucket does not exist" in line
    assert "gcloud storage buckets create gs://no-such-bucket --location=us-central1" in line


def test_a_bucket_in_another_region_is_refused(
    start_emulator: StartEmulator, storage_emulator: str, tmp_path: Path
) -> None:
    emulator = start_emulator(images=(IMAGE,))
    created = requests.post(
        f"{storage_emulator}/storage/v1/b", json={"name": "eu-bucket"}, timeout=10
    )
    assert created.ok, created.text
    moved = requests.patch(
        f"{storage_emulator}/storage/v1/b/eu-bucket", json={"location": "EUROPE-WEST4"}, timeout=10
    )
    assert moved.ok, moved.text
    overrides = fast(emulator, IMAGE, f"{L}.pipeline_root=gs://eu-bucket/root")
    (line,) = problems(refused(emulator, tmp_path, overrides))
    assert "gs://eu-bucket is in EUROPE-WEST4, not in us-central1" in line
    # the same bucket is fine for pipelines in its region
    assert launch(APP_DIR, [*overrides, f"{L}.location=europe-west4"], [["x=3"]], tmp_path)


def test_a_bucket_that_cannot_be_written_is_refused(
    start_emulator: StartEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(images=(IMAGE,))
    with serve(read_only_storage("US-CENTRAL1")) as storage:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", storage)
        (line,) = problems(refused(emulator, tmp_path, fast(emulator)))
    assert "cannot write and delete objects in gs://test-bucket" in line
    assert "roles/storage.objectAdmin" in line


def test_an_image_not_in_its_registry_is_refused(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(images=(IMAGE,))
    (line,) = problems(refused(emulator, tmp_path, fast(emulator, "apps/square:2")))
    image = f"{emulator.registry_host}/apps/square:2"
    assert f"image: {image} ({L}.components.main.image) is not in {emulator.registry_host}" in line
    assert f"docker push {image}" in line


def test_a_placeholder_image_is_refused_without_asking_a_registry(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    placeholder = "us-docker.pkg.dev/YOUR_PROJECT/mnist/train:latest"  # the example's default
    overrides = [*fast(emulator)[:2], f"{L}.components.main.image={placeholder}"]
    (line,) = problems(refused(emulator, tmp_path, overrides))
    assert f"'{placeholder}' ({L}.components.main.image) is a placeholder" in line
    assert f"set {L}.components.main.image=<region>-docker.pkg.dev/<project id>/" in line
    assert emulator.stats()["requests"]["manifest"] == 0


def test_every_problem_is_listed_at_once(start_emulator: StartEmulator, tmp_path: Path) -> None:
    denied = FaultConfig(error_rate=1.0, error_codes=(403,), error_kinds=("list",))
    emulator = start_emulator(faults=denied)
    overrides = fast(emulator, "apps/missing:1", f"{L}.pipeline_root=gs://no-such-bucket/root")
    found = problems(refused(emulator, tmp_path, overrides))
    assert [line.split(":", 1)[0] for line in found] == ["  - project", "  - bucket", "  - image"]


def test_preflight_false_skips_every_check(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emulator = start_emulator()  # its registry has no image: the check would refuse
    overrides = fast(emulator, "apps/missing:1", f"{L}.preflight=false")
    rets = launch(APP_DIR, overrides, JOBS, tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2
    assert emulator.stats()["requests"]["manifest"] == 0


def test_a_mutable_tag_with_caching_on_is_a_warning(
    start_emulator: StartEmulator, tmp_path: Path, logged: list[str]
) -> None:
    emulator = start_emulator(images=("apps/square:latest",))
    rets = launch(APP_DIR, fast(emulator, "apps/square:latest"), [["x=1"]], tmp_path)
    assert rets[0].status == JobStatus.COMPLETED
    (warned,) = [m for m in logged if "mutable tag :latest" in m]
    assert "Tag each build" in warned
    uncached = fast(emulator, "apps/square:latest", f"{L}.enable_caching=false")
    logged.clear()
    launch(APP_DIR, uncached, [["x=1"]], tmp_path / "uncached")
    assert not [m for m in logged if "mutable tag" in m]


def test_a_multirun_is_checked_once(start_emulator: StartEmulator, tmp_path: Path) -> None:
    """A batched sweeper (Optuna) launches once per batch: only the first batch is checked."""
    emulator = start_emulator(images=(IMAGE,))
    conf = VertexPipelineLauncherConf(
        project="test-project",
        pipeline_root="gs://test-bucket/root",
        api_endpoint=emulator.endpoint,
        components={"main": ComponentConf(main=True, image=f"{emulator.registry_host}/{IMAGE}")},
    )
    for _ in range(3):
        preflight(conf, tmp_path, started_ns=7)
    assert emulator.stats()["requests"]["list"] == 1
    preflight(conf, tmp_path, started_ns=8)  # another multirun
    assert emulator.stats()["requests"]["list"] == 2


def test_checks_started_ahead_are_taken_once_and_only_for_their_config(
    start_emulator: StartEmulator, tmp_path: Path, logged: list[str]
) -> None:
    """The launcher starts the checks when it is set up; the launch takes their findings, and
    asks again if its config is not the one they checked."""
    emulator = start_emulator(images=(IMAGE,))
    main = ComponentConf(main=True, image=f"{emulator.registry_host}/{IMAGE}")
    conf = VertexPipelineLauncherConf(
        project="test-project",
        pipeline_root="gs://test-bucket/root",
        api_endpoint=emulator.endpoint,
        components={"main": main},
    )
    start_preflight(conf, tmp_path, started_ns=9)
    preflight(conf, tmp_path, started_ns=9)
    preflight(conf, tmp_path, started_ns=9)
    assert emulator.stats()["requests"]["list"] == 1
    assert len([m for m in logged if m.startswith("Preflight passed")]) == 1
    start_preflight(conf, tmp_path, started_ns=10)
    missing = dataclasses.replace(conf, pipeline_root="gs://no-such-bucket/root")
    # the findings for `conf` (whose bucket exists) are not taken: the launch checks its own
    # config (the check started ahead may still be running: its requests are not counted here)
    with pytest.raises(PreflightFailed, match="gs://no-such-bucket does not exist"):
        preflight(missing, tmp_path, started_ns=10)


@pytest.mark.parametrize("grant", [True, False])
def test_a_registry_that_wants_a_pull_token_gets_an_anonymous_one(grant: bool) -> None:
    """As Docker Hub: a 401 with a Bearer challenge, then the manifest with the token."""
    with serve(token_registry({"apps/train/manifests/v1"}, grant)) as endpoint:
        host = endpoint.removeprefix("http://")
        for image, found in ((f"{host}/apps/train:v1", True), (f"{host}/apps/train:v2", False)):
            ref = parse_image(image)
            assert isinstance(ref, ImageRef)
            use = ImageUse(image, (f"{L}.image",), cached=True)
            finding = look_up(use, ref, None, "you")
            if found and grant:
                assert finding.outcome == Outcome.OK, finding
            elif grant:
                assert "is not in" in finding.text, finding
            else:
                assert f"{host} did not let you read {image}" in finding.text, finding
                assert "HTTP 401" in finding.text


# Credentials: Application Default Credentials are read and refreshed against the token endpoint
# their file names (Google's, here a local one)

SERVICE_ACCOUNT = "trainer@my-gcp-project.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


def service_account_key(tmp_path: Path, private_key: str, token_uri: str) -> Path:
    """A service account's key file, as `gcloud iam service-accounts keys create` writes it."""
    path = tmp_path / "key.json"
    info = {
        "type": "service_account",
        "project_id": "my-gcp-project",
        "private_key_id": "1",
        "private_key": private_key,
        "client_email": SERVICE_ACCOUNT,
        "client_id": "1",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return path


def test_credentials_that_refresh_are_named_by_their_account(
    tmp_path: Path, private_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(token_endpoint(refuse=False)) as endpoint:
        key = service_account_key(tmp_path, private_key, f"{endpoint}/token")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
        (found,), identity = check_credentials()
    assert found.outcome == Outcome.OK
    assert found.text == f"credentials of {SERVICE_ACCOUNT}"
    assert identity is not None and identity.token == "ya29.local-token"


def test_refused_credentials_are_refused(
    tmp_path: Path, private_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(token_endpoint(refuse=True)) as endpoint:
        key = service_account_key(tmp_path, private_key, f"{endpoint}/token")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
        (found,), identity = check_credentials()
    assert found.outcome == Outcome.PROBLEM and identity is None
    assert f"the credentials of {SERVICE_ACCOUNT} were refused by Google" in found.text
    assert "gcloud auth application-default login" in found.text


def test_a_user_login_is_named_by_its_id_token() -> None:
    """User credentials (gcloud auth application-default login) name their account in the ID
    token the token endpoint returns with the access token."""
    user = UserCredentials(token="ya29.user", id_token=id_token("someone@example.org"))  # type: ignore[no-untyped-call]
    assert account_of(user) == "someone@example.org"
    assert account_of(UserCredentials(token="ya29.user")) is None  # type: ignore[no-untyped-call]


def test_without_credentials_nothing_is_asked_of_google(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No api_endpoint: Vertex AI itself. Missing credentials are the one problem reported;
    no other check runs (each would need them), so nothing reaches Google."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(PreflightFailed) as refusal:
        launch(APP_DIR, ["hydra/launcher=fast"], [["x=1"]], tmp_path)
    (line,) = problems(str(refusal.value))
    assert line.startswith("  - credentials: no Google Cloud credentials")
    assert "gcloud auth application-default login" in line
    assert not (tmp_path / MANIFEST_NAME).exists()
    # without the preflight, the client refuses to start, before anything is submitted
    with pytest.raises(VertexCredentialsError, match="gcloud auth application-default login"):
        launch(APP_DIR, ["hydra/launcher=fast", f"{L}.preflight=false"], [["x=1"]], tmp_path)
    assert not (tmp_path / MANIFEST_NAME).exists()
