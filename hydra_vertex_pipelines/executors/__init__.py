"""Executors: what a mode does with the compiled jobs (compile: write, local: run here, vertex:
submit). Each decides where the main component writes its Hydra output and where the artifacts
are (compiled_job.Placement). No executor imports another; what they share lives outside this
package.

An executor takes the jobs as they are planned and compiled (JobBatch.jobs, an iterator): the
vertex executor submits the first jobs while the later ones are still being composed. What is
known of every job before any is composed (its overrides, parsed) comes with them.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from hydra.core.utils import JobReturn

from ..compiling.compiled_job import CompiledJob, Placement
from ..planning.overrides import JobOverride


class PlanningFailed(Exception):
    """Planning or compiling job #`num` failed (`cause`) once earlier jobs may have been handed
    on: the executor deals with those, then the launch raises `cause`."""

    def __init__(self, num: int, cause: Exception) -> None:
        super().__init__(f"job #{num} could not be planned: {cause}")
        self.num = num
        self.cause = cause


@dataclass(frozen=True)
class JobBatch:
    # every job's overrides, parsed (in order): known before any job is composed
    overrides: tuple[tuple[JobOverride, ...], ...]
    # the jobs, composed and compiled one by one as they are taken; raises PlanningFailed
    jobs: Iterable[CompiledJob]

    def __len__(self) -> int:
        return len(self.overrides)

    def __iter__(self) -> Iterator[CompiledJob]:
        return iter(self.jobs)


def batch_of(jobs: Sequence[CompiledJob]) -> JobBatch:
    """A batch of jobs compiled already."""
    return JobBatch(overrides=tuple(job.plan.parsed for job in jobs), jobs=list(jobs))


class Executor(Placement, Protocol):
    def execute(self, batch: JobBatch) -> list[JobReturn]:
        """Write, run or submit the jobs as they come; a JobReturn per job, in order."""
        ...
