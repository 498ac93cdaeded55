"""A Docker Registry HTTP API V2 manifest endpoint for a configured set of images, so that what
looks an image up (the launcher's preflight) can be tested offline: `HEAD` or `GET`
`/v2/<repository>/manifests/<tag or digest>` answers 200 with the manifest of a known image and
404 `MANIFEST_UNKNOWN` otherwise; `GET /v2/` answers 200, as a registry without authentication
does (https://distribution.github.io/distribution/spec/api/).

An image is known as `repository:tag` (e.g. `mnist/train:1`); its manifest is an image manifest
(application/vnd.docker.distribution.manifest.v2+json) made up from its name, whose digest is
answered as Docker-Content-Digest and also finds it (`mnist/train@sha256:...`). A client that
does not accept that media type gets 404, as from a registry that has no such manifest for it.
Docker pulls from a registry on 127.0.0.0/8 over plain http ("insecure" by default), so images
named `127.0.0.1:<port>/mnist/train:1` resolve here.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
_CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
# on every answer of a registry
API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


@dataclass(frozen=True)
class RegistryAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def _manifest(image: str) -> bytes:
    config_digest = "sha256:" + hashlib.sha256(image.encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": _CONFIG_TYPE, "size": 0, "digest": config_digest},
        "layers": [],
    }
    return json.dumps(manifest, sort_keys=True).encode()


def _error(status: int, code: str, message: str) -> RegistryAnswer:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return RegistryAnswer(
        status, {"Content-Type": "application/json", **API_VERSION}, body.encode()
    )


class ImageRegistry:
    """The known images' manifests by `repository:tag` and `repository@digest`."""

    def __init__(self, images: Iterable[str]) -> None:
        self._manifests: dict[str, bytes] = {}
        for image in images:
            repository, _, tag = image.rpartition(":")
            if not repository or "/" in tag:
                raise ValueError(f"image {image!r}: write repository:tag, e.g. mnist/train:1")
            body = _manifest(image)
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            self._manifests[image] = self._manifests[f"{repository}@{digest}"] = body

    def answer(self, method: str, path: str, accept: str) -> RegistryAnswer:
        """The answer to a request for `path` (which starts with /v2)."""
        if method not in ("GET", "HEAD"):
            return _error(405, "UNSUPPORTED", f"{method}: this registry serves manifests only")
        if path in ("/v2", "/v2/"):
            return RegistryAnswer(200, {"Content-Type": "application/json", **API_VERSION}, b"{}")
        repository, found, reference = path.removeprefix("/v2/").rpartition("/manifests/")
        if not found or not repository or not reference:
            return _error(404, "NAME_UNKNOWN", f"no registry endpoint {path}")
        separator = "@" if reference.startswith("sha256:") else ":"
        body = self._manifests.get(f"{repository}{separator}{reference}")
        accepted = [t.split(";")[0].strip() for t in accept.split(",")]
        if body is None or MANIFEST_TYPE not in accepted:
            return _error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {repository}:{reference}")
        headers = {
            **API_VERSION,
            "Content-Type": MANIFEST_TYPE,
            "Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest(),
        }
        return RegistryAnswer(200, headers, body)
