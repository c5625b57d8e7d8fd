"""Reads of the attendance app, and the cached lookups of the progress endpoint.

Other apps use `course_completion_counts` and `attendance_summary` (never
`attendance.models`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from attendance.models import DailyAttendance, VideoProgress, VideoWatch, WatchEvent
from config.cache import cached
from courses import selectors as course_selectors
from videos import selectors as video_selectors


@dataclass(frozen=True)
class VideoFacts:
    """What recording progress needs to know about a video (small enough to cache)."""

    id: int
    course_id: int
    duration_seconds: int
    is_available: bool


@cached(ttl=settings.ATTENDANCE_CACHE_SECONDS, key_prefix="attendance:video")
def video_facts(*, video_id: int) -> VideoFacts | None:
    """The video's course, duration and availability; None for an unknown video (cached
    too). Forgotten when the video is saved or deleted (see `attendance.receivers`)."""
    video = video_selectors.video_get_for_progress(video_id=video_id)
    if video is None:
        return None
    return VideoFacts(
        id=video.pk,
        course_id=video.course_id,
        duration_seconds=video.duration_seconds,
        is_available=video.is_available,
    )


@cached(ttl=settings.ATTENDANCE_CACHE_SECONDS, key_prefix="attendance:enrolled")
def enrollment_active(*, user_id: int, course_id: int) -> bool:
    """`courses.selectors.enrollment_is_active`, cached. Forgotten when the enrollment is
    saved or deleted (see `attendance.receivers`)."""
    return course_selectors.enrollment_is_active(user_id=user_id, course_id=course_id)


def hms(seconds: int) -> str:
    """Seconds as "HH:MM:SS" (hours may pass 24)."""
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}"


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it (DRF's format: TIME_ZONE offset, UTC as "Z")."""
    if moment is None:
        return None
    text = timezone.localtime(moment).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def progress_record(progress: VideoProgress, watch: VideoWatch) -> dict[str, Any]:
    """The API body of one day of a user's progress on a video. `percent_watched`,
    `completed` and `watched_intervals` are the whole video's (all days); `intervals` and
    `watch_seconds` that day's."""
    return {
        "video_id": progress.video_id,
        "course_id": progress.course_id,
        "date": progress.date.isoformat(),
        "start_time": iso(progress.start_time),
        "end_time": iso(progress.end_time),
        "watch_seconds": progress.watch_seconds,
        "watch_time": hms(progress.watch_seconds),
        "intervals": progress.intervals,
        "playing": progress.open_started_at is not None,
        "open_position": progress.open_position,
        "position_seconds": watch.last_position,
        "percent_watched": watch.percent_watched,
        "completed": watch.completed,
        "watched_intervals": watch.intervals,
    }


def progress_video_visible(*, user: User, video_id: int) -> bool:
    """Whether the user may read their progress on the video: they may watch it (an active
    enrollment, the instructor, staff), or they recorded progress on it before (a dropped
    course keeps its history). Anyone else is answered 404, as for an unknown video."""
    if video_selectors.video_get_visible(user=user, video_id=video_id) is not None:
        return True
    return VideoProgress.objects.filter(user_id=user.pk, video_id=video_id).exists()


def progress_list_for_video(*, user_id: int, video_id: int) -> QuerySet[VideoProgress]:
    """The user's days on a video, newest first, with the video-wide row joined."""
    return (
        VideoProgress.objects.filter(user_id=user_id, video_id=video_id)
        .select_related("watch")
        .order_by("-date", "-id")
    )


def course_progress(*, user_id: int, course_id: int) -> dict[str, Any]:
    """The user's completion of each available video of a course and of the course: two
    queries whatever the number of videos. A course is complete when it has available
    videos and all of them are complete."""
    videos = list(
        video_selectors.video_list_for_course(course_id=course_id)
        .filter(is_available=True)
        .only("id", "title", "position", "duration_seconds")
    )
    watches = {
        watch.video_id: watch
        for watch in VideoWatch.objects.filter(user_id=user_id, course_id=course_id).only(
            "video_id", "watched_seconds", "percent_watched", "completed", "total_watch_seconds"
        )
    }
    rows: list[dict[str, Any]] = []
    for video in videos:
        watch = watches.get(video.pk)
        rows.append(
            {
                "video_id": video.pk,
                "title": video.title,
                "position": video.position,
                "duration_seconds": video.duration_seconds,
                "watched_seconds": watch.watched_seconds if watch else 0,
                "watch_seconds": watch.total_watch_seconds if watch else 0,
                "percent_watched": watch.percent_watched if watch else 0.0,
                "completed": watch is not None and watch.completed,
            }
        )
    completed_videos = sum(1 for row in rows if row["completed"])
    total_watch = sum(row["watch_seconds"] for row in rows)
    return {
        "course_id": course_id,
        "video_count": len(rows),
        "completed_videos": completed_videos,
        "percent_complete": round(100.0 * completed_videos / len(rows), 2) if rows else 0.0,
        "watch_seconds": total_watch,
        "watch_time": hms(total_watch),
        "completed": bool(rows) and completed_videos == len(rows),
        "videos": rows,
    }


