"""Writes of the attendance app: recording progress events, closing days.

Recording an event is the platform's hottest write path. It costs a fixed handful of
queries: the video and the enrollment come from the cache; one SELECT ... FOR UPDATE locks
the user's VideoWatch row (and finds a stored answer to replay, with an event id), one
SELECT reads the day's VideoProgress row and the open play, then at most one write per
row touched. The first event on a video inserts the VideoWatch row instead (and reads no
days: there are none). The lock order is the one stated in `attendance.models`."""

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Subquery
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from accounts.models import User
from accounts.services import audit_record
from attendance import selectors
from attendance.models import (
    AttendanceDay,
    DailyAttendance,
    VideoProgress,
    VideoWatch,
    WatchEvent,
)
from config.errors import Conflict, PermissionDenied, ValidationFailed
from courses import selectors as course_selectors

Kind = WatchEvent.Kind
Interval = list[int]
CLOSE_SCHEDULE_NAME = "attendance-close-yesterday"
# Events that end the open play's span (a seek does too, when a play is open).
CLOSING_KINDS = frozenset({Kind.PAUSE, Kind.HEARTBEAT, Kind.ENDED})
# Events after which a play is open again, at the event's position.
REOPENING_KINDS = frozenset({Kind.PLAY, Kind.HEARTBEAT, Kind.SEEK})


# --- intervals ----------------------------------------------------------------------------


def intervals_merge(intervals: list[Interval], new: Interval | None) -> list[Interval]:
    """The sorted union of `intervals` (already merged) and `new`; touching intervals join."""
    if new is None:
        return [list(interval) for interval in intervals]
    merged: list[Interval] = []
    for start, end in sorted([*intervals, new]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def intervals_length(intervals: list[Interval]) -> int:
    return sum(end - start for start, end in intervals)


# --- recording events ---------------------------------------------------------------------


class _Replay(Exception):
    """Raised inside the transaction when the event id was seen: rolls back anything the
    attempt wrote and carries the stored answer out."""

    def __init__(self, body: dict[str, Any]):
        self.body = body
        super().__init__("replay")


@dataclass
class _Span:
    """What closing the open play credits."""

    credited: int
    interval: Interval | None
    stop: int


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(f"Invalid input: {field}.", errors={field: [message]}, code=code)


def _check_position(position: float | None, video: selectors.VideoFacts) -> int | None:
    """Whole seconds; a position past the end within the tolerance is the end. Unknown
    durations (0) are not checked."""
    if position is None:
        return None
    if not math.isfinite(position) or position < 0:
        raise _invalid("position_seconds", "Must be a number of seconds, zero or more.")
    duration = video.duration_seconds
    if duration and position > duration + settings.ATTENDANCE_POSITION_TOLERANCE_SECONDS:
        raise _invalid(
            "position_seconds", f"Beyond the end of the video ({duration} seconds).", "absurd"
        )
    whole = int(position)
    return min(whole, duration) if duration else whole


def _check_client_times(
    *, received_at: datetime, start: datetime | None, end: datetime | None
) -> None:
    skew = timedelta(seconds=settings.ATTENDANCE_CLIENT_CLOCK_SKEW_SECONDS)
    for field, moment in (("start_time", start), ("end_time", end)):
        if moment is not None and abs(moment - received_at) > skew:
            raise _invalid(field, "Too far from the server's clock.", "absurd")
    if start is not None and end is not None and end < start:
        raise _invalid("end_time", "Cannot be before start_time.")


def _close_span(
    *,
    open_row: VideoProgress,
    received_at: datetime,
    kind: str,
    position: int | None,
    watchtime_seconds: int | None,
    duration: int,
) -> _Span:
    """Credit the open play: the server-measured seconds since it was received, at most
    the video's length left from the play's position, at most the client's claimed watch
    time. The watched interval starts at the play's position; it ends at the reported
    position (pause, heartbeat, end) but never further than the fastest playback could
    reach in the measured time, or, when no position is reported (simple shape, seek), at
    the credited seconds played from the start. A position behind the start adds none."""
    assert open_row.open_started_at is not None and open_row.open_position is not None
    start = open_row.open_position
    elapsed = max((received_at - open_row.open_started_at).total_seconds(), 0.0)
    credited = int(elapsed + 0.5)
    if duration:
        credited = min(credited, max(duration - start, 0))
    if watchtime_seconds is not None:
        credited = min(credited, watchtime_seconds)
    if kind == Kind.SEEK or position is None:
        end = start + credited
    else:
        reach = start + int(elapsed * settings.ATTENDANCE_MAX_PLAYBACK_RATE + 0.5)
        end = min(position, reach)
    if duration:
        end = min(end, duration)
    interval = [start, end] if end > start else None
    if kind == Kind.SEEK:
        stop = position if position is not None else end
    elif kind == Kind.ENDED:
        stop = duration or end
    else:
        stop = position if position is not None else end
    return _Span(credited=credited, interval=interval, stop=stop)


def _watch_insert(*, user_id: int, video: selectors.VideoFacts, now: datetime) -> VideoWatch | None:
    """Insert the user's VideoWatch row for the video, unless another transaction already
    did, in one statement (INSERT ... ON CONFLICT DO NOTHING RETURNING, on PostgreSQL and
    SQLite alike). The new row is this transaction's and locked until it ends; None when the
    row existed (then lock it with SELECT ... FOR UPDATE)."""
    meta = VideoWatch._meta
    table = connection.ops.quote_name(meta.db_table)
    intervals = meta.get_field("intervals").get_db_prep_save([], connection)
    sql = f"""
        INSERT INTO {table}
            ("user_id", "video_id", "course_id", "intervals", "watched_seconds",
             "percent_watched", "completed", "total_watch_seconds", "last_position",
             "created_at", "updated_at")
        VALUES (%s, %s, %s, %s, 0, 0, %s, 0, 0, %s, %s)
        ON CONFLICT ("user_id", "video_id") DO NOTHING
        RETURNING "id"
    """  # noqa: S608  (identifiers are the model's own; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, video.id, video.course_id, intervals, False, now, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return VideoWatch(
        id=row[0],
        user_id=user_id,
        video_id=video.id,
        course_id=video.course_id,
        created_at=now,
        updated_at=now,
    )


