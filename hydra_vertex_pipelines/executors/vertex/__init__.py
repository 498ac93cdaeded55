"""mode=vertex: each job submitted to Vertex AI Pipelines (or the emulator), tracked with one
List call per poll, its result read and its Hydra output copied back.

    client     the PipelineService calls, each under the retry policy (retry)
    request    what one job asks for: id, labels, PipelineJob message
    submit     the creates, in parallel          manifest  the sweep's jobs on disk
    tracking   waiting with one List per poll    results   a finished job's JobReturn
    storage    Hydra output copied back          progress  what the user sees meanwhile
    executor   VertexExecutor: the above in order
"""
