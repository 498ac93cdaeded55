"""Compiling: the launcher config and a job's override keys -> a KFP pipeline spec compiled by
kfp (PipelineTemplate, once per set of keys); each job -> CompiledJob (template + parameters)."""
