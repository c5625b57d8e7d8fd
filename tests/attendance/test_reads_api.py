"""Progress and attendance reads: bodies, scoping, permissions, CSV, query counts."""

import csv
import io
from datetime import date

import pytest
from freezegun import freeze_time

from attendance.models import DailyAttendance
from courses.services import enrollment_drop
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.attendance.conftest import at, send
from tests.attendance.factories import DailyAttendanceFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def watch(user, video, start: int, seconds: int, position: int = 0) -> None:
    """A play at `start` seconds after T0 and its pause `seconds` later."""
    send(
        user,
        at(start),
        video_id=video.pk,
        event="play",
        position_seconds=position,
        event_id=f"{video.pk}-{start}-play",
    )
    send(
        user,
        at(start + seconds),
        video_id=video.pk,
        event="pause",
        position_seconds=position + seconds,
        event_id=f"{video.pk}-{start}-pause",
    )


# --- progress -----------------------------------------------------------------------------


def test_video_progress_lists_the_callers_days_newest_first(enrolled, video):
    watch(enrolled, video, 0, 60)
    watch(enrolled, video, 86400, 30, position=60)  # the next day
    watch(StudentFactory(), video, 0, 10)  # someone else (not enrolled: refused, no rows)

    with freeze_time(at(86400 + 60)):
        response = client_for(enrolled).get(f"/api/v1/progress/video/{video.pk}")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    newest, oldest = response.json()["results"]
    assert newest == {
        "video_id": video.pk,
        "course_id": video.course_id,
        "date": "2026-03-11",
        "start_time": "2026-03-11T10:00:00Z",
        "end_time": "2026-03-11T10:00:30Z",
        "watch_seconds": 30,
        "watch_time": "00:00:30",
        "intervals": [[60, 90]],
        "playing": False,
        "open_position": None,
        "position_seconds": 90,
        "percent_watched": 15.0,
        "completed": False,
        "watched_intervals": [[0, 90]],
    }
    assert (oldest["date"], oldest["watch_seconds"], oldest["intervals"]) == (
        "2026-03-10",
        60,
        [[0, 60]],
    )


def test_video_progress_of_someone_else_is_not_shown(enrolled, video, course):
    classmate = EnrollmentFactory(course=course).user
    watch(enrolled, video, 0, 60)
    with freeze_time(at(100)):
        response = client_for(classmate).get(f"/api/v1/progress/video/{video.pk}")
    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("outsider", [StudentFactory, MentorFactory])
