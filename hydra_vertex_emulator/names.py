"""Resource names: `projects/{number}/locations/{location}/pipelineJobs/{id}` and friends."""

import hashlib
import re
import secrets

# what Vertex accepts as pipelineJobId
JOB_ID = re.compile(r"^[a-z][-a-z0-9]{0,127}$")


def project_number(project: str) -> str:
    """Vertex answers with the project NUMBER in names; a project id maps to a stable fake one."""
    if project.isdigit():
        return project
    digest = hashlib.sha256(project.encode()).digest()
    return str(10**11 + int.from_bytes(digest[:8], "big") % (9 * 10**11))


def parent_name(project: str, location: str) -> str:
    return f"projects/{project_number(project)}/locations/{location}"


def job_name(parent: str, job_id: str) -> str:
    return f"{parent}/pipelineJobs/{job_id}"


def generated_job_id() -> str:
    """The id of a job created without pipelineJobId (Vertex makes a numeric one)."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def metadata_name(parent: str, collection: str, resource_id: int | str) -> str:
    """An ML Metadata resource: collection is executions, artifacts or contexts."""
    return f"{parent}/metadataStores/default/{collection}/{resource_id}"
