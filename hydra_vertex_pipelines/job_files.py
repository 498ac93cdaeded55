"""The files a job leaves in its dir before it runs: `.hydra/{config,hydra,overrides}.yaml`, as
Hydra writes them, and `parameters.json`, the runtime values it is run or submitted with."""

import json

from omegaconf import OmegaConf

from .compiling.compiled_job import CompiledJob
from .planning.job_plan import JobConfigs


def write_job_files(job: CompiledJob, configs: JobConfigs) -> None:
    """`configs`: the job's composed config (HydraConfig is the job's: job_plan.plan_job)."""
    plan = job.plan
    hydra_dir = plan.job_dir / str(configs.hydra.hydra.output_subdir or ".hydra")
    hydra_dir.mkdir(parents=True, exist_ok=True)
    (hydra_dir / "config.yaml").write_text(OmegaConf.to_yaml(configs.task))
    (hydra_dir / "hydra.yaml").write_text(OmegaConf.to_yaml(configs.hydra))
    (hydra_dir / "overrides.yaml").write_text(
        OmegaConf.to_yaml(OmegaConf.create(list(plan.overrides)))
    )
    parameters = {
        "pipeline_spec": str(job.spec_path),
        "parameter_values": job.runtime_parameters,
    }
    (plan.job_dir / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