def _lock_watch(
    *,
    user_id: int,
    video: selectors.VideoFacts,
    today: date,
    event_id: str | None,
    now: datetime,
) -> tuple[VideoWatch, VideoProgress | None, VideoProgress | None]:
    """Lock the user's VideoWatch row for the video (creating it the first time), then read
    the day's VideoProgress row and the row holding the open play (the same row, another
    day's, or none). Raises _Replay when the event id was seen.

    The days are read by a second statement on purpose: on PostgreSQL a SELECT ... FOR
    UPDATE that waited for the lock returns the locked row as committed meanwhile, but the
    rows of any other table as they were before it waited. The replay check may be that
    stale; the caller looks again when the attempt fails.

    A row this call inserted has no days, and no stored answer for the event id on this
    video: then neither is read (an event id the user sent for another video makes the
    final WatchEvent insert fail, and the caller answers the stored answer)."""
    query = (
        VideoWatch.objects.select_for_update()
        .filter(user_id=user_id, video_id=video.id)
        .order_by()  # one row at most (unique): no ORDER BY to build or run
    )
    if event_id is not None:
        query = query.annotate(
            replayed=Subquery(
                WatchEvent.objects.filter(user_id=user_id, event_id=event_id)
                .order_by()
                .values("response")[:1]
            )
        )
    watch = next(iter(query), None)
    if watch is None:
        inserted = _watch_insert(user_id=user_id, video=video, now=now)
        if inserted is not None:
            return inserted, None, None
        watch = query.get()
    replayed = getattr(watch, "replayed", None)
    if replayed is not None:
        raise _Replay(replayed)
    today_row = open_row = None
    days = (
        VideoProgress.objects.filter(watch=watch)
        .filter(Q(date=today) | Q(open_started_at__isnull=False))
        .order_by()
    )
    for day in days:
        if day.date == today:
            today_row = day
        if day.open_started_at is not None:
            open_row = day
    return watch, today_row, open_row


def _attendance_add(*, user_id: int, day: date, seconds: int, now: datetime) -> None:
    """Create the user's attendance row of the day or add `seconds` to it, in one atomic
    upsert (INSERT ... ON CONFLICT DO UPDATE, on PostgreSQL and SQLite alike): concurrent
    events of the user's other videos add up instead of overwriting each other. The status
    becomes present once the total reaches ATTENDANCE_MIN_SECONDS and is never lowered."""
    table = connection.ops.quote_name(DailyAttendance._meta.db_table)
    threshold = settings.ATTENDANCE_MIN_SECONDS
    present = DailyAttendance.Status.PRESENT.value
    status = present if seconds >= threshold else DailyAttendance.Status.IN_PROGRESS.value
    sql = f"""
        INSERT INTO {table}
            ("user_id", "date", "total_seconds", "status", "closed", "created_at", "updated_at")
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT ("user_id", "date") DO UPDATE SET
            "total_seconds" = {table}."total_seconds" + EXCLUDED."total_seconds",
            "status" = CASE
                WHEN {table}."total_seconds" + EXCLUDED."total_seconds" >= %s THEN %s
                ELSE {table}."status" END,
            "updated_at" = EXCLUDED."updated_at"
    """  # noqa: S608  (identifiers are the model's own; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, day, seconds, status, False, now, now, threshold, present])


