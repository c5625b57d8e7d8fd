"""Jobs tests: files go to a temporary media folder, the broker is never reached (revokes
and publishes are recorded where a test asks), YouTube and Google answer only with
recorded responses, and the credit ledger must balance after every database test."""

import pytest
from googleapiclient.http import HttpMockSequence

from config.celery import app as celery_app
from jobs import tasks
from jobs import youtube as youtube_module
from tests.credits.helpers import assert_ledger_balanced


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every passing database test of this app, the ledger must still balance."""
    result = yield
    if item.get_closest_marker("django_db") is not None:
        assert_ledger_balanced()
    return result


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOBS_AI_PROVIDER_URL = ""
    settings.JOBS_QUEUE_PREFIX = ""


@pytest.fixture(autouse=True)
def revoked(monkeypatch):
    """Task ids revoked through the broker (recorded, not sent)."""
    calls: list[str] = []
    monkeypatch.setattr(celery_app.control, "revoke", lambda task_id, **kw: calls.append(task_id))
    return calls


@pytest.fixture
def published(monkeypatch):
    """Job runs published to the broker, recorded instead of run: one dict per publish with
    the job id, queue, task id and countdown."""
    calls: list[dict] = []

    def record(args=None, kwargs=None, **options):
        calls.append(
            {
                "job_id": args[0],
                "queue": options["queue"],
                "task_id": options["task_id"],
                "countdown": options.get("countdown"),
            }
        )

    monkeypatch.setattr(tasks.job_run_task, "apply_async", record)
    return calls


@pytest.fixture(autouse=True)
def _offline_youtube(monkeypatch, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-id.apps.googleusercontent.com"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "client-secret"
    settings.GOOGLE_OAUTH_REDIRECT_URI = "https://lectern.example/api/v1/youtube/callback"

    def refuse():
        raise AssertionError("a test tried to reach YouTube without recorded responses")

    monkeypatch.setattr(youtube_module, "http_factory", refuse)
    monkeypatch.setattr(youtube_module, "sleep", lambda seconds: None)


@pytest.fixture
def youtube_responses(monkeypatch):
    """`youtube_responses(*responses)` makes API calls replay these (headers, body) pairs
    in order and returns the mock, whose `request_sequence` lists the requests made."""

    def feed(*responses):
        http = HttpMockSequence(list(responses))
        monkeypatch.setattr(youtube_module, "http_factory", lambda: http)
        return http

    return feed
