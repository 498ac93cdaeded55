"""A local emulator of the Vertex AI Pipelines REST API (PipelineService v1).

Jobs run with the launcher's LocalRunner; see README.md. Importing this package is light: the
server lives in `hydra_vertex_emulator.emulator`.
"""