def attendance_list(
    *, user_id: int, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[DailyAttendance]:
    """The user's days, newest first, optionally between two dates (inclusive)."""
    rows = DailyAttendance.objects.filter(user_id=user_id).order_by("-date")
    if date_from is not None:
        rows = rows.filter(date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(date__lte=date_to)
    return rows


def attendance_get(*, user_id: int, day: date) -> DailyAttendance | None:
    return DailyAttendance.objects.filter(user_id=user_id, date=day).first()


def attendance_user_visible(*, viewer: User, user_id: int) -> bool:
    """Staff see everyone's attendance, instructors their students' (any enrollment in a
    course they teach), everyone their own."""
    if viewer.is_staff or viewer.pk == user_id:
        return True
    return (
        course_selectors.student_ids_taught_by(instructor_id=viewer.pk)
        .filter(user_id=user_id)
        .exists()
    )


def attendance_on_date(
    *, viewer: User, day: date, course_id: int | None = None
) -> QuerySet[DailyAttendance]:
    """The rows of one day the viewer may see (staff: all; instructors: their students'),
    optionally only of the students of one course (which the caller must check the viewer
    manages), with the users joined."""
    rows = DailyAttendance.objects.filter(date=day).select_related("user").order_by("user_id")
    if course_id is not None:
        rows = rows.filter(
            user_id__in=course_selectors.course_students(course_id=course_id)
            .order_by()
            .values("user_id")
        )
    if not viewer.is_staff:
        rows = rows.filter(
            user_id__in=course_selectors.student_ids_taught_by(instructor_id=viewer.pk)
        )
    return rows


def course_completion_counts(*, user_id: int) -> dict[str, int]:
    """Of the courses the user is actively enrolled in: how many they have started (watched
    any video) and not completed (`in_progress`), and how many they have completed (every
    available video complete). One query: the user's complete videos per started course,
    next to the course's available videos."""
    per_course = (
        VideoWatch.objects.filter(
            user_id=user_id,
            course_id__in=course_selectors.enrollment_active_course_ids(user_id=user_id),
        )
        .order_by()
        .values("course_id")
        .annotate(
            completed=Count("id", filter=Q(completed=True, video__is_available=True)),
            available=video_selectors.video_count_available_expression(
                course_id=OuterRef("course_id")
            ),
        )
        .values_list("completed", "available")
    )
    rows = list(per_course)
    completed = sum(1 for done, available in rows if 0 < available <= done)
    return {"in_progress": len(rows) - completed, "completed": completed}


def attendance_summary(
    *, course_id: int, user_ids: Iterable[int], since: date
) -> dict[int, dict[str, int]]:
    """For each user: the days since `since` (inclusive) closed as absent, and the watch
    time credited on the course's videos since then. Two queries.

    `user_ids` is a list, and then every user in it is in the result (zeros for one without
    any), or a subquery of ids (a values_list QuerySet, not evaluated), and then only the
    users with an absent day or watch time are."""
    is_subquery = isinstance(user_ids, QuerySet)
    ids = user_ids if is_subquery else list(user_ids)
    summary: dict[int, dict[str, int]] = (
        {} if is_subquery else {user_id: {"absent_days": 0, "watch_seconds": 0} for user_id in ids}
    )
    absent = (
        DailyAttendance.objects.filter(
            user_id__in=ids, date__gte=since, status=DailyAttendance.Status.ABSENT
        )
        .order_by()
        .values("user_id")
        .annotate(days=Count("id"))
        .values_list("user_id", "days")
    )
    for user_id, days in absent:
        summary.setdefault(user_id, {"absent_days": 0, "watch_seconds": 0})["absent_days"] = days
    watched = (
        VideoProgress.objects.filter(user_id__in=ids, course_id=course_id, date__gte=since)
        .order_by()
        .values("user_id")
        .annotate(seconds=Sum("watch_seconds"))
        .values_list("user_id", "seconds")
    )
    for user_id, seconds in watched:
        summary.setdefault(user_id, {"absent_days": 0, "watch_seconds": 0})["watch_seconds"] = (
            seconds or 0
        )
    return summary


def personal_data_export(*, user_id: int) -> dict[str, Any]:
    """The attendance section of a user's data export, one query each: daily attendance,
    progress per video, progress per video and day, and the player events as received."""
    return {
        "days": list(
            DailyAttendance.objects.filter(user_id=user_id)
            .order_by("date")
            .values("date", "total_seconds", "status", "closed", "closed_at")
        ),
        "videos": list(
            VideoWatch.objects.filter(user_id=user_id)
            .order_by("id")
            .values(
                "video_id",
                "course_id",
                "intervals",
                "watched_seconds",
                "percent_watched",
                "completed",
                "completed_at",
                "total_watch_seconds",
                "last_position",
                video_title=F("video__title"),
            )
        ),
        "video_days": list(
            VideoProgress.objects.filter(user_id=user_id)
            .order_by("date", "id")
            .values(
                "video_id",
                "course_id",
                "date",
                "watch_seconds",
                "start_time",
                "end_time",
                "intervals",
            )
        ),
        "events": list(
            WatchEvent.objects.filter(user_id=user_id)
            .order_by("received_at", "id")
            .values(
                "event_id",
                "kind",
                "video_id",
                "position_seconds",
                "client_start_time",
                "client_end_time",
                "client_watch_seconds",
                "received_at",
                "date",
                "credited_seconds",
                "interval",
            )
        ),
    }
