"""Cancelling jobs of a sweep by name, in parallel, each outcome recorded in the manifest.

A job whose create may or may not have landed is cancelled by name too: NOT_FOUND then means it
does not exist (once no create of it is in flight, it never will).
"""

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from google.api_core import exceptions
from requests import RequestException

from ...vertex_facts import job_id_of
from .client import VertexClient
from .manifest import NOT_CREATED, ManifestWriter
from .retry import GaveUp, RetryPolicy

log = logging.getLogger(__name__)

# how long a clean-up cancel keeps retrying: the user is waiting for the launcher to exit
CLEANUP_DEADLINE_S = 30.0
CANCELLING = "PIPELINE_STATE_CANCELLING"


def cleanup_client(client: VertexClient) -> VertexClient:
    """The client for cancels after an interrupt: not stopped by it, and a shorter deadline."""
    return client.with_policy(RetryPolicy(deadline_s=CLEANUP_DEADLINE_S, max_backoff_s=5.0))


def cancel_job(client: VertexClient, manifest: ManifestWriter, sweep: str, name: str) -> str:
    """Cancel one job; what happened: cancelling, finished, not created or failed."""
    jid = job_id_of(name)
    try:
        asked = client.cancel(name)
    except exceptions.NotFound:
        manifest.state(sweep, jid, NOT_CREATED, "not found on Vertex AI when cancelled")
        return "not created"
    except (exceptions.GoogleAPICallError, RequestException, GaveUp) as e:
        log.error(f"Could not cancel {name}: {e}")
        return "failed"
    if not asked:
        return "finished"
    manifest.state(sweep, jid, CANCELLING)
    return "cancelling"


def cancel_jobs(
    client: VertexClient,
    manifest: ManifestWriter,
    sweep: str,
    names: Sequence[str],
    max_workers: int,
) -> list[str]:
    """Cancel the jobs, `max_workers` at a time; each one's outcome, in order."""
    if not names:
        return []
    with ThreadPoolExecutor(max_workers, thread_name_prefix="vertex-cancel") as pool:
        return list(pool.map(lambda name: cancel_job(client, manifest, sweep, name), names))
