import logging
import threading
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry
from freezegun import freeze_time

from config.celery import app as celery_app
from courses.models import Course
from tests.accounts.factories import AdminFactory, MentorFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory
from tests.videos.conftest import (
    LARGE_IMPORT,
    LARGE_PLAYLIST,
    SMALL_IMPORT,
    SMALL_PLAYLIST,
    SMALL_REIMPORT,
    recorded,
)
from tests.videos.factories import PlaylistImportFactory
from videos import services, tasks
from videos.models import PlaylistImport, Video
from videos.youtube import YouTubeTransientError

pytestmark = pytest.mark.django_db

SMALL_AFTER_IMPORT = [
    # (youtube_id, title, duration_seconds, position, is_available)
    ("aaaaaaaaaa1", "Welcome to Django", 253, 0, True),
    ("bbbbbbbbbb2", "Models and migrations", 3723, 1, True),
    ("ccccccccc_3", "Deleted video", 0, 2, False),
    ("dddddddddd4", "Views and URLs", 900, 3, True),
    ("eeeeeeeee-5", "Private video", 0, 4, False),
    ("ffffffffff6", "Testing with pytest", 0, 5, False),
]


def videos_of(course):
    return list(
        Video.objects.filter(course=course)
        .order_by("position")
        .values_list("youtube_id", "title", "duration_seconds", "position", "is_available")
    )


def new_import(user, playlist_id=SMALL_PLAYLIST, course=None):
    return PlaylistImportFactory(requested_by=user, playlist_id=playlist_id, course=course)


def test_import_creates_a_draft_course_with_the_videos_in_playlist_order(youtube_responses):
    mentor = MentorFactory()
    http = youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor).pk)
    assert record.status == PlaylistImport.Status.SUCCEEDED
    assert (record.imported, record.total, record.error, record.attempts) == (6, 6, "", 1)
    assert record.finished_at is not None
    course = Course.objects.get(playlist_id=SMALL_PLAYLIST)
    assert record.course_id == course.pk
    assert (course.code, course.title, course.status, course.source, course.instructor) == (
        f"YT-{SMALL_PLAYLIST}",
        "Django for beginners",
        Course.Status.DRAFT,
        Course.Source.YOUTUBE_PLAYLIST,
        mentor,
    )
    assert course.description == "Build and test a Django web application from scratch."
    assert videos_of(course) == SMALL_AFTER_IMPORT
    assert len(http.request_sequence) == 4  # playlists, 2 pages of items, 1 videos.list


def test_an_import_logs_no_api_key(youtube_responses, settings, caplog):
    settings.YOUTUBE_API_KEY = "AIza-import-secret-key-42"
    http = youtube_responses(*SMALL_IMPORT)

    with caplog.at_level(logging.DEBUG):
        services.playlist_import_run(import_id=new_import(MentorFactory()).pk)

    assert "key=AIza-import-secret-key-42" in http.request_sequence[0][0]
    assert "AIza-import-secret-key-42" not in caplog.text


def test_reimport_is_idempotent_and_follows_the_playlist(youtube_responses, mentor):
    youtube_responses(*SMALL_IMPORT)
    services.playlist_import_run(import_id=new_import(mentor).pk)
    course = Course.objects.get(playlist_id=SMALL_PLAYLIST)
    manual = services.video_create(
        course_id=course.pk,
        acting_user=mentor,
        youtube_id="mmmmmmmmmm8",
        title="Office hours",
        duration_seconds=60,
    )
    kept_ids = dict(Video.objects.values_list("youtube_id", "pk"))

    youtube_responses(*SMALL_REIMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor).pk)

    assert record.status == PlaylistImport.Status.SUCCEEDED
    assert (record.imported, record.course_id) == (4, course.pk)
    assert Course.objects.count() == 1
    assert videos_of(course) == [
        ("dddddddddd4", "Views, URLs and templates", 960, 0, True),  # renamed, moved up
        ("aaaaaaaaaa1", "Welcome to Django", 253, 1, True),
        ("ggggggggg77", "Deploying Django", 30, 2, True),  # new
        ("bbbbbbbbbb2", "Models and migrations", 3723, 3, False),  # made private: keeps data
        ("ccccccccc_3", "Deleted video", 0, 4, False),  # gone from the playlist
        ("eeeeeeeee-5", "Private video", 0, 5, False),
        ("ffffffffff6", "Testing with pytest", 0, 6, False),
        ("mmmmmmmmmm8", "Office hours", 60, 7, True),  # added by hand: stays available
    ]
    # The same rows were updated, none deleted or duplicated.
    assert {k: v for k, v in Video.objects.values_list("youtube_id", "pk") if k in kept_ids} == (
        kept_ids
    )
    assert Video.objects.get(pk=manual.pk).is_from_playlist is False


