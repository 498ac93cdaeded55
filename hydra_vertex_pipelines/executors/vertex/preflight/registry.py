"""Whether an image exists in its registry: a manifest request of the Docker Registry HTTP API V2
(`HEAD /v2/<repository>/manifests/<tag or digest>`, https://distribution.github.io/distribution/
spec/api/), accepting OCI and Docker manifests and indexes. Artifact Registry and Container
Registry take the user's Google access token as a bearer token
(https://cloud.google.com/artifact-registry/docs/reference/docker-api); other registries (Docker
Hub) are asked for an anonymous pull token when they answer 401 with a Bearer challenge, as
Docker does. Registries on this machine are asked over plain http, as Docker does."""

import re

import requests

from .findings import REQUEST_TIMEOUT_S, Finding, ok, problem, warning
from .images import DOCKER_HUB, ImageRef, ImageUse

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
GOOGLE_REGISTRY = re.compile(r"(^|\.)gcr\.io$|(^|\.)pkg\.dev$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def manifest_url(ref: ImageRef) -> str:
    host = "registry-1.docker.io" if ref.registry == DOCKER_HUB else ref.registry
    scheme = "http" if ref.local else "https"
    return f"{scheme}://{host}/v2/{ref.repository}/manifests/{ref.reference}"


def is_google_registry(ref: ImageRef) -> bool:
    return bool(GOOGLE_REGISTRY.search(ref.registry.split(":", 1)[0]))


def anonymous_token(session: requests.Session, challenge: str) -> str | None:
    """A pull token for a `Bearer realm=...,service=...,scope=...` challenge, if one is given."""
    if not challenge.lower().startswith("bearer "):
        return None
    params = dict(_CHALLENGE_PARAM.findall(challenge))
    realm = params.pop("realm", None)
    if not realm:
        return None
    answer = session.get(realm, params=params, timeout=REQUEST_TIMEOUT_S)
    if not answer.ok:
        return None
    body = answer.json()
    token = body.get("token") or body.get("access_token")
    return str(token) if token else None


def look_up(use: ImageUse, ref: ImageRef, token: str | None, who: str) -> Finding:
    """Whether the registry has the image; `token`: the user's Google access token (for
    Google's registries), None offline."""
    url = manifest_url(ref)
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    if token and is_google_registry(ref):
        headers["Authorization"] = f"Bearer {token}"
    with requests.Session() as session:
        try:
            answer = session.head(url, headers=headers, timeout=REQUEST_TIMEOUT_S)
            if answer.status_code == 401 and "Authorization" not in headers:
                pull = anonymous_token(session, answer.headers.get("WWW-Authenticate", ""))
                if pull:
                    headers["Authorization"] = f"Bearer {pull}"
                    answer = session.head(url, headers=headers, timeout=REQUEST_TIMEOUT_S)
        except (requests.ConnectionError, requests.Timeout) as e:
            text = f"{ref.registry} did not answer for {use.image} ({type(e).__name__})"
            return warning("image", text)
    status, keys = answer.status_code, ", ".join(use.keys)
    if answer.ok:
        return ok("image", use.image)
    if status == 404:
        return problem(
            "image",
            f"{use.image} ({keys}) is not in {ref.registry}: push it (`docker push "
            f"{use.image}`) or correct {use.keys[0]}.",
        )
    if status in (401, 403):
        return problem(
            "image",
            f"{ref.registry} did not let {who} read {use.image} ({keys}; HTTP {status}): check "
            "the name, and that you may read the repository (Artifact Registry: "
            "roles/artifactregistry.reader); the pipelines' service account needs it too.",
        )
    text = f"{ref.registry} answered HTTP {status} for {use.image}: not checked"
    return warning("image", text)
