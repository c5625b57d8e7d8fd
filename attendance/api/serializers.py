from datetime import date
from typing import Any

from rest_framework import serializers

from attendance.models import DailyAttendance, WatchEvent
from attendance.selectors import hms

# Positions and video lengths stay below ten days, as videos accept.
MAX_POSITION_SECONDS = 10 * 24 * 3600
MAX_WATCHTIME_SECONDS = 24 * 3600
EVENT_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
RICH_ONLY = ("event",)
SIMPLE_ONLY = ("start_time", "end_time", "watchtime_seconds")


class SimpleProgressEventSerializer(serializers.Serializer):
    """The simple client shape: a play sends `start_time`, a pause `end_time` (and the
    watch time the client measured)."""

    video_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    start_time = serializers.DateTimeField(
        required=False, help_text="Client time the play started (ISO-8601): a play."
    )
    end_time = serializers.DateTimeField(
        required=False, help_text="Client time of the pause (ISO-8601): a pause."
    )
    watchtime_seconds = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_WATCHTIME_SECONDS,
        help_text="Watch time the client measured since the play (pause only); the server "
        "credits at most this.",
    )
    position_seconds = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_POSITION_SECONDS,
        help_text="Position of the play (default: where the last play stopped).",
    )
    event_id = serializers.RegexField(
        EVENT_ID_PATTERN, required=False, help_text="Optional idempotency key."
    )


class RichProgressEventSerializer(serializers.Serializer):
    """The rich client shape: one player event with its position and a unique id."""

    video_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    event = serializers.ChoiceField(choices=WatchEvent.Kind.choices)
    position_seconds = serializers.FloatField(
        min_value=0,
        max_value=MAX_POSITION_SECONDS,
        required=False,
        help_text="Player position; required except for `ended` (default: the end).",
    )
    event_id = serializers.RegexField(
        EVENT_ID_PATTERN,
        help_text="Unique per user; an id already seen returns the first answer again.",
    )


class ProgressEventSerializer(serializers.Serializer):
    """Either shape (told apart by `event`), validated into the service's arguments."""

    video_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    event = serializers.ChoiceField(choices=WatchEvent.Kind.choices, required=False)
    position_seconds = serializers.FloatField(
        required=False, min_value=0, max_value=MAX_POSITION_SECONDS
    )
    event_id = serializers.RegexField(EVENT_ID_PATTERN, required=False)
    start_time = serializers.DateTimeField(required=False)
    end_time = serializers.DateTimeField(required=False)
    watchtime_seconds = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_WATCHTIME_SECONDS
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if "event" in attrs:
            for name in SIMPLE_ONLY:
                if name in attrs:
                    errors[name] = ["Not part of an `event` report."]
            if "event_id" not in attrs:
                errors["event_id"] = ["This field is required with `event`."]
            if "position_seconds" not in attrs and attrs["event"] != WatchEvent.Kind.ENDED:
                errors["position_seconds"] = ["This field is required with this event."]
            kind = attrs["event"]
        else:
            if "start_time" not in attrs and "end_time" not in attrs:
                errors["start_time"] = [
                    "Send `start_time` (a play) or `end_time` (a pause), or an `event`."
                ]
            if "watchtime_seconds" in attrs and "end_time" not in attrs:
                errors["watchtime_seconds"] = ["Only a pause (`end_time`) reports watch time."]
            kind = WatchEvent.Kind.PAUSE if "end_time" in attrs else WatchEvent.Kind.PLAY
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "video_id": attrs["video_id"],
            "kind": kind,
            "position_seconds": attrs.get("position_seconds"),
            "event_id": attrs.get("event_id"),
            "client_start_time": attrs.get("start_time"),
            "client_end_time": attrs.get("end_time"),
            "watchtime_seconds": attrs.get("watchtime_seconds"),
        }


