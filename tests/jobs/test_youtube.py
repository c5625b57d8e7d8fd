"""YouTube publishing, offline: Google's token and revocation endpoints answer through
`responses`, the YouTube API through HttpMockSequence."""

import base64
import hashlib
import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from googleapiclient.http import HttpMockSequence

from accounts.models import Credential
from accounts.selectors import credential_get
from accounts.services import credential_store
from jobs import services
from jobs.models import Job, Project, YouTubeOAuthState, YouTubeUpload
from jobs.youtube import REVOKE_URI, SCOPES, TOKEN_URI
from tests.conftest import client_for
from tests.jobs.factories import JobFactory, ProjectFactory, UploadFactory

pytestmark = pytest.mark.django_db

U = YouTubeUpload.Status
CHUNK = 256 * 1024
ACCESS = "ya29.stored-access-token-0001"
REFRESH = "1//stored-refresh-token"
TOKEN_ANSWER = {
    "access_token": "ya29.fresh-access-token-7777",
    "expires_in": 3599,
    "refresh_token": "1//fresh-refresh-token",
    "scope": " ".join(SCOPES),
    "token_type": "Bearer",
}
CHANNELS = {"items": [{"id": "UCchannel0001", "snippet": {"title": "Night Films"}}]}


def ok(body=None, **headers):
    return {"status": "200", **headers}, json.dumps(body or {})


def status(code, **headers):
    body = json.dumps({"error": {"code": int(code), "message": "backend error"}})
    return {"status": str(code), **headers}, body


def form(request):
    body = request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def connect(user, expires_in=3600):
    return credential_store(
        user=user,
        provider="youtube",
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
        scopes=SCOPES,
        extra={"channel_id": "UCchannel0001", "channel_title": "Night Films"},
    )


def finished_project(owner, size=3 * CHUNK, status=Project.Status.COMPLETED):
    """An approved project whose full generation completed, with its film in storage."""
    project = ProjectFactory(owner=owner, status=status, review_decision="approved")
    path = default_storage.save("jobs/films/film.mp4", ContentFile(b"v" * size))
    JobFactory(
        project=project,
        job_type=Job.Type.FULL_GENERATION,
        status=Job.Status.COMPLETED,
        finished_at=timezone.now(),
        result={
            "video": {
                "path": path,
                "url": f"/media/{path}",
                "content_type": "video/mp4",
                "size": size,
            }
        },
    )
    return project


def start_connection(client):
    response = client.get("/api/v1/youtube/connect")
    assert response.status_code == 200
    return parse_qs(urlsplit(response.json()["authorization_url"]).query)


# --- connecting ---------------------------------------------------------------------------


def test_connect_returns_googles_url_with_pkce_and_a_state_bound_to_the_user(
    student_client, student, settings
):
    query = start_connection(student_client)
    pending = YouTubeOAuthState.objects.get()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest())
        .decode()
        .rstrip("=")
    )
    assert pending.user == student
    assert query == {
        "response_type": ["code"],
        "client_id": [settings.GOOGLE_OAUTH_CLIENT_ID],
        "redirect_uri": [settings.GOOGLE_OAUTH_REDIRECT_URI],
        "scope": [" ".join(SCOPES)],
        "state": [pending.state],
        "code_challenge": [challenge],
        "code_challenge_method": ["S256"],
        "access_type": ["offline"],
        "prompt": ["consent"],
    }


def test_connect_is_503_when_not_configured(student_client, settings):
    settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    response = student_client.get("/api/v1/youtube/connect")
    assert response.status_code == 503
    assert response.json()["code"] == "youtube_not_configured"
    assert not YouTubeOAuthState.objects.exists()