def test_video_progress_of_a_video_the_caller_cannot_watch_is_404(enrolled, video, outsider):
    watch(enrolled, video, 0, 60)
    with freeze_time(at(100)):
        response = client_for(outsider()).get(f"/api/v1/progress/video/{video.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_video_progress_stays_readable_after_dropping_the_course(enrolled, video, course):
    watch(enrolled, video, 0, 60)
    enrollment_drop(user=enrolled, course_id=course.pk)
    with freeze_time(at(100)):
        response = client_for(enrolled).get(f"/api/v1/progress/video/{video.pk}")
    assert (response.status_code, response.json()["count"]) == (200, 1)


@pytest.mark.parametrize("viewer", ["instructor", "staff"])
def test_video_progress_answers_the_instructor_and_staff_with_their_own_days(video, viewer):
    user = video.course.instructor if viewer == "instructor" else AdminFactory()
    response = client_for(user).get(f"/api/v1/progress/video/{video.pk}")
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_video_progress_of_an_unknown_video_is_404(student_client):
    response = student_client.get("/api/v1/progress/video/999999")
    assert response.status_code == 404


def test_course_progress(enrolled, course):
    first = VideoFactory(course=course, duration_seconds=100, position=0, title="One")
    second = VideoFactory(course=course, duration_seconds=200, position=1, title="Two")
    VideoFactory(course=course, is_available=False, position=2)
    watch(enrolled, first, 0, 95)
    watch(enrolled, second, 200, 50)

    with freeze_time(at(300)):
        response = client_for(enrolled).get(f"/api/v1/courses/{course.pk}/progress")

    assert response.status_code == 200
    assert response.json() == {
        "course_id": course.pk,
        "video_count": 2,
        "completed_videos": 1,
        "percent_complete": 50.0,
        "watch_seconds": 145,
        "watch_time": "00:02:25",
        "completed": False,
        "videos": [
            {
                "video_id": first.pk,
                "title": "One",
                "position": 0,
                "duration_seconds": 100,
                "watched_seconds": 95,
                "watch_seconds": 95,
                "percent_watched": 95.0,
                "completed": True,
            },
            {
                "video_id": second.pk,
                "title": "Two",
                "position": 1,
                "duration_seconds": 200,
                "watched_seconds": 50,
                "watch_seconds": 50,
                "percent_watched": 25.0,
                "completed": False,
            },
        ],
    }


def test_a_course_is_complete_when_all_its_available_videos_are(enrolled, course):
    first = VideoFactory(course=course, duration_seconds=100)
    second = VideoFactory(course=course, duration_seconds=100)
    VideoFactory(course=course, is_available=False)
    watch(enrolled, first, 0, 100)
    watch(enrolled, second, 200, 90)
    with freeze_time(at(400)):
        body = client_for(enrolled).get(f"/api/v1/courses/{course.pk}/progress").json()
    assert (body["completed"], body["completed_videos"], body["percent_complete"]) == (
        True,
        2,
        100.0,
    )


def test_a_course_without_videos_is_not_complete(enrolled, course):
    with freeze_time(at(0)):
        body = client_for(enrolled).get(f"/api/v1/courses/{course.pk}/progress").json()
    assert (body["video_count"], body["completed"], body["videos"]) == (0, False, [])


def test_course_progress_of_an_invisible_course_is_404(student_client):
    draft = CourseFactory(status="draft")
    assert student_client.get(f"/api/v1/courses/{draft.pk}/progress").status_code == 404
    assert student_client.get("/api/v1/courses/999999/progress").status_code == 404


@pytest.mark.parametrize("video_count", [2, 20])
def test_course_progress_queries_do_not_grow_with_videos(
    enrolled, course, video_count, django_assert_num_queries
):
    VideoFactory.create_batch(video_count, course=course)
    client = client_for(enrolled)
    # user, course access, available videos, the user's VideoWatch rows
    with django_assert_num_queries(4):
        response = client.get(f"/api/v1/courses/{course.pk}/progress")
    assert response.json()["video_count"] == video_count


# --- the caller's attendance --------------------------------------------------------------


def test_attendance_me_lists_the_callers_days_between_dates(student, student_client):
    for day in (1, 5, 9):
        DailyAttendanceFactory(user=student, date=date(2026, 3, day), total_seconds=day * 100)
    DailyAttendanceFactory(date=date(2026, 3, 5))  # someone else's

    response = student_client.get("/api/v1/attendance/me?from=2026-03-02&to=2026-03-09")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "date": "2026-03-09",
            "total_seconds": 900,
            "total_time": "00:15:00",
            "status": "in_progress",
            "closed": False,
        },
        {
            "date": "2026-03-05",
            "total_seconds": 500,
            "total_time": "00:08:20",
            "status": "in_progress",
            "closed": False,
        },
    ]


