"""`hydra-vertex-emulator` / `python -m hydra_vertex_emulator`: serve the emulator until Ctrl-C."""

import argparse
import logging
import signal
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .emulator import Emulator, EmulatorConfig
from .errors import INJECTABLE
from .faults import FaultConfig
from .stats import REQUEST_KINDS


def _codes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(code) for code in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from None


def _kinds(text: str) -> tuple[str, ...]:
    return tuple(kind for kind in text.split(",") if kind)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hydra-vertex-emulator",
        description="A local emulator of the Vertex AI Pipelines REST API: PipelineJobs run "
        "here with the launcher's LocalRunner.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback: anyone who can reach it can run commands "
        "on this machine as you",
    )
    p.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (8080)")
    p.add_argument(
        "--storage-dir",
        type=Path,
        help="folder where gs://bucket/path lives as bucket/path (default: a temporary one)",
    )
    p.add_argument("--max-parallel-jobs", type=int, default=2, help="jobs run at once (2)")
    p.add_argument(
        "--gcs-endpoint",
        help="GCS JSON API endpoint that output artifacts are uploaded to, e.g. "
        "http://127.0.0.1:9023 (gcp-storage-emulator)",
    )
    p.add_argument("--echo", action="store_true", help="echo the components' output")
    p.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="REPOSITORY:TAG",
        help="an image the registry endpoint (/v2/) knows, e.g. mnist/train:1; repeatable "
        "(images named 127.0.0.1:<port>/mnist/train:1 are then found there)",
    )
    p.add_argument("--log-level", default="INFO", help="INFO, DEBUG (every request), ...")
    faults = p.add_argument_group("fault injection")
    faults.add_argument("--latency-s", type=float, default=0.0, help="added to each request")
    faults.add_argument(
        "--error-rate", type=float, default=0.0, help="fraction of requests answered with errors"
    )
    faults.add_argument(
        "--error-codes",
        type=_codes,
        default=(429, 503),
        help=f"HTTP codes of those errors, among {','.join(map(str, INJECTABLE))} (429,503)",
    )
    faults.add_argument(
        "--error-kinds",
        type=_kinds,
        default=(),
        help=f"request kinds that get errors, among {','.join(REQUEST_KINDS)} (all)",
    )
    faults.add_argument(
        "--drop-first-creates",
        type=int,
        default=0,
        help="close the connection instead of answering the first N successful creates",
    )
    faults.add_argument(
        "--drop-create-rate",
        type=float,
        default=0.0,
        help="same for this fraction of the later successful creates",
    )
    faults.add_argument("--seed", type=int, default=0, help="seed of the fault draws (0)")
    return p


def config_of(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        host=args.host,
        allow_remote=args.allow_remote,
        port=args.port,
        storage_dir=args.storage_dir,
        max_parallel_jobs=args.max_parallel_jobs,
        gcs_endpoint=args.gcs_endpoint,
        echo=args.echo,
        images=tuple(args.image),
        faults=FaultConfig(
            latency_s=args.latency_s,
            error_rate=args.error_rate,
            error_codes=args.error_codes,
            error_kinds=args.error_kinds,
            drop_first_creates=args.drop_first_creates,
            drop_create_rate=args.drop_create_rate,
            seed=args.seed,
        ),
    )


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    p = parser()
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="[%(asctime)s] %(message)s")
    try:
        config = config_of(args)
        emulator = Emulator(config)
    except (ValueError, OSError) as e:
        p.error(str(e))
    signal.signal(signal.SIGTERM, _stop)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.close()


if __name__ == "__main__":
    main()
