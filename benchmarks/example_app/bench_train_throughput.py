"""Training throughput of example_app/train.py's input path vs the input pipelines users run.

Every path trains the same model (train.build_model), optimizer (train.build_optimizer) and step
(train.train_step), batch size, precision and images: scikit-learn's digits as data_prepare
upscales them to 28x28, repeated to --images. They differ only in how batches reach the model:
  device tensors    train.py: the uint8 images go to the device once; each batch is gathered by
                    index and normalized there (train.train_epoch)
  PyTorch example   the loader of PyTorch's MNIST example (pytorch/examples, mnist/main.py): per
                    sample a PIL image, ToTensor, Normalize((0.1307,), (0.3081,)); a DataLoader
                    with its settings: on CPU the defaults (no worker process, no shuffling), on
                    CUDA 1 worker, pinned memory, shuffled
  TensorDataset     the images normalized once into one float tensor in memory, batched by a
                    shuffling DataLoader over a TensorDataset, each batch copied to the device
  PIL, N workers    (--workers N) the PyTorch example's transforms with N worker processes,
                    shuffled, persistent workers, pinned memory on CUDA

Run from the repo root:
  python -m benchmarks.example_app.bench_train_throughput --device cpu --images 10000 --threads 1
  python -m benchmarks.example_app.bench_train_throughput --device cuda --workers 8
"""

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision import transforms

from example_app import data_prepare, train

# the defaults of example_app/conf/config.yaml
LEARNING_RATE = 0.01
MOMENTUM = 0.9
CONV_CHANNELS = 32
HIDDEN_UNITS = 128
SEED = 0
# PyTorch's MNIST example normalizes with MNIST's mean and standard deviation
EXAMPLE_MEAN, EXAMPLE_STD = 0.1307, 0.3081


class PilImageDataset(Dataset[tuple[torch.Tensor, int]]):
    """Per sample: uint8 array -> PIL image -> transform, as torchvision's MNIST dataset does."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        transform: Callable[[Image.Image], torch.Tensor],
    ) -> None:
        self.images = images
        self.labels = labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.images[index])
        return self.transform(image), int(self.labels[index])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda (as train.device)")
    parser.add_argument("--images", type=int, default=60000, help="training images per epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--epochs", type=int, default=3, help="timed epochs; the first includes warm-up"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="also a PIL DataLoader with N worker processes"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
    parser.add_argument(
        "--precision", default="auto", help="auto, bf16, tf32, fp32 (as train.precision)"
    )
    return parser.parse_args(argv)


def synthetic_mnist(count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` 28x28 uint8 images and labels: the upscaled digits, repeated."""
    digits = data_prepare.build_digits(test_fraction=0.2, seed=SEED)["train"]
    return np.resize(digits.images, (count, 28, 28)), np.resize(digits.labels, count)


def fresh_model(settings: train.ExecutionSettings) -> tuple[torch.nn.Module, torch.optim.SGD]:
    torch.manual_seed(SEED)
    model = train.build_model(CONV_CHANNELS, HIDDEN_UNITS).to(settings.device)
    model = model.to(memory_format=settings.memory_format)
    optimizer = train.build_optimizer(model, LEARNING_RATE, MOMENTUM, 0.0, settings.device)
    return model, optimizer


def time_epochs(run_epoch: Callable[[], float], epochs: int, count: int) -> list[train.EpochStats]:
    """Time each epoch; run_epoch returns the mean loss once the device is done."""
    stats = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss = run_epoch()
        seconds = time.perf_counter() - start
        stats.append(train.EpochStats(epoch, seconds, count / seconds, loss))
    return stats


def measure_device_tensors(
    split: train.DeviceSplit,
    normalization: train.Normalization,
    batch_size: int,
    epochs: int,
    settings: train.ExecutionSettings,
) -> list[train.EpochStats]:
    model, optimizer = fresh_model(settings)
    generator = torch.Generator(device=settings.device).manual_seed(SEED)
    return time_epochs(
        lambda: train.train_epoch(
            model, optimizer, split, normalization, batch_size, generator, settings
        ),
        epochs,
        len(split.labels),
    )


def dataloader_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader[Any],
    settings: train.ExecutionSettings,
) -> float:
    model.train()
    loss_sum = torch.zeros((), device=settings.device)
    count = 0
    for images, labels in loader:
        inputs = images.to(settings.device, non_blocking=True)
        inputs = inputs.contiguous(memory_format=settings.memory_format)
        targets = labels.to(settings.device, non_blocking=True)
        loss_sum += train.train_step(model, optimizer, inputs, targets, settings) * len(labels)
        count += len(labels)
    return loss_sum.item() / count


def measure_loader(
    loader: DataLoader[Any], count: int, epochs: int, settings: train.ExecutionSettings
) -> list[train.EpochStats]:
    model, optimizer = fresh_model(settings)
    return time_epochs(lambda: dataloader_epoch(model, optimizer, loader, settings), epochs, count)


