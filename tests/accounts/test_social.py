"""Social login through allauth headless, with the providers' HTTP stubbed by `responses`.

Google (app client): the client posts Google's id_token; the server fetches Google's signing
certificates (stubbed with a certificate of our own) and verifies the token for real.
GitHub (browser client): the redirect flow, with GitHub's token, user and emails endpoints
stubbed, ending with the session traded for the JWT pair at /api/v1/auth/social/token."""

import datetime as dt
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import signals
from accounts.models import User
from tests.accounts.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db

GOOGLE_CLIENT_ID = "lectern-test.apps.googleusercontent.com"
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_KID = "test-kid"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"
GITHUB_USER_URL = "https://api.github.com/user"
GITHUB_EMAILS_URL = "https://api.github.com/user/emails"
PROVIDER_TOKEN_URL = "/_allauth/app/v1/auth/provider/token"
REDIRECT_URL = "/_allauth/browser/v1/auth/provider/redirect"
SPA_CALLBACK = "/social/callback"

_SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate_pem(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "google-test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


GOOGLE_CERTS = {GOOGLE_KID: _certificate_pem(_SIGNING_KEY)}


def google_id_token(key=_SIGNING_KEY, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": GOOGLE_CLIENT_ID,
        "sub": "google-uid-1",
        "email": "grace@example.com",
        "email_verified": True,
        "given_name": "Grace",
        "family_name": "Hopper",
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": GOOGLE_KID})


@pytest.fixture(autouse=True)
def social_apps(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": "google-secret"}],
            "SCOPE": ["profile", "email"],
        },
        "github": {
            "APPS": [{"client_id": "github-client-id", "secret": "github-secret"}],
            "SCOPE": ["user:email"],
        },
    }


@pytest.fixture
def provider_http():
    """Every outgoing HTTP request must hit a stub; anything else fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(GOOGLE_CERTS_URL, json=GOOGLE_CERTS)
        yield mock


@pytest.fixture
def created_users():
    """Users announced through `user_created` (the credits app opens their account)."""
    received = []

    def receiver(sender, user, **kwargs):
        received.append(user)

    signals.user_created.connect(receiver, dispatch_uid="test-social-user-created")
    yield received
    signals.user_created.disconnect(dispatch_uid="test-social-user-created")


def google_login(client: Client, id_token: str):
    return client.post(
        PROVIDER_TOKEN_URL,
        {
            "provider": "google",
            "process": "login",
            "token": {"client_id": GOOGLE_CLIENT_ID, "id_token": id_token},
        },
        content_type="application/json",
    )


def me(client: Client, access: str):
    return client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


# --- Google: app client, provider/token with an id_token ----------------------------------


def test_google_new_user_is_a_student_with_the_jwt_pair(
    client, provider_http, created_users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = google_login(client, google_id_token())

    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    assert body["meta"]["token_type"] == "Bearer"
    user = User.objects.get()
    assert (user.email, user.username, user.first_name, user.last_name) == (
        "grace@example.com",
        "grace",
        "Grace",
        "Hopper",
    )
    assert (user.role, user.tier, user.is_staff, user.is_active) == ("student", "free", False, True)
    assert not user.has_usable_password()
    assert SocialAccount.objects.get().user == user
    access = AccessToken(body["meta"]["access_token"])
    assert (access["user_id"], access["ver"], access["role"]) == (str(user.pk), 0, "student")
    assert me(client, body["meta"]["access_token"]).json()["id"] == user.pk
    refreshed = client.post(
        "/api/v1/auth/refresh",
        {"refresh": body["meta"]["refresh_token"]},
        content_type="application/json",
    )
    assert refreshed.status_code == 200
    assert created_users == [user]
    assert [m.to for m in mail.outbox] == [["grace@example.com"]]
    assert len(provider_http.calls) == 1
    assert provider_http.calls[0].request.url == GOOGLE_CERTS_URL


def test_google_new_user_gets_a_unique_username(client, provider_http):
    taken = StudentFactory(username="Grace", email="someone-else@example.com")

    response = google_login(client, google_id_token())

    assert response.status_code == 200
    user = User.objects.exclude(pk=taken.pk).get()
    assert user.username.startswith("grace-")
    assert len(user.username) == len("grace-") + 6


def test_google_username_keeps_only_allowed_characters(client, provider_http):
    response = google_login(client, google_id_token(email="o'brien!x@example.com"))

    assert response.status_code == 200
    assert User.objects.get().username == "obrienx"


def test_google_existing_user_with_verified_email_is_logged_in_and_connected(
    client, api_client, provider_http, created_users
):
    user = StudentFactory(email="grace@example.com")
    old_pair = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    ).json()

    response = google_login(client, google_id_token())

    assert response.status_code == 200
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(provider="google").user == user
    access = response.json()["meta"]["access_token"]
    assert me(client, access).json()["id"] == user.pk
    assert created_users == []
    # The unverified local password is wiped by allauth (whoever set it may not own the
    # address); the tokens issued with it are revoked with it.
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert me(client, old_pair["access"]).json()["code"] == "token_revoked"


def test_google_second_login_uses_the_connected_account(client, provider_http, created_users):
    first = google_login(client, google_id_token())
    user = User.objects.get()
    User.objects.filter(pk=user.pk).update(email="grace.new@example.com")

    second = google_login(client, google_id_token(jti="second"))

    assert first.status_code == second.status_code == 200
    assert User.objects.count() == 1
    assert me(client, second.json()["meta"]["access_token"]).json()["id"] == user.pk
    assert created_users == [user]


def test_google_unverified_email_does_not_take_over_an_existing_account(client, provider_http):
    user = StudentFactory(email="grace@example.com")

    response = google_login(client, google_id_token(email_verified=False))

    assert response.status_code == 401
    assert "access_token" not in response.json().get("meta", {})
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("connected", [False, True], ids=["by-email", "connected-account"])
def test_google_suspended_user_is_refused_and_nothing_changes(client, provider_http, connected):
    user = StudentFactory(
        email="grace@example.com",
        is_active=False,
        suspended_at=timezone.now(),
        suspension_reason="abuse",
    )
    if connected:
        SocialAccount.objects.create(user=user, provider="google", uid="google-uid-1")

    response = google_login(client, google_id_token())

    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "errors": [{"code": "account_suspended", "message": "This account is suspended."}],
    }
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(user=user).count() == int(connected)
    user.refresh_from_db()
    assert (user.is_active, user.suspension_reason, user.token_version) == (False, "abuse", 0)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "id_token",
    [
        pytest.param(
            lambda: google_id_token(key=rsa.generate_private_key(65537, 2048)), id="forged"
        ),
        pytest.param(lambda: google_id_token(aud="someone-else"), id="other-audience"),
        pytest.param(lambda: google_id_token(exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda: google_id_token(iss="https://evil.example"), id="other-issuer"),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
def test_google_invalid_id_token_is_refused(client, provider_http, id_token):
    response = google_login(client, id_token())

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_token"
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_google_wrong_client_id_is_refused(client, provider_http):
    response = client.post(
        PROVIDER_TOKEN_URL,
        {
            "provider": "google",
            "process": "login",
            "token": {"client_id": "unknown-client", "id_token": google_id_token()},
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not User.objects.exists()


def test_github_has_no_token_flow(client, provider_http):
    response = client.post(
        PROVIDER_TOKEN_URL,
        {
            "provider": "github",
            "process": "login",
            "token": {"client_id": "github-client-id", "access_token": "gho_x"},
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "token_authentication_not_supported"


# --- GitHub: browser client, redirect flow ------------------------------------------------


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf(browser: Client) -> str:
    browser.get("/_allauth/browser/v1/config")
    return browser.cookies["csrftoken"].value


def stub_github(mock, *, login="octocat", user_id=42, emails=None):
    mock.post(GITHUB_TOKEN_URL, json={"access_token": "gho_test", "token_type": "bearer"})
    mock.get(GITHUB_USER_URL, json={"id": user_id, "login": login, "name": "Octo Cat"})
    mock.get(
        GITHUB_EMAILS_URL,
        json=emails or [{"email": "Octo@Example.com", "primary": True, "verified": True}],
    )


def github_redirect_login(browser: Client):
    """The browser's part of the redirect flow: start it, come back from GitHub with a code.
    Returns the final redirect to the frontend."""
    csrf = _csrf(browser)
    start = browser.post(
        REDIRECT_URL,
        {"provider": "github", "process": "login", "callback_url": SPA_CALLBACK},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == (
        "https://github.com/login/oauth/authorize"
    )
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["github-client-id"]
    redirect_uri = urlparse(query["redirect_uri"][0])
    assert redirect_uri.path == "/api/v1/auth/providers/github/callback"
    return browser.get(redirect_uri.path, {"code": "the-code", "state": query["state"][0]})


def exchange(browser: Client):
    return browser.post(
        "/api/v1/auth/social/token",
        {},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_csrf(browser),
    )


def test_github_redirect_flow_creates_the_user_and_ends_in_the_jwt_pair(
    browser, provider_http, created_users, django_capture_on_commit_callbacks
):
    stub_github(provider_http)

    with django_capture_on_commit_callbacks(execute=True):
        back = github_redirect_login(browser)

    assert back.status_code == 302
    assert back["Location"] == SPA_CALLBACK
    user = User.objects.get()
    assert (user.email, user.username, user.first_name, user.last_name, user.role) == (
        "octo@example.com",
        "octocat",
        "Octo",
        "Cat",
        "student",
    )
    assert SocialAccount.objects.get(provider="github").uid == "42"
    assert created_users == [user]
    assert [m.to for m in mail.outbox] == [["octo@example.com"]]
    token_request = provider_http.calls[0].request
    assert token_request.url == GITHUB_TOKEN_URL
    assert "code=the-code" in token_request.body

    response = exchange(browser)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh", "token_type"}
    assert me(browser, response.json()["access"]).json()["id"] == user.pk
    session = browser.get("/_allauth/browser/v1/auth/session")
    assert session.status_code == 401
    again = exchange(browser)
    assert again.status_code == 401
    assert again.json()["code"] == "not_authenticated"


def test_github_redirect_flow_logs_in_existing_user_by_verified_email(
    browser, provider_http, created_users
):
    user = StudentFactory(email="octo@example.com", username="octo")
    stub_github(provider_http)

    back = github_redirect_login(browser)

    assert back["Location"] == SPA_CALLBACK
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(provider="github").user == user
    assert created_users == []
    assert me(browser, exchange(browser).json()["access"]).json()["id"] == user.pk


def test_github_redirect_flow_refuses_a_suspended_user(browser, provider_http):
    user = StudentFactory(email="octo@example.com", is_active=False, suspended_at=timezone.now())
    stub_github(provider_http)

    back = github_redirect_login(browser)

    assert back.status_code == 302
    assert back["Location"] == f"{SPA_CALLBACK}?error=account_suspended&error_process=login"
    assert not SocialAccount.objects.exists()
    assert exchange(browser).status_code == 401
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_github_refusing_the_code_sends_the_browser_back_with_an_error(browser, provider_http):
    provider_http.post(GITHUB_TOKEN_URL, json={"error": "bad_verification_code"}, status=401)

    back = github_redirect_login(browser)

    assert back.status_code == 302
    assert back["Location"] == f"{SPA_CALLBACK}?error=unknown&error_process=login"
    assert not User.objects.exists()
    assert exchange(browser).status_code == 401


def test_social_token_needs_the_csrf_token_and_keeps_the_session_without_it(browser, provider_http):
    stub_github(provider_http)
    github_redirect_login(browser)

    refused = browser.post("/api/v1/auth/social/token", {}, content_type="application/json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "access" not in refused.json()
    assert exchange(browser).status_code == 200


def test_social_token_refuses_a_user_suspended_after_the_redirect(browser, provider_http):
    stub_github(provider_http)
    github_redirect_login(browser)
    User.objects.update(is_active=False, suspended_at=timezone.now())

    response = exchange(browser)

    assert response.status_code == 401
    assert "access" not in response.json()


def test_social_token_without_a_session_is_401(api_client):
    response = api_client.post("/api/v1/auth/social/token")

    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# --- allauth's local-account endpoints stay consistent with the platform's ---------------


def test_allauth_password_signup_is_closed(client):
    response = client.post(
        "/_allauth/app/v1/auth/signup",
        {"email": "new@example.com", "password": "a-strong-passphrase-1"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not User.objects.exists()


def test_allauth_password_change_revokes_the_platform_tokens(client, api_client):
    user = StudentFactory()
    old_pair = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    ).json()
    login = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200
    session_token = login.json()["meta"]["session_token"]

    change = client.post(
        "/_allauth/app/v1/account/password/change",
        {"current_password": PASSWORD, "new_password": "another-strong-passphrase"},
        content_type="application/json",
        HTTP_X_SESSION_TOKEN=session_token,
    )

    assert change.status_code == 200
    user.refresh_from_db()
    assert user.check_password("another-strong-passphrase")
    assert me(client, old_pair["access"]).json()["code"] == "token_revoked"
    refused = api_client.post("/api/v1/auth/refresh", {"refresh": old_pair["refresh"]})
    assert refused.status_code == 401