class ProgressRecordSerializer(serializers.Serializer):
    """One day of the caller's progress on a video (see `attendance.selectors.
    progress_record`)."""

    video_id = serializers.IntegerField()
    course_id = serializers.IntegerField()
    date = serializers.DateField()
    start_time = serializers.DateTimeField(
        allow_null=True, help_text="Server time the day's first play began."
    )
    end_time = serializers.DateTimeField(
        allow_null=True, help_text="Server time of the day's last pause, heartbeat or end."
    )
    watch_seconds = serializers.IntegerField(help_text="Watch time credited that day.")
    watch_time = serializers.CharField(help_text="watch_seconds as HH:MM:SS.")
    intervals = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="Positions watched that day: merged [start, end] seconds.",
    )
    playing = serializers.BooleanField(help_text="A play is open on this record.")
    open_position = serializers.IntegerField(allow_null=True)
    position_seconds = serializers.IntegerField(help_text="Where the last play stopped.")
    percent_watched = serializers.FloatField(help_text="Share of the video watched, all days.")
    completed = serializers.BooleanField()
    watched_intervals = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="Union of the positions watched on all days.",
    )


class ProgressEventResultSerializer(ProgressRecordSerializer):
    credited_seconds = serializers.IntegerField(help_text="Watch time this event credited.")


class CourseVideoProgressSerializer(serializers.Serializer):
    video_id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    watched_seconds = serializers.IntegerField(help_text="Length of the positions watched.")
    watch_seconds = serializers.IntegerField(help_text="Watch time credited, all days.")
    percent_watched = serializers.FloatField()
    completed = serializers.BooleanField()


class CourseProgressSerializer(serializers.Serializer):
    course_id = serializers.IntegerField()
    video_count = serializers.IntegerField(help_text="Available videos.")
    completed_videos = serializers.IntegerField()
    percent_complete = serializers.FloatField()
    watch_seconds = serializers.IntegerField()
    watch_time = serializers.CharField()
    completed = serializers.BooleanField(help_text="Every available video is complete.")
    videos = CourseVideoProgressSerializer(many=True)


class AttendanceSerializer(serializers.ModelSerializer):
    total_time = serializers.SerializerMethodField(help_text="total_seconds as HH:MM:SS.")

    class Meta:
        model = DailyAttendance
        fields = ["date", "total_seconds", "total_time", "status", "closed"]
        read_only_fields = fields

    def get_total_time(self, row: DailyAttendance) -> str:
        return hms(row.total_seconds)


class AttendanceTodaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total_seconds = serializers.IntegerField()
    total_time = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[*DailyAttendance.Status.choices, ("not_started", "Not started")],
        help_text="not_started until the day's first play.",
    )
    closed = serializers.BooleanField()
    min_seconds = serializers.IntegerField(help_text="Watch time that makes the day present.")


class AttendanceRowSerializer(AttendanceSerializer):
    """A row of the staff lists: the attendance with who it is."""

    user_id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta(AttendanceSerializer.Meta):
        fields = ["user_id", "email", "username", "name", *AttendanceSerializer.Meta.fields]
        read_only_fields = fields

    def get_name(self, row: DailyAttendance) -> str:
        return row.user.get_full_name()


class DateRangeQuerySerializer(serializers.Serializer):
    """`?from=` and `?to=` (YYYY-MM-DD, inclusive)."""

    from_ = serializers.DateField(required=False, help_text="On or after this date.")
    to = serializers.DateField(required=False, help_text="On or before this date.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: date | None = attrs.get("from")
        end: date | None = attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError({"to": ["Cannot be before `from`."]})
        return attrs


class DateListQuerySerializer(serializers.Serializer):
    course = serializers.IntegerField(
        required=False, min_value=1, help_text="Only the students of this course."
    )


class FinalizeQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The day to close (default: yesterday).")


class FinalizeSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the day is closed by hand (kept in the audit log).",
    )


class DayCloseResultSerializer(serializers.Serializer):
    date = serializers.DateField()
    marked_absent = serializers.IntegerField(help_text="Rows below the threshold made absent.")
    created_absent = serializers.IntegerField(
        help_text="Absent rows created for enrolled students without activity."
    )
    marked_present = serializers.IntegerField(
        help_text="Open rows at or above the threshold made present."
    )
    present = serializers.IntegerField(help_text="Present rows of the day.")
    absent = serializers.IntegerField(help_text="Absent rows of the day.")
    already_closed = serializers.BooleanField()
