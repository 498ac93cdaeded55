"""The components' images, read before any registry is asked: a name that is no image reference,
or a placeholder left in a config (YOUR_PROJECT, example.com, unset), is refused outright; a
mutable tag (`:latest`, or none) with caching on is warned about, since Vertex's cache keys a
task on its image's name: a rebuilt `:latest` is not new code to it.

References are read as Docker reads them (github.com/distribution/reference, reference.go):
`[host[:port]/]path[:tag][@digest]`, the first part a host when it has a `.` or `:` or is
`localhost`, else the image is on Docker Hub (`python:3.11` is docker.io/library/python:3.11).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from .findings import Finding, problem, warning

DOCKER_HUB = "docker.io"
_L = "hydra.launcher"
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^\w[\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?$")
# words that configs and docs put where a project, registry or image belongs
PLACEHOLDER_WORDS = frozenset(
    {
        "your-project",
        "your_project",
        "your-project-id",
        "your_project_id",
        "project-id",
        "project_id",
        "my-project",
        "my_project",
        "my-project-id",
        "your-repo",
        "your-registry",
        "your-image",
        "replace-me",
        "changeme",
        "placeholder",
    }
)
PLACEHOLDER_IMAGES = frozenset({"unset", "none", "null", "image", "todo", "tbd"})
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
LOCAL_HOSTS = ("localhost", "[::1]")


@dataclass(frozen=True)
class ImageRef:
    # as written
    text: str
    # host[:port]; docker.io for Docker Hub
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        """What a manifest is asked for by: the digest, else the tag (latest when none)."""
        return self.digest or self.tag or "latest"

    @property
    def mutable(self) -> bool:
        return self.digest is None and self.tag in (None, "latest")

    @property
    def local(self) -> bool:
        """On this machine: Docker talks plain http to registries on 127.0.0.0/8 and localhost
        ("insecure registries", https://docs.docker.com/reference/cli/dockerd/)."""
        host = re.sub(r":[0-9]+$", "", self.registry)
        return host in LOCAL_HOSTS or host.startswith("127.")


def parse_image(text: str) -> ImageRef | str:
    """The reference, or why it is none."""
    rest, _, digest = text.partition("@")
    first, slash, remainder = rest.partition("/")
    is_host = slash and ("." in first or ":" in first or first == "localhost")
    registry, path = (first, remainder) if is_host else (DOCKER_HUB, rest)
    if is_host and not _HOST.match(registry):
        return f"{registry!r} is not a registry host"
    name, tag = path, None
    if ":" in path.rsplit("/", 1)[-1]:
        name, tag = path.rsplit(":", 1)
        if not _TAG.match(tag):
            return f"{tag!r} is not a tag (letters, digits, _, . and -)"
    components = name.split("/")
    bad = [c for c in components if not _PATH_COMPONENT.match(c)]
    if bad:
        return (
            f"{bad[0]!r} cannot be part of an image name (lowercase letters, digits and "
            "separators . _ - only)"
        )
    if digest and not _DIGEST.match(digest):
        return f"{digest!r} is not a digest (sha256:<64 hex digits>)"
    if registry == DOCKER_HUB and len(components) == 1:
        name = f"library/{name}"
    return ImageRef(text, registry, name, tag, digest or None)


def placeholder(text: str) -> bool:
    """Whether the image is a placeholder left in a config, not an image."""
    lower = text.lower().strip()
    if lower in PLACEHOLDER_IMAGES or any(c in lower for c in "<>{}$"):
        return True
    words = set(re.split(r"[/:@]", lower))
    host = lower.split("/", 1)[0].split(":", 1)[0]
    example = any(host == d or host.endswith(f".{d}") for d in EXAMPLE_DOMAINS)
    return example or bool(words & PLACEHOLDER_WORDS)


@dataclass(frozen=True)
class ImageUse:
    image: str
    # the keys that set it, e.g. hydra.launcher.components.train.image
    keys: tuple[str, ...]
    # a task with caching on runs in it
    cached: bool


def image_uses(conf: VertexPipelineLauncherConf) -> list[ImageUse]:
    """Every image of the pipeline's components (hydra.launcher.image filled in where a
    component names none), with the keys that set it."""
    keys: dict[str, list[str]] = {}
    cached: dict[str, bool] = {}
    for name, comp in conf.components.items():
        image = comp.image or conf.image
        if image is None:
            continue
        own = image != conf.image
        keys.setdefault(image, []).append(f"{_L}.components.{name}.image" if own else f"{_L}.image")
        caching = conf.enable_caching if comp.caching is None else comp.caching
        cached[image] = cached.get(image, False) or caching
    return [ImageUse(i, tuple(dict.fromkeys(k)), cached[i]) for i, k in keys.items()]


def read_images(uses: list[ImageUse]) -> Iterator[Finding | tuple[ImageUse, ImageRef]]:
    """A problem for each placeholder or invalid name, a warning for each mutable tag with
    caching on, and each image to look up with its reference."""
    for use in uses:
        key = use.keys[0]
        if placeholder(use.image):
            yield problem(
                "image",
                f"{use.image!r} ({', '.join(use.keys)}) is a placeholder, not your image: build "
                f"and push the image, then set {key}=<region>-docker.pkg.dev/<project id>/"
                "<repository>/<image>:<tag>.",
            )
            continue
        ref = parse_image(use.image)
        if isinstance(ref, str):
            yield problem(
                "image",
                f"{use.image!r} ({', '.join(use.keys)}) is not an image reference: {ref}; set "
                f"{key}=<registry>/<repository>:<tag>.",
            )
            continue
        if ref.mutable and use.cached:
            yield warning(
                "image",
                f"{use.image} ({', '.join(use.keys)}) has the mutable tag :{ref.reference} and "
                "caching is on: Vertex's cache knows a task by its image's name, so after a "
                "rebuild of that tag a task with unchanged args reuses results of the old code. "
                "Tag each build (e.g. :v2, a git hash) or use a digest (@sha256:...).",
            )
        yield use, ref
