"""A tiny pipeline component for the emulator tests. Its args are the Hydra overrides the
launcher compiles (`key=value`); it acts on these keys:

    counter=<file>       append a line (how many times the task really ran)
    mode=fail|sleep      exit 3 | sleep until killed
    mode=detach          start a grandchild in its own session that holds stdout (its pid in
                         <counter>.pid), then sleep until killed
    in.<name>=<dir>      an input artifact: its data.txt is read
    out.<name>=<dir>     an output artifact: data.txt is written (with data.n)
    hydra.run.dir=<dir>  created, with a marker file
    ...output_file=<f>   the return value callback's file: JSON {lr, inputs}
"""

import json
import subprocess
import sys
import time
from pathlib import Path

RETURN_VALUE_KEY = "hydra.callbacks.vertex_pipeline_return_value.output_file"


def unquoted(value: str) -> str:
    """A quoted value's text (the launcher quotes paths; these are plain)."""
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
    return value[1:-1] if quoted else value


def main(argv: list[str]) -> int:
    args = {k: unquoted(v) for k, v in (arg.lstrip("+~").split("=", 1) for arg in argv)}
    if "counter" in args:
        with open(args["counter"], "a", encoding="utf-8") as counter:
            counter.write("ran\n")
    mode = args.get("mode", "ok")
    if mode == "fail":
        print("the component failed on purpose", file=sys.stderr)
        return 3
    if mode == "detach":
        sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
        grandchild = subprocess.Popen(sleeper, start_new_session=True)
        Path(f"{args['counter']}.pid").write_text(str(grandchild.pid))
    if mode in ("sleep", "detach"):
        time.sleep(600)
    inputs = {
        key[len("in.") :]: (Path(path) / "data.txt").read_text()
        for key, path in args.items()
        if key.startswith("in.")
    }
    for key, path in args.items():
        if key.startswith("out."):
            Path(path).mkdir(parents=True, exist_ok=True)
            (Path(path) / "data.txt").write_text(f"n={args.get('data.n')}")
    if "hydra.run.dir" in args:
        Path(args["hydra.run.dir"]).mkdir(parents=True, exist_ok=True)
        (Path(args["hydra.run.dir"]) / "main.log").write_text("done\n")
    if RETURN_VALUE_KEY in args:
        value = {"lr": args.get("optim.lr"), "inputs": inputs}
        Path(args[RETURN_VALUE_KEY]).write_text(json.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
