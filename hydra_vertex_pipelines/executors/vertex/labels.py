"""The labels the launcher puts on every job, and Vertex AI's label rules applied to the user's."""

import dataclasses
import re
from dataclasses import dataclass

from ...vertex_facts import MAX_LABEL_LENGTH, MAX_LABELS

# The launcher's label keys hold underscores: label keys may hold lowercase letters, digits, `_`
# and `-` (https://cloud.google.com/resource-manager/docs/labels-overview), and a List filter
# names one as `labels.<key>` (AIP-160), where every public example and the API reference
# (`labels.env = "prod"`) uses a plain identifier; no public example shows a hyphen there.
SWEEP_LABEL = "hydra_sweep_id"
JOB_NUM_LABEL = "hydra_job_num"
APP_LABEL = "hydra_app"
# hash of what the job runs: a job id that exists already is only adopted if this matches
DIGEST_LABEL = "hydra_job_digest"
# 1, or the how-manieth submission of the job after earlier ones failed (resume=true)
ATTEMPT_LABEL = "hydra_attempt"
# the Vertex AI Experiments name, when one is set (runs are not associated through the
# metadata service)
EXPERIMENT_LABEL = "hydra_experiment"


@dataclass(frozen=True)
class LabelKeys:
    """The keys of the labels the launcher puts on a sweep's jobs: a sweep keeps the keys its
    first jobs were created with (its manifest says which), so that one List finds them all."""

    sweep: str
    job_num: str
    app: str
    digest: str
    attempt: str
    experiment: str

    def on_every_job(self) -> tuple[str, ...]:
        return (self.sweep, self.job_num, self.app, self.digest, self.attempt)


LAUNCHER_LABELS = LabelKeys(
    SWEEP_LABEL, JOB_NUM_LABEL, APP_LABEL, DIGEST_LABEL, ATTEMPT_LABEL, EXPERIMENT_LABEL
)
# the keys of sweeps launched by earlier versions, whose manifests record no label keys
HYPHENATED_LABELS = LabelKeys(
    *(key.replace("_", "-") for key in dataclasses.astuple(LAUNCHER_LABELS))
)


def label_keys(sweep_label: str | None) -> LabelKeys:
    """The label keys of a sweep whose manifest records `sweep_label` (None: an earlier
    version's manifest, hyphenated keys)."""
    return LAUNCHER_LABELS if sweep_label == LAUNCHER_LABELS.sweep else HYPHENATED_LABELS


_INVALID = re.compile(r"[^a-z0-9_-]+")


def room_for_user_labels(with_experiment: bool) -> int:
    """How many of the user's labels a job can carry beside Vertex's billing label and the
    launcher's own."""
    on_every_job = len(LAUNCHER_LABELS.on_every_job())
    return MAX_LABELS - 1 - on_every_job - (1 if with_experiment else 0)


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
