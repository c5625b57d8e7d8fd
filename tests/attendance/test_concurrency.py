"""Concurrent requests on PostgreSQL: real threads, each with its own connection."""

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from attendance import services
from attendance.models import DailyAttendance, VideoProgress, VideoWatch, WatchEvent
from tests.attendance.conftest import PROGRESS_URL
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads together; each returns work(i) or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def slow_merge(monkeypatch):
    """Widen the window between reading the open play and writing its credit, so that two
    requests that were not serialised would both credit the same span."""
    merge = services.intervals_merge

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return merge(*args, **kwargs)

    monkeypatch.setattr(services, "intervals_merge", slow)


def seconds_since(moment) -> float:
    """Real time elapsed since `moment`, plus one second of rounding: on a loaded machine
    the requests may take seconds, and the server rightly credits that time too."""
    return (timezone.now() - moment).total_seconds() + 1


def open_play(user, video, seconds_ago: int, event_id: str) -> None:
    with freeze_time(timezone.now() - timedelta(seconds=seconds_ago)):
        response = client_for(user).post(
            PROGRESS_URL,
            {"video_id": video.pk, "event": "play", "position_seconds": 0, "event_id": event_id},
        )
    assert response.status_code == 200


def test_two_heartbeats_at_once_credit_the_span_once(slow_merge):
    video = VideoFactory(duration_seconds=3600)
    enrollment = EnrollmentFactory(course=video.course)
    student = enrollment.user
    started = timezone.now()
    open_play(student, video, 100, "play")
    clients = [client_for(student), client_for(student)]

    responses = run_concurrently(
        2,
        lambda i: clients[i].post(
            PROGRESS_URL,
            {
                "video_id": video.pk,
                "event": "heartbeat",
                "position_seconds": 100 + i,
                "event_id": f"beat{i}",
            },
        ),
    )

    assert [response.status_code for response in responses] == [200, 200]
    credited = sorted(response.json()["credited_seconds"] for response in responses)
    assert credited[0] == 0
    assert 99 <= credited[1] <= 100 + seconds_since(started)
    assert WatchEvent.objects.filter(kind="heartbeat").count() == 2
    day = VideoProgress.objects.get()
    assert day.watch_seconds == credited[1]
    assert DailyAttendance.objects.get().total_seconds == credited[1]
    assert VideoWatch.objects.get().total_watch_seconds == credited[1]
    assert day.open_started_at is not None


def test_pauses_of_two_videos_at_once_both_count(slow_merge):
    course = CourseFactory()
    first, second = VideoFactory(course=course), VideoFactory(course=course)
    student = EnrollmentFactory(course=course).user
    started = timezone.now()
    open_play(student, first, 100, "play-first")
    open_play(student, second, 100, "play-second")
    videos = [first, second]
    clients = [client_for(student), client_for(student)]

    responses = run_concurrently(
        2,
        lambda i: clients[i].post(
            PROGRESS_URL,
            {
                "video_id": videos[i].pk,
                "event": "pause",
                "position_seconds": 100,
                "event_id": f"pause{i}",
            },
        ),
    )

    assert [response.status_code for response in responses] == [200, 200]
    credited = [response.json()["credited_seconds"] for response in responses]
    assert all(99 <= seconds <= 100 + seconds_since(started) for seconds in credited)
    assert DailyAttendance.objects.get().total_seconds == sum(credited)
    assert list(VideoProgress.objects.order_by("video_id").values_list("watch_seconds")) == [
        (credited[0],),
        (credited[1],),
    ]


def test_the_same_event_sent_twice_at_once_is_recorded_once(slow_merge):
    video = VideoFactory(duration_seconds=3600)
    student = EnrollmentFactory(course=video.course).user
    open_play(student, video, 100, "play")
    clients = [client_for(student), client_for(student)]

    responses = run_concurrently(
        2,
        lambda i: clients[i].post(
            PROGRESS_URL,
            {
                "video_id": video.pk,
                "event": "pause",
                "position_seconds": 100,
                "event_id": "same-pause",
            },
        ),
    )

    assert [response.status_code for response in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert WatchEvent.objects.filter(event_id="same-pause").count() == 1
    assert DailyAttendance.objects.get().total_seconds == responses[0].json()["credited_seconds"]


def test_first_events_on_a_new_video_at_once_create_one_watch(slow_merge):
    video = VideoFactory(duration_seconds=3600)
    student = EnrollmentFactory(course=video.course).user
    clients = [client_for(student) for _ in range(3)]

    responses = run_concurrently(
        3,
        lambda i: clients[i].post(
            PROGRESS_URL,
            {"video_id": video.pk, "event": "play", "position_seconds": i, "event_id": f"p{i}"},
        ),
    )

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert VideoWatch.objects.count() == 1
    assert VideoProgress.objects.count() == 1
    assert DailyAttendance.objects.count() == 1
    assert WatchEvent.objects.count() == 3
