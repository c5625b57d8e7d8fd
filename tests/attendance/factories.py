import factory
from django.utils import timezone

from attendance.models import DailyAttendance, VideoProgress, VideoWatch, WatchEvent
from tests.accounts.factories import StudentFactory
from tests.videos.factories import VideoFactory


class DailyAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyAttendance

    user = factory.SubFactory(StudentFactory)
    total_seconds = 0
    status = DailyAttendance.Status.IN_PROGRESS


class VideoWatchFactory(factory.django.DjangoModelFactory):
    """Progress on a video written directly (reads and exports; events go through the
    service)."""

    class Meta:
        model = VideoWatch

    user = factory.SubFactory(StudentFactory)
    video = factory.SubFactory(VideoFactory)
    course = factory.LazyAttribute(lambda watch: watch.video.course)
    intervals = factory.LazyFunction(lambda: [[0, 120]])
    watched_seconds = 120
    percent_watched = 20.0
    total_watch_seconds = 120


class VideoProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoProgress

    watch = factory.SubFactory(VideoWatchFactory)
    user = factory.LazyAttribute(lambda day: day.watch.user)
    video = factory.LazyAttribute(lambda day: day.watch.video)
    course = factory.LazyAttribute(lambda day: day.watch.course)
    date = factory.LazyFunction(timezone.localdate)
    watch_seconds = 120
    start_time = factory.LazyFunction(timezone.now)
    intervals = factory.LazyFunction(lambda: [[0, 120]])


class WatchEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchEvent

    user = factory.SubFactory(StudentFactory)
    video = factory.SubFactory(VideoFactory)
    event_id = factory.Sequence(lambda n: f"event-{n}")
    kind = WatchEvent.Kind.PLAY
    position_seconds = 0
    received_at = factory.LazyFunction(timezone.now)
    date = factory.LazyFunction(timezone.localdate)
