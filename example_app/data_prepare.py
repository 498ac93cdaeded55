"""data_prepare: writes MNIST (or an offline stand-in) to data.out_dir as compact uint8 arrays.

Sources (data.source):
  mnist   download the four MNIST IDX files (.gz, md5-checked) from data.mirrors into data.root
  idx     read the four MNIST IDX files (plain or .gz) from data.idx_dir
  digits  scikit-learn's bundled 8x8 handwritten digits, upscaled to 28x28 (no network needed)

Output, the same bytes for the same input:
  {split}_images.npy  uint8 [N, 28, 28]
  {split}_labels.npy  uint8 [N]
  manifest.json       source, image shape, per split its count and files, sha256 of every file
"""

import gzip
import hashlib
import json
import logging
import math
import os
import struct
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from omegaconf import DictConfig

log = logging.getLogger(__name__)

IMAGE_SIZE = 28
NUM_CLASSES = 10
MANIFEST_NAME = "manifest.json"
SOURCES = ("mnist", "idx", "digits")
# split -> (images file, labels file), as MNIST names them (each may also end in .gz)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX magic numbers: 0x08 (unsigned byte) data, then the number of dimensions
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
# scikit-learn's digits: 8x8 pixels of 0..16; drawn into the 20x20 centre of a 28x28 image,
# as MNIST's digits are
DIGITS_PIXEL_MAX = 16.0
DIGITS_DRAWN_SIZE = 20
# MNIST's download mirrors (URL prefixes, tried in order) and files with their md5s, as
# torchvision's datasets.MNIST has them (its <root>/MNIST/raw layout too)
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_RESOURCES = (
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
)
# torchvision's User-Agent: some mirrors refuse urllib's default one
DOWNLOAD_USER_AGENT = "pytorch/vision"


class DataSourceError(RuntimeError):
    """The requested data source cannot be downloaded or read."""


@dataclass(frozen=True)
class Split:
    # uint8 [N, 28, 28]
    images: np.ndarray
    # uint8 [N], 0..9
    labels: np.ndarray


def offline_alternatives() -> str:
    return (
        "Without network access, either put the four MNIST IDX files "
        f"({', '.join(name for pair in IDX_FILES.values() for name in pair)}; plain or .gz) "
        "in a directory and run with data.source=idx data.idx_dir=<that directory>, "
        "or run with data.source=digits (scikit-learn's bundled digits, upscaled to 28x28)."
    )


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array of an IDX file (gzip-compressed when its name ends in .gz)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != magic:
        raise DataSourceError(f"{path}: not an IDX file with magic number {magic:#010x}")
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataSourceError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    data = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    if data.size != math.prod(shape):
        raise DataSourceError(f"{path}: header says {shape}, found {data.size} bytes of data")
    return data.reshape(shape)


def find_idx_file(directory: Path, name: str) -> Path:
    """`name` in directory, else `name.gz`."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataSourceError(f"{directory}: neither {name} nor {name}.gz found")


def read_idx_split(directory: Path, images_name: str, labels_name: str) -> Split:
    images = read_idx(find_idx_file(directory, images_name), IDX_IMAGES_MAGIC)
    labels = read_idx(find_idx_file(directory, labels_name), IDX_LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataSourceError(
            f"{directory}/{images_name}: images are {images.shape[1:]}, expected 28x28"
        )
    if len(images) != len(labels):
        raise DataSourceError(
            f"{directory}: {len(images)} images in {images_name} but {len(labels)} labels"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataSourceError(f"{directory}/{labels_name}: labels must be 0..9")
    return Split(images=images, labels=labels)


def read_idx_dir(directory: Path) -> dict[str, Split]:
    """The train and test splits from the four MNIST IDX files in directory."""
    if not directory.is_dir():
        raise DataSourceError(f"IDX directory {directory} does not exist")
    return {split: read_idx_split(directory, *names) for split, names in IDX_FILES.items()}


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_mnist(raw_dir: Path, mirrors: Sequence[str] | None, timeout_s: float) -> None:
    """Fetch the MNIST .gz files missing from raw_dir, each from the first mirror that has it."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    for filename, md5 in MNIST_RESOURCES:
        extracted = raw_dir / filename.removesuffix(".gz")
        compressed = raw_dir / filename
        if extracted.is_file() or (compressed.is_file() and md5_of(compressed) == md5):
            continue
        download_from_mirrors(filename, md5, raw_dir, mirrors or MNIST_MIRRORS, timeout_s)


def download_from_mirrors(
    filename: str, md5: str, raw_dir: Path, mirrors: Sequence[str], timeout_s: float
) -> None:
    """raw_dir/filename from the first mirror whose copy has this md5."""
    failures = []
    for mirror in mirrors:
        url = f"{mirror.rstrip('/')}/{filename}"
        log.info(f"Downloading {url} to {raw_dir}")
        try:
            download_url(url, raw_dir / filename, md5, timeout_s)
            return
        except OSError as e:  # URLError, HTTPError and timeouts are OSErrors
            failures.append(f"{url}: {e}")
    raise DataSourceError(
        f"data.source=mnist: could not download {filename} into {raw_dir} "
        f"({'; '.join(failures)}). {offline_alternatives()} "
        "A reachable mirror can be given with data.mirrors=[<url prefix>]."
    )


