"""train: a small CNN on the dataset that data_prepare wrote to data.dir.

Each split goes to the device once, as uint8 tensors; a batch is gathered by index and normalized
there: no per-sample Python transforms, no DataLoader workers. On CUDA the model runs channels_last
with cuDNN autotuning and a fused optimizer step, in fp32 with TF32 tensor-core math on GPUs that
have it (Ampere and newer; on an H100 faster than bf16 autocast for this small model).

Writes model.pt and metrics.json to the Hydra output dir and returns the test accuracy, so that
sweepers (and the pipeline launcher) can use it. torch is imported inside the functions: launching
a sweep to Vertex AI does not need it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
NUM_CLASSES = 10
EVAL_BATCH_SIZE = 1024
PRECISIONS = ("auto", "bf16", "tf32", "fp32")
PRECISION_TEXT = {
    "bf16": "bf16 autocast",
    "tf32": "fp32 with TF32 tensor cores",
    "fp32": "fp32",
}


@dataclass(frozen=True)
class ExecutionSettings:
    device: torch.device
    # the resolved train.precision: bf16 (autocast of the forward passes), tf32 or fp32
    precision: str
    # memory format of the model and its inputs
    memory_format: torch.memory_format


@dataclass(frozen=True)
class DeviceSplit:
    # uint8 [N, 1, 28, 28] on the training device
    images: torch.Tensor
    # int64 [N] on the training device
    labels: torch.Tensor


@dataclass(frozen=True)
class Normalization:
    # mean and standard deviation of the training pixels, scaled to 0..1
    mean: float
    std: float


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    seconds: float
    images_per_s: float
    train_loss: float


def resolve_device(name: str) -> torch.device:
    """train.device: auto is cuda when available, else cpu."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"train.device={name} but CUDA is not available; use train.device=auto")
    return device


def has_tf32(device: torch.device) -> bool:
    """TF32 tensor cores: CUDA GPUs of compute capability 8.0 and newer (A100, L4, H100)."""
    import torch

    return device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8


def resolve_precision(precision: str, device: torch.device) -> str:
    """train.precision: auto is tf32 where the device has it, else fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"train.precision={precision} is unknown; use one of {PRECISIONS}")
    if precision == "auto":
        return "tf32" if has_tf32(device) else "fp32"
    if precision == "tf32" and not has_tf32(device):
        raise ValueError(
            f"train.precision=tf32 needs a CUDA GPU of compute capability 8.0 or newer, and "
            f"training runs on {device}; use train.precision=fp32 or auto"
        )
    return precision


def execution_settings(device_name: str, precision: str) -> ExecutionSettings:
    """Device, precision and memory format from train.device and train.precision."""
    import torch

    device = resolve_device(device_name)
    resolved = resolve_precision(precision, device)
    on_cuda = device.type == "cuda"
    if on_cuda:
        torch.backends.cudnn.benchmark = True
        # PyTorch's defaults differ (TF32 on for cuDNN, off for matmuls): set both
        torch.backends.cuda.matmul.allow_tf32 = resolved == "tf32"
        torch.backends.cudnn.allow_tf32 = resolved == "tf32"
    return ExecutionSettings(
        device=device,
        precision=resolved,
        memory_format=torch.channels_last if on_cuda else torch.contiguous_format,
    )


def autocast(settings: ExecutionSettings) -> torch.autocast:
    import torch

    return torch.autocast(
        device_type=settings.device.type,
        dtype=torch.bfloat16,
        enabled=settings.precision == "bf16",
    )


def read_manifest(data_dir: Path) -> dict[str, Any]:
    path = data_dir / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"data.dir={data_dir} has no {MANIFEST_NAME}: run example_app.data_prepare first "
            "(its data.out_dir is the default data.dir) or point data.dir at its output"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def read_checked_bytes(path: Path, sha256: str) -> bytes:
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ValueError(f"{path} does not match the sha256 in its manifest; prepare it again")
    return content


def load_array(data_dir: Path, manifest: dict[str, Any], filename: str) -> torch.Tensor:
    """A checksummed .npy file of the dataset as a CPU tensor."""
    import numpy as np
    import torch

    content = read_checked_bytes(data_dir / filename, manifest["sha256"][filename])
    return torch.from_numpy(np.load(io.BytesIO(content), allow_pickle=False))


def load_split(
    data_dir: Path, manifest: dict[str, Any], split: str, device: torch.device
) -> DeviceSplit:
    """The split on the device, once: images stay uint8 until a batch is normalized."""
    import torch

    files = manifest["splits"][split]
    images = load_array(data_dir, manifest, files["images"])
    labels = load_array(data_dir, manifest, files["labels"])
    return DeviceSplit(
        images=images.to(device).unsqueeze(1),
        labels=labels.to(device=device, dtype=torch.int64),
    )


def pixel_normalization(images: torch.Tensor) -> Normalization:
    import torch

    std, mean = torch.std_mean(images.float() / 255)
    return Normalization(mean=mean.item(), std=std.item())


def normalize(
    images: torch.Tensor, normalization: Normalization, memory_format: torch.memory_format
) -> torch.Tensor:
    """uint8 pixels -> float inputs of zero mean and unit variance, on the images' device."""
    import torch

    scale = 1 / (255 * normalization.std)
    shift = -normalization.mean / normalization.std
    inputs = images.to(torch.float32).mul_(scale).add_(shift)
    return inputs.contiguous(memory_format=memory_format)