def progress_event_record(
    *,
    user: User,
    video_id: int,
    kind: str,
    position_seconds: float | None = None,
    event_id: str | None = None,
    client_start_time: datetime | None = None,
    client_end_time: datetime | None = None,
    watchtime_seconds: int | None = None,
) -> dict[str, Any]:
    """Record one progress event of `user` on a video and answer the user's progress record
    for that video and day (the day of the server receive time in TIME_ZONE).

    - play opens a play at `position_seconds` (default: where the last play stopped, or 0
      after the end); a play already open is replaced and its span is not credited.
    - pause, heartbeat and ended close the open play and credit it (see `_close_span`);
      without an open play they are a 409 `no_open_play`. A heartbeat opens a new play at
      its position; ended leaves the position at the end.
    - seek closes an open play like a heartbeat (by measured time only) and opens a new one
      at the new position; with no open play it only moves the position.

    A span that crosses midnight is credited to the day of the event that closes it.
    An `event_id` seen before for the user returns the answer given then and changes
    nothing. Unknown video: 400 `unknown_video`; not actively enrolled in its course: 403
    `not_enrolled`; positions past the end and client times far from the server's clock:
    400 `absurd`. Everything is written in one transaction or not at all."""
    received_at = timezone.now()
    if kind not in Kind.values:
        raise _invalid("event", "Unknown event.")
    if watchtime_seconds is not None and not 0 <= watchtime_seconds <= 24 * 3600:
        raise _invalid("watchtime_seconds", "Must be between 0 and 86400.", "absurd")
    video = selectors.video_facts(video_id=video_id)
    if video is None:
        raise _invalid("video_id", "No video with this id.", "unknown_video")
    if not selectors.enrollment_active(user_id=user.pk, course_id=video.course_id):
        raise PermissionDenied(
            "Only students enrolled in the video's course record progress.", code="not_enrolled"
        )
    if not video.is_available:
        raise _invalid("video_id", "The video is no longer available.", "video_unavailable")
    position = _check_position(position_seconds, video)
    _check_client_times(received_at=received_at, start=client_start_time, end=client_end_time)
    try:
        with transaction.atomic():
            return _record(
                user_id=user.pk,
                video=video,
                kind=kind,
                position=position,
                event_id=event_id,
                client_start_time=client_start_time,
                client_end_time=client_end_time,
                watchtime_seconds=watchtime_seconds,
                received_at=received_at,
            )
    except _Replay as replay:
        return replay.body
    except (IntegrityError, Conflict):
        # The same event id may have been recorded while this request waited for the lock
        # (then the pause finds no open play, or the insert hits the unique constraint):
        # answer what was answered then.
        stored = (
            WatchEvent.objects.filter(user_id=user.pk, event_id=event_id)
            .values_list("response", flat=True)
            .first()
            if event_id is not None
            else None
        )
        if stored is None:
            raise
        return stored


