"""What every processor shares: its input (`JobSpec`), the progress callback, the errors
that tell the runner what to do next, and saving output files to Django's storage."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jobs.models import Job

# Reports progress (0-100) and heartbeat. It is also the cancel point: it raises
# JobCancelled when the owner asked to cancel, JobSuperseded when the job is no longer this
# worker's. Processors call it between steps.
Progress = Callable[[int], None]


class ProcessorError(Exception):
    """A final failure: the same input would fail again. The job fails, credits return."""


class TransientError(Exception):
    """A failure worth retrying later (network, 5xx, rate limit): the job is retried with
    backoff while retries remain."""


class JobCancelled(Exception):
    """Raised at a cancel point when the owner asked to cancel the job."""


class JobSuperseded(Exception):
    """Raised at a cancel point when the job was taken from this worker (requeued by the
    reaper, or finished): the worker stops without touching it."""


@dataclass(frozen=True)
class JobSpec:
    """What a processor works from: the job's type and parameters and its project's
    script. `inputs` carries earlier steps' results within a full generation."""

    job_id: int
    job_type: str
    parameters: dict[str, Any]
    title: str
    script: str
    style: str
    target_duration: int
    inputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_job(cls, job: Job) -> "JobSpec":
        project = job.project
        return cls(
            job_id=job.pk,
            job_type=job.job_type,
            parameters=dict(job.parameters),
            title=project.title,
            script=project.script,
            style=project.style,
            target_duration=project.target_duration,
        )

    def for_step(
        self, job_type: str, parameters: dict[str, Any], inputs: dict[str, Any]
    ) -> "JobSpec":
        return replace(self, job_type=job_type, parameters=parameters, inputs=inputs)


class Processor(Protocol):
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        """Do the work and return the job's `result` (JSON)."""
        ...


def save_file(job: JobSpec, name: str, content: bytes, content_type: str) -> dict[str, Any]:
    """Store a file a job produced under `jobs/<job id>/<name>` (replacing an earlier
    run's) and describe it for the job's result: storage path, URL, type and size."""
    path = f"jobs/{job.job_id}/{name}"
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(content))
    return {
        "path": saved,
        "url": default_storage.url(saved),
        "content_type": content_type,
        "size": len(content),
    }
