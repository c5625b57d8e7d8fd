"""Writes of the videos app: videos added by hand, and YouTube playlist imports.

Positions are 0-based and kept dense: inserting, moving or removing a video shifts the
others, under the course row lock (`courses.services.course_lock`)."""

import hashlib
import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify
from config.celery import send_after_commit
from config.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)
from courses import selectors as course_selectors
from courses import services as course_services
from videos import youtube
from videos.models import PlaylistImport, Video

logger = logging.getLogger(__name__)

VIDEO_AUDIT_FIELDS = ("youtube_id", "title", "duration_seconds", "position", "is_available")
VIDEO_UPDATABLE_FIELDS = frozenset(
    {"title", "description", "duration_seconds", "position", "thumbnail", "is_available"}
)
IMPORT_SYNC_FIELDS = [
    "title",
    "description",
    "duration_seconds",
    "position",
    "thumbnail",
    "published_at",
    "is_available",
    "is_from_playlist",
    "updated_at",
]
BULK_BATCH_SIZE = 100
COURSE_CODE_MAX_LENGTH = 64  # courses.models.Course.code


def _snapshot(video: Video) -> dict[str, Any]:
    return {name: getattr(video, name) for name in VIDEO_AUDIT_FIELDS}


def _video_count(course_id: int) -> int:
    return Video.objects.filter(course_id=course_id).count()


@transaction.atomic
def video_create(
    *,
    course_id: int,
    acting_user: User,
    youtube_id: str,
    title: str,
    duration_seconds: int,
    position: int | None = None,
    description: str = "",
    thumbnail: str = "",
) -> Video:
    """Add a video by hand: appended, or inserted at `position` (clamped to the end) with
    the videos from there on moved one place down. 409 `duplicate_video` when the course
    already has it."""
    course_services.course_lock(course_id=course_id)
    if Video.objects.filter(course_id=course_id, youtube_id=youtube_id).exists():
        raise Conflict("This video is already in the course.", code="duplicate_video")
    count = _video_count(course_id)
    position = count if position is None else min(position, count)
    Video.objects.filter(course_id=course_id, position__gte=position).update(
        position=F("position") + 1
    )
    video = Video.objects.create(
        course_id=course_id,
        youtube_id=youtube_id,
        title=title,
        description=description,
        duration_seconds=duration_seconds,
        position=position,
        thumbnail=thumbnail,
    )
    audit_record(actor=acting_user, action="video.create", target=video, after=_snapshot(video))
    return video


@transaction.atomic
def video_update(*, video: Video, acting_user: User, data: dict[str, Any]) -> Video:
    """Edit a video; a new `position` moves it (clamped to the last place) and shifts the
    videos in between."""
    unknown = set(data) - VIDEO_UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            "Invalid input: " + ", ".join(sorted(unknown)) + ".",
            errors={name: ["This field cannot be changed."] for name in sorted(unknown)},
        )
    course_services.course_lock(course_id=video.course_id)
    video.refresh_from_db()
    before = _snapshot(video)
    if "position" in data:
        new = min(data.pop("position"), _video_count(video.course_id) - 1)
        old = video.position
        siblings = Video.objects.filter(course_id=video.course_id).exclude(pk=video.pk)
        if new < old:
            siblings.filter(position__gte=new, position__lt=old).update(position=F("position") + 1)
        elif new > old:
            siblings.filter(position__gt=old, position__lte=new).update(position=F("position") - 1)
        video.position = new
    for name, value in data.items():
        setattr(video, name, value)
    video.save()
    audit_record(
        actor=acting_user,
        action="video.update",
        target=video,
        before=before,
        after=_snapshot(video),
    )
    return video


@transaction.atomic
def video_delete(*, video: Video, acting_user: User) -> None:
    """Remove a video and close the gap in positions. Refused (409 `video_in_use`) when
    other records protect it; marking it unavailable keeps it instead."""
    course_id = video.course_id
    course_services.course_lock(course_id=course_id)
    video.refresh_from_db()
    audit_record(actor=acting_user, action="video.delete", target=video, before=_snapshot(video))
    try:
        with transaction.atomic():
            video.delete()
    except ProtectedError as exc:
        raise Conflict(
            "The video has watch history; mark it unavailable instead.", code="video_in_use"
        ) from exc
    Video.objects.filter(course_id=course_id, position__gt=video.position).update(
        position=F("position") - 1
    )


# --- playlist imports ---------------------------------------------------------------------


