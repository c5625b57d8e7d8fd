"""Snapshots of everything recording progress writes, to assert that a refused or replayed
event changed nothing."""

from attendance.models import DailyAttendance, VideoProgress, VideoWatch, WatchEvent


def state() -> dict[str, list[tuple]]:
    return {
        "events": list(WatchEvent.objects.order_by("id").values_list()),
        "watches": list(VideoWatch.objects.order_by("id").values_list()),
        "days": list(VideoProgress.objects.order_by("id").values_list()),
        "attendance": list(DailyAttendance.objects.order_by("id").values_list()),
    }
