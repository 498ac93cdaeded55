"""What runs on this machine, read from /proc (Linux)."""


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (killed, not yet reaped: it runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
