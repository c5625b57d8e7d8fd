"""POST /api/v1/progress: accumulation, the caps, idempotency, refusals and query counts."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from attendance import services
from attendance.models import DailyAttendance, VideoProgress, VideoWatch, WatchEvent
from courses import services as course_services
from tests.accounts.factories import StudentFactory
from tests.attendance.conftest import PROGRESS_URL, T0, at, send
from tests.attendance.helpers import state
from tests.conftest import client_for
from tests.courses.factories import EnrollmentFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


def expected(video, **changes) -> dict:
    """The answer for `video` on 2026-03-10 with a play first received at T0."""
    body = {
        "video_id": video.pk,
        "course_id": video.course_id,
        "date": "2026-03-10",
        "start_time": "2026-03-10T10:00:00Z",
        "end_time": None,
        "watch_seconds": 0,
        "watch_time": "00:00:00",
        "intervals": [],
        "playing": False,
        "open_position": None,
        "position_seconds": 0,
        "percent_watched": 0.0,
        "completed": False,
        "watched_intervals": [],
        "credited_seconds": 0,
    }
    body.update(changes)
    return body


def attendance_of(user, day=date(2026, 3, 10)) -> tuple[int, str]:
    row = DailyAttendance.objects.get(user=user, date=day)
    return row.total_seconds, row.status


# --- accumulation -------------------------------------------------------------------------


def test_simple_play_pause_sequence_accumulates(enrolled, video):
    first_play = send(enrolled, at(0), video_id=video.pk, start_time=at(0).isoformat())
    assert first_play.status_code == 200
    assert first_play.json() == expected(video, playing=True, open_position=0)
    assert attendance_of(enrolled) == (0, "in_progress")

    first_pause = send(
        enrolled, at(120), video_id=video.pk, end_time=at(120).isoformat(), watchtime_seconds=120
    )
    assert first_pause.status_code == 200
    assert first_pause.json() == expected(
        video,
        end_time="2026-03-10T10:02:00Z",
        watch_seconds=120,
        watch_time="00:02:00",
        intervals=[[0, 120]],
        position_seconds=120,
        percent_watched=20.0,
        watched_intervals=[[0, 120]],
        credited_seconds=120,
    )
    assert attendance_of(enrolled) == (120, "in_progress")

    second_play = send(enrolled, at(300), video_id=video.pk, start_time=at(300).isoformat())
    assert second_play.json()["open_position"] == 120
    second_pause = send(
        enrolled, at(400), video_id=video.pk, end_time=at(400).isoformat(), watchtime_seconds=100
    )
    assert second_pause.json() == expected(
        video,
        end_time="2026-03-10T10:06:40Z",
        watch_seconds=220,
        watch_time="00:03:40",
        intervals=[[0, 220]],
        position_seconds=220,
        percent_watched=36.67,
        watched_intervals=[[0, 220]],
        credited_seconds=100,
    )
    assert attendance_of(enrolled) == (220, "in_progress")
    events = WatchEvent.objects.order_by("id")
    assert list(events.values_list("kind", "credited_seconds", "interval")) == [
        ("play", 0, None),
        ("pause", 120, [0, 120]),
        ("play", 0, None),
        ("pause", 100, [120, 220]),
    ]
    assert list(events.values_list("client_start_time", "client_end_time")) == [
        (at(0), None),
        (None, at(120)),
        (at(300), None),
        (None, at(400)),
    ]
    watch = VideoWatch.objects.get(user=enrolled, video=video)
    assert (watch.total_watch_seconds, watch.watched_seconds, watch.last_position) == (
        220,
        220,
        220,
    )


def test_rich_sequence_with_heartbeats_and_end(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="p1")
    beat = send(
        enrolled, at(30), video_id=video.pk, event="heartbeat", position_seconds=30, event_id="h1"
    )
    assert beat.json() == expected(
        video,
        end_time="2026-03-10T10:00:30Z",
        watch_seconds=30,
        watch_time="00:00:30",
        intervals=[[0, 30]],
        playing=True,
        open_position=30,
        position_seconds=30,
        percent_watched=5.0,
        watched_intervals=[[0, 30]],
        credited_seconds=30,
    )
    send(enrolled, at(60), video_id=video.pk, event="heartbeat", position_seconds=60, event_id="h2")
    ended = send(enrolled, at(90), video_id=video.pk, event="ended", event_id="e1")

    # `ended` reports no position: the end, but no further than 2x playback could reach.
    assert ended.json() == expected(
        video,
        end_time="2026-03-10T10:01:30Z",
        watch_seconds=90,
        watch_time="00:01:30",
        intervals=[[0, 120]],
        position_seconds=600,
        percent_watched=20.0,
        watched_intervals=[[0, 120]],
        credited_seconds=30,
    )
    assert WatchEvent.objects.get(event_id="e1").position_seconds is None
    replay_from_start = send(enrolled, at(100), video_id=video.pk, start_time=at(100).isoformat())
    assert replay_from_start.json()["open_position"] == 0


def test_later_plays_and_pauses_reach_present_and_it_is_never_lowered(enrolled, video, settings):
    settings.ATTENDANCE_MIN_SECONDS = 100
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    send(enrolled, at(60), video_id=video.pk, event="pause", position_seconds=60, event_id="b")
    assert attendance_of(enrolled) == (60, "in_progress")
    send(enrolled, at(100), video_id=video.pk, event="play", position_seconds=60, event_id="c")
    send(enrolled, at(150), video_id=video.pk, event="pause", position_seconds=110, event_id="d")
    assert attendance_of(enrolled) == (110, "present")

    settings.ATTENDANCE_MIN_SECONDS = 1000
    send(enrolled, at(200), video_id=video.pk, event="play", position_seconds=110, event_id="e")
    send(enrolled, at(210), video_id=video.pk, event="pause", position_seconds=120, event_id="f")
    assert attendance_of(enrolled) == (120, "present")


def test_attendance_adds_up_the_day_over_videos(enrolled, video, course):
    other_video = VideoFactory(course=course, duration_seconds=300)
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="1")
    send(enrolled, at(100), video_id=video.pk, event="pause", position_seconds=100, event_id="2")
    send(enrolled, at(200), video_id=other_video.pk, event="play", position_seconds=0, event_id="3")
    send(
        enrolled, at(250), video_id=other_video.pk, event="pause", position_seconds=50, event_id="4"
    )
    assert attendance_of(enrolled) == (150, "in_progress")
    assert list(
        VideoProgress.objects.order_by("video_id").values_list("video_id", "watch_seconds")
    ) == [(video.pk, 100), (other_video.pk, 50)]


# --- caps ---------------------------------------------------------------------------------


def test_credit_is_at_most_the_client_watch_time(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, start_time=at(0).isoformat())
    response = send(
        enrolled, at(100), video_id=video.pk, end_time=at(100).isoformat(), watchtime_seconds=60
    )
    assert response.json()["credited_seconds"] == 60
    assert response.json()["intervals"] == [[0, 60]]


def test_credit_is_at_most_the_time_the_server_measured(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, start_time=at(0).isoformat())
    response = send(
        enrolled, at(30), video_id=video.pk, end_time=at(500).isoformat(), watchtime_seconds=500
    )
    assert response.json()["credited_seconds"] == 30
    assert attendance_of(enrolled) == (30, "in_progress")


def test_credit_is_at_most_the_video_left_from_the_play_position(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=580, event_id="a")
    response = send(
        enrolled, at(100), video_id=video.pk, event="pause", position_seconds=600, event_id="b"
    )
    assert response.json()["credited_seconds"] == 20
    assert response.json()["intervals"] == [[580, 600]]


def test_a_rich_pause_credits_the_measured_time_without_a_client_claim(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=10, event_id="a")
    response = send(
        enrolled, at(45.4), video_id=video.pk, event="pause", position_seconds=55, event_id="b"
    )
    assert (response.json()["credited_seconds"], response.json()["intervals"]) == (45, [[10, 55]])


def test_an_unreported_jump_ahead_counts_no_further_than_fastest_playback(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=100, event_id="a")
    response = send(
        enrolled, at(10), video_id=video.pk, event="pause", position_seconds=500, event_id="b"
    )
    assert response.json()["credited_seconds"] == 10
    assert response.json()["watched_intervals"] == [[100, 120]]
    assert response.json()["position_seconds"] == 500


def test_a_pause_behind_the_play_position_adds_time_but_no_interval(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=300, event_id="a")
    response = send(
        enrolled, at(20), video_id=video.pk, event="pause", position_seconds=100, event_id="b"
    )
    assert (response.json()["credited_seconds"], response.json()["intervals"]) == (20, [])


def test_a_video_of_unknown_length_is_credited_by_measured_time_only(enrolled, course):
    unknown_length = VideoFactory(course=course, duration_seconds=0)
    send(enrolled, at(0), video_id=unknown_length.pk, start_time=at(0).isoformat())
    response = send(enrolled, at(900), video_id=unknown_length.pk, end_time=at(900).isoformat())
    body = response.json()
    assert (body["credited_seconds"], body["percent_watched"], body["completed"]) == (
        900,
        0.0,
        False,
    )


def test_a_position_just_past_the_end_is_the_end(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=590, event_id="a")
    response = send(
        enrolled, at(20), video_id=video.pk, event="pause", position_seconds=604.5, event_id="b"
    )
    assert response.json()["intervals"] == [[590, 600]]
    assert WatchEvent.objects.get(event_id="b").position_seconds == 600


# --- intervals and completion -------------------------------------------------------------


def test_rewatching_counts_time_again_but_not_toward_percent(enrolled, video):
    for start in (0, 200):
        send(
            enrolled,
            at(start),
            video_id=video.pk,
            event="play",
            position_seconds=0,
            event_id=f"play{start}",
        )
        response = send(
            enrolled,
            at(start + 60),
            video_id=video.pk,
            event="pause",
            position_seconds=60,
            event_id=f"pause{start}",
        )
    body = response.json()
    assert (body["watch_seconds"], body["watched_intervals"], body["percent_watched"]) == (
        120,
        [[0, 60]],
        10.0,
    )
    assert attendance_of(enrolled) == (120, "in_progress")


def test_skipping_ahead_leaves_a_gap_in_the_intervals(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    seek = send(
        enrolled, at(20), video_id=video.pk, event="seek", position_seconds=300, event_id="b"
    )
    assert seek.json()["credited_seconds"] == 20
    assert (seek.json()["playing"], seek.json()["open_position"]) == (True, 300)
    pause = send(
        enrolled, at(50), video_id=video.pk, event="pause", position_seconds=330, event_id="c"
    )
    assert pause.json()["watched_intervals"] == [[0, 20], [300, 330]]
    assert pause.json()["percent_watched"] == 8.33
    assert pause.json()["watch_seconds"] == 50


def test_a_seek_while_paused_only_moves_the_position(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    send(enrolled, at(10), video_id=video.pk, event="pause", position_seconds=10, event_id="b")
    before = list(VideoProgress.objects.values_list("watch_seconds", "end_time", "open_position"))

    seek = send(
        enrolled, at(20), video_id=video.pk, event="seek", position_seconds=400, event_id="c"
    )

    assert (seek.json()["credited_seconds"], seek.json()["position_seconds"]) == (0, 400)
    assert seek.json()["playing"] is False
    assert (
        list(VideoProgress.objects.values_list("watch_seconds", "end_time", "open_position"))
        == before
    )
    resume = send(enrolled, at(30), video_id=video.pk, start_time=at(30).isoformat())
    assert resume.json()["open_position"] == 400


def test_a_seek_while_paused_on_a_new_day_writes_no_day(enrolled, video):
    response = send(
        enrolled, at(0), video_id=video.pk, event="seek", position_seconds=50, event_id="a"
    )
    assert response.status_code == 200
    assert response.json() == expected(video, start_time=None, position_seconds=50)
    assert not VideoProgress.objects.exists()
    assert not DailyAttendance.objects.exists()
    assert VideoWatch.objects.get().last_position == 50


def test_a_play_while_one_is_open_replaces_it_without_credit(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    replaced = send(
        enrolled, at(50), video_id=video.pk, event="play", position_seconds=100, event_id="b"
    )
    assert (replaced.json()["credited_seconds"], replaced.json()["open_position"]) == (0, 100)
    pause = send(
        enrolled, at(60), video_id=video.pk, event="pause", position_seconds=110, event_id="c"
    )
    assert (pause.json()["watch_seconds"], pause.json()["intervals"]) == (10, [[100, 110]])


@pytest.mark.parametrize(("watched", "completed"), [(539, False), (540, True)])
def test_a_video_is_complete_at_the_configured_share(enrolled, video, watched, completed):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    response = send(
        enrolled,
        at(watched),
        video_id=video.pk,
        event="pause",
        position_seconds=watched,
        event_id="b",
    )
    assert response.json()["completed"] is completed
    assert VideoWatch.objects.get().completed is completed


def test_completion_share_is_a_setting(enrolled, video, settings):
    settings.ATTENDANCE_COMPLETE_SHARE = 0.5
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    response = send(
        enrolled, at(300), video_id=video.pk, event="pause", position_seconds=300, event_id="b"
    )
    assert response.json()["completed"] is True


# --- idempotency --------------------------------------------------------------------------


def test_a_replayed_event_id_answers_the_same_and_changes_nothing(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    first = send(
        enrolled, at(60), video_id=video.pk, event="pause", position_seconds=60, event_id="b"
    )
    before = state()

    replay = send(
        enrolled, at(90), video_id=video.pk, event="pause", position_seconds=60, event_id="b"
    )

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert state() == before


def test_an_event_id_replayed_on_a_video_never_watched_gets_its_first_answer(enrolled, video):
    other_video = VideoFactory(course=video.course, duration_seconds=600)
    first = send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    before = state()

    replay = send(
        enrolled, at(10), video_id=other_video.pk, event="play", position_seconds=0, event_id="a"
    )

    assert (replay.status_code, replay.json()) == (200, first.json())
    assert state() == before
    assert not VideoWatch.objects.filter(video=other_video).exists()


def test_an_old_event_replayed_after_later_ones_gets_its_first_answer(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    first = send(
        enrolled, at(60), video_id=video.pk, event="pause", position_seconds=60, event_id="b"
    )
    send(enrolled, at(100), video_id=video.pk, event="play", position_seconds=60, event_id="c")
    before = state()

    # Replayed as a pause with no play open any more: still the stored answer, not a 409.
    replay = send(
        enrolled, at(120), video_id=video.pk, event="pause", position_seconds=80, event_id="b"
    )

    assert (replay.status_code, replay.json()) == (200, first.json())
    assert state() == before


def test_event_ids_belong_to_each_user(enrolled, video, course):
    classmate = StudentFactory()
    EnrollmentFactory(user=classmate, course=course)
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="same")
    response = send(
        classmate, at(1), video_id=video.pk, event="play", position_seconds=5, event_id="same"
    )
    assert response.json()["open_position"] == 5
    assert WatchEvent.objects.filter(event_id="same").count() == 2


def test_simple_events_without_ids_all_count(enrolled, video):
    for second in (0, 10):
        send(enrolled, at(second), video_id=video.pk, start_time=at(second).isoformat())
    assert WatchEvent.objects.filter(event_id__isnull=True).count() == 2


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"end_time": "2026-03-10T10:01:00Z", "watchtime_seconds": 60},
        {"event": "pause", "position_seconds": 60, "event_id": "x"},
        {"event": "heartbeat", "position_seconds": 60, "event_id": "x"},
        {"event": "ended", "event_id": "x"},
    ],
    ids=["simple-pause", "pause", "heartbeat", "ended"],
)
def test_closing_without_an_open_play_is_409(enrolled, video, body):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    send(enrolled, at(30), video_id=video.pk, event="pause", position_seconds=30, event_id="b")
    before = state()

    response = send(enrolled, at(60), video_id=video.pk, **body)

    assert response.status_code == 409
    assert response.json() == {
        "status_code": 409,
        "code": "no_open_play",
        "message": "No play is open on this video.",
    }
    assert state() == before


def test_a_first_ever_pause_is_409_and_writes_nothing(enrolled, video):
    response = send(enrolled, at(0), video_id=video.pk, end_time=at(0).isoformat())
    assert response.status_code == 409
    assert state() == {"events": [], "watches": [], "days": [], "attendance": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "play", "position_seconds": -1, "event_id": "x"}, "position_seconds"),
        (
            {"event": "play", "position_seconds": 10 * 24 * 3600 + 1, "event_id": "x"},
            "position_seconds",
        ),
        ({"end_time": "2026-03-10T10:01:00Z", "watchtime_seconds": -5}, "watchtime_seconds"),
        ({"end_time": "2026-03-10T10:01:00Z", "watchtime_seconds": 86401}, "watchtime_seconds"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "2026-02-30T10:00:00Z"}, "start_time"),
        ({"end_time": 12}, "end_time"),
        (
            {
                "start_time": "2026-03-10T10:00:00Z",
                "event": "play",
                "event_id": "x",
                "position_seconds": 0,
            },
            "start_time",
        ),
        ({"event": "play", "position_seconds": 0}, "event_id"),
        ({"event": "pause", "event_id": "x"}, "position_seconds"),
        ({"event": "rewind", "position_seconds": 0, "event_id": "x"}, "event"),
        ({"event": "play", "position_seconds": 0, "event_id": "has space"}, "event_id"),
        ({"event": "play", "position_seconds": 0, "event_id": "x" * 65}, "event_id"),
        ({}, "start_time"),
        ({"start_time": "2026-03-10T10:00:00Z", "watchtime_seconds": 5}, "watchtime_seconds"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(enrolled, video, body, field):
    response = send(enrolled, at(0), video_id=video.pk, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert state() == {"events": [], "watches": [], "days": [], "attendance": []}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"event": "play", "position_seconds": 606, "event_id": "x"}, "position_seconds", "absurd"),
        ({"start_time": "2026-03-08T09:59:59Z"}, "start_time", "absurd"),
        ({"start_time": "2026-03-11T10:00:01Z"}, "start_time", "absurd"),
        (
            {"start_time": "2026-03-10T10:00:00Z", "end_time": "2026-03-10T09:00:00Z"},
            "end_time",
            "invalid",
        ),
    ],
)
def test_absurd_numbers_and_times_are_400(enrolled, video, body, field, code):
    response = send(enrolled, at(0), video_id=video.pk, **body)
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == (code, [field])
    assert state() == {"events": [], "watches": [], "days": [], "attendance": []}


@pytest.mark.parametrize("video_id", ["abc", None, 0, True])
def test_a_malformed_video_id_is_400(enrolled, video_id):
    response = send(enrolled, at(0), video_id=video_id, start_time=at(0).isoformat())
    assert (response.status_code, list(response.json()["errors"])) == (400, ["video_id"])


def test_malformed_json_is_400(enrolled, video):
    with freeze_time(at(0)):
        response = client_for(enrolled).post(
            PROGRESS_URL,
            data=f'{{"video_id": {video.pk}, "event": "play", "position_seconds": NaN, '
            '"event_id": "x"}',
            content_type="application/json",
        )
    assert response.status_code == 400
    assert not WatchEvent.objects.exists()


def test_an_unknown_video_is_400_unknown_video(enrolled, video):
    response = send(enrolled, at(0), video_id=video.pk + 1000, start_time=at(0).isoformat())
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "code": "unknown_video",
        "message": "Invalid input: video_id.",
        "errors": {"video_id": ["No video with this id."]},
    }


def test_an_unavailable_video_is_400(enrolled, course):
    gone = VideoFactory(course=course, is_available=False)
    response = send(enrolled, at(0), video_id=gone.pk, start_time=at(0).isoformat())
    assert (response.status_code, response.json()["code"]) == (400, "video_unavailable")
    assert not WatchEvent.objects.exists()


@pytest.mark.parametrize("who", ["not_enrolled", "instructor", "staff", "dropped"])
def test_only_enrolled_students_record_progress(video, course, staff, who):
    dropped = StudentFactory()
    EnrollmentFactory(user=dropped, course=course, status="dropped")
    user = {
        "not_enrolled": StudentFactory(),
        "instructor": course.instructor,
        "staff": staff,
        "dropped": dropped,
    }[who]

    response = send(user, at(0), video_id=video.pk, start_time=at(0).isoformat())

    assert response.status_code == 403
    assert response.json()["code"] == "not_enrolled"
    assert state() == {"events": [], "watches": [], "days": [], "attendance": []}


def test_unauthenticated_is_401(api_client, video):
    response = api_client.post(PROGRESS_URL, {"video_id": video.pk, "start_time": T0.isoformat()})
    assert response.status_code == 401


def test_dropping_takes_effect_at_once_despite_the_cache(enrolled, video, course):
    assert send(enrolled, at(0), video_id=video.pk, start_time=at(0).isoformat()).status_code == 200
    with freeze_time(at(5)):
        course_services.enrollment_drop(user=enrolled, course_id=course.pk)
    response = send(enrolled, at(10), video_id=video.pk, end_time=at(10).isoformat())
    assert response.status_code == 403


def test_registering_takes_effect_at_once_despite_the_cache(student, video, course):
    assert send(student, at(0), video_id=video.pk, start_time=at(0).isoformat()).status_code == 403
    with freeze_time(at(5)):
        course_services.enrollment_create(user=student, course_id=course.pk)
    assert (
        send(student, at(10), video_id=video.pk, start_time=at(10).isoformat()).status_code == 200
    )


def test_a_changed_video_length_takes_effect_at_once_despite_the_cache(enrolled, video):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    with freeze_time(at(5)):
        video.duration_seconds = 100
        video.save()
    response = send(
        enrolled, at(10), video_id=video.pk, event="seek", position_seconds=300, event_id="b"
    )
    assert (response.status_code, response.json()["code"]) == (400, "absurd")


def test_a_failure_midway_writes_nothing(enrolled, video, monkeypatch):
    send(enrolled, at(0), video_id=video.pk, event="play", position_seconds=0, event_id="a")
    before = state()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(WatchEvent.objects, "create", broken)
    with freeze_time(at(60)), pytest.raises(RuntimeError):
        services.progress_event_record(
            user=enrolled, video_id=video.pk, kind="pause", position_seconds=60, event_id="b"
        )

    assert state() == before


# --- days ---------------------------------------------------------------------------------


def test_the_day_is_the_time_zone_date_not_the_utc_date(enrolled, video, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    # 2026-03-11 05:00 UTC is 22:00 on the 10th in Los Angeles (PDT, UTC-7).
    moment = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)
    response = send(enrolled, moment, video_id=video.pk, start_time=moment.isoformat())
    assert response.json()["date"] == "2026-03-10"
    assert response.json()["start_time"] == "2026-03-10T22:00:00-07:00"
    assert DailyAttendance.objects.get(user=enrolled).date == date(2026, 3, 10)


def test_a_play_across_midnight_counts_for_the_day_of_its_pause(enrolled, video, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    # 18:25 UTC is 23:55 in Kolkata (UTC+5:30); the pause comes ten minutes later, at 00:05.
    play_at = datetime(2026, 3, 10, 18, 25, tzinfo=UTC)
    pause_at = play_at + timedelta(minutes=10)
    send(enrolled, play_at, video_id=video.pk, event="play", position_seconds=0, event_id="a")
    assert DailyAttendance.objects.get(user=enrolled).date == date(2026, 3, 10)

    pause = send(
        enrolled, pause_at, video_id=video.pk, event="pause", position_seconds=600, event_id="b"
    )

    assert pause.json()["date"] == "2026-03-11"
    assert pause.json()["start_time"] == "2026-03-11T00:00:00+05:30"
    assert pause.json()["credited_seconds"] == 600
    assert list(
        VideoProgress.objects.order_by("date").values_list(
            "date", "watch_seconds", "open_started_at"
        )
    ) == [(date(2026, 3, 10), 0, None), (date(2026, 3, 11), 600, None)]
    assert list(
        DailyAttendance.objects.order_by("date").values_list("date", "total_seconds", "status")
    ) == [(date(2026, 3, 10), 0, "in_progress"), (date(2026, 3, 11), 600, "present")]


def test_a_heartbeat_across_midnight_moves_the_open_play_to_the_new_day(enrolled, video, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    play_at = datetime(2026, 3, 10, 18, 29, tzinfo=UTC)  # 23:59 in Kolkata
    send(enrolled, play_at, video_id=video.pk, event="play", position_seconds=0, event_id="a")
    beat = send(
        enrolled,
        play_at + timedelta(seconds=120),
        video_id=video.pk,
        event="heartbeat",
        position_seconds=120,
        event_id="b",
    )
    assert (beat.json()["date"], beat.json()["playing"]) == ("2026-03-11", True)
    assert list(VideoProgress.objects.order_by("date").values_list("date", "open_position")) == [
        (date(2026, 3, 10), None),
        (date(2026, 3, 11), 120),
    ]


# --- query counts -------------------------------------------------------------------------


def test_recording_costs_a_fixed_number_of_queries(enrolled, video, django_assert_num_queries):
    with freeze_time(at(0)):
        client = client_for(enrolled)
        # Cold cache, first event ever on the video: user (authentication), video,
        # enrollment, SAVEPOINT, lock VideoWatch (none yet), insert VideoWatch (locked as
        # this transaction's; no days to read), insert the day's VideoProgress, upsert
        # DailyAttendance, insert WatchEvent, RELEASE SAVEPOINT.
        with django_assert_num_queries(10):
            client.post(
                PROGRESS_URL,
                {"video_id": video.pk, "event": "play", "position_seconds": 0, "event_id": "a"},
            )
    with freeze_time(at(30)):
        client = client_for(enrolled)
        # Warm cache: user, SAVEPOINT, lock VideoWatch (and look for the event id), read the
        # day's VideoProgress and the open play, update VideoProgress, upsert
        # DailyAttendance, update VideoWatch, insert WatchEvent, RELEASE SAVEPOINT.
        with django_assert_num_queries(9):
            pause = client.post(
                PROGRESS_URL,
                {"video_id": video.pk, "event": "pause", "position_seconds": 30, "event_id": "b"},
            )
        # A play on a day already started: user, SAVEPOINT, lock, read the days, update
        # VideoProgress, insert WatchEvent, RELEASE SAVEPOINT.
        with django_assert_num_queries(7):
            client.post(
                PROGRESS_URL,
                {"video_id": video.pk, "event": "play", "position_seconds": 30, "event_id": "c"},
            )
        # A replay: user, SAVEPOINT, lock (finds the stored answer), ROLLBACK TO SAVEPOINT,
        # RELEASE SAVEPOINT.
        with django_assert_num_queries(5):
            replay = client.post(
                PROGRESS_URL,
                {"video_id": video.pk, "event": "pause", "position_seconds": 30, "event_id": "b"},
            )
    assert replay.json() == pause.json()
