"""Jobs: creation (validated, priced and paid with a credit hold, in one transaction),
dispatch to the priority queues after commit, cancel and retry, the dispatch sweep and the
stuck-job reaper.

Money: a queued job holds its cost (`job:<id>:hold`, or `job:<id>:hold:<retry_count>` for
a retry after a failure). Completion captures it (`job:<id>:capture`); a final failure or
a cancel releases it (`job:<id>:release:<hold id>`). Automatic retries keep the hold.

Dispatch: a job is published at most once per run. `job_dispatch` claims the run with a
conditional UPDATE of `dispatched_at` before publishing and gives the claim back when the
broker is unreachable, so the on-commit dispatch and the sweep never both publish it; the
task claims the job itself (`queued` → `processing`), so a duplicate message does nothing.

Lock order, everywhere: the job row, then its project, then the credit account (locked by
the credits services)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from credits import services as credits_services
from jobs import queues, signals
from jobs.models import Job, Project
from jobs.parameters import validate_parameters
from jobs.states import check_job_transition, check_project_transition

logger = logging.getLogger(__name__)

J = Job.Status
P = Project.Status
SWEEP_BATCH_SIZE = 500
REAP_BATCH_SIZE = 200
# What a finished job makes of its project (full_generation jobs only).
PROJECT_STATUS_AFTER: dict[str, str] = {
    J.COMPLETED: P.COMPLETED,
    J.FAILED: P.FAILED,
    J.CANCELLED: P.FAILED,
}


# --- pricing and priority -----------------------------------------------------------------


def job_cost(job_type: str) -> int:
    """Credits a job of this type costs (JOBS_COST_PER_TYPE; 1 when not listed)."""
    return int(settings.JOBS_COST_PER_TYPE.get(job_type, 1))


def job_priority_resolve(*, owner: User, acting_user: User, requested: int | None) -> int:
    """The priority of a new job: the owner's tier default unless another is asked for.
    Lowering it is anyone's choice; raising it above the tier's is for staff only."""
    default = credits_services.tier_default_priority(owner.tier)
    if requested is None:
        return default
    if requested not in Job.Priority.values:
        raise ValidationFailed(
            "Invalid input: priority.", errors={"priority": ["1 (low), 2 (normal) or 3 (high)."]}
        )
    if requested > default and not acting_user.is_staff:
        raise PermissionDenied(
            "Only staff may raise a job above its tier's priority.",
            code="priority_above_tier",
            tier_priority=default,
        )
    return requested


def retry_countdown(retry_count: int) -> int:
    """Seconds before automatic retry number `retry_count + 1`: doubling, capped."""
    base = settings.JOBS_RETRY_BACKOFF
    return int(min(base * 2**retry_count, settings.JOBS_RETRY_BACKOFF_MAX))


# --- internals shared with the runner -----------------------------------------------------


def lock_job(job_id: int) -> Job:
    """Lock the job's row for the rest of the transaction. The one place jobs are locked."""
    try:
        return Job.objects.select_for_update().get(pk=job_id)
    except Job.DoesNotExist:
        raise NotFound("Job not found.") from None


def project_follow(job: Job, target: str, *, strict: bool) -> None:
    """Move a full_generation job's project along with the job. `strict` (a user's action)
    turns an illegal move into a 409; otherwise (a worker settling a job) it is logged and
    skipped, so the job and its credits still settle."""
    if job.job_type != Job.Type.FULL_GENERATION:
        return
    project = Project.objects.select_for_update().get(pk=job.project_id)
    if project.status == target:
        return
    try:
        check_project_transition(project.status, target)
    except Conflict:
        if strict:
            raise
        logger.error(
            "project %s of job %s is %s and cannot become %s; left as is",
            project.pk,
            job.pk,
            project.status,
            target,
        )
        return
    project.status = target
    project.save(update_fields=["status", "updated_at"])


def _hold(job: Job, *, owner: User, idempotency_key: str) -> None:
    if job.credit_cost == 0:
        job.credit_hold = None
        return
    credit_hold = credits_services.hold(
        user=owner,
        amount=job.credit_cost,
        reference=f"job:{job.pk}",
        idempotency_key=idempotency_key,
        reason=f"{job.get_job_type_display()} job {job.pk}",
    )
    job.credit_hold_id = credit_hold.pk


def _capture(job: Job) -> None:
    if job.credit_hold_id is not None:
        credits_services.capture(
            hold_id=job.credit_hold_id,
            idempotency_key=f"job:{job.pk}:capture",
            reason=f"{job.get_job_type_display()} job {job.pk} completed",
        )