@pytest.mark.parametrize(
    "query", ["from=2026-13-01", "to=tomorrow", "from=2026-03-09&to=2026-03-01"]
)
def test_attendance_me_refuses_bad_dates(student_client, query):
    response = student_client.get(f"/api/v1/attendance/me?{query}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_attendance_today_before_and_after_the_first_play(enrolled, video, settings):
    settings.ATTENDANCE_MIN_SECONDS = 50
    with freeze_time(at(0)):
        before = client_for(enrolled).get("/api/v1/attendance/today").json()
    assert before == {
        "date": "2026-03-10",
        "total_seconds": 0,
        "total_time": "00:00:00",
        "status": "not_started",
        "closed": False,
        "min_seconds": 50,
    }
    watch(enrolled, video, 0, 60)
    with freeze_time(at(100)):
        after = client_for(enrolled).get("/api/v1/attendance/today").json()
    assert (after["total_seconds"], after["total_time"], after["status"]) == (
        60,
        "00:01:00",
        "present",
    )


# --- staff lists --------------------------------------------------------------------------


@pytest.fixture
def classroom(db):
    """A mentor's course with two students, another course with a third; a row each."""
    mentor = MentorFactory()
    mine = CourseFactory(instructor=mentor)
    theirs = CourseFactory()
    pupil = StudentFactory(first_name="Ada", last_name="Lovelace")
    dropped_pupil = StudentFactory()
    stranger = StudentFactory()
    EnrollmentFactory(user=pupil, course=mine)
    EnrollmentFactory(user=dropped_pupil, course=mine, status="dropped")
    EnrollmentFactory(user=stranger, course=theirs)
    for user in (pupil, dropped_pupil, stranger):
        DailyAttendanceFactory(user=user, date=DAY, total_seconds=700, status="present")
    return {
        "mentor": mentor,
        "mine": mine,
        "theirs": theirs,
        "pupil": pupil,
        "dropped_pupil": dropped_pupil,
        "stranger": stranger,
    }


@pytest.mark.parametrize(
    ("viewer", "target", "status"),
    [
        ("staff", "stranger", 200),
        ("staff", "pupil", 200),
        ("mentor", "pupil", 200),
        ("mentor", "dropped_pupil", 200),
        ("mentor", "stranger", 404),
        ("other_mentor", "pupil", 404),
        ("student", "pupil", 403),
        ("pupil", "pupil", 403),
        ("pupil", "stranger", 403),
    ],
)
def test_who_may_read_a_users_attendance(classroom, viewer, target, status):
    people = {
        **classroom,
        "staff": AdminFactory(),
        "other_mentor": MentorFactory(),
        "student": StudentFactory(),
    }
    response = client_for(people[viewer]).get(f"/api/v1/attendance/user/{people[target].pk}")
    assert response.status_code == status


def test_user_attendance_body(classroom, staff_client):
    pupil = classroom["pupil"]
    DailyAttendanceFactory(user=pupil, date=date(2026, 3, 1), status="absent", closed=True)
    response = staff_client.get(f"/api/v1/attendance/user/{pupil.pk}?from=2026-03-01")
    assert response.json()["results"] == [
        {
            "user_id": pupil.pk,
            "email": pupil.email,
            "username": pupil.username,
            "name": "Ada Lovelace",
            "date": "2026-03-10",
            "total_seconds": 700,
            "total_time": "00:11:40",
            "status": "present",
            "closed": False,
        },
        {
            "user_id": pupil.pk,
            "email": pupil.email,
            "username": pupil.username,
            "name": "Ada Lovelace",
            "date": "2026-03-01",
            "total_seconds": 0,
            "total_time": "00:00:00",
            "status": "absent",
            "closed": True,
        },
    ]


@pytest.mark.parametrize(
    ("viewer", "status", "visible"),
    [
        ("staff", 200, {"pupil", "dropped_pupil", "stranger"}),
        ("mentor", 200, {"pupil", "dropped_pupil"}),
        ("other_mentor", 200, set()),
        ("pupil", 403, None),
    ],
)
def test_who_sees_which_rows_of_a_day(classroom, viewer, status, visible):
    people = {**classroom, "staff": AdminFactory(), "other_mentor": MentorFactory()}
    response = client_for(people[viewer]).get("/api/v1/attendance/date/2026-03-10")
    assert response.status_code == status
    if visible is not None:
        ids = {row["user_id"] for row in response.json()["results"]}
        assert ids == {people[name].pk for name in visible}


def test_a_day_filtered_to_one_course(classroom):
    staff_client = client_for(AdminFactory())
    response = staff_client.get(
        f"/api/v1/attendance/date/2026-03-10?course={classroom['theirs'].pk}"
    )
    assert [row["user_id"] for row in response.json()["results"]] == [classroom["stranger"].pk]


def test_a_mentor_cannot_filter_by_someone_elses_course(classroom):
    mentor_client = client_for(classroom["mentor"])
    response = mentor_client.get(
        f"/api/v1/attendance/date/2026-03-10?course={classroom['theirs'].pk}"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "10-03-2026", "2026-3-1x"])
