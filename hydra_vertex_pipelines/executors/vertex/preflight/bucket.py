"""The pipeline root's bucket: it exists, is where Vertex AI runs the pipelines (the region, or a
multi- or dual-region that holds it) and can be written (a small object written and deleted)."""

import uuid

from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud.storage import Bucket
from google.cloud.storage import Client as StorageClient

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ....vertex_facts import split_gs_uri
from ..retry import describe, is_retryable
from .findings import REQUEST_TIMEOUT_S, Finding, Outcome, ok, problem, warning

# Cloud Storage's multi-regions and predefined dual-regions, and the regions they hold
# (https://cloud.google.com/storage/docs/locations); a custom dual-region lists its own
# (customPlacementConfig.dataLocations)
MULTI_REGIONS = {"us": ("us-",), "eu": ("europe-",), "asia": ("asia-",)}
# in Europe but outside the EU multi-region (London, Zurich)
OUTSIDE_EU = frozenset({"europe-west2", "europe-west6"})
DUAL_REGIONS = {
    "asia1": ("asia-northeast1", "asia-northeast2"),
    "eur4": ("europe-north1", "europe-west4"),
    "eur5": ("europe-west1", "europe-west2"),
    "eur7": ("europe-west3", "europe-west10"),
    "eur8": ("europe-west3", "europe-west6"),
    "nam4": ("us-central1", "us-east1"),
}
PROBE_PREFIX = ".hydra-vertex-preflight-"


def holds_region(location: str, data_locations: list[str], region: str) -> bool:
    """Whether a bucket in `location` keeps its data in the region Vertex AI runs in."""
    location, region = location.lower(), region.lower()
    if data_locations:
        return region in {d.lower() for d in data_locations}
    if location == region:
        return True
    if location in MULTI_REGIONS:
        in_eu = location != "eu" or region not in OUTSIDE_EU
        return region.startswith(MULTI_REGIONS[location]) and in_eu
    return region in DUAL_REGIONS.get(location, ())


def _location_finding(bucket: Bucket, conf: VertexPipelineLauncherConf) -> Finding:
    name, region = bucket.name, conf.location
    location = str(bucket.location or "")
    data_locations = list(bucket.data_locations or [])
    where = f"{location}" + (f" ({', '.join(data_locations)})" if data_locations else "")
    if holds_region(location, data_locations, region):
        return ok("bucket", f"gs://{name} in {where.lower()}")
    # the aiplatform SDK cites Vertex's refusal: "The Cloud Storage bucket ... is in location
    # `us`. It must be in the same regional location as the service location `us-central1`."
    return problem(
        "bucket",
        f"gs://{name} is in {where}, not in {region} where the pipelines run: Vertex AI reads "
        f"and writes the pipeline root from {region}. Use a bucket there (`gcloud storage "
        f"buckets create gs://<name> --location={region}` and hydra.launcher.pipeline_root="
        f"gs://<name>/...), or set hydra.launcher.location to the bucket's region.",
    )


def _write_probe(bucket: Bucket, prefix: str, who: str) -> Finding | None:
    """A problem if a small object cannot be written and deleted under the root."""
    name = f"{prefix}/{PROBE_PREFIX}{uuid.uuid4().hex}".lstrip("/")
    blob = bucket.blob(name)
    try:
        blob.upload_from_string(b"", timeout=REQUEST_TIMEOUT_S, retry=None)
        blob.delete(timeout=REQUEST_TIMEOUT_S, retry=None)
    except exceptions.Forbidden as e:
        return problem(
            "bucket",
            f"{who} cannot write and delete objects in gs://{bucket.name} ({e.message}): grant "
            f"roles/storage.objectAdmin on the bucket (`gcloud storage buckets "
            f"add-iam-policy-binding gs://{bucket.name} --member=user:<you> "
            "--role=roles/storage.objectAdmin`); the pipelines' service account needs it too.",
        )
    return None


def check_bucket(
    conf: VertexPipelineLauncherConf, credentials: Credentials | None, who: str
) -> list[Finding]:
    """`credentials`: None for a storage emulator (STORAGE_EMULATOR_HOST), which gets none."""
    assert conf.pipeline_root is not None
    name, prefix = split_gs_uri(conf.pipeline_root)
    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
    client = StorageClient(project=conf.project, credentials=credentials or anonymous)
    findings: list[Finding] = []
    try:
        try:
            bucket = client.get_bucket(name, timeout=REQUEST_TIMEOUT_S, retry=None)
            findings.append(_location_finding(bucket, conf))
        except exceptions.NotFound:
            return [
                problem(
                    "bucket",
                    f"the pipeline root's bucket gs://{name} does not exist: create it "
                    f"(`gcloud storage buckets create gs://{name} --location={conf.location} "
                    "--uniform-bucket-level-access`) or correct hydra.launcher.pipeline_root.",
                )
            ]
        except exceptions.Forbidden:  # reading a bucket's metadata is storage.buckets.get
            bucket = client.bucket(name)
            text = f"{who} may not read gs://{name}'s metadata: its location was not checked"
            findings.append(warning("bucket", text))
        written = _write_probe(bucket, prefix, who)
    except Exception as e:  # every failure is a finding, none a crash
        if is_retryable(e):
            return [warning("bucket", f"Cloud Storage did not answer ({describe(e)})")]
        return [problem("bucket", f"gs://{name} cannot be checked: {type(e).__name__}: {e}")]
    finally:
        client.close()
    if written is not None:
        return [*findings, written]
    located = [f for f in findings if f.outcome == Outcome.OK]
    if located:  # one line: where it is, and that it is writable
        findings = [f for f in findings if f not in located]
        return [*findings, ok("bucket", f"{located[0].text}, writable")]
    return [*findings, ok("bucket", f"gs://{name} writable")]
