"""The emulator's Docker registry endpoint: manifests of the images it was given, as a registry
without authentication answers them (what the launcher's preflight looks images up in)."""

import hashlib

import pytest
import requests

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig
from hydra_vertex_emulator.registry import MANIFEST_TYPE

ACCEPT = {"Accept": f"application/vnd.oci.image.index.v1+json, {MANIFEST_TYPE}"}


@pytest.fixture
def vertex_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(port=0, images=("mnist/train:1", "base:3.11"))


def test_known_images_have_manifests(vertex_emulator: Emulator) -> None:
    registry = f"http://{vertex_emulator.registry_host}/v2"
    assert requests.get(f"{registry}/", timeout=10).status_code == 200
    head = requests.head(f"{registry}/mnist/train/manifests/1", headers=ACCEPT, timeout=10)
    assert head.status_code == 200 and not head.content
    assert head.headers["Content-Type"] == MANIFEST_TYPE
    assert head.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    got = requests.get(f"{registry}/mnist/train/manifests/1", headers=ACCEPT, timeout=10)
    digest = "sha256:" + hashlib.sha256(got.content).hexdigest()
    assert got.headers["Docker-Content-Digest"] == head.headers["Docker-Content-Digest"] == digest
    assert got.json()["schemaVersion"] == 2
    by_digest = f"{registry}/mnist/train/manifests/{digest}"
    assert requests.head(by_digest, headers=ACCEPT, timeout=10).status_code == 200
    assert requests.head(f"{registry}/base/manifests/3.11", headers=ACCEPT, timeout=10).ok
    assert vertex_emulator.stats()["requests"]["manifest"] == 5


@pytest.mark.parametrize(
    "path, headers, status",
    [
        ("mnist/train/manifests/2", ACCEPT, 404),  # another tag
        ("mnist/eval/manifests/1", ACCEPT, 404),  # another repository
        ("mnist/train/manifests/1", {"Accept": "application/json"}, 404),  # not accepted
        ("mnist/train/manifests/sha256:" + "0" * 64, ACCEPT, 404),
    ],
)
def test_other_manifests_are_unknown(
    vertex_emulator: Emulator, path: str, headers: dict[str, str], status: int
) -> None:
    answer = requests.get(
        f"http://{vertex_emulator.registry_host}/v2/{path}", headers=headers, timeout=10
    )
    assert answer.status_code == status
    assert answer.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_the_registry_serves_no_uploads(vertex_emulator: Emulator) -> None:
    url = f"http://{vertex_emulator.registry_host}/v2/mnist/train/manifests/1"
    answer = requests.delete(url, timeout=10)
    assert answer.status_code == 405 and answer.json()["errors"][0]["code"] == "UNSUPPORTED"


def test_an_image_without_a_tag_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="repository:tag"):
        Emulator(EmulatorConfig(port=0, images=("mnist/train",)))