def test_a_bad_date_is_400(staff_client, day):
    response = staff_client.get(f"/api/v1/attendance/date/{day}")
    assert response.status_code == 400
    assert response.json()["errors"] == {"date": ["Use a date as YYYY-MM-DD."]}


def test_the_day_as_csv(classroom, staff_client):
    stranger = classroom["stranger"]
    stranger.first_name, stranger.last_name = "=HYPERLINK(1)", "Smith, Jr."
    stranger.save()

    response = staff_client.get("/api/v1/attendance/date/2026-03-10?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="attendance-2026-03-10.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["user_id"] for row in rows] == [
        str(classroom[name].pk) for name in ("pupil", "dropped_pupil", "stranger")
    ]
    assert rows[0] == {
        "user_id": str(classroom["pupil"].pk),
        "email": classroom["pupil"].email,
        "username": classroom["pupil"].username,
        "name": "Ada Lovelace",
        "date": "2026-03-10",
        "total_seconds": "700",
        "total_time": "00:11:40",
        "status": "present",
        "closed": "False",
    }
    assert rows[2]["name"] == "'=HYPERLINK(1) Smith, Jr."


def test_the_csv_holds_every_row_not_one_page(staff_client):
    DailyAttendanceFactory.create_batch(25, date=DAY)
    response = staff_client.get("/api/v1/attendance/date/2026-03-10?format=csv&page_size=2")
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 26


def test_an_empty_day_as_csv_is_just_the_header(staff_client):
    response = staff_client.get("/api/v1/attendance/date/2026-03-10?format=csv")
    assert response.content.decode() == (
        "user_id,email,username,name,date,total_seconds,total_time,status,closed\r\n"
    )


def test_a_users_attendance_as_csv(classroom, staff_client):
    pupil = classroom["pupil"]
    response = staff_client.get(f"/api/v1/attendance/user/{pupil.pk}?format=csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="attendance-user-{pupil.pk}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["user_id"], row["date"], row["status"]) for row in rows] == [
        (str(pupil.pk), "2026-03-10", "present")
    ]


def test_errors_are_json_even_when_csv_was_asked(student_client):
    response = student_client.get("/api/v1/attendance/date/2026-03-10?format=csv")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "permission_denied"


def test_an_unknown_format_is_400(staff_client):
    response = staff_client.get("/api/v1/attendance/date/2026-03-10?format=xml")
    assert response.status_code == 400
    assert response.json()["errors"] == {"format": ["Use json or csv."]}


@pytest.mark.parametrize("page_size", [2, 20])
def test_day_list_queries_do_not_grow_with_the_page(staff, page_size, django_assert_num_queries):
    DailyAttendanceFactory.create_batch(25, date=DAY)
    client = client_for(staff)
    # user, count, the page with its users
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/attendance/date/2026-03-10?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


def test_day_list_queries_for_an_instructor(classroom, django_assert_num_queries):
    client = client_for(classroom["mentor"])
    # user, count, the page (students through a subquery)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/attendance/date/2026-03-10")
    assert response.json()["count"] == 2
    assert DailyAttendance.objects.count() == 3
