import ast
import gzip
import hashlib
import http.server
import importlib.util
import json
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from example_app import data_prepare
from example_app.data_prepare import (
    IDX_FILES,
    IDX_IMAGES_MAGIC,
    IDX_LABELS_MAGIC,
    MNIST_MIRRORS,
    MNIST_RESOURCES,
    DataSourceError,
    read_idx,
)
from tests.example_app.harness import run_hydra_app, subprocess_env

pytestmark = pytest.mark.usefixtures("hydra_restore_singletons")

# split -> (number of images), small enough to write in a test
TINY_COUNTS = {"train": 12, "test": 5}


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of a uint8 array (gzip-compressed when the name ends in .gz)."""
    header = struct.pack(f">I{array.ndim}I", 0x0800 | array.ndim, *array.shape)
    content = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(content, mtime=0) if path.suffix == ".gz" else content)


def tiny_mnist() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    return {
        split: (
            rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=count, dtype=np.uint8),
        )
        for split, count in TINY_COUNTS.items()
    }


def write_mnist_idx_dir(directory: Path, compressed: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compressed else ""
    for split, (images, labels) in tiny_mnist().items():
        images_name, labels_name = IDX_FILES[split]
        write_idx(directory / f"{images_name}{suffix}", images)
        write_idx(directory / f"{labels_name}{suffix}", labels)
    return directory


def output_bytes(out_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out_dir.iterdir())}


def arrays_of(out_dir: Path) -> dict[str, bytes]:
    return {
        name: content for name, content in output_bytes(out_dir).items() if name.endswith(".npy")
    }


def prepare(tmp_path: Path, name: str, *overrides: str) -> Path:
    """Run data_prepare with the overrides; its output dir."""
    out_dir = tmp_path / name
    run_hydra_app(
        data_prepare,
        [*overrides, f"data.out_dir={out_dir}", f"hydra.run.dir={tmp_path / 'runs' / name}"],
    )
    return out_dir


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL whose port is bound but not listening: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A URL whose server accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@dataclass
class Mirror:
    """A local HTTP server's URL prefix and the file names requested from it, in order."""

    url: str
    requests: list[str] = field(default_factory=list)


# called in the server's thread with each requested file name, before it is answered
OnRequest = Callable[[str], None]


@pytest.fixture
def serve() -> Iterator[Callable[..., Mirror]]:
    """Starts HTTP servers on 127.0.0.1, each serving its {file name: bytes} (404 for others),
    and stops them after the test."""
    servers: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def start(files: Mapping[str, bytes], on_request: OnRequest | None = None) -> Mirror:
        mirror = Mirror(url="")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                mirror.requests.append(name)
                if on_request is not None:
                    on_request(name)
                if name not in files:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(files[name])))
                self.end_headers()
                self.wfile.write(files[name])

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        mirror.url = f"http://127.0.0.1:{server.server_address[1]}/"
        return mirror

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def tiny_mnist_gz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The four tiny MNIST .gz files by name; data_prepare expects their md5s from mirrors."""
    directory = write_mnist_idx_dir(tmp_path / "served", compressed=True)
    files = {path.name: path.read_bytes() for path in sorted(directory.iterdir())}
    resources = tuple((name, hashlib.md5(files[name]).hexdigest()) for name, _ in MNIST_RESOURCES)
    monkeypatch.setattr(data_prepare, "MNIST_RESOURCES", resources)
    return files


def raw_files(root: Path) -> dict[str, bytes]:
    """Every file in root's MNIST/raw by name (temporary downloads included)."""
    return {path.name: path.read_bytes() for path in (root / "MNIST" / "raw").iterdir()}