def _release(job: Job, reason: str) -> None:
    if job.credit_hold_id is not None:
        credits_services.release(
            hold_id=job.credit_hold_id,
            idempotency_key=f"job:{job.pk}:release:{job.credit_hold_id}",
            reason=reason,
        )


def _notify_finished(job: Job, status: str) -> None:
    """Tell the owner their job completed or failed for good (not when they cancelled it),
    in the transaction that finished the run, so a run is announced once."""
    if status not in (J.COMPLETED, J.FAILED):
        return
    data: dict[str, Any] = {
        "job_id": job.pk,
        "job_type": job.job_type,
        "project_id": job.project_id,
        "job_name": f"{job.get_job_type_display()} job {job.pk}",
    }
    if status == J.COMPLETED:
        notify(user=job.user, type=Notification.Type.JOB_FINISHED, data=data)
    else:
        data["error"] = job.error[:300]
        data["refunded_credits"] = job.credit_cost if job.credit_hold_id is not None else 0
        notify(user=job.user, type=Notification.Type.JOB_FAILED, data=data)


def job_finish(
    job: Job, status: str, *, error: str = "", result: dict[str, Any] | None = None
) -> None:
    """End a locked job's run as completed, failed or cancelled: settle its hold (capture
    on completion, release otherwise), move its project along, and announce it after
    commit (`signals.job_finished`)."""
    check_job_transition(job.status, status)
    now = timezone.now()
    job.status = status
    job.finished_at = now
    job.error = error
    fields = ["status", "finished_at", "error", "updated_at"]
    if status == J.COMPLETED:
        job.progress = 100
        job.result = result or {}
        fields += ["progress", "result"]
    elif status == J.FAILED:
        job.failed_at = now
        fields.append("failed_at")
    job.save(update_fields=fields)
    project_follow(job, PROJECT_STATUS_AFTER[status], strict=False)
    if status == J.COMPLETED:
        _capture(job)
    else:
        _release(job, reason=f"{job.get_job_type_display()} job {job.pk} {status}")
    _notify_finished(job, status)
    transaction.on_commit(
        partial(
            signals.job_finished.send,
            sender=Job,
            job_id=job.pk,
            user_id=job.user_id,
            status=status,
        )
    )


def job_requeue(job: Job, *, error: str, countdown: int = 0) -> None:
    """Put a locked processing job back in its queue for another run (an automatic retry
    or the reaper), keeping its hold; published after commit, `countdown` seconds later."""
    check_job_transition(job.status, J.QUEUED)
    job.status = J.QUEUED
    job.retry_count += 1
    job.progress = 0
    job.error = error
    job.queued_at = timezone.now()
    job.dispatched_at = None
    job.heartbeat_at = None
    job.save(
        update_fields=[
            "status",
            "retry_count",
            "progress",
            "error",
            "queued_at",
            "dispatched_at",
            "heartbeat_at",
            "updated_at",
        ]
    )
    transaction.on_commit(
        partial(job_dispatch, job_id=job.pk, priority=job.priority, countdown=countdown)
    )


def _check_actor(job: Job, acting_user: User) -> None:
    if job.user_id != acting_user.pk and not acting_user.is_staff:
        raise NotFound("Job not found.")


def _audit_staff_action(job: Job, acting_user: User, action: str, before: dict[str, Any]) -> None:
    """Staff acting on someone else's job leave an audit record."""
    if acting_user.is_staff and job.user_id != acting_user.pk:
        audit_record(
            actor=acting_user,
            action=action,
            target=job,
            before=before,
            after=_snapshot(job),
        )


def _snapshot(job: Job) -> dict[str, Any]:
    return {
        "status": job.status,
        "retry_count": job.retry_count,
        "cancel_requested": job.cancel_requested,
        "credit_hold_id": job.credit_hold_id,
    }


# --- creation and dispatch ----------------------------------------------------------------