def test_running_the_same_import_again_changes_nothing(youtube_responses, mentor):
    youtube_responses(*SMALL_IMPORT)
    services.playlist_import_run(import_id=new_import(mentor).pk)
    course = Course.objects.get(playlist_id=SMALL_PLAYLIST)
    before = list(Video.objects.order_by("pk").values())

    youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor).pk)

    assert record.status == PlaylistImport.Status.SUCCEEDED
    assert list(Video.objects.order_by("pk").values()) == before
    assert videos_of(course) == SMALL_AFTER_IMPORT


def test_import_into_a_given_course_attaches_the_playlist(youtube_responses, mentor):
    course = CourseFactory(instructor=mentor, code="DJ1", title="Mine")
    youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor, course=course).pk)
    assert record.status == PlaylistImport.Status.SUCCEEDED
    course.refresh_from_db()
    assert (course.title, course.source, course.playlist_id) == (
        "Mine",
        Course.Source.YOUTUBE_PLAYLIST,
        SMALL_PLAYLIST,
    )
    assert videos_of(course) == SMALL_AFTER_IMPORT
    assert Course.objects.count() == 1


@pytest.mark.parametrize(
    ("playlist_id", "code"),
    [
        ("PL" + "a" * 59, "YT-PL" + "a" * 59),
        ("PL" + "a" * 60, "YT-PL" + "a" * 50 + "-3f7c48c3"),
        ("OLAK5uy_" + "b" * 56, "YT-OLAK5uy_" + "b" * 44 + "-9e0c8a17"),
    ],
    ids=["61-fits-as-is", "62-cut-and-hashed", "64-cut-and-hashed"],
)
def test_a_course_made_from_a_long_playlist_id_gets_a_code_that_fits(
    youtube_responses, mentor, playlist_id, code
):
    youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor, playlist_id=playlist_id).pk)
    assert (record.status, record.error) == (PlaylistImport.Status.SUCCEEDED, "")
    course = Course.objects.get(playlist_id=playlist_id)
    assert (course.code, len(course.code) <= 64) == (code, True)


def test_a_taken_code_gets_the_import_number_and_still_fits(youtube_responses, mentor):
    playlist_id = "PL" + "a" * 60
    CourseFactory(code=services.playlist_course_code(playlist_id))
    youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor, playlist_id=playlist_id).pk)
    assert record.status == PlaylistImport.Status.SUCCEEDED
    code = Course.objects.get(playlist_id=playlist_id).code
    assert code == f"YT-PL{'a' * (49 - len(str(record.pk)))}-3f7c48c3-{record.pk}"
    assert len(code) == 64