def download_url(url: str, path: Path, md5: str, timeout_s: float) -> None:
    """url to path, as torchvision's download_url (retried over http when https fails); the
    bytes go to a temporary file beside path, renamed to path only once their md5 matches."""
    try:
        actual = fetch_to(url, path, md5, timeout_s)
    except OSError as e:
        if not url.startswith("https:"):
            raise
        http_url = "http:" + url.removeprefix("https:")
        try:
            actual = fetch_to(http_url, path, md5, timeout_s)
        except OSError as http_error:
            raise OSError(f"{e}; retried as {http_url}: {http_error}") from http_error
    if actual != md5:
        raise OSError(f"md5 mismatch: the download has md5 {actual}, expected {md5}")


def fetch_to(url: str, path: Path, md5: str, timeout_s: float) -> str:
    """The md5 of what url serves; written to path when it is the expected md5. Each blocking
    socket operation times out after timeout_s."""
    request = urllib.request.Request(url, headers={"User-Agent": DOWNLOAD_USER_AGENT})
    digest = hashlib.md5(usedforsecurity=False)
    # a new name beside path (so the rename stays on one file system), created as open() does:
    # the permissions of the umask, as the file downloaded to path would have
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response, temp.open("xb") as f:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                digest.update(chunk)
        if digest.hexdigest() == md5:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return digest.hexdigest()


def bilinear_resize_matrix(size_in: int, size_out: int) -> np.ndarray:
    """[size_out, size_in] weights of 1-D linear interpolation between pixel centres."""
    centres = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    centres = np.clip(centres, 0, size_in - 1)
    lower = np.floor(centres).astype(int)
    upper = np.minimum(lower + 1, size_in - 1)
    weight_upper = centres - lower
    matrix = np.zeros((size_out, size_in))
    np.add.at(matrix, (np.arange(size_out), lower), 1 - weight_upper)
    np.add.at(matrix, (np.arange(size_out), upper), weight_upper)
    return matrix


def upscale_digits(images: np.ndarray) -> np.ndarray:
    """[N, 8, 8] digits of 0..16 -> uint8 [N, 28, 28] of 0..255, drawn in the 20x20 centre."""
    resize = bilinear_resize_matrix(images.shape[-1], DIGITS_DRAWN_SIZE)
    drawn = resize @ images @ resize.T * (255.0 / DIGITS_PIXEL_MAX)
    margin = (IMAGE_SIZE - DIGITS_DRAWN_SIZE) // 2
    padded = np.pad(drawn, ((0, 0), (margin, margin), (margin, margin)))
    upscaled: np.ndarray = np.clip(np.rint(padded), 0, 255).astype(np.uint8)
    return upscaled


def build_digits(test_fraction: float, seed: int) -> dict[str, Split]:
    """scikit-learn's 1797 digits, upscaled, split at random (seeded) into train and test."""
    from sklearn.datasets import load_digits

    if not 0 < test_fraction < 1:
        raise ValueError(f"data.digits_test_fraction must be in (0, 1), got {test_fraction}")
    digits = load_digits()
    images = upscale_digits(digits.images)
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(labels))
    test_count = round(len(labels) * test_fraction)
    test, train = order[:test_count], order[test_count:]
    return {
        "train": Split(images=images[train], labels=labels[train]),
        "test": Split(images=images[test], labels=labels[test]),
    }


def url_list(urls: Any) -> list[str] | None:
    """data.mirrors as a list: null stays null, one URL becomes a list of one."""
    if urls is None:
        return None
    if isinstance(urls, str):
        return [urls]
    return [str(url) for url in urls]


def read_source(data: DictConfig) -> dict[str, Split]:
    """The train and test splits of data.source."""
    if data.source == "mnist":
        raw_dir = Path(data.root).expanduser() / "MNIST" / "raw"
        download_mnist(raw_dir, url_list(data.mirrors), float(data.download_timeout_s))
        return read_idx_dir(raw_dir)
    if data.source == "idx":
        if data.idx_dir is None:
            raise DataSourceError(
                "data.source=idx needs data.idx_dir=<directory with the MNIST IDX files>"
            )
        return read_idx_dir(Path(data.idx_dir).expanduser())
    if data.source == "digits":
        return build_digits(float(data.digits_test_fraction), int(data.digits_split_seed))
    raise DataSourceError(f"data.source={data.source} is unknown; use one of {', '.join(SOURCES)}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_array(array: np.ndarray, path: Path) -> None:
    with path.open("wb") as f:
        np.save(f, np.ascontiguousarray(array, dtype=np.uint8), allow_pickle=False)


def write_dataset(splits: Mapping[str, Split], source: str, out_dir: Path) -> dict[str, Any]:
    """Write the splits and, last, manifest.json (its presence means the dataset is complete)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "source": source,
        "image_shape": [IMAGE_SIZE, IMAGE_SIZE],
        "splits": {},
        "sha256": {},
    }
    for name, split in splits.items():
        files = {"images": f"{name}_images.npy", "labels": f"{name}_labels.npy"}
        save_array(split.images, out_dir / files["images"])
        save_array(split.labels, out_dir / files["labels"])
        manifest["splits"][name] = {"count": len(split.labels), **files}
        for filename in files.values():
            manifest["sha256"][filename] = sha256_of(out_dir / filename)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (out_dir / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out_dir = Path(cfg.data.out_dir)
    splits = read_source(cfg.data)
    manifest = write_dataset(splits, str(cfg.data.source), out_dir)
    counts = ", ".join(f"{name} {split['count']}" for name, split in manifest["splits"].items())
    log.info(f"Wrote {cfg.data.source} ({counts}) to {out_dir}")


if __name__ == "__main__":
    main()
