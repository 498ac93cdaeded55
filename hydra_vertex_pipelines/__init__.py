"""The launcher's engine, laid out as the data flow of a launch:

    planning/    job overrides -> JobPlan per job (composed config, job dir, parsed overrides)
    compiling/   JobPlans -> PipelineTemplate per set of override keys (the kfp compiler) ->
                 CompiledJob per job (plan + template + runtime parameters)
    executors/   CompiledJobs -> JobReturns: compile (write), local (run here), vertex (submit)
    runner/      runs a compiled pipeline spec on this machine (local mode and the emulator)

`launch.launch` is the flow; before planning, `typed_components` checks the components as Hydra
composed them and `default_pipeline` makes the pipeline the launching app alone when none are
configured. `vertex_facts` holds what Vertex AI fixes (URIs, states, limits).
Nothing here is imported when a Hydra app starts: the plugin imports it when a sweep launches.
"""