@settings(max_examples=30, deadline=None)
@given(
    array=arrays(np.uint8, st.lists(st.integers(0, 5), min_size=1, max_size=3).map(tuple)),
    compressed=st.booleans(),
)
def test_read_idx_returns_what_was_written(array: np.ndarray, compressed: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("array.idx.gz" if compressed else "array.idx")
        write_idx(path, array)
        read = read_idx(path, 0x0800 | array.ndim)
    assert read.dtype == np.uint8
    np.testing.assert_array_equal(read, array)


def test_read_idx_rejects_another_magic_number(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.zeros(3, dtype=np.uint8))
    with pytest.raises(DataSourceError, match="magic number 0x00000803"):
        read_idx(path, IDX_IMAGES_MAGIC)


def test_read_idx_rejects_truncated_data(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.zeros(3, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DataSourceError, match=r"header says \(3,\), found 2 bytes"):
        read_idx(path, IDX_LABELS_MAGIC)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gz"])
def test_idx_source_writes_arrays_counts_and_checksums(tmp_path: Path, compressed: bool) -> None:
    idx_dir = write_mnist_idx_dir(tmp_path / "idx", compressed)
    out_dir = prepare(tmp_path, "out", "data.source=idx", f"data.idx_dir={idx_dir}")

    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["source"] == "idx"
    assert manifest["image_shape"] == [28, 28]
    for split, (images, labels) in tiny_mnist().items():
        entry = manifest["splits"][split]
        assert entry["count"] == TINY_COUNTS[split]
        written_images = np.load(out_dir / entry["images"])
        written_labels = np.load(out_dir / entry["labels"])
        assert written_images.dtype == written_labels.dtype == np.uint8
        np.testing.assert_array_equal(written_images, images)
        np.testing.assert_array_equal(written_labels, labels)
    files = {p.name for p in out_dir.iterdir()} - {"manifest.json"}
    assert set(manifest["sha256"]) == files
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((out_dir / name).read_bytes()).hexdigest() == digest


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    gz_dir = write_mnist_idx_dir(tmp_path / "gz", compressed=True)
    plain_dir = write_mnist_idx_dir(tmp_path / "plain", compressed=False)
    outputs = [
        output_bytes(prepare(tmp_path, name, "data.source=idx", f"data.idx_dir={src}"))
        for name, src in [("first", gz_dir), ("second", gz_dir), ("from_plain", plain_dir)]
    ]
    assert outputs[0] == outputs[1] == outputs[2]


def test_idx_source_needs_idx_dir(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"data\.source=idx needs data\.idx_dir"):
        prepare(tmp_path, "out", "data.source=idx")


def test_idx_source_names_a_missing_file(tmp_path: Path) -> None:
    idx_dir = write_mnist_idx_dir(tmp_path / "idx", compressed=True)
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        DataSourceError, match=r"neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte\.gz"
    ):
        prepare(tmp_path, "out", "data.source=idx", f"data.idx_dir={idx_dir}")
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"data\.source=emnist is unknown; use one of mnist"):
        prepare(tmp_path, "out", "data.source=emnist")