def example_transform() -> Callable[[Image.Image], torch.Tensor]:
    """PyTorch's MNIST example's transform."""
    transform: Callable[[Image.Image], torch.Tensor] = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((EXAMPLE_MEAN,), (EXAMPLE_STD,))]
    )
    return transform


def pytorch_example_loader(
    images: np.ndarray, labels: np.ndarray, batch_size: int, settings: train.ExecutionSettings
) -> DataLoader[Any]:
    """The DataLoader of PyTorch's MNIST example, with its settings for the device."""
    on_cuda = settings.device.type == "cuda"
    cuda_kwargs = {"num_workers": 1, "pin_memory": True, "shuffle": True} if on_cuda else {}
    dataset = PilImageDataset(images, labels, example_transform())
    return DataLoader(dataset, batch_size=batch_size, **cuda_kwargs)  # type: ignore[arg-type]


def tensor_dataset_loader(
    images: np.ndarray,
    labels: np.ndarray,
    normalization: train.Normalization,
    batch_size: int,
    settings: train.ExecutionSettings,
) -> DataLoader[Any]:
    """The images normalized once into a float tensor; a shuffling DataLoader batches them."""
    pixels = torch.from_numpy(images).unsqueeze(1).float() / 255
    pixels = (pixels - normalization.mean) / normalization.std
    dataset = TensorDataset(pixels, torch.from_numpy(labels).long())
    on_cuda = settings.device.type == "cuda"
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, pin_memory=on_cuda)


def pil_workers_loader(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    workers: int,
    settings: train.ExecutionSettings,
) -> DataLoader[Any]:
    return DataLoader(
        PilImageDataset(images, labels, example_transform()),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=settings.device.type == "cuda",
        persistent_workers=workers > 0,
    )


def steady_state(stats: Sequence[train.EpochStats]) -> train.EpochStats:
    """The fastest epoch after the first (warm-up), or the only one."""
    return min(stats[1:] or stats, key=lambda epoch: epoch.seconds)


def print_report(
    args: argparse.Namespace,
    settings: train.ExecutionSettings,
    results: dict[str, list[train.EpochStats]],
) -> None:
    precision = train.PRECISION_TEXT[settings.precision]
    on_cpu = settings.device.type == "cpu"
    threads = f" (intra-op threads: {torch.get_num_threads()})" if on_cpu else ""
    print(
        f"device {settings.device}{threads}, {precision}, {args.images} images 28x28, "
        f"batch {args.batch_size}, SGD, model conv {CONV_CHANNELS}/{2 * CONV_CHANNELS}"
    )
    header = "".join(f"{f'epoch {e} s':>11}" for e in range(1, args.epochs + 1))
    width = max(len(name) for name in results) + 2
    print(f"{'input path':<{width}}{header}{'images/s':>10}")
    for name, stats in results.items():
        seconds = "".join(f"{s.seconds:>11.2f}" for s in stats)
        print(f"{name:<{width}}{seconds}{steady_state(stats).images_per_s:>10.0f}")
    ours, *baselines = results.items()
    fast = steady_state(ours[1]).images_per_s
    for name, stats in baselines:
        print(f"speedup vs {name}: {fast / steady_state(stats).images_per_s:.2f}x")
    print("(images/s: the fastest epoch after the first)")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    settings = train.execution_settings(args.device, args.precision)
    images, labels = synthetic_mnist(args.images)
    split = train.DeviceSplit(
        images=torch.from_numpy(images).to(settings.device).unsqueeze(1),
        labels=torch.from_numpy(labels).to(device=settings.device, dtype=torch.int64),
    )
    normalization = train.pixel_normalization(split.images)
    count, epochs = len(labels), args.epochs
    on_cuda = settings.device.type == "cuda"
    example = "1 worker, pinned, shuffled" if on_cuda else "0 workers, not shuffled"
    results = {
        "device tensors (example_app/train.py)": measure_device_tensors(
            split, normalization, args.batch_size, epochs, settings
        ),
        f"PyTorch MNIST example's loader ({example})": measure_loader(
            pytorch_example_loader(images, labels, args.batch_size, settings),
            count,
            epochs,
            settings,
        ),
        "TensorDataset + DataLoader, shuffled": measure_loader(
            tensor_dataset_loader(images, labels, normalization, args.batch_size, settings),
            count,
            epochs,
            settings,
        ),
    }
    if args.workers is not None:
        loader = pil_workers_loader(images, labels, args.batch_size, args.workers, settings)
        name = f"PIL + DataLoader, {args.workers} workers, shuffled"
        results[name] = measure_loader(loader, count, epochs, settings)
    print_report(args, settings, results)


if __name__ == "__main__":
    main()
