"""Where a job's main component, the launched app, writes its Hydra output (hydra.run.dir).

On Vertex AI, under the pipeline root laid out as the sweep is locally: the job of the local
`multirun/2026-11-22/10-00-00/3` writes to `<pipeline_root>/multirun/2026-11-22/10-00-00/3`,
through the Cloud Storage FUSE mount (`/gcs/<bucket>/...`) of Vertex's containers. Locally, it is
the job dir, as under Hydra's basic launcher. Each executor picks one.
"""

from pathlib import Path

from ..planning.job_plan import JobPlan
from ..vertex_facts import mounted_path

# local mode: the job's artifacts are under <job dir>/artifacts/<task>/<output>
LOCAL_ARTIFACTS_DIR = "artifacts"


def job_output_uri(pipeline_root: str, plan: JobPlan) -> str:
    """gs:// URI of the job's main run dir."""
    return f"{pipeline_root.rstrip('/')}/{plan.relative_dir}"


def mounted_run_dir(pipeline_root: str, plan: JobPlan) -> str:
    """The job's run dir under the pipeline root, as a Vertex AI container sees it."""
    return mounted_path(job_output_uri(pipeline_root, plan))


def local_artifacts(plan: JobPlan) -> Path:
    return plan.job_dir / LOCAL_ARTIFACTS_DIR


def local_run_dir(plan: JobPlan) -> str:
    """Local mode: the job dir itself, as under Hydra's basic launcher."""
    return str(plan.job_dir)