def _require_youtube() -> None:
    if not settings.YOUTUBE_API_KEY:
        raise ServiceUnavailable(
            "YouTube import is not configured (YOUTUBE_API_KEY).", code="youtube_not_configured"
        )


def _check_course_for_playlist(*, user: User, course_id: int | None, playlist_id: str) -> None:
    """The course to fill must be one the user manages and free for this playlist; without
    a course, a course already mirroring the playlist must be the user's."""
    if course_id is not None:
        access = course_selectors.course_access(user=user, course_id=course_id)
        if access is None:
            raise NotFound("Course not found.")
        if not access.is_manager:
            raise PermissionDenied(
                "Only the instructor or staff may fill this course.", code="not_course_manager"
            )
        course = access.course
        if course.playlist_id and course.playlist_id != playlist_id:
            raise Conflict(
                "The course already mirrors another playlist.", code="course_has_other_playlist"
            )
    else:
        course = None
    mirror = course_selectors.course_get_by_playlist(playlist_id=playlist_id)
    if mirror is None:
        return
    if course is not None and mirror.pk != course.pk:
        raise Conflict(
            "Another course already mirrors this playlist.", code="playlist_in_other_course"
        )
    if not course_selectors.course_is_managed_by(course=mirror, user=user):
        raise Conflict(
            "Another instructor's course already mirrors this playlist.",
            code="playlist_in_other_course",
        )


@transaction.atomic
def playlist_import_create(
    *, requested_by: User, playlist_url: str, course_id: int | None = None
) -> PlaylistImport:
    """Validate the playlist URL (or bare id) and the target course now, and record a
    queued import. Nothing is fetched yet: see `playlist_import_run`."""
    playlist_id = youtube.parse_playlist_id(playlist_url)
    if playlist_id is None:
        raise ValidationFailed(
            "Invalid input: playlist_url.",
            code="invalid_playlist_url",
            errors={"playlist_url": ["Not a YouTube playlist URL or playlist id."]},
        )
    _require_youtube()
    _check_course_for_playlist(user=requested_by, course_id=course_id, playlist_id=playlist_id)
    return PlaylistImport.objects.create(
        requested_by=requested_by, playlist_id=playlist_id, course_id=course_id
    )


@transaction.atomic
def playlist_import_request(
    *, requested_by: User, playlist_url: str, course_id: int | None = None
) -> PlaylistImport:
    """Record a queued import and start it in the background once committed."""
    record = playlist_import_create(
        requested_by=requested_by, playlist_url=playlist_url, course_id=course_id
    )
    _send_run_task(record.pk)
    return record


def _send_run_task(import_id: int) -> None:
    """Publish the import's task after commit. A broker that is down leaves the import
    queued; the sweep (`playlist_imports_reclaim_stale`) sends it again once it has waited
    longer than any retry countdown."""
    from videos.tasks import playlist_import_run_task

    send_after_commit(
        playlist_import_run_task, import_id, lost=f"import {import_id} waits for the sweep"
    )


def _lost_queued(now: datetime) -> Q:
    """Queued imports untouched for longer than the longest retry countdown plus the hard
    time limit: their message never reached the broker, or the broker lost it."""
    lost_before = now - timedelta(
        seconds=settings.YOUTUBE_IMPORT_RETRY_BACKOFF_MAX + settings.CELERY_TASK_TIME_LIMIT
    )
    return Q(status=PlaylistImport.Status.QUEUED, updated_at__lt=lost_before)


def playlist_import_retry_countdown(attempt: int) -> int:
    """Seconds to wait before retry number `attempt + 1`: doubling from the base, capped."""
    base = settings.YOUTUBE_IMPORT_RETRY_BACKOFF
    return int(min(base * 2**attempt, settings.YOUTUBE_IMPORT_RETRY_BACKOFF_MAX))


class PlaylistImportRunning(Exception):
    """The import is running in another worker, or was until that worker died. It can be
    claimed again in `retry_in` seconds, once it started longer ago than the hard time
    limit (by then any worker running it has finished or been killed)."""

    def __init__(self, *, retry_in: int):
        super().__init__(f"The import is running; it can be claimed in {retry_in} s.")
        self.retry_in = retry_in


def _stale_running(now: datetime) -> Q:
    """Running imports that started longer ago than the hard time limit: no worker can
    still be running them, so theirs died (lost, or killed at the limit)."""
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return Q(status=PlaylistImport.Status.RUNNING) & (
        Q(started_at__lt=stale_before) | Q(started_at__isnull=True)
    )


