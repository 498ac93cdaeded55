"""Where a job's main component, the launched app, writes its Hydra output (hydra.run.dir).

On Vertex AI, under the pipeline root laid out as the sweep is locally: the job of the local
`multirun/2026-11-22/10-00-00/3` writes to `<pipeline_root>/multirun/2026-11-22/10-00-00/3`,
through the Cloud Storage FUSE mount (`/gcs/<bucket>/...`) of Vertex's containers. Locally, it is
the main task's `hydra_output` folder beside the job's other artifacts.
"""

from ._graph import kfp_name
from ._overrides import hydra_path_value
from ._plan import JobPlan
from ._template import HYDRA_OUTPUT_ARTIFACT
from .config import VertexPipelineLauncherConf

GS = "gs://"
GCS_MOUNT = "/gcs/"
# local mode: the job's artifacts are under <job dir>/artifacts/<task>/<output>
LOCAL_ARTIFACTS_DIR = "artifacts"


def job_output_uri(pipeline_root: str, plan: JobPlan) -> str:
    """gs:// URI of the job's main run dir."""
    return f"{pipeline_root.rstrip('/')}/{plan.relative_dir}"


def mounted_path(uri: str) -> str:
    """The path of a gs:// URI in a Vertex AI container: gs://b/p -> /gcs/b/p."""
    return GCS_MOUNT + uri.removeprefix(GS)


def main_run_dir(conf: VertexPipelineLauncherConf, plan: JobPlan) -> str:
    """The job's hydra.run.dir parameter for the mode, as a Hydra override value: a local folder
    in local mode, else the mounted path under the pipeline root (without one, compile mode
    leaves it relative: the container's working dir)."""
    if conf.mode == "local":
        main = next(name for name, comp in conf.components.items() if comp.main)
        path = str(plan.job_dir / LOCAL_ARTIFACTS_DIR / kfp_name(main) / HYDRA_OUTPUT_ARTIFACT)
    elif conf.pipeline_root is None:
        path = str(plan.relative_dir)
    else:
        path = mounted_path(job_output_uri(conf.pipeline_root, plan))
    return hydra_path_value(path)
