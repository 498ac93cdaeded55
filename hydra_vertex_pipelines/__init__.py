"""The launcher's engine, laid out as the data flow of a launch:

    planning/    job overrides -> JobPlan per job (composed config, job dir, parsed overrides)
    compiling/   JobPlans -> PipelineTemplate per set of override keys (the kfp compiler) ->
                 CompiledJob per job (plan + template + runtime parameters)
    executors/   CompiledJobs -> JobReturns: compile (write), local (run here), vertex (submit)
    runner/      runs a compiled pipeline spec on this machine (local mode and the emulator)

`launch.launch` is the flow; before planning, `config_reading` reads hydra.launcher (the args and
env of components as written), `setting_checks` checks it against its dataclasses as Hydra
composed it, `validation` lists every problem of the typed config, and `default_pipeline` makes
the pipeline the launching app alone when no components are configured. `vertex_facts` holds
what Vertex AI fixes (URIs, states, limits).
Nothing here is imported when a Hydra app starts: the plugin imports it when a sweep launches.
"""