def _record(
    *,
    user_id: int,
    video: selectors.VideoFacts,
    kind: str,
    position: int | None,
    event_id: str | None,
    client_start_time: datetime | None,
    client_end_time: datetime | None,
    watchtime_seconds: int | None,
    received_at: datetime,
) -> dict[str, Any]:
    today = timezone.localdate(received_at)
    duration = video.duration_seconds
    watch, today_row, open_row = _lock_watch(
        user_id=user_id, video=video, today=today, event_id=event_id, now=received_at
    )
    if kind in CLOSING_KINDS and open_row is None:
        raise Conflict("No play is open on this video.", code="no_open_play")
    reported_position = position
    if kind == Kind.ENDED and position is None:
        position = duration or None

    span: _Span | None = None
    if open_row is not None and (kind in CLOSING_KINDS or kind == Kind.SEEK):
        span = _close_span(
            open_row=open_row,
            received_at=received_at,
            kind=kind,
            position=position,
            watchtime_seconds=watchtime_seconds,
            duration=duration,
        )

    reopen_position: int | None = None
    if kind == Kind.PLAY:
        reopen_position = position
        if reopen_position is None:
            reopen_position = watch.last_position
            if duration and reopen_position >= duration:
                reopen_position = 0
    elif kind == Kind.HEARTBEAT or (kind == Kind.SEEK and open_row is not None):
        reopen_position = position if position is not None else span.stop if span else 0
    reopen_at = received_at
    if open_row is not None and open_row.open_started_at is not None:
        reopen_at = max(received_at, open_row.open_started_at)

    # The open play moves off another day's row before today's row may take it (at most
    # one open play per video and user).
    if open_row is not None and open_row is not today_row:
        VideoProgress.objects.filter(pk=open_row.pk).update(
            open_position=None, open_started_at=None, updated_at=received_at
        )

    credited = span.credited if span else 0
    interval = span.interval if span else None
    writes_day = kind == Kind.PLAY or span is not None
    created_today = False
    if writes_day:
        if today_row is None:
            created_today = True
            day_start = timezone.make_aware(datetime.combine(today, time.min))
            today_row = VideoProgress(
                watch=watch,
                user_id=user_id,
                video_id=video.id,
                course_id=video.course_id,
                date=today,
                start_time=received_at
                if open_row is None or open_row.open_started_at is None
                else max(open_row.open_started_at, day_start),
            )
        today_row.watch_seconds += credited
        today_row.intervals = intervals_merge(today_row.intervals, interval)
        if span is not None:
            today_row.end_time = received_at
        today_row.open_position = reopen_position
        today_row.open_started_at = reopen_at if reopen_position is not None else None
        today_row.updated_at = received_at
        if created_today:
            today_row.save(force_insert=True)
        else:
            today_row.save(
                update_fields=[
                    "watch_seconds",
                    "intervals",
                    "end_time",
                    "open_position",
                    "open_started_at",
                    "updated_at",
                ]
            )
        if created_today or credited:
            _attendance_add(user_id=user_id, day=today, seconds=credited, now=received_at)

    new_position = span.stop if span is not None else watch.last_position
    if kind == Kind.SEEK and position is not None:
        new_position = position
    if span is not None or new_position != watch.last_position:
        _watch_update(
            watch=watch,
            interval=interval,
            credited=credited,
            position=new_position,
            duration=duration,
            now=received_at,
        )

    shown = today_row or VideoProgress(
        watch=watch, user_id=user_id, video_id=video.id, course_id=video.course_id, date=today
    )
    body = selectors.progress_record(shown, watch)
    body["credited_seconds"] = credited
    WatchEvent.objects.create(
        user_id=user_id,
        video_id=video.id,
        event_id=event_id,
        kind=kind,
        position_seconds=reported_position,
        client_start_time=client_start_time,
        client_end_time=client_end_time,
        client_watch_seconds=watchtime_seconds,
        received_at=received_at,
        date=today,
        credited_seconds=credited,
        interval=interval,
        response=body,
    )
    return body


def _watch_update(
    *,
    watch: VideoWatch,
    interval: Interval | None,
    credited: int,
    position: int,
    duration: int,
    now: datetime,
) -> None:
    """Add the interval to the video-wide union and derive the share watched; completion is
    set once and kept. The row is locked: plain values are safe."""
    watch.intervals = intervals_merge(watch.intervals, interval)
    watch.watched_seconds = intervals_length(watch.intervals)
    if duration:
        watch.percent_watched = round(min(100.0, 100.0 * watch.watched_seconds / duration), 2)
    if (
        not watch.completed
        and duration
        and watch.watched_seconds >= settings.ATTENDANCE_COMPLETE_SHARE * duration
    ):
        watch.completed = True
        watch.completed_at = now
    watch.total_watch_seconds += credited
    watch.last_position = position
    watch.updated_at = now
    VideoWatch.objects.filter(pk=watch.pk).update(
        intervals=watch.intervals,
        watched_seconds=watch.watched_seconds,
        percent_watched=watch.percent_watched,
        completed=watch.completed,
        completed_at=watch.completed_at,
        total_watch_seconds=F("total_watch_seconds") + credited,
        last_position=position,
        updated_at=now,
    )


# --- closing days -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCloseResult:
    """What closing a day did (`marked_absent`, `created_absent`, `marked_present`: rows
    this close changed) and where the day stands (`present`, `absent`)."""

    date: date
    marked_absent: int
    created_absent: int
    marked_present: int
    present: int
    absent: int
    already_closed: bool

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


