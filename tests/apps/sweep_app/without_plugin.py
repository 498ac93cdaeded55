"""main.py as it runs in an image without the launcher's plugin: no callbacks to import."""

import runpy
import sys

sys.modules["hydra_plugins.hydra_vertex_pipeline_launcher.callbacks"] = None  # type: ignore[assignment]
runpy.run_path("main.py", run_name="__main__")
