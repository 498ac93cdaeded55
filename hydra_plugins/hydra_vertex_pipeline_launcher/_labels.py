"""Vertex AI label rules: keys and values of at most 63 lowercase letters, digits, '_' and '-';
keys start with a letter."""

import re

MAX_LABEL_LENGTH = 63
# Vertex takes 64 labels a job; it adds a billing label, the launcher 4 (sweep id, job num, app,
# job digest) and one more with an experiment
MAX_LABELS = 64
RESERVED_LABELS = 5
_INVALID = re.compile(r"[^a-z0-9_-]+")


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
