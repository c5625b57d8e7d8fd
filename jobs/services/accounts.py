"""What a closed account leaves behind in the jobs app: its running work is stopped and
paid back, its projects disappear, its pending uploads and YouTube connection attempts go."""

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from jobs import queues
from jobs.models import Job, Project, YouTubeOAuthState, YouTubeUpload
from jobs.services.jobs import job_finish, lock_job
from jobs.states import check_upload_transition

J = Job.Status
U = YouTubeUpload.Status
CLOSED = "Cancelled: the account was closed."


@dataclass(frozen=True)
class ClosedAccountResult:
    jobs_cancelled: int
    projects_deleted: int
    uploads_failed: int


@transaction.atomic
def work_cancel_for_closed_account(*, user: User) -> ClosedAccountResult:
    """The user's account was closed (`accounts.signals.user_deleted`, in its transaction):

    - queued and processing jobs are cancelled now and their credit holds released. A
      processing job's worker finds its run superseded at its next progress report and
      stops without touching the job (see `execution`), so nothing is settled twice;
    - every project is soft-deleted (the rows stay: jobs and the ledger refer to them);
    - queued YouTube uploads fail, and started YouTube connections are forgotten.

    Safe to run again: a second call finds nothing left to cancel."""
    job_ids = list(
        Job.objects.filter(user_id=user.pk, status__in=[J.QUEUED, J.PROCESSING])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cancelled = 0
    for job_id in job_ids:
        job = lock_job(job_id)
        if job.status not in (J.QUEUED, J.PROCESSING):
            continue
        job_finish(job, J.CANCELLED, error=CLOSED)
        transaction.on_commit(partial(queues.revoke, job.celery_task_id))
        cancelled += 1
    now = timezone.now()
    projects_deleted = Project.objects.filter(owner_id=user.pk, deleted_at__isnull=True).update(
        deleted_at=now, updated_at=now
    )
    check_upload_transition(U.QUEUED, U.FAILED)
    uploads_failed = YouTubeUpload.objects.filter(user_id=user.pk, status=U.QUEUED).update(
        status=U.FAILED, error="The account was closed.", finished_at=now, updated_at=now
    )
    YouTubeOAuthState.objects.filter(user_id=user.pk).delete()
    return ClosedAccountResult(
        jobs_cancelled=cancelled, projects_deleted=projects_deleted, uploads_failed=uploads_failed
    )
