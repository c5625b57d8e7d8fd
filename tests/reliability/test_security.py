"""Security properties not covered next to the code they protect: forged, expired and
misused tokens; login lockout across spellings of one identifier; no secret in the logs
of logins, token rotation, password changes and LMS token storage; timeouts on every
outgoing call; production security headers and cookies."""

import base64
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
import responses
from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from accounts.tokens import token_pair_for
from courses.lms.client import CanvasClient
from jobs import youtube as jobs_youtube
from jobs.models import Job
from jobs.processors import provider
from jobs.processors.base import JobSpec
from tests.accounts.factories import PASSWORD, StudentFactory
from videos import youtube as videos_youtube
from videos.recommendations import topic

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- tokens -------------------------------------------------------------------------------------


def test_an_expired_access_token_is_401(api_client, student):
    with freeze_time(timezone.now() - timedelta(minutes=16)):
        access = token_pair_for(student)["access"]

    response = api_client.get(ME, **bearer(access))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_an_expired_refresh_token_is_401_and_issues_nothing(api_client, student):
    with freeze_time(timezone.now() - timedelta(days=8)):
        refresh = token_pair_for(student)["refresh"]

    response = api_client.post(REFRESH, {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_an_access_token_whose_claims_were_changed_is_401(api_client, student):
    victim = StudentFactory()
    header, _payload, signature = token_pair_for(student)["access"].split(".")
    forged = {**_claims(token_pair_for(student)["access"]), "user_id": str(victim.pk)}

    response = api_client.get(ME, **bearer(f"{header}.{_segment(forged)}.{signature}"))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_an_access_token_with_a_changed_signature_is_401(api_client, student):
    access = token_pair_for(student)["access"]
    last = access[-1]
    tampered = access[:-1] + ("A" if last != "A" else "B")

    assert api_client.get(ME, **bearer(tampered)).status_code == 401


@pytest.mark.parametrize(
    ("algorithm", "key"), [("none", None), ("HS256", "a-key-that-is-not-the-servers-key-0123")]
)
def test_an_access_token_not_signed_with_the_servers_key_is_401(
    api_client, student, algorithm, key
):
    claims = _claims(token_pair_for(student)["access"])
    forged = jwt.encode(claims, key, algorithm=algorithm)

    response = api_client.get(ME, **bearer(forged))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_is_not_an_access_token(api_client, student):
    refresh = token_pair_for(student)["refresh"]

    assert api_client.get(ME, **bearer(refresh)).status_code == 401


def test_an_access_token_is_not_a_refresh_token(api_client, student):
    access = token_pair_for(student)["access"]

    response = api_client.post(REFRESH, {"refresh": access})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_of_a_deleted_account_issues_nothing(api_client, student):
    refresh = token_pair_for(student)["refresh"]
    User.objects.filter(pk=student.pk).update(deleted_at=timezone.now())

    assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401


# --- login lockout ------------------------------------------------------------------------------


def test_spellings_of_one_identifier_share_one_lockout(settings, api_client, student):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 3
    spellings = [student.email.upper(), f"  {student.email}  ", student.email.title()]
    for spelling in spellings:
        failed = api_client.post("/api/v1/auth/login", {"email": spelling, "password": "wrong"})
        assert failed.status_code == 401

    locked = api_client.post("/api/v1/auth/login", {"email": student.email, "password": PASSWORD})

    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_login_attempts"


# --- secrets never reach the logs ---------------------------------------------------------------


@pytest.fixture
def logs(caplog):
    """Everything logged at any level while the test runs."""
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_not_logged(logs, *secrets: str) -> None:
    """The application's records (the test's own factories log what they build)."""
    records = [record for record in logs.records if not record.name.startswith("factory")]
    formatter = logging.Formatter("%(message)s")
    text = "\n".join(formatter.format(record) for record in records)
    leaked = [secret for secret in secrets if secret and secret in text]
    assert leaked == []


def test_logins_and_token_rotation_log_no_secret(api_client, logs):
    user = StudentFactory()
    wrong = api_client.post("/api/v1/auth/login", {"email": user.email, "password": "not-it-9x"})
    pair = api_client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    rotated = api_client.post(REFRESH, {"refresh": pair.json()["refresh"]})
    reused = api_client.post(REFRESH, {"refresh": pair.json()["refresh"]})

    assert [wrong.status_code, pair.status_code, rotated.status_code, reused.status_code] == [
        401,
        200,
        200,
        401,
    ]
    assert logs.records  # the refused calls were logged, without their secrets
    assert_not_logged(
        logs,
        "not-it-9x",
        PASSWORD,
        pair.json()["access"],
        pair.json()["refresh"],
        rotated.json()["access"],
        rotated.json()["refresh"],
    )


def test_signup_and_password_change_log_no_secret(api_client, logs):
    signup = {
        "email": "new@example.com",
        "username": "newcomer",
        "password": "first-passphrase-31",
        "first_name": "N",
        "last_name": "C",
    }
    assert api_client.post("/api/v1/auth/signup", signup).status_code == 201
    pair = api_client.post(
        "/api/v1/auth/login", {"email": "new@example.com", "password": "first-passphrase-31"}
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    changed = api_client.post(
        "/api/v1/auth/password/change",
        {"old_password": "first-passphrase-31", "new_password": "second-passphrase-47"},
    )

    assert changed.status_code == 200
    assert_not_logged(
        logs,
        "first-passphrase-31",
        "second-passphrase-47",
        pair["access"],
        pair["refresh"],
        changed.json()["refresh"],
    )


def test_storing_an_lms_token_logs_no_secret(mentor_client, logs):
    body = {"access_token": "canvas-secret-token-5150", "course_ids": ["1"]}
    refused = mentor_client.put("/api/v1/lms/token", {**body, "link": "https://10.0.0.8"})
    stored = mentor_client.put("/api/v1/lms/token", {**body, "link": "https://93.184.216.34"})
    shown = mentor_client.get("/api/v1/lms/token")

    assert [refused.status_code, stored.status_code, shown.status_code] == [400, 200, 200]
    assert_not_logged(logs, "canvas-secret-token-5150", "secret-token")


# --- outgoing calls have timeouts ---------------------------------------------------------------


@pytest.fixture
def outside():
    """Every outgoing `requests` call answers from here; `calls` shows the timeout each
    was made with."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def sent_timeouts(mock) -> list:
    return [call.request.req_kwargs["timeout"] for call in mock.calls]


def test_every_requests_call_has_a_timeout(outside, settings):
    settings.LLM_API_URL = "https://llm.example.com/v1"
    settings.JOBS_AI_PROVIDER_URL = "https://ai.example.com"
    settings.GOOGLE_OAUTH_CLIENT_ID = "client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "secret"
    settings.GOOGLE_OAUTH_REDIRECT_URI = "https://app.example.com/youtube/callback"
    outside.add(responses.GET, "https://93.184.216.34/api/v1/courses", json=[])
    outside.add(
        responses.POST,
        "https://llm.example.com/v1/chat/completions",
        json={"choices": [{"message": {"content": "derivatives"}}]},
    )
    outside.add(responses.POST, "https://ai.example.com/image_generation", json={"files": []})
    outside.add(responses.POST, jobs_youtube.REVOKE_URI, status=200)
    outside.add(
        responses.POST,
        jobs_youtube.TOKEN_URI,
        json={"access_token": "ya29.x", "expires_in": 60, "token_type": "Bearer"},
    )
    job = JobSpec(
        job_id=1,
        job_type=Job.Type.IMAGE_GENERATION,
        parameters={"count": 1},
        title="Film",
        script="INT. ROOM - DAY",
        style="cinematic",
        target_duration=60,
    )

    CanvasClient(base_url="https://93.184.216.34", token="t").get(
        "https://93.184.216.34/api/v1/courses"
    )
    topic.extract_llm("What is a derivative?")
    provider.call(job, index=0)
    jobs_youtube.revoke("token")
    jobs_youtube.exchange_code(code="c", state="s", code_verifier="v" * 43)
    jobs_youtube.refresh(jobs_youtube.credentials(access_token="a", refresh_token="r"))

    timeouts = sent_timeouts(outside)
    assert len(timeouts) == 6
    assert all(timeout is not None for timeout in timeouts), timeouts


def test_the_google_api_transports_have_a_timeout():
    assert videos_youtube.http_factory().timeout == django_settings.YOUTUBE_HTTP_TIMEOUT
    assert jobs_youtube.http_factory().timeout == jobs_youtube.HTTP_TIMEOUT


def test_smtp_has_a_timeout():
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert backend.timeout == django_settings.EMAIL_TIMEOUT
    assert 0 < backend.timeout <= 60


# --- production settings ------------------------------------------------------------------------

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
secure = client.get("/health", secure=True, HTTP_HOST="api.example.com")
plain = client.get("/api/v1/auth/me", HTTP_HOST="api.example.com")
print(json.dumps({
    "secure": dict(secure.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,
                settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def test_production_settings_send_hsts_and_secure_cookies_and_redirect_to_https():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 20 + "-production-grade-secret-key-with-enough-entropy-9f8e7d",
        FIELD_ENCRYPTION_KEYS="dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=",
        ALLOWED_HOSTS="api.example.com",
        CORS_ALLOWED_ORIGINS="https://app.example.com",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    headers = probe["secure"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert (probe["plain_status"], probe["plain_location"]) == (
        301,
        "https://api.example.com/api/v1/auth/me",
    )
    assert probe["cookies"] == [True, True, True]


def test_cors_preflight_from_an_unlisted_origin_is_not_allowed(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    response = api_client.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response