def _seconds_until_stale(record: PlaylistImport) -> int:
    """Whole seconds until `record` matches `_stale_running` (at least 1)."""
    if record.started_at is None:
        return 1
    stale_at = record.started_at + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return max(int((stale_at - timezone.now()).total_seconds()) + 1, 1)


def _claim(import_id: int) -> bool:
    """Take a queued import (or one whose worker died past the hard time limit) by a
    conditional update, so that a duplicate delivery of the task does not run it twice."""
    now = timezone.now()
    claimable = Q(status=PlaylistImport.Status.QUEUED) | _stale_running(now)
    return bool(
        PlaylistImport.objects.filter(claimable, pk=import_id).update(
            status=PlaylistImport.Status.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )


@transaction.atomic
def playlist_import_fail(*, import_id: int, error: str) -> bool:
    """Record the final failure of an import (unless it already finished) and tell its
    requester, once: only the call that failed it does."""
    now = timezone.now()
    failed = PlaylistImport.objects.filter(
        pk=import_id,
        status__in=[PlaylistImport.Status.QUEUED, PlaylistImport.Status.RUNNING],
    ).update(status=PlaylistImport.Status.FAILED, error=error, finished_at=now, updated_at=now)
    if failed:
        _notify_failed(import_id, error)
    return bool(failed)


def _notify_failed(import_id: int, error: str) -> None:
    record = PlaylistImport.objects.select_related("requested_by").get(pk=import_id)
    if record.requested_by is not None:
        notify(
            user=record.requested_by,
            type=Notification.Type.PLAYLIST_IMPORT_FAILED,
            data={"import_id": record.pk, "playlist_id": record.playlist_id, "error": error},
        )


@transaction.atomic
def playlist_imports_reclaim_stale() -> tuple[int, int]:
    """Recover imports left running by a worker that died: started longer ago than the hard
    time limit, so no worker is running them, and after a time-limit kill (acked as
    failed) no message brings them back. Each is put back in the queue and its task sent
    again after commit, or failed once it has had YOUTUBE_IMPORT_MAX_RETRIES + 1 attempts
    (the task's own budget). Queued imports whose message was lost (see `_lost_queued`)
    have their task sent again. Returns (requeued, failed).

    Safe to run twice, and alongside the tasks: every row changes by a conditional update,
    and a task is sent only for a row this call requeued."""
    from videos.tasks import playlist_import_run_task

    now = timezone.now()
    max_attempts = settings.YOUTUBE_IMPORT_MAX_RETRIES + 1
    failed = 0
    for pk, attempts in (
        PlaylistImport.objects.filter(_stale_running(now), attempts__gte=max_attempts)
        .order_by("pk")
        .values_list("pk", "attempts")
    ):
        error = (
            f"The import stopped before it finished {attempts} times (its worker was lost or "
            "ran out of time); giving up."
        )
        if PlaylistImport.objects.filter(_stale_running(now), pk=pk).update(
            status=PlaylistImport.Status.FAILED, error=error, finished_at=now, updated_at=now
        ):
            failed += 1
            _notify_failed(pk, error)
    requeued = 0
    for pk in (
        PlaylistImport.objects.filter(_stale_running(now))
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        if PlaylistImport.objects.filter(_stale_running(now), pk=pk).update(
            status=PlaylistImport.Status.QUEUED,
            error="The worker running the import stopped before it finished; starting it again.",
            updated_at=now,
        ):
            requeued += 1
            transaction.on_commit(partial(playlist_import_run_task.delay, pk))
    for pk in (
        PlaylistImport.objects.filter(_lost_queued(now)).order_by("pk").values_list("pk", flat=True)
    ):
        # Touching `updated_at` claims the resend, so overlapping sweeps send it once; a
        # duplicate message would be harmless anyway (`_claim` runs an import once).
        if PlaylistImport.objects.filter(_lost_queued(now), pk=pk).update(updated_at=now):
            requeued += 1
            _send_run_task(pk)
    if requeued or failed:
        logger.warning("stale playlist imports: %d requeued, %d failed", requeued, failed)
    return requeued, failed


def playlist_import_requeue(*, import_id: int, error: str) -> None:
    """Put a running import back in the queue after a retryable error, saying why."""
    PlaylistImport.objects.filter(pk=import_id, status=PlaylistImport.Status.RUNNING).update(
        status=PlaylistImport.Status.QUEUED, error=error, updated_at=timezone.now()
    )


def playlist_import_run(
    *, import_id: int, progress: youtube.Progress | None = None
) -> PlaylistImport:
    """Fetch the playlist and store it; the import ends succeeded or failed.

    Missing or private playlists and other final refusals fail the import with a readable
    reason. `youtube.YouTubeTransientError` (quota, 5xx, network) is raised for the caller
    to retry; the import stays running until the caller requeues or fails it. Running a
    finished import does nothing (a duplicate task); running one that another worker is
    running (or was, until it died) raises `PlaylistImportRunning` saying when to try
    again. `progress(stage, done, total)` hears "listing", "details" and, after each
    stored batch is committed, "storing"."""
    if not _claim(import_id):
        record = PlaylistImport.objects.get(pk=import_id)
        if record.status == PlaylistImport.Status.RUNNING:
            raise PlaylistImportRunning(retry_in=_seconds_until_stale(record))
        return record
    record = PlaylistImport.objects.select_related("requested_by").get(pk=import_id)

    def report(stage: str, done: int, total: int) -> None:
        if stage == "listing" and record.total != total:
            record.total = total
            PlaylistImport.objects.filter(pk=record.pk).update(total=total)
        if progress is not None:
            progress(stage, done, total)

    try:
        client = youtube.YouTubeClient()
        info = client.playlist(record.playlist_id)
        entries = client.playlist_entries(record.playlist_id, progress=report)
        client.fill_details(entries, progress=report)
    except youtube.YouTubeTransientError:
        raise
    except youtube.YouTubeError as exc:
        playlist_import_fail(import_id=record.pk, error=str(exc))
        record.refresh_from_db()
        return record
    try:
        _store(record=record, info=info, entries=entries, progress=report)
    except DomainError as exc:
        playlist_import_fail(import_id=record.pk, error=exc.message)
    record.refresh_from_db()
    return record


def playlist_course_code(playlist_id: str, *, suffix: str = "") -> str:
    """The code of a course made from a playlist: `YT-<playlist id><suffix>`. When that is
    longer than a course code may be, the id is cut short and followed by 8 hex digits of
    its SHA-256, so that different long ids still get different codes."""
    code = f"YT-{playlist_id}{suffix}"
    if len(code) <= COURSE_CODE_MAX_LENGTH:
        return code
    digest = hashlib.sha256(playlist_id.encode()).hexdigest()[:8]
    kept = COURSE_CODE_MAX_LENGTH - len("YT-") - len(digest) - 1 - len(suffix)
    return f"YT-{playlist_id[:kept]}-{digest}{suffix}"


def _resolve_course(*, record: PlaylistImport, info: youtube.PlaylistInfo) -> Any:
    """The course to fill, locked: the one given, the one already mirroring the playlist,
    or a new draft course made from the playlist's title and description."""
    requested_by = record.requested_by
    if requested_by is None:
        raise PermissionDenied("The user who asked for the import no longer exists.")
    course_id = record.course_id
    if course_id is None:
        mirror = course_selectors.course_get_by_playlist(playlist_id=record.playlist_id)
        course_id = mirror.pk if mirror is not None else None
    if course_id is not None:
        course = course_services.course_lock(course_id=course_id)
        if not course_selectors.course_is_managed_by(course=course, user=requested_by):
            raise PermissionDenied(
                "Only the instructor or staff may fill this course.", code="not_course_manager"
            )
        return course_services.course_attach_playlist(course=course, playlist_id=record.playlist_id)
    code = playlist_course_code(record.playlist_id)
    if course_selectors.course_get_by_code(code=code) is not None:
        code = playlist_course_code(record.playlist_id, suffix=f"-{record.pk}")
    course = course_services.course_create(
        acting_user=requested_by,
        code=code,
        title=info.title[:200],
        description=info.description,
        source="youtube_playlist",
        playlist_id=record.playlist_id,
    )
    return course_services.course_lock(course_id=course.pk)


def _store(
    *,
    record: PlaylistImport,
    info: youtube.PlaylistInfo,
    entries: list[youtube.PlaylistEntry],
    progress: youtube.Progress,
) -> None:
    """Upsert the playlist's videos into the course, BULK_BATCH_SIZE at a time, each batch
    in its own transaction under the course lock. After each batch `imported` says how many
    are stored, so that a poller of the import sees it progress.

    Playlist videos take positions 0..n-1 in playlist order; with the last batch, in its
    transaction, the course's other videos (added by hand, or gone from the playlist)
    follow in their previous order and the import succeeds. Until then a reader may see
    the new and the old order mixed. Videos gone from the playlist, deleted or made private
    are marked unavailable, never deleted, and keep the title and duration last seen.
    A run that stops half-way leaves the batches stored so far; running the import again
    completes it."""
    batches = [
        entries[start : start + BULK_BATCH_SIZE]
        for start in range(0, len(entries), BULK_BATCH_SIZE)
    ] or [[]]
    course_id: int | None = None
    stored = 0
    for index, batch in enumerate(batches):
        last = index == len(batches) - 1
        course_id = _store_batch(
            record=record,
            info=info,
            course_id=course_id,
            batch=batch,
            first_position=stored,
            playlist=entries if last else None,
        )
        stored += len(batch)
        progress("storing", stored, len(entries))


def _sync(video: Video, now: datetime, changed: list[Video], **values: Any) -> None:
    """Set `values` on `video`; if any differs, stamp it and add it to `changed`."""
    differs = any(getattr(video, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(video, name, value)
    if differs:
        video.updated_at = now
        changed.append(video)


@transaction.atomic
def _store_batch(
    *,
    record: PlaylistImport,
    info: youtube.PlaylistInfo,
    course_id: int | None,
    batch: list[youtube.PlaylistEntry],
    first_position: int,
    playlist: list[youtube.PlaylistEntry] | None,
) -> int:
    """Store one batch of playlist entries from `first_position` on, in a bounded number of
    queries; `playlist` (all entries) is given with the last batch, which also places the
    course's other videos and finishes the import. Returns the course id."""
    if course_id is None:
        course = _resolve_course(record=record, info=info)
    else:
        course = course_services.course_lock(course_id=course_id)
    now = timezone.now()
    if playlist is None:
        existing = {
            video.youtube_id: video
            for video in Video.objects.filter(
                course=course, youtube_id__in=[entry.youtube_id for entry in batch]
            )
        }
    else:
        existing = {video.youtube_id: video for video in Video.objects.filter(course=course)}
    to_create: list[Video] = []
    to_update: list[Video] = []
    for position, entry in enumerate(batch, start=first_position):
        values = {
            "title": entry.title[:300],
            "description": entry.description,
            "duration_seconds": entry.duration_seconds,
            "position": position,
            "thumbnail": entry.thumbnail[:500],
            "published_at": entry.published_at,
            "is_available": entry.is_available,
            "is_from_playlist": True,
        }
        video = existing.pop(entry.youtube_id, None)
        if video is None:
            to_create.append(Video(course=course, youtube_id=entry.youtube_id, **values))
        elif entry.is_available:
            _sync(video, now, to_update, **values)
        else:
            # YouTube shows "Deleted video"/"Private video" and no duration: keep what we knew.
            _sync(
                video, now, to_update, position=position, is_available=False, is_from_playlist=True
            )
    if playlist is not None:
        in_playlist = {entry.youtube_id for entry in playlist}
        remaining = sorted(
            (video for video in existing.values() if video.youtube_id not in in_playlist),
            key=lambda video: (video.position, video.pk),
        )
        for offset, video in enumerate(remaining):
            _sync(
                video,
                now,
                to_update,
                position=len(playlist) + offset,
                is_available=video.is_available and not video.is_from_playlist,
            )
    Video.objects.bulk_create(to_create, batch_size=BULK_BATCH_SIZE)
    Video.objects.bulk_update(to_update, IMPORT_SYNC_FIELDS, batch_size=BULK_BATCH_SIZE)
    stored = first_position + len(batch)
    if playlist is None:
        PlaylistImport.objects.filter(pk=record.pk).update(
            course=course, imported=stored, updated_at=now
        )
        return int(course.pk)
    PlaylistImport.objects.filter(pk=record.pk).update(
        course=course,
        status=PlaylistImport.Status.SUCCEEDED,
        imported=stored,
        total=stored,
        error="",
        finished_at=now,
        updated_at=now,
    )
    if record.requested_by is not None:
        # In the transaction that finishes the import: only the run that finished it tells.
        notify(
            user=record.requested_by,
            type=Notification.Type.PLAYLIST_IMPORTED,
            data={
                "import_id": record.pk,
                "course_id": course.pk,
                "course_title": course.title,
                "video_count": stored,
            },
        )
    logger.info(
        "playlist %s imported into course %s: %d videos", record.playlist_id, course.pk, stored
    )
    return int(course.pk)