def test_digits_source_is_28x28_uint8_and_split_by_seed(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    out_dir = prepare(tmp_path, "out", "data.source=digits")
    again = prepare(tmp_path, "again", "data.source=digits")
    other_seed = prepare(tmp_path, "seed1", "data.source=digits", "data.digits_split_seed=1")

    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["source"] == "digits"
    assert {split: entry["count"] for split, entry in manifest["splits"].items()} == {
        "train": 1438,
        "test": 359,
    }
    for entry in manifest["splits"].values():
        images = np.load(out_dir / entry["images"])
        labels = np.load(out_dir / entry["labels"])
        assert images.shape == (entry["count"], 28, 28)
        assert images.dtype == labels.dtype == np.uint8
        assert images.max() == 255
        assert set(labels.tolist()) == set(range(10))
        # drawn in the 20x20 centre, as MNIST digits are
        assert images[:, :4].max() == images[:, -4:].max() == 0
    assert output_bytes(out_dir) == output_bytes(again)
    assert output_bytes(out_dir) != output_bytes(other_seed)


def test_mnist_source_reads_files_already_in_root(tmp_path: Path, refused_url: str) -> None:
    root = tmp_path / "root"
    write_mnist_idx_dir(root / "MNIST" / "raw", compressed=False)
    from_root = prepare(tmp_path, "mnist", f"data.root={root}", f"data.mirrors=[{refused_url}]")
    from_idx = prepare(
        tmp_path,
        "idx",
        "data.source=idx",
        f"data.idx_dir={root / 'MNIST' / 'raw'}",
    )
    manifest = json.loads((from_root / "manifest.json").read_text())
    assert manifest["source"] == "mnist"
    assert arrays_of(from_root) == arrays_of(from_idx)


def assert_names_the_alternatives(message: str) -> None:
    for text in ["data.source=mnist", "data.source=idx data.idx_dir=", "data.source=digits"]:
        assert text in message


def torchvision_mnist_attributes() -> dict[str, Any]:
    """The literal class attributes of torchvision's datasets.MNIST, read from its source (an
    import of torchvision takes seconds: it loads torch)."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        pytest.skip("torchvision is not installed")
    source = Path(spec.origin).with_name("datasets") / "mnist.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    mnist = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "MNIST")
    return {
        target.id: ast.literal_eval(statement.value)
        for statement in mnist.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id in ("mirrors", "resources")
    }


def test_resources_are_torchvisions() -> None:
    torchvision_mnist = torchvision_mnist_attributes()
    assert tuple(torchvision_mnist["mirrors"]) == MNIST_MIRRORS
    assert tuple(torchvision_mnist["resources"]) == MNIST_RESOURCES
    assert [name for name, _ in MNIST_RESOURCES] == [
        f"{name}.gz" for split in ("train", "test") for name in IDX_FILES[split]
    ]


def test_mnist_source_downloads_each_file_once(
    tmp_path: Path, serve: Callable[..., Mirror], tiny_mnist_gz: dict[str, bytes]
) -> None:
    mirror = serve(tiny_mnist_gz)
    root = tmp_path / "root"
    overrides = [f"data.root={root}", f"data.mirrors=[{mirror.url}]"]
    first = prepare(tmp_path, "first", *overrides)

    assert sorted(mirror.requests) == sorted(tiny_mnist_gz)
    # kept compressed, as torchvision keeps them, and nothing else left beside them
    assert raw_files(root) == tiny_mnist_gz
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["source"] == "mnist"
    from_idx = prepare(tmp_path, "idx", "data.source=idx", f"data.idx_dir={tmp_path / 'served'}")
    assert arrays_of(first) == arrays_of(from_idx)

    second = prepare(tmp_path, "second", *overrides)
    assert sorted(mirror.requests) == sorted(tiny_mnist_gz)
    assert output_bytes(second) == output_bytes(first)


def test_a_corrupt_file_in_root_is_downloaded_again(
    tmp_path: Path, serve: Callable[..., Mirror], tiny_mnist_gz: dict[str, bytes]
) -> None:
    mirror = serve(tiny_mnist_gz)
    root = tmp_path / "root"
    raw_dir = write_mnist_idx_dir(root / "MNIST" / "raw", compressed=True)
    (raw_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(b"half a download")
    prepare(tmp_path, "out", f"data.root={root}", f"data.mirrors=[{mirror.url}]")
    assert mirror.requests == ["t10k-labels-idx1-ubyte.gz"]
    assert raw_files(root) == tiny_mnist_gz


def test_a_mirror_serving_wrong_bytes_is_skipped(
    tmp_path: Path, serve: Callable[..., Mirror], tiny_mnist_gz: dict[str, bytes]
) -> None:
    root = tmp_path / "root"
    wrong = {name: content[::-1] for name, content in tiny_mnist_gz.items()}
    # what raw_dir holds when the good mirror is asked for a file, just after the bad one was
    seen_by_good: list[dict[str, bytes]] = []
    bad = serve(wrong)
    good = serve(tiny_mnist_gz, lambda name: seen_by_good.append(raw_files(root)))
    prepare(tmp_path, "out", f"data.root={root}", f"data.mirrors=[{bad.url},{good.url}]")

    assert bad.requests == good.requests == [name for name, _ in data_prepare.MNIST_RESOURCES]
    assert raw_files(root) == tiny_mnist_gz
    for name, seen in zip(good.requests, seen_by_good, strict=True):
        # the bad mirror's bytes were dropped, not left under the final name nor beside it
        assert name not in seen
        assert all(content not in wrong.values() for content in seen.values())


def test_a_mirror_serving_only_wrong_bytes_fails_naming_it(
    tmp_path: Path, serve: Callable[..., Mirror], tiny_mnist_gz: dict[str, bytes]
) -> None:
    bad = serve({name: content[::-1] for name, content in tiny_mnist_gz.items()})
    root = tmp_path / "root"
    with pytest.raises(DataSourceError) as error:
        prepare(tmp_path, "out", f"data.root={root}", f"data.mirrors=[{bad.url}]")
    message = str(error.value)
    assert f"{bad.url}train-images-idx3-ubyte.gz: md5 mismatch" in message
    assert_names_the_alternatives(message)
    assert bad.requests == ["train-images-idx3-ubyte.gz"]
    assert raw_files(root) == {}
    assert not (tmp_path / "out").exists()


def test_https_that_fails_is_retried_over_http(
    tmp_path: Path, serve: Callable[..., Mirror], tiny_mnist_gz: dict[str, bytes]
) -> None:
    """As torchvision does; a plain HTTP server fails the TLS handshake."""
    mirror = serve(tiny_mnist_gz)
    name, md5 = data_prepare.MNIST_RESOURCES[0]
    https_url = mirror.url.replace("http:", "https:", 1) + name
    data_prepare.download_url(https_url, tmp_path / name, md5, timeout_s=10)
    assert mirror.requests == [name]
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == {
        name: tiny_mnist_gz[name]
    }


def test_failed_download_says_what_to_do(tmp_path: Path, refused_url: str) -> None:
    with pytest.raises(DataSourceError) as error:
        prepare(
            tmp_path,
            "out",
            f"data.root={tmp_path / 'empty'}",
            f"data.mirrors=[{refused_url}]",
        )
    assert_names_the_alternatives(str(error.value))
    assert "refused" in str(error.value)
    assert not (tmp_path / "out").exists()


def test_download_from_a_silent_server_times_out(tmp_path: Path, silent_url: str) -> None:
    with pytest.raises(DataSourceError, match="timed out") as error:
        prepare(
            tmp_path,
            "out",
            f"data.root={tmp_path / 'empty'}",
            f"data.mirrors={silent_url}",
            "data.download_timeout_s=0.2",
        )
    assert_names_the_alternatives(str(error.value))


def test_command_line_failure_shows_the_message(tmp_path: Path, refused_url: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "example_app.data_prepare",
            f"data.mirrors=[{refused_url}]",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DataSourceError" in result.stderr
    assert_names_the_alternatives(result.stderr)
    assert not (tmp_path / "outputs" / "datasets" / "mnist" / "manifest.json").exists()
