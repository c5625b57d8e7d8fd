"""Admin of progress and attendance: the lists load with their filters; the close action
goes through the service."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from accounts.models import AuditLog
from attendance import services
from attendance.models import DailyAttendance, WatchEvent
from tests.accounts.factories import AdminFactory, StudentFactory
from tests.attendance.conftest import at, send
from tests.attendance.factories import DailyAttendanceFactory
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(is_superuser=True))
    return client


@pytest.fixture
def recorded(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    send(enrolled, at(60), video_id=video.pk, event="pause", position_seconds=60, event_id="b")
    return enrolled


@pytest.mark.parametrize(
    "url",
    [
        "/admin/attendance/dailyattendance/",
        "/admin/attendance/dailyattendance/?status__exact=in_progress&date__gte=2026-03-01",
        "/admin/attendance/videoprogress/?date__gte=2026-03-01",
        "/admin/attendance/videowatch/?completed__exact=0",
        "/admin/attendance/watchevent/?kind__exact=pause",
    ],
)
def test_lists_load_with_filters(admin_client, recorded, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert recorded.email in response.content.decode()


def test_closed_days_are_listed(admin_client, staff):
    with freeze_time(datetime(2026, 3, 11, 12, 0, tzinfo=UTC)):
        services.attendance_day_close(day=date(2026, 3, 10), acting_user=staff)
    response = admin_client.get("/admin/attendance/attendanceday/")
    assert response.status_code == 200
    assert staff.email in response.content.decode()


def test_attendance_filtered_by_course(admin_client, recorded, course):
    outsider = DailyAttendanceFactory(date=date(2026, 3, 10))
    EnrollmentFactory(user=outsider.user, course=CourseFactory())
    response = admin_client.get(f"/admin/attendance/dailyattendance/?course={course.pk}")
    page = response.content.decode()
    assert recorded.email in page
    assert outsider.user.email not in page


def test_progress_filtered_by_course(admin_client, recorded, course):
    other_video = VideoFactory()
    classmate = StudentFactory()
    EnrollmentFactory(user=classmate, course=other_video.course)
    send(classmate, at(0), video_id=other_video.pk, start_time=at(0).isoformat())

    response = admin_client.get(f"/admin/attendance/videoprogress/?course__id__exact={course.pk}")

    page = response.content.decode()
    assert recorded.email in page
    assert classmate.email not in page


def test_watch_events_are_read_only(admin_client, recorded):
    event_url = "/admin/attendance/watchevent/"
    assert admin_client.get(f"{event_url}add/").status_code == 403
    first = WatchEvent.objects.filter(user=recorded).first()
    response = admin_client.post(f"{event_url}{first.pk}/change/", {"kind": "ended"})
    assert response.status_code == 403
    first.refresh_from_db()
    assert first.kind == "play"


def test_close_action_goes_through_the_service(admin_client, db):
    row = DailyAttendanceFactory(date=date(2026, 3, 10), total_seconds=10)
    today_row = DailyAttendanceFactory(date=date(2026, 3, 11), total_seconds=10)
    with freeze_time(datetime(2026, 3, 11, 12, 0, tzinfo=UTC)):
        response = admin_client.post(
            "/admin/attendance/dailyattendance/",
            {"action": "close_days", "_selected_action": [row.pk, today_row.pk]},
            follow=True,
        )
    assert response.status_code == 200
    row.refresh_from_db()
    today_row.refresh_from_db()
    assert (row.status, row.closed) == ("absent", True)
    assert (today_row.status, today_row.closed) == ("in_progress", False)
    assert AuditLog.objects.filter(action="attendance.day_close").count() == 1
    assert "Only a day that is over can be closed." in response.content.decode()
    assert DailyAttendance.objects.count() == 2
