"""The state machines of projects, jobs and uploads, as explicit transition tables.

Every status change goes through `check_*_transition` first; a move the table does not
list is a Conflict (409, code `illegal_transition`). The services apply the change with a
conditional UPDATE or under a row lock, so a concurrent change is caught too."""

from config.errors import Conflict
from jobs.models import Job, Project, YouTubeUpload

P = Project.Status
J = Job.Status
U = YouTubeUpload.Status

PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    # submit
    P.DRAFT: frozenset({P.PENDING_REVIEW}),
    # approve (its full_generation job is queued) or reject (back to the owner)
    P.PENDING_REVIEW: frozenset({P.QUEUED, P.DRAFT}),
    # a worker starts the job, or the job fails or is cancelled before it starts
    P.QUEUED: frozenset({P.GENERATING, P.FAILED}),
    P.GENERATING: frozenset({P.COMPLETED, P.FAILED}),
    # uploaded to YouTube
    P.COMPLETED: frozenset({P.PUBLISHED}),
    # edited and submitted again, or its job retried
    P.FAILED: frozenset({P.PENDING_REVIEW, P.QUEUED}),
    P.PUBLISHED: frozenset(),
}

# Projects the owner may edit.
PROJECT_EDITABLE = frozenset({P.DRAFT, P.FAILED})
# Projects with a live full_generation job: they cannot be deleted.
PROJECT_BUSY = frozenset({P.QUEUED, P.GENERATING})

JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    # a worker claims it; the owner cancels it before it starts
    J.QUEUED: frozenset({J.PROCESSING, J.CANCELLED}),
    # done; failed for good; stopped at a cancel point; requeued for a retry
    J.PROCESSING: frozenset({J.COMPLETED, J.FAILED, J.CANCELLED, J.QUEUED}),
    # retried by the owner (or staff) while retries remain
    J.FAILED: frozenset({J.QUEUED}),
    J.COMPLETED: frozenset(),
    J.CANCELLED: frozenset(),
}

UPLOAD_TRANSITIONS: dict[str, frozenset[str]] = {
    U.QUEUED: frozenset({U.UPLOADING, U.FAILED}),
    U.UPLOADING: frozenset({U.COMPLETED, U.FAILED}),
    U.COMPLETED: frozenset(),
    U.FAILED: frozenset(),
}


def _check(table: dict[str, frozenset[str]], kind: str, current: str, target: str) -> None:
    if target not in table.get(current, frozenset()):
        raise Conflict(
            f"A {current} {kind} cannot become {target}.",
            code="illegal_transition",
            current_status=current,
            target_status=target,
        )


def check_project_transition(current: str, target: str) -> None:
    _check(PROJECT_TRANSITIONS, "project", current, target)


def check_job_transition(current: str, target: str) -> None:
    _check(JOB_TRANSITIONS, "job", current, target)


def check_upload_transition(current: str, target: str) -> None:
    _check(UPLOAD_TRANSITIONS, "upload", current, target)
