"""mode=compile: the specs and job files are written (by the launch); this adds each spec's arg
table and reports every job as not run (UNKNOWN, never COMPLETED)."""

import logging
from collections.abc import Sequence

from hydra.core.utils import JobReturn

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..compiling.arg_table import arg_table
from ..compiling.compiled_job import CompiledJob
from ..compiling.run_dir import mounted_run_dir
from ..planning.job_plan import JobPlan
from ..returns import unfinished
from ..vertex_facts import mounted_path

log = logging.getLogger(__name__)


class CompileExecutor:
    def __init__(self, conf: VertexPipelineLauncherConf) -> None:
        self.pipeline_root = conf.pipeline_root

    def main_run_dir(self, plan: JobPlan) -> str:
        """As on Vertex, under the pipeline root; without one, relative: the container's
        working dir."""
        if self.pipeline_root is None:
            return str(plan.relative_dir)
        return mounted_run_dir(self.pipeline_root, plan)

    def artifact_root(self, plan: JobPlan) -> str:
        return "" if self.pipeline_root is None else mounted_path(self.pipeline_root)

    def execute(self, jobs: Sequence[CompiledJob]) -> list[JobReturn]:
        written = {job.template.digest: job for job in jobs}
        for job in written.values():
            table = job.spec_path.with_name(f"{job.spec_path.stem}_args.md")
            table.write_text(arg_table(job.template.spec))
            log.info(f"Compiled {job.spec_path} (component args: {table})")
        return [unfinished(job.plan) for job in jobs]