def test_importing_a_200_video_playlist_makes_a_bounded_number_of_queries(
    youtube_responses, mentor, django_assert_max_num_queries
):
    http = youtube_responses(*LARGE_IMPORT)
    record = new_import(mentor, playlist_id=LARGE_PLAYLIST)
    # Measured: 31 on SQLite, 29 on PostgreSQL. Before any video: claim UPDATE; the record
    # with its requester; UPDATE total. Then one transaction per batch of 100 videos, so
    # that `imported` is committed as it grows (each adds SAVEPOINT and RELEASE here, the
    # course lock, the batch's existing videos, its INSERTs and UPDATE imported: 6 more
    # queries per 100 videos than one transaction for all). First batch: course by
    # playlist, course by code, code check, instructor check, INSERT course and its audit
    # row (3 savepoint statements around them), lock the course, the batch's existing
    # videos, INSERT videos (2 statements on SQLite, whose parameter limit caps them at 76
    # rows, 1 on PostgreSQL), UPDATE imported. Last batch: lock the course, the course's
    # videos, INSERT videos, the record's final UPDATE, the requester's notification
    # preferences, in-app notification and outgoing email. Finally re-read the record.
    with django_assert_max_num_queries(31):
        record = services.playlist_import_run(import_id=record.pk)
    assert record.status == PlaylistImport.Status.SUCCEEDED
    assert (record.imported, record.total) == (200, 200)
    course = Course.objects.get(playlist_id=LARGE_PLAYLIST)
    assert Video.objects.filter(course=course, is_available=True).count() == 200
    assert list(
        Video.objects.filter(course=course, position__in=[0, 199])
        .order_by("position")
        .values_list("title", "duration_seconds")
    ) == [("Lesson 1", 60), ("Lesson 200", 12000)]
    video_calls = [uri for uri, *_ in http.request_sequence if "/videos?" in uri]
    assert [len(parse_qs(urlsplit(uri).query)["id"][0].split(",")) for uri in video_calls] == [
        50,
        50,
        50,
        50,
    ]

    # Re-importing the same 200 videos writes no video row: 20 queries (no course creation,
    # no INSERT, nothing changed so no bulk UPDATE; the requester is told again).
    youtube_responses(*LARGE_IMPORT)
    again = new_import(mentor, playlist_id=LARGE_PLAYLIST)
    with django_assert_max_num_queries(20):
        again = services.playlist_import_run(import_id=again.pk)
    assert again.status == PlaylistImport.Status.SUCCEEDED
    assert Video.objects.filter(course=course).count() == 200


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "reason"),
    [
        ([recorded("playlists_list_empty")], "The playlist does not exist or is private."),
        (
            [recorded("playlists_list"), recorded("error_playlist_not_found", 404)],
            "The playlist does not exist or is private.",
        ),
        (
            [recorded("playlists_list"), recorded("error_playlist_private", 403)],
            "The playlist is private.",
        ),
        (
            [recorded("error_key_invalid", 400)],
            "YouTube refused the request: 400 API key not valid. Please pass a valid API key.",
        ),
    ],
)
def test_final_errors_fail_the_import_without_retry(youtube_responses, mentor, responses, reason):
    http = youtube_responses(*responses)
    record = new_import(mentor)
    tasks.playlist_import_run_task.delay(record.pk)
    record.refresh_from_db()
    assert record.status == PlaylistImport.Status.FAILED
    assert record.error == reason
    assert record.attempts == 1
    assert record.finished_at is not None
    assert len(http.request_sequence) == len(responses)
    assert not Course.objects.exists()
    assert not Video.objects.exists()
    tasks.playlist_import_run_task.delay(record.pk)  # a duplicate message changes nothing
    assert list(
        mentor.notifications.filter(type="playlist_import_failed").values_list("data", flat=True)
    ) == [{"import_id": record.pk, "playlist_id": record.playlist_id, "error": reason}]


def run_as_worker(import_id: int) -> list[float]:
    """Run the import task the way a worker does: each Retry it raises is delivered again
    with the retry count raised. Returns the countdowns asked for."""
    countdowns = []
    retries = 0
    while True:
        try:
            tasks.playlist_import_run_task.apply(args=[import_id], retries=retries, throw=True)
            return countdowns
        except Retry as retry:
            countdowns.append(retry.when)
            retries += 1


def test_quota_and_server_errors_are_retried_with_backoff_then_succeed(youtube_responses, mentor):
    http = youtube_responses(
        recorded("playlists_list"),
        recorded("error_quota_exceeded", 403),
        recorded("error_backend", 503),
        *SMALL_IMPORT,
    )
    record = new_import(mentor)
    countdowns = run_as_worker(record.pk)
    record.refresh_from_db()
    assert countdowns == [60, 120]
    assert record.status == PlaylistImport.Status.SUCCEEDED
    assert (record.attempts, record.error, record.imported) == (3, "", 6)
    assert http._iterable == []


def test_a_retryable_error_requeues_the_import_with_the_reason(youtube_responses, mentor):
    youtube_responses(recorded("error_quota_exceeded", 403))
    record = new_import(mentor)
    with pytest.raises(Retry):
        tasks.playlist_import_run_task.apply(args=[record.pk], throw=True)
    record.refresh_from_db()
    assert record.status == PlaylistImport.Status.QUEUED
    assert record.error.startswith("YouTube API quota exceeded")
    assert record.error.endswith("Retrying in 60 s.")


def test_transient_errors_fail_the_import_once_retries_run_out(youtube_responses, mentor, settings):
    settings.YOUTUBE_IMPORT_MAX_RETRIES = 2
    youtube_responses(*[recorded("error_backend", 503)] * 3)
    record = new_import(mentor)
    assert run_as_worker(record.pk) == [60, 120]
    record.refresh_from_db()
    assert record.status == PlaylistImport.Status.FAILED
    assert record.attempts == 3
    assert record.error == (
        "YouTube answered 503 (The service is currently unavailable.). Gave up after 3 attempts."
    )
    assert not Course.objects.exists()