def job_create_for_project(
    *,
    project: Project,
    owner: User,
    job_type: str,
    parameters: dict[str, Any],
    priority: int,
) -> Job:
    """Create a queued job, hold its cost from the owner's credits (InsufficientCredits:
    402, and the caller's transaction leaves no job) and dispatch it after commit.
    Call inside a transaction, with validated parameters and a resolved priority."""
    job = Job.objects.create(
        project=project,
        user=owner,
        job_type=job_type,
        parameters=parameters,
        priority=priority,
        status=J.QUEUED,
        credit_cost=job_cost(job_type),
        max_retries=settings.JOBS_MAX_RETRIES,
        queued_at=timezone.now(),
    )
    _hold(job, owner=owner, idempotency_key=f"job:{job.pk}:hold")
    job.save(update_fields=["credit_hold", "updated_at"])
    transaction.on_commit(partial(job_dispatch, job_id=job.pk, priority=job.priority))
    return job


@transaction.atomic
def job_create(
    *,
    user: User,
    project_id: int,
    job_type: str,
    parameters: dict[str, Any] | None = None,
    priority: int | None = None,
) -> Job:
    """A job on one of the user's projects, paid with the user's credits.

    400 for an unknown type or bad parameters, 404 for a project that is not the user's,
    403 for a priority above the tier's (unless staff), 402 when credits are short.
    full_generation jobs are not created here: staff approval of the project queues them."""
    clean = validate_parameters(job_type, parameters)
    if job_type == Job.Type.FULL_GENERATION:
        raise ValidationFailed(
            "Invalid input: job_type.",
            errors={
                "job_type": [
                    "A full generation is queued when staff approve the project; "
                    "submit the project for review."
                ]
            },
        )
    project = Project.objects.filter(pk=project_id, owner=user, deleted_at__isnull=True).first()
    if project is None:
        raise NotFound("Project not found.", code="project_not_found")
    resolved = job_priority_resolve(owner=user, acting_user=user, requested=priority)
    return job_create_for_project(
        project=project, owner=user, job_type=job_type, parameters=clean, priority=resolved
    )


def job_dispatch(
    *,
    job_id: int,
    priority: int,
    countdown: int = 0,
    dispatched_at: datetime | None = None,
) -> bool:
    """Publish a queued job's run, once: claim it (`dispatched_at` still null, or still
    the stale value `dispatched_at` the sweep saw) with a conditional UPDATE, then publish.
    When the broker is unreachable the claim is given back for the sweep. Returns whether
    this call published the run. Call outside any transaction (after commit)."""
    now = timezone.now()
    task_id = str(uuid.uuid4())
    claimable = Job.objects.filter(pk=job_id, status=J.QUEUED)
    if dispatched_at is None:
        claimable = claimable.filter(dispatched_at__isnull=True)
    else:
        claimable = claimable.filter(dispatched_at=dispatched_at)
    if not claimable.update(dispatched_at=now, celery_task_id=task_id):
        return False
    try:
        queues.publish(job_id=job_id, priority=priority, task_id=task_id, countdown=countdown)
    except queues.PublishFailed as exc:
        logger.warning("job %s not dispatched (%s); the sweep will retry", job_id, exc)
        Job.objects.filter(pk=job_id, celery_task_id=task_id, dispatched_at=now).update(
            dispatched_at=None
        )
        return False
    return True


