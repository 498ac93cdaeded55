"""mode=compile: the specs and job files are written (by the launch, as each job is taken); this
adds each spec's arg table and reports every job as not run (UNKNOWN, never COMPLETED)."""

import logging

from hydra.core.utils import JobReturn

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..compiling.arg_table import arg_table
from ..compiling.run_dir import mounted_run_dir
from ..planning.job_plan import JobPlan
from ..returns import unfinished
from ..vertex_facts import mounted_path
from . import JobBatch, PlanningFailed

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

    def execute(self, batch: JobBatch) -> list[JobReturn]:
        """A job that cannot be planned stops the launch; the jobs before it keep their files."""
        returns = []
        tabled: set[str] = set()
        try:
            for job in batch:
                if job.template.digest not in tabled:
                    tabled.add(job.template.digest)
                    table = job.spec_path.with_name(f"{job.spec_path.stem}_args.md")
                    table.write_text(arg_table(job.template.spec))
                    log.info(f"Compiled {job.spec_path} (component args: {table})")
                returns.append(unfinished(job.plan))
        except PlanningFailed as e:
            raise e.cause from None
        return returns
