"""mode=vertex: each job submitted to Vertex AI Pipelines (or the emulator), tracked with one
List call per poll, its result read and its Hydra output copied back; nothing submitted is lost.

    client     the PipelineService calls, each under the retry policy (retry: backoff, deadline)
    request    what one job asks for: id, labels, PipelineJob message (and a new attempt's)
    manifest   the sweep's write-ahead log on disk: intent before create, states as they change
    submit     the creates, in parallel             resume    adopting the previous launch
    shared     tasks shared by every job, run once  tracking  waiting with one List per poll
    results    a finished job's JobReturn           storage   Hydra output copied back
    cancel     cancelling by name                   progress  what the user sees meanwhile
    sweep_run  one launch, in order                 stopping  interrupts and outages
    executor   VertexExecutor                       recorded  a sweep from its manifest (CLI)
"""
