"""A component that starts in milliseconds (no Hydra): honours the main component's contract.

It reads its Hydra-override args, writes x squared as JSON to the return value output file and a
log line into its Hydra output dir (`hydra.run.dir`), as the launcher's callback and Hydra would.
With `+release=<path>` it first waits until that file exists.
"""

import json
import sys
import time
from pathlib import Path

CALLBACK_FILE = "++hydra.callbacks.vertex_pipeline_return_value.output_file"

args = {k: v.strip("'\"") for k, v in (arg.split("=", 1) for arg in sys.argv[1:])}
if "+release" in args:
    while not Path(args["+release"]).exists():
        time.sleep(0.05)
run_dir = Path(args["hydra.run.dir"])
run_dir.mkdir(parents=True, exist_ok=True)
(run_dir / "square.log").write_text(f"x={args['x']}\n")
output = Path(args[CALLBACK_FILE])
output.parent.mkdir(parents=True, exist_ok=True)
output.write_text(json.dumps(float(args["x"]) ** 2))
