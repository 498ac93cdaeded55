"""PipelineService: create, get, list, cancel and delete PipelineJobs; operations of deletes."""

import itertools
import secrets
import threading
import time
from typing import Any

from hydra_vertex_pipelines.vertex_facts import BILLING_LABEL, TERMINAL_JOB_STATES

from .errors import failed_precondition, invalid_argument, not_found
from .executor import JobExecutor
from .filters import FilterError, matches, parse_filter
from .listing import ListingError, apply_read_mask, page_size_of, paginate
from .names import generated_job_id, job_name
from .protos import check_pipeline_job, check_pipeline_spec
from .resources import delete_operation_json, job_json, list_view
from .storage_paths import OutsideStorage, check_job_paths
from .store import JobRecord, JobStore
from .validate import (
    check_job_id,
    check_labels,
    check_spec,
    failure_policy,
    job_request,
    parameter_values,
    pipeline_root,
)


class PipelineService:
    def __init__(self, store: JobStore, executor: JobExecutor) -> None:
        self.store = store
        self.executor = executor
        self._lock = threading.Lock()
        self._operations: dict[str, dict[str, Any]] = {}
        self._operation_ids = itertools.count(1)

    def create(self, parent: str, job_id: str | None, body: Any) -> JobRecord:
        """Validate everything first: a refused request creates nothing."""
        request = job_request(body)
        if job_id:
            check_job_id(job_id)
        else:
            job_id = generated_job_id()
        check_labels(request.get("labels", {}))
        spec = request.get("pipelineSpec")
        check_spec(spec)
        assert isinstance(spec, dict)
        check_pipeline_job(body)
        check_pipeline_spec(spec)
        runtime_config = request["runtimeConfig"]
        root = pipeline_root(runtime_config)
        policy = failure_policy(runtime_config)
        values = parameter_values(spec, runtime_config)
        name = job_name(parent, job_id)
        try:
            check_job_paths(self.executor.storage_dir, name, root, spec, values)
        except OutsideStorage as e:
            raise invalid_argument(
                "The pipeline root, task keys, output names and /gcs/ parameter values must "
                f"stay inside the emulator's storage: {e}."
            ) from e
        request["labels"] = {**request.get("labels", {}), BILLING_LABEL: str(secrets.randbits(62))}
        now = time.time()
        record = JobRecord(
            name=name,
            parent=parent,
            job_id=job_id,
            request=request,
            parameter_values=values,
            failure_policy=policy,
            create_time=now,
            update_time=now,
        )
        self.store.add(record)
        created = self.store.get(record.name)  # as created: PENDING
        self.executor.submit(record.name)
        return created

    def get(self, name: str) -> JobRecord:
        return self.store.get(name)

    def list(
        self,
        parent: str,
        filter_text: str,
        order_by: str,
        page_size: str,
        page_token: str,
        read_mask: str,
    ) -> dict[str, Any]:
        """A ListPipelineJobsResponse: `pipelineJobs` (absent when none) and `nextPageToken`."""
        try:
            node = parse_filter(filter_text)
            jobs = [job_json(r) for r in self.store.in_parent(parent)]
            page = paginate(
                [job for job in jobs if matches(node, job)],
                order_by,
                page_size_of(page_size),
                page_token,
                query=f"{filter_text}\n{order_by}",
            )
        except (FilterError, ListingError) as e:
            raise invalid_argument(str(e)) from e
        out: dict[str, Any] = {}
        if page.jobs:
            masked = bool(read_mask.strip())
            listed = [list_view(job, masked) for job in page.jobs]
            out["pipelineJobs"] = [apply_read_mask(j, read_mask) if masked else j for j in listed]
        if page.next_page_token:
            out["nextPageToken"] = page.next_page_token
        return out

    def cancel(self, name: str) -> None:
        self.executor.cancel(name)

    def delete(self, name: str) -> dict[str, Any]:
        """Delete a finished job; the answer is the (already done) long-running operation."""
        record = self.store.get(name)
        if record.state not in TERMINAL_JOB_STATES:
            raise failed_precondition(
                f"Cannot delete PipelineJob {name} in state {record.state}: cancel it first."
            )
        self.store.remove(name)
        with self._lock:
            operation_name = f"{record.parent}/operations/{next(self._operation_ids)}"
            operation = delete_operation_json(operation_name, time.time())
            self._operations[operation_name] = operation
        return operation

    def get_operation(self, name: str) -> dict[str, Any]:
        with self._lock:
            if name not in self._operations:
                raise not_found(f"Operation {name} does not exist.")
            return self._operations[name]