def build_model(conv_channels: int, hidden_units: int) -> torch.nn.Module:
    """Two 3x3 conv layers with 2x2 max pooling (28 -> 14 -> 7), then two fully connected."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, conv_channels, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(conv_channels, 2 * conv_channels, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * conv_channels * 7 * 7, hidden_units),
        nn.ReLU(),
        nn.Linear(hidden_units, NUM_CLASSES),
    )


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    settings: ExecutionSettings,
) -> torch.Tensor:
    """One optimizer step; returns the batch's mean loss, still on the device."""
    from torch.nn import functional

    with autocast(settings):
        loss = functional.cross_entropy(model(inputs), targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()
    return loss.detach()


def train_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    split: DeviceSplit,
    normalization: Normalization,
    batch_size: int,
    generator: torch.Generator,
    settings: ExecutionSettings,
) -> float:
    """One pass in a fresh random order; returns the mean training loss."""
    import torch

    model.train()
    count = len(split.labels)
    order = torch.randperm(count, device=settings.device, generator=generator)
    loss_sum = torch.zeros((), device=settings.device)
    for start in range(0, count, batch_size):
        batch = order[start : start + batch_size]
        inputs = normalize(split.images[batch], normalization, settings.memory_format)
        loss = train_step(model, optimizer, inputs, split.labels[batch], settings)
        loss_sum += loss * len(batch)
    return loss_sum.item() / count  # .item() waits for the device: the epoch is done


def timed_epoch(
    epoch: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    split: DeviceSplit,
    normalization: Normalization,
    batch_size: int,
    generator: torch.Generator,
    settings: ExecutionSettings,
) -> EpochStats:
    start = time.perf_counter()
    loss = train_epoch(model, optimizer, split, normalization, batch_size, generator, settings)
    seconds = time.perf_counter() - start
    return EpochStats(
        epoch=epoch,
        seconds=seconds,
        images_per_s=len(split.labels) / seconds,
        train_loss=loss,
    )


def evaluate(
    model: torch.nn.Module,
    split: DeviceSplit,
    normalization: Normalization,
    settings: ExecutionSettings,
) -> float:
    """Accuracy on the split."""
    import torch

    model.eval()
    count = len(split.labels)
    correct = torch.zeros((), dtype=torch.int64, device=settings.device)
    with torch.inference_mode(), autocast(settings):
        for start in range(0, count, EVAL_BATCH_SIZE):
            images = split.images[start : start + EVAL_BATCH_SIZE]
            inputs = normalize(images, normalization, settings.memory_format)
            predictions = model(inputs).argmax(dim=1)
            correct += (predictions == split.labels[start : start + EVAL_BATCH_SIZE]).sum()
    return correct.item() / count


def write_outputs(
    output_dir: Path,
    model: torch.nn.Module,
    model_cfg: DictConfig,
    normalization: Normalization,
    metrics: dict[str, Any],
) -> None:
    """model.pt (weights on CPU, with what is needed to rebuild and feed it) and metrics.json."""
    import torch

    output_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "state_dict": {name: value.cpu() for name, value in model.state_dict().items()},
        "conv_channels": int(model_cfg.conv_channels),
        "hidden_units": int(model_cfg.hidden_units),
        "normalization": asdict(normalization),
    }
    torch.save(checkpoint, output_dir / "model.pt")
    text = json.dumps(metrics, indent=2) + "\n"
    (output_dir / "metrics.json").write_text(text, encoding="utf-8")


def build_optimizer(
    model: torch.nn.Module, lr: float, momentum: float, weight_decay: float, device: torch.device
) -> torch.optim.SGD:
    """SGD with momentum; on CUDA one fused kernel updates every parameter."""
    import torch

    return torch.optim.SGD(
        model.parameters(),
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        fused=True if device.type == "cuda" else None,
    )


def train_and_evaluate(cfg: DictConfig, output_dir: Path) -> float:
    """Train on data.dir's train split, write the outputs, return the test accuracy."""
    import torch

    settings = execution_settings(str(cfg.train.device), str(cfg.train.precision))
    log.info(f"Training on {settings.device}, {PRECISION_TEXT[settings.precision]}")
    data_dir = Path(cfg.data.dir)
    manifest = read_manifest(data_dir)
    train_split = load_split(data_dir, manifest, "train", settings.device)
    test_split = load_split(data_dir, manifest, "test", settings.device)
    normalization = pixel_normalization(train_split.images)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model.conv_channels, cfg.model.hidden_units)
    model = model.to(settings.device).to(memory_format=settings.memory_format)
    optimizer = build_optimizer(
        model, cfg.optim.lr, cfg.optim.momentum, cfg.optim.weight_decay, settings.device
    )
    generator = torch.Generator(device=settings.device).manual_seed(cfg.train.seed)
    epochs = []
    for epoch in range(1, cfg.train.epochs + 1):
        stats = timed_epoch(
            epoch,
            model,
            optimizer,
            train_split,
            normalization,
            cfg.train.batch_size,
            generator,
            settings,
        )
        log.info(
            f"Epoch {epoch}/{cfg.train.epochs}: loss {stats.train_loss:.4f}, "
            f"{stats.seconds:.2f} s, {stats.images_per_s:.0f} images/s"
        )
        epochs.append(stats)
    accuracy = evaluate(model, test_split, normalization, settings)
    log.info(f"Test accuracy {accuracy:.4f} ({len(test_split.labels)} images)")
    metrics = {
        "test_accuracy": accuracy,
        "device": str(settings.device),
        "precision": settings.precision,
        "source": manifest["source"],
        "train_images": len(train_split.labels),
        "test_images": len(test_split.labels),
        "batch_size": cfg.train.batch_size,
        "epochs": [asdict(stats) for stats in epochs],
    }
    write_outputs(output_dir, model, cfg.model, normalization, metrics)
    return accuracy


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    return train_and_evaluate(cfg, Path(HydraConfig.get().runtime.output_dir))


if __name__ == "__main__":
    main()
