"""Reads of the jobs app."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from accounts.selectors import credential_get, credential_metadata, mask_token
from jobs.models import Job, Project, YouTubeUpload

J = Job.Status
STATS_WINDOW = timedelta(hours=24)
# The job types and statuses whose rows carry a finished film (in `result["video"]`).
VIDEO_JOB_TYPES = (Job.Type.FULL_GENERATION, Job.Type.VIDEO_COMPOSITION)


# --- projects -----------------------------------------------------------------------------


def project_list(*, user: User) -> QuerySet[Project]:
    """The user's projects (deleted ones excluded), newest first."""
    return Project.objects.filter(owner=user, deleted_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def project_get(*, user: User, project_id: int) -> Project | None:
    return project_list(user=user).filter(pk=project_id).first()


def moderation_queue() -> QuerySet[Project]:
    """Projects waiting for review, oldest submission first."""
    return (
        Project.objects.filter(status=Project.Status.PENDING_REVIEW, deleted_at__isnull=True)
        .select_related("owner")
        .order_by("submitted_at", "id")
    )


def project_get_for_staff(*, project_id: int, deleted: bool = False) -> Project | None:
    """Any project, for moderation (`deleted=True`: only a deleted one, to restore)."""
    return Project.objects.filter(pk=project_id, deleted_at__isnull=not deleted).first()


def project_video(*, project_id: int) -> dict[str, Any] | None:
    """The project's finished film: the `video` file of its latest completed full
    generation (or video composition) job, or None."""
    results = (
        Job.objects.filter(project_id=project_id, job_type__in=VIDEO_JOB_TYPES, status=J.COMPLETED)
        .order_by("-finished_at", "-id")
        .values_list("result", flat=True)
    )
    for result in results[:5]:
        video = (result or {}).get("video")
        if isinstance(video, dict) and video.get("path"):
            return video
    return None


# --- jobs ---------------------------------------------------------------------------------


def job_list(*, user: User) -> QuerySet[Job]:
    """The user's jobs, newest first."""
    return Job.objects.filter(user=user).order_by("-created_at", "-id")


def job_get(*, user: User, job_id: int) -> Job | None:
    return job_list(user=user).filter(pk=job_id).first()


@dataclass(frozen=True)
class GroupStats:
    key: str
    count: int
    average_duration_seconds: float | None


@dataclass(frozen=True)
class JobStats:
    window_start: datetime
    window_end: datetime
    by_status: list[GroupStats]
    by_type: list[GroupStats]
    queue_depth: dict[str, int]
    average_wait_seconds: float | None
    failure_rate: float | None


def _average(total: timedelta | None, count: int) -> float | None:
    if not count or total is None:
        return None
    return round(total.total_seconds() / count, 3)


def job_stats(*, now: datetime | None = None) -> JobStats:
    """Jobs created in the last 24 hours: counts and average run time (start to finish)
    by status and by type, average wait (queued to started), failure rate (failed among
    finished ones: completed, failed); and the current queue depth per priority.

    Two queries whatever the volume: one grouped by (status, type) with summed durations
    and waits, combined here; one counting queued jobs by priority."""
    now = now or timezone.now()
    start = now - STATS_WINDOW
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    wait = ExpressionWrapper(F("started_at") - F("queued_at"), output_field=DurationField())
    ran = Q(started_at__isnull=False, finished_at__isnull=False)
    started = Q(started_at__isnull=False, queued_at__isnull=False)
    rows = (
        Job.objects.filter(created_at__gte=start, created_at__lte=now)
        .values("status", "job_type")
        .annotate(
            count=Count("pk"),
            duration_total=Sum(duration, filter=ran),
            duration_count=Count("pk", filter=ran),
            wait_total=Sum(wait, filter=started),
            wait_count=Count("pk", filter=started),
        )
        .order_by()
    )
    by_status: dict[str, list[Any]] = {}
    by_type: dict[str, list[Any]] = {}
    wait_total, wait_count = timedelta(0), 0
    for row in rows:
        for groups, key in ((by_status, row["status"]), (by_type, row["job_type"])):
            entry = groups.setdefault(key, [0, timedelta(0), 0])
            entry[0] += row["count"]
            entry[1] += row["duration_total"] or timedelta(0)
            entry[2] += row["duration_count"]
        wait_total += row["wait_total"] or timedelta(0)
        wait_count += row["wait_count"]
    depth = dict(
        Job.objects.filter(status=J.QUEUED)
        .values_list("priority")
        .annotate(count=Count("pk"))
        .order_by()
    )
    finished = by_status.get(J.COMPLETED, [0])[0] + by_status.get(J.FAILED, [0])[0]
    failed = by_status.get(J.FAILED, [0])[0]

    def groups_of(groups: dict[str, list[Any]], order: list[str]) -> list[GroupStats]:
        return [
            GroupStats(
                key=key,
                count=groups[key][0],
                average_duration_seconds=_average(groups[key][1], groups[key][2]),
            )
            for key in order
            if key in groups
        ]

    return JobStats(
        window_start=start,
        window_end=now,
        by_status=groups_of(by_status, list(J.values)),
        by_type=groups_of(by_type, list(Job.Type.values)),
        queue_depth={
            "high": depth.get(Job.Priority.HIGH, 0),
            "normal": depth.get(Job.Priority.NORMAL, 0),
            "low": depth.get(Job.Priority.LOW, 0),
        },
        average_wait_seconds=_average(wait_total, wait_count),
        failure_rate=round(failed / finished, 4) if finished else None,
    )


def job_counts_by_status() -> dict[str, int]:
    """Every job ever, counted by status (every status present, zero when none)."""
    counts = dict(Job.objects.values_list("status").annotate(count=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in J.values}


# --- YouTube ------------------------------------------------------------------------------


@dataclass(frozen=True)
class YouTubeConnection:
    connected: bool
    channel_id: str | None = None
    channel_title: str | None = None
    scopes: list[str] | None = None
    token_hint: str | None = None
    expires_at: datetime | None = None
    connected_at: datetime | None = None


def youtube_connection(*, user: User) -> YouTubeConnection:
    credential = credential_get(user=user, provider="youtube")
    if credential is None:
        return YouTubeConnection(connected=False)
    return YouTubeConnection(
        connected=True,
        channel_id=credential.extra.get("channel_id") or None,
        channel_title=credential.extra.get("channel_title") or None,
        scopes=list(credential.scopes),
        token_hint=mask_token(credential.token_hint),
        expires_at=credential.expires_at,
        connected_at=credential.created_at,
    )


def upload_get(*, user: User, upload_id: int) -> YouTubeUpload | None:
    return YouTubeUpload.objects.filter(user=user, pk=upload_id).first()


def personal_data_export(*, user: User) -> dict[str, Any]:
    """The jobs section of a user's data export: projects (deleted ones too), jobs, YouTube
    uploads and the YouTube connection (null when none; its token's last four characters
    only, nothing decrypted), one query each."""
    credential = credential_metadata(user=user, provider="youtube")
    connection = None
    if credential is not None:
        connection = {
            "channel_id": credential["extra"].get("channel_id") or None,
            "channel_title": credential["extra"].get("channel_title") or None,
            "scopes": credential["scopes"],
            "last_four": credential["token_hint"],
            "expires_at": credential["expires_at"],
            "connected_at": credential["created_at"],
        }
    return {
        "projects": list(
            Project.objects.filter(owner_id=user.pk)
            .order_by("id")
            .values(
                "id",
                "title",
                "script",
                "style",
                "target_duration",
                "status",
                "submitted_at",
                "review_decision",
                "review_reason",
                "reviewed_at",
                "deleted_at",
                "created_at",
                "updated_at",
            )
        ),
        "jobs": list(
            Job.objects.filter(user_id=user.pk)
            .order_by("id")
            .values(
                "id",
                "project_id",
                "job_type",
                "parameters",
                "priority",
                "status",
                "progress",
                "result",
                "error",
                "retry_count",
                "credit_cost",
                "queued_at",
                "started_at",
                "finished_at",
                "created_at",
            )
        ),
        "youtube_uploads": list(
            YouTubeUpload.objects.filter(user_id=user.pk)
            .order_by("id")
            .values(
                "id",
                "project_id",
                "title",
                "description",
                "privacy_status",
                "playlist_id",
                "status",
                "video_id",
                "error",
                "created_at",
                "finished_at",
            )
        ),
        "youtube_connection": connection,
    }
