"""Fixtures of the attendance tests: a course with a ten-minute video, a student enrolled in
it, and `send`, which posts one progress event at a given server time."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory

PROGRESS_URL = "/api/v1/progress"
# 10:00 UTC, a weekday morning; the default TIME_ZONE of the tests is UTC.
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def send(user, moment: datetime, **body):
    """POST one event as `user` with the server clock at `moment` (a fresh token each time,
    so moving the clock never expires it)."""
    with freeze_time(moment):
        return client_for(user).post(PROGRESS_URL, body, format="json")


@pytest.fixture
def course(db):
    return CourseFactory()


@pytest.fixture
def video(course):
    return VideoFactory(course=course, duration_seconds=600)


@pytest.fixture
def enrolled(student, course):
    EnrollmentFactory(user=student, course=course)
    return student
