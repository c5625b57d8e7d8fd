"""Watch progress and daily attendance.

Rows of one (user, video) -- its VideoWatch, its VideoProgress days -- are written only by
`attendance.services` while holding that VideoWatch row's lock, so the interval unions and
the open play never race. DailyAttendance rows are shared by a user's videos and change
only through one atomic upsert (increments in SQL) or the set-based day close.

Lock order, everywhere: VideoWatch, then VideoProgress, then DailyAttendance, then the
WatchEvent insert; the day close takes the AttendanceDay row and then DailyAttendance
rows of a past day, which no event writes."""

from django.conf import settings
from django.db import models


class WatchEvent(models.Model):
    """One progress event as received, append-only, so that an auditor can replay them in
    `received_at` order and get the same progress and attendance.

    Holds the client's claims (position, times, watch time) next to the server's receive
    time and what the server credited (`credited_seconds`, the position `interval` it added
    to the watched union). `response` is the body answered; a replay of `event_id` gets it
    again. The simple client shape has no event id (null)."""

    class Kind(models.TextChoices):
        PLAY = "play", "Play"
        PAUSE = "pause", "Pause"
        HEARTBEAT = "heartbeat", "Heartbeat"
        SEEK = "seek", "Seek"
        ENDED = "ended", "Ended"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    position_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The position the client reported, if any (whole seconds, clamped to the end).",
    )
    client_start_time = models.DateTimeField(
        null=True, blank=True, help_text="start_time as sent (simple shape)."
    )
    client_end_time = models.DateTimeField(
        null=True, blank=True, help_text="end_time as sent (simple shape)."
    )
    client_watch_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="watchtime_seconds as sent."
    )
    received_at = models.DateTimeField(help_text="Server time the event was received.")
    date = models.DateField(help_text="The day (TIME_ZONE) the event counted for.")
    credited_seconds = models.PositiveIntegerField(default=0)
    interval = models.JSONField(
        null=True, blank=True, help_text="[start, end] positions added to the watched union."
    )
    response = models.JSONField(default=dict)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_id"],
                condition=models.Q(event_id__isnull=False),
                name="watchevent_unique_event_id",
            )
        ]
        indexes = [
            models.Index(fields=["user", "video", "received_at"], name="watchevent_user_video_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} by user {self.user_id} on video {self.video_id}"


class VideoWatch(models.Model):
    """A user's progress on one video across all days; its row is the lock that serialises
    that user's events on that video.

    `intervals` is the merged, sorted union of watched positions ([start, end] seconds);
    `watched_seconds` its length and `percent_watched` its share of the video, so watching a
    minute twice counts once and skipping ahead leaves a gap. `completed` is set once the
    share reaches ATTENDANCE_COMPLETE_SHARE and stays set. `last_position` is where the last
    play stopped (the default position of a play that sends none)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    intervals = models.JSONField(default=list)
    watched_seconds = models.PositiveIntegerField(default=0)
    percent_watched = models.FloatField(default=0.0)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    total_watch_seconds = models.PositiveIntegerField(
        default=0, help_text="Watch time credited over all days."
    )
    last_position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "video watches"
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="videowatch_unique_user_video")
        ]
        indexes = [models.Index(fields=["user", "course"], name="videowatch_user_course_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id} on video {self.video_id}: {self.percent_watched:.0f}%"


class VideoProgress(models.Model):
    """A user's watching of one video on one day (TIME_ZONE date of the server receive time).

    `watch_seconds` is the watch time credited that day; `start_time` the server time the
    day's first play began, `end_time` that of the day's last pause (or heartbeat, seek,
    end). `intervals` is the union of positions watched that day. While a play is open,
    `open_position` and `open_started_at` (server time) hold it; at most one play is open
    per user and video, on the row of the day it was opened."""

    watch = models.ForeignKey(VideoWatch, on_delete=models.CASCADE, related_name="days")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    watch_seconds = models.PositiveIntegerField(default=0)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    intervals = models.JSONField(default=list)
    open_position = models.PositiveIntegerField(null=True, blank=True)
    open_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "id"]
        verbose_name_plural = "video progress"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "video", "date"], name="videoprogress_unique_user_video_date"
            ),
            models.UniqueConstraint(
                fields=["watch"],
                condition=models.Q(open_started_at__isnull=False),
                name="videoprogress_one_open_play",
            ),
            models.CheckConstraint(
                condition=models.Q(open_started_at__isnull=True, open_position__isnull=True)
                | models.Q(open_started_at__isnull=False, open_position__isnull=False),
                name="videoprogress_open_play_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "date"], name="videoprogress_course_date_idx"),
            models.Index(fields=["date"], name="videoprogress_date_idx"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} on video {self.video_id} on {self.date}"


class DailyAttendance(models.Model):
    """A user's attendance on one day: the day's watch time over all videos and a status.

    in_progress from the day's first play; present once `total_seconds` reaches
    ATTENDANCE_MIN_SECONDS (never lowered that day); absent when the day is closed below it
    (students enrolled that day without any activity get an absent row with zero time)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        PRESENT = "present", "Present"
        ABSENT = "absent", "Absent"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    total_seconds = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    closed = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "user_id"]
        verbose_name_plural = "daily attendance"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "date"], name="dailyattendance_unique_user_date"
            )
        ]
        indexes = [models.Index(fields=["date", "status"], name="dailyattendance_date_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.date}: {self.status}"


class AttendanceDay(models.Model):
    """The record of closing one day: when, by whom (null: the scheduled close) and the
    counts of the first close. Its row is locked while the day is closed, so two closes of
    the same day run one after the other."""

    date = models.DateField(unique=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_absent = models.PositiveIntegerField(default=0)
    created_absent = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"attendance of {self.date}"
