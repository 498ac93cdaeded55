"""The labels the launcher puts on every job, and Vertex AI's label rules applied to the user's."""

import re

from ...vertex_facts import MAX_LABEL_LENGTH, MAX_LABELS

SWEEP_LABEL = "hydra-sweep-id"
JOB_NUM_LABEL = "hydra-job-num"
APP_LABEL = "hydra-app"
# hash of what the job runs: a job id that exists already is only adopted if this matches
DIGEST_LABEL = "hydra-job-digest"
# 1, or the how-manieth submission of the job after earlier ones failed (resume=true)
ATTEMPT_LABEL = "hydra-attempt"
# on every job
LAUNCHER_LABELS = (SWEEP_LABEL, JOB_NUM_LABEL, APP_LABEL, DIGEST_LABEL, ATTEMPT_LABEL)
# the Vertex AI Experiments name, when one is set (runs are not associated through the
# metadata service)
EXPERIMENT_LABEL = "hydra-experiment"
_INVALID = re.compile(r"[^a-z0-9_-]+")


def room_for_user_labels(with_experiment: bool) -> int:
    """How many of the user's labels a job can carry beside Vertex's billing label and the
    launcher's own."""
    return MAX_LABELS - 1 - len(LAUNCHER_LABELS) - (1 if with_experiment else 0)


def sanitize_label(text: str) -> str:
    """The label text Vertex accepts: lowercased, other characters turned into '-', cut to 63."""
    return _INVALID.sub("-", text.lower())[:MAX_LABEL_LENGTH]


def label_problem(key: str, value: str) -> str | None:
    """Why a label cannot be made valid, or None."""
    clean_key = sanitize_label(key)
    if not clean_key or not clean_key[0].isalpha():
        return f"label key {key!r} must start with a letter; rename it."
    for what, text in (("key", key), ("value", str(value))):
        if len(text) > MAX_LABEL_LENGTH:
            return (
                f"the label {what} has {len(text)} characters and labels have at most "
                f"{MAX_LABEL_LENGTH}; shorten it."
            )
    return None


def sanitize_labels(labels: dict[str, str]) -> dict[str, str]:
    return {sanitize_label(k): sanitize_label(str(v)) for k, v in labels.items()}