def test_an_unexpected_crash_fails_the_import_and_is_raised(mentor, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "playlist_import_run", crash)
    record = new_import(mentor)
    with pytest.raises(RuntimeError):
        tasks.playlist_import_run_task.apply(args=[record.pk], throw=True)
    record.refresh_from_db()
    assert (record.status, record.error) == ("failed", "The import failed unexpectedly.")


def test_retry_countdown_doubles_up_to_the_cap(settings):
    settings.YOUTUBE_IMPORT_RETRY_BACKOFF = 60
    settings.YOUTUBE_IMPORT_RETRY_BACKOFF_MAX = 1800
    assert [services.playlist_import_retry_countdown(n) for n in range(7)] == [
        60,
        120,
        240,
        480,
        960,
        1800,
        1800,
    ]


def test_a_transient_error_leaves_the_import_running_for_the_caller(monkeypatch, mentor):
    class Unreachable:
        def request(self, *args, **kwargs):
            raise TimeoutError("timed out")

    monkeypatch.setattr("videos.youtube.http_factory", Unreachable)
    record = new_import(mentor)
    with pytest.raises(YouTubeTransientError):
        services.playlist_import_run(import_id=record.pk)
    record.refresh_from_db()
    assert record.status == PlaylistImport.Status.RUNNING
    services.playlist_import_requeue(import_id=record.pk, error="later")
    record.refresh_from_db()
    assert (record.status, record.error) == (PlaylistImport.Status.QUEUED, "later")


@pytest.mark.parametrize(
    ("status", "started_minutes_ago"),
    [("succeeded", 1), ("failed", 1)],
)
def test_a_duplicate_task_does_not_run_an_import_again(mentor, status, started_minutes_ago):
    record = PlaylistImportFactory(
        requested_by=mentor,
        status=status,
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago),
    )
    tasks.playlist_import_run_task.delay(record.pk)  # no recorded responses: no HTTP allowed
    record.refresh_from_db()
    assert record.status == status
    assert record.attempts == 0


def test_a_redelivered_task_of_a_running_import_retries_once_it_would_be_stale(
    youtube_responses, mentor, settings
):
    """acks_late redelivers the message of a worker that died; the row still says running
    with a recent start. The task comes back when the row turns claimable, instead of
    leaving the import running for ever."""
    settings.CELERY_TASK_TIME_LIMIT = 360
    with freeze_time("2026-05-01 12:00:00"):
        record = PlaylistImportFactory(
            requested_by=mentor,
            status="running",
            attempts=1,
            started_at=timezone.now() - timedelta(minutes=1),
        )
        with pytest.raises(Retry) as retry:
            # no recorded responses: no HTTP allowed
            tasks.playlist_import_run_task.apply(args=[record.pk], throw=True)
    assert retry.value.when == 301  # 300 s until the start is older than the time limit
    record.refresh_from_db()
    assert (record.status, record.attempts) == (PlaylistImport.Status.RUNNING, 1)

    youtube_responses(*SMALL_IMPORT)
    with freeze_time("2026-05-01 12:05:01"):
        tasks.playlist_import_run_task.apply(args=[record.pk], retries=1, throw=True)
    record.refresh_from_db()
    assert (record.status, record.attempts, record.imported) == (
        PlaylistImport.Status.SUCCEEDED,
        2,
        6,
    )


# --- stale imports ------------------------------------------------------------------------


def test_beat_sweeps_stale_imports_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["videos-reclaim-stale-imports"]
    assert entry["task"] == "videos.tasks.playlist_imports_reclaim_stale_task"

    ModelEntry.from_entry("videos-reclaim-stale-imports", app=celery_app, **entry)

    task = PeriodicTask.objects.get(name="videos-reclaim-stale-imports")
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.day_of_week) == (
        "*/5",
        "*",
        "*",
        "*",
    )


def stale_import(user, *, attempts=1, **kwargs):
    return PlaylistImportFactory(
        requested_by=user,
        status="running",
        attempts=attempts,
        started_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1),
        **kwargs,
    )