def jobs_dispatch_sweep() -> int:
    """Publish queued jobs that were committed but never dispatched (the broker was down,
    or the process died before publishing) for longer than JOBS_DISPATCH_GRACE, and again
    those dispatched longer than JOBS_REDISPATCH_AFTER ago and still queued (their message
    was lost). Safe to run concurrently: each job is claimed by `job_dispatch`."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.JOBS_DISPATCH_GRACE)
    stale = now - timedelta(seconds=settings.JOBS_REDISPATCH_AFTER)
    candidates = list(
        Job.objects.filter(status=J.QUEUED)
        .filter(Q(dispatched_at__isnull=True, queued_at__lt=grace) | Q(dispatched_at__lt=stale))
        .order_by("-priority", "queued_at", "pk")
        .values_list("pk", "priority", "dispatched_at")[:SWEEP_BATCH_SIZE]
    )
    published = 0
    for job_id, priority, dispatched_at in candidates:
        if job_dispatch(job_id=job_id, priority=priority, dispatched_at=dispatched_at):
            published += 1
    if candidates:
        logger.info("dispatch sweep: %d of %d jobs published", published, len(candidates))
    return published


# --- cancel and retry ---------------------------------------------------------------------


@transaction.atomic
def job_cancel(*, job: Job, acting_user: User) -> Job:
    """Cancel a job. A queued job is cancelled now: its hold is released and its published
    run revoked. A processing job is flagged; its worker stops at the next cancel point and
    releases the hold. Anything else is a 409."""
    job = lock_job(job.pk)
    _check_actor(job, acting_user)
    before = _snapshot(job)
    if job.status == J.QUEUED:
        job_finish(job, J.CANCELLED, error="Cancelled before it started.")
        transaction.on_commit(partial(queues.revoke, job.celery_task_id))
    elif job.status == J.PROCESSING:
        if not job.cancel_requested:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested", "updated_at"])
    else:
        raise Conflict(f"A {job.status} job cannot be cancelled.", code="job_not_cancellable")
    _audit_staff_action(job, acting_user, "job.cancel", before)
    return job


@transaction.atomic
def job_retry(*, job: Job, acting_user: User) -> Job:
    """Queue a failed job again at the same priority, with a new hold
    (`job:<id>:hold:<retry_count>`). Only while `retry_count < max_retries` (409 after);
    a full generation also needs its project to be still failed (409 `project_not_failed`:
    an edited, resubmitted project waits for a new approval)."""
    job = lock_job(job.pk)
    _check_actor(job, acting_user)
    if job.status != J.FAILED:
        raise Conflict(f"A {job.status} job cannot be retried.", code="job_not_failed")
    if job.retry_count >= job.max_retries:
        raise Conflict(
            f"The job was already retried {job.retry_count} times (the limit).",
            code="retries_exhausted",
            retry_count=job.retry_count,
            max_retries=job.max_retries,
        )
    project = Project.objects.get(pk=job.project_id)
    if project.deleted_at is not None:
        raise Conflict("The job's project was deleted.", code="project_deleted")
    if job.job_type == Job.Type.FULL_GENERATION and project.status != P.FAILED:
        # Only the failed generation itself may be queued again: a project that went back
        # to its owner (edited, resubmitted) needs a new approval.
        raise Conflict(
            f"The project is {project.status}; only a failed project's generation can be retried.",
            code="project_not_failed",
            project_status=project.status,
        )
    before = _snapshot(job)
    check_job_transition(job.status, J.QUEUED)
    project_follow(job, P.QUEUED, strict=True)
    job.status = J.QUEUED
    job.retry_count += 1
    job.progress = 0
    job.error = ""
    job.result = {}
    job.cancel_requested = False
    job.queued_at = timezone.now()
    job.dispatched_at = None
    job.heartbeat_at = None
    job.finished_at = None
    job.failed_at = None
    _hold(job, owner=job.user, idempotency_key=f"job:{job.pk}:hold:{job.retry_count}")
    job.save()
    transaction.on_commit(partial(job_dispatch, job_id=job.pk, priority=job.priority))
    _audit_staff_action(job, acting_user, "job.retry", before)
    return job


# --- the reaper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReapResult:
    requeued: int = 0
    failed: int = 0
    cancelled: int = 0


def _stuck(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=settings.JOBS_STUCK_TIMEOUT)
    return Q(status=J.PROCESSING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


@transaction.atomic
def _reap_one(job_id: int, now: datetime) -> str | None:
    job = lock_job(job_id)
    if not Job.objects.filter(_stuck(now), pk=job_id).exists():
        return None  # it reported progress or finished meanwhile
    silence = settings.JOBS_STUCK_TIMEOUT
    if job.cancel_requested:
        job_finish(job, J.CANCELLED, error="Cancelled; its worker had stopped responding.")
        return "cancelled"
    if job.retry_count < job.max_retries:
        job_requeue(job, error=f"The worker stopped responding for {silence} s; requeued.")
        return "requeued"
    job_finish(
        job,
        J.FAILED,
        error=f"The worker stopped responding for {silence} s and no retries remain.",
    )
    return "failed"


def jobs_reap_stuck() -> ReapResult:
    """Requeue (while retries remain) or fail jobs stuck in processing: no heartbeat for
    JOBS_STUCK_TIMEOUT seconds, because their worker died or hangs. A requeued job's old
    worker, should it wake up, finds its attempt superseded and stops. Each job is handled
    in its own transaction, re-checked under its lock."""
    now = timezone.now()
    stuck = list(
        Job.objects.filter(_stuck(now))
        .order_by("pk")
        .values_list("pk", flat=True)[:REAP_BATCH_SIZE]
    )
    counts = {"requeued": 0, "failed": 0, "cancelled": 0}
    for job_id in stuck:
        outcome = _reap_one(job_id, now)
        if outcome is not None:
            counts[outcome] += 1
    if stuck:
        logger.warning("reaper: %s", counts)
    return ReapResult(**counts)