@transaction.atomic
def attendance_day_close(
    *, day: date, acting_user: User | None = None, reason: str = ""
) -> DayCloseResult:
    """Close a past day of attendance, set-based whatever the number of students:

    - open rows below ATTENDANCE_MIN_SECONDS become absent (rows that reached it present);
    - every student expected that day (`courses.selectors.enrollment_student_ids_on`: an
      active enrollment made on or before the day, in a published course running then)
      without a row gets an absent row with zero time.

    Today and later days are a 400 `day_not_over`. Closing a day again changes nothing
    (the counts say so). The AttendanceDay row is locked first, so concurrent closes of a
    day run one after the other. A close by a person (`acting_user`) that changed anything
    writes an audit record, with their `reason`."""
    if day >= timezone.localdate():
        raise ValidationFailed(
            "Only a day that is over can be closed.",
            code="day_not_over",
            errors={"date": ["Must be before today."]},
        )
    now = timezone.now()
    record, created = AttendanceDay.objects.select_for_update().get_or_create(date=day)
    threshold = settings.ATTENDANCE_MIN_SECONDS
    open_rows = DailyAttendance.objects.filter(date=day, closed=False)
    marked_present = open_rows.filter(
        status=DailyAttendance.Status.IN_PROGRESS, total_seconds__gte=threshold
    ).update(status=DailyAttendance.Status.PRESENT, updated_at=now)
    marked_absent = open_rows.filter(status=DailyAttendance.Status.IN_PROGRESS).update(
        status=DailyAttendance.Status.ABSENT, closed=True, closed_at=now, updated_at=now
    )
    open_rows.update(closed=True, closed_at=now, updated_at=now)

    missing = list(
        course_selectors.enrollment_student_ids_on(day=day).exclude(
            user_id__in=DailyAttendance.objects.filter(date=day).values("user_id")
        )
    )
    DailyAttendance.objects.bulk_create(
        [
            DailyAttendance(
                user_id=user_id,
                date=day,
                total_seconds=0,
                status=DailyAttendance.Status.ABSENT,
                closed=True,
                closed_at=now,
            )
            for user_id in missing
        ],
        batch_size=settings.ATTENDANCE_CLOSE_BATCH_SIZE,
        ignore_conflicts=True,
    )
    counts = DailyAttendance.objects.filter(date=day).aggregate(
        present=Count("id", filter=Q(status=DailyAttendance.Status.PRESENT)),
        absent=Count("id", filter=Q(status=DailyAttendance.Status.ABSENT)),
    )
    result = DayCloseResult(
        date=day,
        marked_absent=marked_absent,
        created_absent=len(missing),
        marked_present=marked_present,
        present=counts["present"],
        absent=counts["absent"],
        already_closed=not created and record.closed_at is not None,
    )
    changed = bool(created or record.closed_at is None or marked_absent or missing)
    if changed or marked_present:
        if record.closed_at is None:
            record.closed_at = now
            record.closed_by = acting_user
        record.marked_absent += marked_absent
        record.created_absent += len(missing)
        record.present = result.present
        record.absent = result.absent
        record.save()
        if acting_user is not None:
            audit_record(
                actor=acting_user,
                action="attendance.day_close",
                target=record,
                reason=reason,
                after=result.as_dict(),
            )
    return result


def beat_schedule_ensure(*, using: str = DEFAULT_DB_ALIAS) -> PeriodicTask:
    """Make the daily close visible in django-celery-beat's admin before beat first runs:
    the PeriodicTask beat's DatabaseScheduler would create from CELERY_BEAT_SCHEDULE, with
    the same name, so beat adopts it. An existing row (maybe edited in admin) is kept."""
    existing = PeriodicTask.objects.using(using).filter(name=CLOSE_SCHEDULE_NAME).first()
    if existing is not None:
        return existing
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE[CLOSE_SCHEDULE_NAME]
    schedule = entry["schedule"]
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute=schedule._orig_minute,
        hour=schedule._orig_hour,
        day_of_week=schedule._orig_day_of_week,
        day_of_month=schedule._orig_day_of_month,
        month_of_year=schedule._orig_month_of_year,
        timezone=settings.TIME_ZONE,
    )
    return PeriodicTask.objects.using(using).create(
        name=CLOSE_SCHEDULE_NAME,
        task=entry["task"],
        crontab=crontab,
        description="Closes the previous day of attendance (absent rows for missing students).",
    )
