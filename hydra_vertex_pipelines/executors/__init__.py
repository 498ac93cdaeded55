"""Executors: what a mode does with the compiled jobs (compile: write, local: run here, vertex:
submit). Each decides where the main component writes its Hydra output and where the artifacts
are (compiled_job.Placement). No executor imports another; what they share lives outside this
package."""

from collections.abc import Sequence
from typing import Protocol

from hydra.core.utils import JobReturn

from ..compiling.compiled_job import CompiledJob, Placement


class Executor(Placement, Protocol):
    def execute(self, jobs: Sequence[CompiledJob]) -> list[JobReturn]:
        """Write, run or submit the jobs; a JobReturn per job, in order."""
        ...