def test_the_sweeper_requeues_and_restarts_an_import_whose_worker_died(
    youtube_responses, mentor, django_capture_on_commit_callbacks
):
    record = stale_import(mentor)
    youtube_responses(*SMALL_IMPORT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.playlist_imports_reclaim_stale_task.delay()
    record.refresh_from_db()
    assert (record.status, record.error) == (
        PlaylistImport.Status.QUEUED,
        "The worker running the import stopped before it finished; starting it again.",
    )
    assert len(callbacks) == 1

    callbacks[0]()
    record.refresh_from_db()
    assert (record.status, record.attempts, record.imported, record.error) == (
        PlaylistImport.Status.SUCCEEDED,
        2,
        6,
        "",
    )


def test_the_sweeper_fails_an_import_that_stopped_once_too_often(
    mentor, settings, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_IMPORT_MAX_RETRIES = 2
    record = stale_import(mentor, attempts=3)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.playlist_imports_reclaim_stale() == (0, 1)

    record.refresh_from_db()
    assert (record.status, record.error) == (
        PlaylistImport.Status.FAILED,
        "The import stopped before it finished 3 times (its worker was lost or ran out of "
        "time); giving up.",
    )
    assert record.finished_at is not None
    # No import task is sent again; the one callback is the requester's email.
    assert len(callbacks) == 1
    assert mentor.outgoing_emails.get().type == "playlist_import_failed"


def test_the_sweeper_leaves_other_imports_alone_and_is_safe_to_run_twice(
    youtube_responses, mentor, django_capture_on_commit_callbacks
):
    young = PlaylistImportFactory(
        requested_by=mentor, status="running", attempts=1, started_at=timezone.now()
    )
    queued = PlaylistImportFactory(requested_by=mentor)
    done = PlaylistImportFactory(
        requested_by=mentor,
        status="succeeded",
        started_at=timezone.now() - timedelta(hours=2),
    )
    stale = stale_import(mentor)
    untouched = [young, queued, done]
    before = [(r.status, r.error, r.updated_at) for r in untouched]

    with django_capture_on_commit_callbacks(execute=False) as first:
        assert services.playlist_imports_reclaim_stale() == (1, 0)
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert services.playlist_imports_reclaim_stale() == (0, 0)

    assert (len(first), len(second)) == (1, 0)
    for record in untouched:
        record.refresh_from_db()
    assert [(r.status, r.error, r.updated_at) for r in untouched] == before
    stale.refresh_from_db()
    assert stale.status == PlaylistImport.Status.QUEUED


# --- progress -----------------------------------------------------------------------------


def test_imported_grows_as_each_batch_is_stored(youtube_responses, mentor):
    youtube_responses(*LARGE_IMPORT)
    record = new_import(mentor, playlist_id=LARGE_PLAYLIST)
    seen = []

    def progress(stage, done, total):
        if stage == "storing":
            row = PlaylistImport.objects.get(pk=record.pk)
            seen.append((done, total, row.imported, row.status, row.course_id is not None))

    services.playlist_import_run(import_id=record.pk, progress=progress)

    assert seen == [(100, 200, 100, "running", True), (200, 200, 200, "succeeded", True)]
    assert Video.objects.filter(position__lt=100).count() == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_poller_sees_the_progress_of_an_import_while_it_runs(youtube_responses, mentor):
    youtube_responses(*LARGE_IMPORT)
    record = new_import(mentor, playlist_id=LARGE_PLAYLIST)
    polled = []

    def poll():
        try:
            response = client_for(mentor).get(f"/api/v1/videos/imports/{record.pk}")
            body = response.json()
            polled.append((response.status_code, body["status"], body["imported"], body["total"]))
        finally:
            connection.close()

    def progress(stage, done, total):
        if stage == "storing" and done < total:
            poller = threading.Thread(target=poll)
            poller.start()
            poller.join()

    services.playlist_import_run(import_id=record.pk, progress=progress)

    assert polled == [(200, "running", 100, 200)]


def test_an_import_whose_worker_died_is_claimed_again(youtube_responses, mentor):
    record = PlaylistImportFactory(
        requested_by=mentor, status="running", started_at=timezone.now() - timedelta(hours=1)
    )
    youtube_responses(*SMALL_IMPORT)
    tasks.playlist_import_run_task.delay(record.pk)
    record.refresh_from_db()
    assert record.status == PlaylistImport.Status.SUCCEEDED


def test_import_fails_readably_when_the_playlist_belongs_to_another_course(
    youtube_responses, mentor
):
    CourseFactory(playlist_id=SMALL_PLAYLIST, source="youtube_playlist")
    youtube_responses(recorded("playlists_list"), *SMALL_IMPORT[1:])
    record = services.playlist_import_run(import_id=new_import(mentor).pk)
    assert record.status == PlaylistImport.Status.FAILED
    assert record.error == "Only the instructor or staff may fill this course."
    assert not Video.objects.exists()


# --- management command -------------------------------------------------------------------


def test_command_imports_with_a_progress_bar(youtube_responses):
    admin = AdminFactory()
    youtube_responses(*SMALL_IMPORT)
    out = StringIO()
    call_command(
        "import_playlist", f"https://www.youtube.com/playlist?list={SMALL_PLAYLIST}", stdout=out
    )
    output = out.getvalue()
    assert "Reading playlist" in output
    assert "6/7" in output
    assert "Fetching durations" in output
    assert "Storing videos" in output
    assert f"Imported 6 video(s) into YT-{SMALL_PLAYLIST}" in output
    course = Course.objects.get(playlist_id=SMALL_PLAYLIST)
    assert course.instructor == admin
    assert PlaylistImport.objects.get().requested_by == admin


def test_command_fills_the_course_given_by_code(youtube_responses, mentor):
    course = CourseFactory(code="DJ-101", instructor=mentor)
    youtube_responses(*SMALL_IMPORT)
    call_command("import_playlist", SMALL_PLAYLIST, "--course", "dj-101", stdout=StringIO())
    assert videos_of(course) == SMALL_AFTER_IMPORT
    assert PlaylistImport.objects.get().requested_by == mentor


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["https://vimeo.com/123"], "Not a YouTube playlist URL"),
        ([SMALL_PLAYLIST, "--course", "NOPE"], "No course with code"),
        ([SMALL_PLAYLIST, "--instructor", "ghost@example.com"], "No active user"),
        ([SMALL_PLAYLIST], "No admin user"),
    ],
)
def test_command_refuses_bad_input(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_playlist", *arguments, stdout=StringIO())
    assert not PlaylistImport.objects.exists()


def test_command_reports_a_failed_import(youtube_responses, mentor):
    youtube_responses(recorded("playlists_list_empty"))
    with pytest.raises(CommandError, match="does not exist or is private"):
        call_command(
            "import_playlist", SMALL_PLAYLIST, "--instructor", mentor.email, stdout=StringIO()
        )
    assert PlaylistImport.objects.get().status == PlaylistImport.Status.FAILED


def test_command_records_a_transient_failure(youtube_responses, mentor):
    youtube_responses(recorded("error_quota_exceeded", 403))
    with pytest.raises(CommandError, match="quota exceeded"):
        call_command(
            "import_playlist", SMALL_PLAYLIST, "--instructor", mentor.email, stdout=StringIO()
        )
    assert PlaylistImport.objects.get().status == PlaylistImport.Status.FAILED


def test_the_requester_is_told_when_the_import_finishes(youtube_responses):
    mentor = MentorFactory()
    youtube_responses(*SMALL_IMPORT)
    record = services.playlist_import_run(import_id=new_import(mentor).pk)
    again = services.playlist_import_run(import_id=record.pk)  # a duplicate task
    assert again.status == PlaylistImport.Status.SUCCEEDED
    [data] = mentor.notifications.filter(type="playlist_imported").values_list("data", flat=True)
    assert data == {
        "import_id": record.pk,
        "course_id": record.course_id,
        "course_title": "Django for beginners",
        "video_count": 6,
    }


def test_a_broker_down_at_request_leaves_the_import_queued_for_the_sweep(
    mentor, youtube_responses, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.playlist_import_run_task, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(mentor).post(
                "/api/v1/videos/youtube-playlist", {"playlist_url": SMALL_PLAYLIST}
            )
    assert response.status_code == 202
    record = PlaylistImport.objects.get(pk=response.json()["id"])
    assert record.status == PlaylistImport.Status.QUEUED
    assert "waits for the sweep" in caplog.text

    # Young queued imports are left alone: their message may still be on its way.
    assert services.playlist_imports_reclaim_stale() == (0, 0)

    youtube_responses(*SMALL_IMPORT)
    lost_for = settings.YOUTUBE_IMPORT_RETRY_BACKOFF_MAX + settings.CELERY_TASK_TIME_LIMIT + 1
    with freeze_time(timezone.now() + timedelta(seconds=lost_for)):
        with django_capture_on_commit_callbacks(execute=False) as first:
            assert services.playlist_imports_reclaim_stale() == (1, 0)
        with django_capture_on_commit_callbacks(execute=False) as second:
            assert services.playlist_imports_reclaim_stale() == (0, 0)
    assert (len(first), len(second)) == (1, 0)
    first[0]()
    record.refresh_from_db()
    assert (record.status, record.imported, record.attempts) == (
        PlaylistImport.Status.SUCCEEDED,
        6,
        1,
    )
