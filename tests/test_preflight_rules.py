"""The preflight's rules that need no server: image references read as Docker reads them,
placeholders left in configs, mutable tags, and which bucket locations hold a region."""

import pytest

from hydra_vertex_pipelines.executors.vertex.preflight.bucket import holds_region
from hydra_vertex_pipelines.executors.vertex.preflight.images import (
    ImageRef,
    parse_image,
    placeholder,
)
from hydra_vertex_pipelines.executors.vertex.preflight.registry import (
    is_google_registry,
    manifest_url,
)


@pytest.mark.parametrize(
    "image, registry, repository, reference, mutable, url",
    [
        (
            "us-docker.pkg.dev/proj/mnist/train:v1",
            "us-docker.pkg.dev",
            "proj/mnist/train",
            "v1",
            False,
            "https://us-docker.pkg.dev/v2/proj/mnist/train/manifests/v1",
        ),
        (
            "gcr.io/proj/app",
            "gcr.io",
            "proj/app",
            "latest",
            True,
            "https://gcr.io/v2/proj/app/manifests/latest",
        ),
        (
            "python:3.11-slim",
            "docker.io",
            "library/python",
            "3.11-slim",
            False,
            "https://registry-1.docker.io/v2/library/python/manifests/3.11-slim",
        ),
        (
            "127.0.0.1:5000/apps/train:latest",
            "127.0.0.1:5000",
            "apps/train",
            "latest",
            True,
            "http://127.0.0.1:5000/v2/apps/train/manifests/latest",
        ),
        (
            "localhost/apps/train@sha256:" + "a" * 64,
            "localhost",
            "apps/train",
            "sha256:" + "a" * 64,
            False,
            "http://localhost/v2/apps/train/manifests/sha256:" + "a" * 64,
        ),
    ],
)
def test_image_references_are_read_as_docker_reads_them(
    image: str, registry: str, repository: str, reference: str, mutable: bool, url: str
) -> None:
    ref = parse_image(image)
    assert isinstance(ref, ImageRef)
    assert (ref.registry, ref.repository, ref.reference) == (registry, repository, reference)
    assert ref.mutable == mutable
    assert manifest_url(ref) == url


@pytest.mark.parametrize(
    "image, why",
    [
        ("us-docker.pkg.dev/Proj/app:v1", "'Proj' cannot be part of an image name"),
        ("us-docker.pkg.dev/proj/app:v 1", "'v 1' is not a tag"),
        ("app@sha256:abc", "is not a digest"),
        ("bad_host:x/app:v1", "is not a registry host"),
    ],
)
def test_what_is_no_image_reference_says_why(image: str, why: str) -> None:
    found = parse_image(image)
    assert isinstance(found, str) and why in found


@pytest.mark.parametrize(
    "image",
    [
        "us-docker.pkg.dev/YOUR_PROJECT/mnist/train:latest",  # the example's default
        "us-docker.pkg.dev/my-project/apps/train:1",  # the README's example
        "gcr.io/project-id/app:v1",
        "registry.example.com/team/app:v1",
        "unset",
        "<your image>",
        "${IMAGE}",
    ],
)
def test_placeholders_are_recognised(image: str) -> None:
    assert placeholder(image)


@pytest.mark.parametrize(
    "image", ["us-docker.pkg.dev/acme-ml-prod/apps/train:v3", "python:3.11-slim", "ubuntu"]
)
def test_real_images_are_no_placeholders(image: str) -> None:
    assert not placeholder(image)


def test_google_registries_get_the_users_token() -> None:
    for image, google in [
        ("europe-west4-docker.pkg.dev/p/r/i:1", True),
        ("eu.gcr.io/p/i:1", True),
        ("ghcr.io/o/i:1", False),
        ("python:3", False),
    ]:
        ref = parse_image(image)
        assert isinstance(ref, ImageRef) and is_google_registry(ref) == google, image


@pytest.mark.parametrize(
    "location, data_locations, region, holds",
    [
        ("US-CENTRAL1", [], "us-central1", True),
        ("US", [], "us-central1", True),  # multi-region
        ("US", [], "europe-west4", False),
        ("EU", [], "europe-west4", True),
        ("EU", [], "europe-west2", False),  # London is outside the EU multi-region
        ("NAM4", [], "us-east1", True),  # predefined dual-region
        ("NAM4", [], "us-west1", False),
        ("US", ["US-EAST1", "US-WEST1"], "us-west1", True),  # custom dual-region
        ("US", ["US-EAST1", "US-WEST1"], "us-central1", False),
        ("EUROPE-WEST4", [], "us-central1", False),
    ],
)
def test_bucket_locations_that_hold_the_region(
    location: str, data_locations: list[str], region: str, holds: bool
) -> None:
    assert holds_region(location, data_locations, region) == holds
