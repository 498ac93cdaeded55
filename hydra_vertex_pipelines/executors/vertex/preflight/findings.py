"""What a preflight check found: fine (a word for the summary), a warning, or a problem with its
fix, which refuses the sweep."""

import enum
from dataclasses import dataclass

# seconds one request of a check may take
REQUEST_TIMEOUT_S = 5.0


class Outcome(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    # what was checked: credentials, project, bucket, image
    check: str
    outcome: Outcome
    # OK: what was found; WARNING: what may go wrong; PROBLEM: what is wrong and the fix
    text: str


def ok(check: str, text: str) -> Finding:
    return Finding(check, Outcome.OK, text)


def warning(check: str, text: str) -> Finding:
    return Finding(check, Outcome.WARNING, text)


def problem(check: str, text: str) -> Finding:
    return Finding(check, Outcome.PROBLEM, text)
