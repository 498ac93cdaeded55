"""Planning: each job's overrides parsed, its config composed as Hydra's basic launcher would,
its output dir chosen (JobPlan)."""
