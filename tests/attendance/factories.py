from datetime import datetime, time

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
    """A user's progress on a video, written directly (no events), for reads."""

    class Meta:
        model = VideoWatch
        django_get_or_create = ("user", "video")

    user = factory.SubFactory(StudentFactory)
    video = factory.SubFactory(VideoFactory)
    course = factory.SelfAttribute("video.course")


class VideoProgressFactory(factory.django.DjangoModelFactory):
    """One day of a user's watching of a video, written directly (no events), for reads."""

    class Meta:
        model = VideoProgress

    user = factory.SubFactory(StudentFactory)
    video = factory.SubFactory(VideoFactory)
    course = factory.SelfAttribute("video.course")
    watch = factory.LazyAttribute(lambda o: VideoWatchFactory(user=o.user, video=o.video))
    watch_seconds = 0
    start_time = factory.LazyAttribute(
        lambda o: timezone.make_aware(datetime.combine(o.date, time(9)))
    )


class WatchEventFactory(factory.django.DjangoModelFactory):
    """A progress event as received, written directly (no credit computed), for reads."""

    class Meta:
        model = WatchEvent

    user = factory.SubFactory(StudentFactory)
    video = factory.SubFactory(VideoFactory)
    event_id = factory.Sequence(lambda n: f"event-{n}")
    kind = WatchEvent.Kind.PLAY
    position_seconds = 0
    received_at = factory.LazyFunction(timezone.now)
    date = factory.LazyFunction(timezone.localdate)
