"""Compiling: the launcher config and a job's override keys -> a KFP pipeline spec compiled by
kfp (PipelineTemplate, once per set of keys); each job -> CompiledJob (template + parameters).

kfp is imported here first, without its KFP-server client (kfp_import.py)."""

from .kfp_import import import_kfp

import_kfp()