def test_callback_exchanges_the_code_and_stores_the_tokens_encrypted(
    student_client, student, api_client, youtube_responses, settings
):
    state = start_connection(student_client)["state"][0]
    verifier = YouTubeOAuthState.objects.get().code_verifier
    http = youtube_responses(ok(CHANNELS))
    with responses.RequestsMock() as google:
        token_call = google.add(responses.POST, TOKEN_URI, json=TOKEN_ANSWER)
        # Google redirects the browser here: no bearer token, the state says who it is
        response = api_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/code"})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "connected": True,
        "channel_id": "UCchannel0001",
        "channel_title": "Night Films",
        "scopes": SCOPES,
        "token_hint": "****7777",
        "expires_at": body["expires_at"],
        "connected_at": body["connected_at"],
    }
    sent = form(token_call.calls[0].request)
    assert sent["code"] == ["4/code"]
    assert sent["code_verifier"] == [verifier]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["redirect_uri"] == [settings.GOOGLE_OAUTH_REDIRECT_URI]
    credential = credential_get(user=student, provider="youtube")
    assert (credential.access_token, credential.refresh_token) == (
        "ya29.fresh-access-token-7777",
        "1//fresh-refresh-token",
    )
    assert abs((credential.expires_at - timezone.now()).total_seconds() - 3599) < 60
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {Credential._meta.db_table} WHERE id = %s",
            [credential.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "fresh" not in stored
    channels_call = http.request_sequence[0]
    assert "/youtube/v3/channels?part=snippet&mine=true" in channels_call[0]
    assert channels_call[3]["authorization"] == "Bearer ya29.fresh-access-token-7777"
    assert not YouTubeOAuthState.objects.exists()


def test_a_state_works_once(student_client, youtube_responses):
    state = start_connection(student_client)["state"][0]
    youtube_responses(ok(CHANNELS))
    with responses.RequestsMock() as google:
        google.add(responses.POST, TOKEN_URI, json=TOKEN_ANSWER)
        first = student_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/c"})
    second = student_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/c"})
    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["code"] == "invalid_state"


def test_an_unknown_state_is_refused(api_client):
    response = api_client.get("/api/v1/youtube/callback", {"state": "forged", "code": "4/c"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_state"
    assert not Credential.objects.exists()


def test_another_users_state_is_refused_and_kept_for_its_owner(
    student_client, other_student_client
):
    state = start_connection(student_client)["state"][0]
    response = other_student_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/c"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_state"
    assert YouTubeOAuthState.objects.filter(state=state).exists()
    assert not Credential.objects.exists()


def test_an_expired_state_is_refused(student_client, settings):
    state = start_connection(student_client)["state"][0]
    YouTubeOAuthState.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.YOUTUBE_OAUTH_STATE_TTL + 1)
    )
    response = student_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/c"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_state"


def test_a_refused_consent_is_400_and_uses_the_state_up(student_client):
    state = start_connection(student_client)["state"][0]
    response = student_client.get(
        "/api/v1/youtube/callback", {"state": state, "error": "access_denied"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "oauth_denied"
    assert not YouTubeOAuthState.objects.exists()
    assert not Credential.objects.exists()


def test_a_code_google_does_not_accept_is_400_and_stores_nothing(student_client):
    state = start_connection(student_client)["state"][0]
    with responses.RequestsMock() as google:
        google.add(
            responses.POST,
            TOKEN_URI,
            status=400,
            json={"error": "invalid_grant", "error_description": "Bad Request"},
        )
        response = student_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/x"})
    assert response.status_code == 400
    assert response.json()["code"] == "oauth_exchange_failed"
    assert not Credential.objects.exists()


def test_connection_shows_whether_and_which_channel(student_client, student):
    assert student_client.get("/api/v1/youtube/connection").json() == {
        "connected": False,
        "channel_id": None,
        "channel_title": None,
        "scopes": None,
        "token_hint": None,
        "expires_at": None,
        "connected_at": None,
    }
    connect(student)
    body = student_client.get("/api/v1/youtube/connection").json()
    assert (body["connected"], body["channel_title"], body["token_hint"]) == (
        True,
        "Night Films",
        "****0001",
    )


def test_disconnect_revokes_at_google_and_forgets_the_tokens(student_client, student):
    connect(student)
    with responses.RequestsMock() as google:
        revoke = google.add(responses.POST, REVOKE_URI, status=200)
        response = student_client.delete("/api/v1/youtube/connection")
    assert response.status_code == 204
    assert revoke.calls[0].request.url == REVOKE_URI
    assert form(revoke.calls[0].request) == {"token": [REFRESH]}
    assert credential_get(user=student, provider="youtube") is None


def test_disconnect_forgets_the_tokens_even_if_google_refuses_to_revoke(student_client, student):
    connect(student)
    with responses.RequestsMock() as google:
        google.add(responses.POST, REVOKE_URI, status=400, json={"error": "invalid_token"})
        assert student_client.delete("/api/v1/youtube/connection").status_code == 204
    assert credential_get(user=student, provider="youtube") is None


def test_a_revocation_that_cannot_reach_google_logs_no_token(student_client, student, caplog):
    connect(student)

    def unreachable(request):
        raise requests.ConnectionError(f"Max retries exceeded with url: {request.url}")

    with responses.RequestsMock() as google, caplog.at_level(logging.DEBUG):
        google.add_callback(responses.POST, REVOKE_URI, callback=unreachable)
        assert student_client.delete("/api/v1/youtube/connection").status_code == 204

    assert "could not revoke a YouTube token: ConnectionError" in caplog.text
    assert REFRESH not in caplog.text
    assert ACCESS not in caplog.text
    assert credential_get(user=student, provider="youtube") is None


def test_connecting_logs_no_token(student_client, api_client, youtube_responses, caplog):
    state = start_connection(student_client)["state"][0]
    youtube_responses(ok(CHANNELS))
    with responses.RequestsMock() as google, caplog.at_level(logging.DEBUG):
        google.add(responses.POST, TOKEN_URI, json=TOKEN_ANSWER)
        response = api_client.get("/api/v1/youtube/callback", {"state": state, "code": "4/code"})

    assert response.status_code == 200
    application_logs = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("factory")
    )
    for secret in (TOKEN_ANSWER["access_token"], TOKEN_ANSWER["refresh_token"], "4/code"):
        assert secret not in application_logs


def test_disconnect_when_not_connected_is_404(student_client):
    response = student_client.delete("/api/v1/youtube/connection")
    assert response.status_code == 404
    assert response.json()["code"] == "youtube_not_connected"


# --- tokens and playlists -----------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_stored(
    student_client, student, youtube_responses
):
    connect(student, expires_in=-60)
    http = youtube_responses(
        ok(
            {
                "id": "PLnewplaylist0001",
                "snippet": {"title": "Shorts"},
                "status": {"privacyStatus": "unlisted"},
            }
        )
    )
    with responses.RequestsMock() as google:
        refresh = google.add(
            responses.POST,
            TOKEN_URI,
            json={"access_token": "ya29.refreshed-token-4242", "expires_in": 3599},
        )
        response = student_client.post(
            "/api/v1/youtube/playlists", {"title": "Shorts", "privacy_status": "unlisted"}
        )
    assert response.status_code == 201
    assert response.json() == {
        "playlist_id": "PLnewplaylist0001",
        "title": "Shorts",
        "privacy_status": "unlisted",
    }
    sent = form(refresh.calls[0].request)
    assert (sent["grant_type"], sent["refresh_token"]) == (["refresh_token"], [REFRESH])
    credential = credential_get(user=student, provider="youtube")
    assert credential.access_token == "ya29.refreshed-token-4242"
    assert credential.refresh_token == REFRESH  # Google did not send a new one
    assert credential.expires_at > timezone.now() + timedelta(minutes=50)
    assert credential.extra["channel_title"] == "Night Films"
    _uri, method, body, headers = http.request_sequence[0]
    assert (method, headers["authorization"]) == ("POST", "Bearer ya29.refreshed-token-4242")
    assert json.loads(body) == {
        "snippet": {"title": "Shorts", "description": ""},
        "status": {"privacyStatus": "unlisted"},
    }


def test_a_valid_token_is_used_without_refreshing(student, youtube_responses):
    connect(student)
    http = youtube_responses(ok({"id": "PLx0000000001"}))
    with responses.RequestsMock():  # any call to Google would fail the test
        services.youtube_playlist_create(user=student, title="A")
    assert http.request_sequence[0][3]["authorization"] == f"Bearer {ACCESS}"


def test_a_refused_refresh_asks_to_reconnect(student_client, student):
    connect(student, expires_in=-60)
    with responses.RequestsMock() as google:
        google.add(responses.POST, TOKEN_URI, status=400, json={"error": "invalid_grant"})
        response = student_client.post("/api/v1/youtube/playlists", {"title": "Shorts"})
    assert response.status_code == 409
    assert response.json()["code"] == "youtube_reconnect_required"
    assert credential_get(user=student, provider="youtube").access_token == ACCESS


def test_playlists_need_a_connection(student_client):
    response = student_client.post("/api/v1/youtube/playlists", {"title": "Shorts"})
    assert response.status_code == 409
    assert response.json()["code"] == "youtube_not_connected"


def test_a_playlist_youtube_refuses_is_502(student_client, student, youtube_responses):
    connect(student)
    youtube_responses(status(403))
    response = student_client.post("/api/v1/youtube/playlists", {"title": "Shorts"})
    assert response.status_code == 502
    assert response.json()["code"] == "youtube_refused"


# --- uploads ------------------------------------------------------------------------------


class ObservedHttp(HttpMockSequence):
    """Replays the responses and notes the upload's stored progress at each request."""

    def __init__(self, iterable):
        super().__init__(iterable)
        self.progress_seen = []

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        self.progress_seen.append(YouTubeUpload.objects.get().progress)
        return super().request(uri, method, body, headers, **kwargs)


def upload_payload(project, **extra):
    return {
        "project_id": project.pk,
        "title": "Night walk",
        "description": "Made with Lectern",
        "privacy_status": "unlisted",
        **extra,
    }


def test_upload_answers_202_with_the_record(student_client, student):
    connect(student)
    project = finished_project(student)
    response = student_client.post("/api/v1/youtube/uploads", upload_payload(project))
    assert response.status_code == 202
    upload = YouTubeUpload.objects.get()
    body = response.json()
    assert body == {
        "id": upload.pk,
        "project": project.pk,
        "title": "Night walk",
        "description": "Made with Lectern",
        "privacy_status": "unlisted",
        "playlist_id": "",
        "status": "queued",
        "progress": 0,
        "bytes_total": 3 * CHUNK,
        "bytes_sent": 0,
        "chunk_retries": 0,
        "video_id": "",
        "error": "",
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
    }


def test_upload_sends_the_film_in_chunks_retrying_a_failed_one(
    student_client, student, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_UPLOAD_CHUNK_SIZE = CHUNK
    connect(student)
    project = finished_project(student)
    location = (
        "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=u1"
    )
    http = ObservedHttp(
        [
            ({"status": "200", "location": location}, ""),  # session started
            ({"status": "308", "range": f"bytes=0-{CHUNK - 1}"}, ""),  # chunk 1 stored
            status(503),  # chunk 2 fails
            ({"status": "308", "range": f"bytes=0-{CHUNK - 1}"}, ""),  # how much arrived?
            ({"status": "308", "range": f"bytes=0-{2 * CHUNK - 1}"}, ""),  # chunk 2 again
            ok({"id": "vid00000001", "status": {"uploadStatus": "uploaded"}}),  # chunk 3
            ok({"id": "PLitem"}),  # added to the playlist
        ]
    )
    monkeypatch.setattr("jobs.youtube.http_factory", lambda: http)
    sleeps = []
    monkeypatch.setattr("jobs.youtube.sleep", sleeps.append)

    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(
            "/api/v1/youtube/uploads", upload_payload(project, playlist_id="PLmyplaylist01")
        )

    upload_id = response.json()["id"]
    detail = student_client.get(f"/api/v1/youtube/uploads/{upload_id}").json()
    assert (detail["status"], detail["progress"], detail["video_id"], detail["error"]) == (
        "completed",
        100,
        "vid00000001",
        "",
    )
    assert (detail["chunk_retries"], detail["bytes_sent"]) == (1, 3 * CHUNK)
    assert http.progress_seen == [0, 0, 33, 33, 33, 66, 66]
    assert sleeps == [settings.YOUTUBE_UPLOAD_RETRY_BACKOFF]
    requests_made = [
        (method, {name.lower(): value for name, value in headers.items()}.get("content-range"))
        for _, method, _, headers in http.request_sequence
    ]
    assert requests_made == [
        ("POST", None),
        ("PUT", f"bytes 0-{CHUNK - 1}/{3 * CHUNK}"),
        ("PUT", f"bytes {CHUNK}-{2 * CHUNK - 1}/{3 * CHUNK}"),
        ("PUT", f"bytes */{3 * CHUNK}"),
        ("PUT", f"bytes {CHUNK}-{2 * CHUNK - 1}/{3 * CHUNK}"),
        ("PUT", f"bytes {2 * CHUNK}-{3 * CHUNK - 1}/{3 * CHUNK}"),
        ("POST", None),
    ]
    started = http.request_sequence[0]
    assert "uploadType=resumable" in started[0]
    assert json.loads(started[2]) == {
        "snippet": {"title": "Night walk", "description": "Made with Lectern"},
        "status": {"privacyStatus": "unlisted"},
    }
    assert json.loads(http.request_sequence[-1][2])["snippet"] == {
        "playlistId": "PLmyplaylist01",
        "resourceId": {"kind": "youtube#video", "videoId": "vid00000001"},
    }
    project.refresh_from_db()
    assert project.status == Project.Status.PUBLISHED


def test_an_upload_runs_once(student, youtube_responses):
    connect(student)
    upload = UploadFactory(project=finished_project(student, size=100))
    youtube_responses(
        ({"status": "200", "location": "https://upload.example/u2"}, ""),
        ok({"id": "vid00000002"}),
    )
    assert services.youtube_upload_run(upload_id=upload.pk).status == U.COMPLETED
    assert services.youtube_upload_run(upload_id=upload.pk) is None


def test_an_upload_fails_after_too_many_chunk_failures(student, youtube_responses, settings):
    settings.YOUTUBE_UPLOAD_CHUNK_RETRIES = 1
    connect(student)
    project = finished_project(student, size=100)
    upload = UploadFactory(project=project)
    youtube_responses(
        ({"status": "200", "location": "https://upload.example/u3"}, ""),
        status(503),
        status(502),
    )
    result = services.youtube_upload_run(upload_id=upload.pk)
    assert (result.status, result.chunk_retries) == (U.FAILED, 1)
    assert result.error == "The upload failed 2 times in a row (YouTube answered 502)."
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED


def test_an_upload_youtube_refuses_fails_without_retrying(student, youtube_responses):
    connect(student)
    upload = UploadFactory(project=finished_project(student, size=100))
    http = youtube_responses(status(403))
    result = services.youtube_upload_run(upload_id=upload.pk)
    assert result.status == U.FAILED
    assert result.error.startswith("YouTube refused the request: 403")
    assert len(http.request_sequence) == 1


def connected_project(student):
    connect(student)
    return finished_project(student)


def someone_elses_project(student):
    connect(student)
    return finished_project(ProjectFactory().owner)


def changed(**fields):
    def setup(student):
        project = connected_project(student)
        Project.objects.filter(pk=project.pk).update(**fields)
        return project

    return setup


def without_video(student):
    project = connected_project(student)
    Job.objects.filter(project=project).update(result={})
    return project


def uploading(student):
    project = connected_project(student)
    UploadFactory(project=project, status=U.UPLOADING)
    return project


@pytest.mark.parametrize(
    ("setup", "expected_status", "code"),
    [
        (someone_elses_project, 404, "project_not_found"),
        (changed(review_decision=""), 409, "project_not_publishable"),
        (changed(status=Project.Status.FAILED), 409, "project_not_publishable"),
        (without_video, 409, "no_finished_video"),
        (finished_project, 409, "youtube_not_connected"),
        (uploading, 409, "upload_in_progress"),
    ],
)
def test_upload_refusals(student_client, student, setup, expected_status, code):
    project = setup(student)
    before = YouTubeUpload.objects.count()
    response = student_client.post("/api/v1/youtube/uploads", upload_payload(project))
    assert response.status_code == expected_status
    assert response.json()["code"] == code
    assert YouTubeUpload.objects.count() == before


def test_a_published_project_can_be_uploaded_again(student_client, student):
    connect(student)
    project = finished_project(student, status=Project.Status.PUBLISHED)
    UploadFactory(project=project, status=U.COMPLETED)
    response = student_client.post("/api/v1/youtube/uploads", upload_payload(project))
    assert response.status_code == 202


def test_upload_bad_input_is_400(student_client, student):
    connect(student)
    project = finished_project(student)
    response = student_client.post(
        "/api/v1/youtube/uploads", upload_payload(project, privacy_status="secret", title="<b>")
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"privacy_status", "title"}
    assert not YouTubeUpload.objects.exists()


def test_someone_elses_upload_is_404(other_student_client):
    upload = UploadFactory()
    assert other_student_client.get(f"/api/v1/youtube/uploads/{upload.pk}").status_code == 404
    assert client_for(upload.user).get(f"/api/v1/youtube/uploads/{upload.pk}").status_code == 200


def test_the_reaper_fails_uploads_whose_worker_went_silent(student):
    stale = UploadFactory(status=U.UPLOADING, heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = UploadFactory(status=U.UPLOADING, heartbeat_at=timezone.now())
    assert services.youtube_uploads_reap_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.error) == (U.FAILED, "The upload was interrupted; start it again.")
    assert fresh.status == U.UPLOADING


def test_an_upload_whose_broker_was_down_is_sent_again_by_the_reaper(
    student_client, student, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from jobs import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    connect(student)
    project = finished_project(student)
    with monkeypatch.context() as patched:
        patched.setattr(tasks.youtube_upload_task, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = student_client.post("/api/v1/youtube/uploads", upload_payload(project))
    assert response.status_code == 202
    upload = YouTubeUpload.objects.get()
    assert upload.status == U.QUEUED
    assert "the reaper sends it again" in caplog.text

    assert services.youtube_uploads_resend_lost() == 0  # young: maybe still on its way
    YouTubeUpload.objects.filter(pk=upload.pk).update(
        updated_at=timezone.now() - timedelta(hours=1)
    )
    sent = []
    monkeypatch.setattr(
        tasks.youtube_upload_task, "apply_async", lambda args, **kw: sent.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.youtube_uploads_resend_lost() == 1
        assert services.youtube_uploads_resend_lost() == 0
    assert sent == [(upload.pk,)]
