"""Publishing to YouTube: the OAuth connection and the YouTube Data API v3 calls publishing
needs (the channel, resumable video uploads, playlists).

- OAuth: Google's authorization code flow with PKCE (google_auth_oauthlib `Flow`). The
  token endpoint, refreshes and revocation go through `requests` (tests mock them with
  `responses`).
- API calls: googleapiclient built from its bundled discovery document, over
  `AuthorizedHttp(credentials, http=http_factory())`; tests replace `http_factory` with a
  googleapiclient `HttpMockSequence` of recorded responses, and `sleep` to skip backoff.

Errors: `YouTubeAuthError` (the connection is no longer valid: reconnect),
`YouTubeTransientError` (network, 5xx, quota: try later), `YouTubeError` (refused)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import httplib2
import requests
from django.conf import settings
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

logger = logging.getLogger(__name__)

SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube",
]
AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
TOKEN_URI = "https://oauth2.googleapis.com/token"
REVOKE_URI = "https://oauth2.googleapis.com/revoke"
HTTP_TIMEOUT = 30
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"})
MAX_BACKOFF = 60

# Replaced in tests, so that retries do not wait.
sleep: Callable[[float], None] = time.sleep


class YouTubeError(Exception):
    """YouTube or Google refused the request; retrying the same request cannot help."""


class YouTubeTransientError(YouTubeError):
    """Network failure, server error, rate limit or quota: worth trying later."""


class YouTubeAuthError(YouTubeError):
    """The authorization failed or was withdrawn: the user has to connect again."""


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scopes: list[str]


def is_configured() -> bool:
    return bool(
        settings.GOOGLE_OAUTH_CLIENT_ID
        and settings.GOOGLE_OAUTH_CLIENT_SECRET
        and settings.GOOGLE_OAUTH_REDIRECT_URI
    )


def client_config() -> dict[str, Any]:
    return {
        "web": {
            "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
            "auth_uri": AUTH_URI,
            "token_uri": TOKEN_URI,
            "redirect_uris": [settings.GOOGLE_OAUTH_REDIRECT_URI],
        }
    }


def _flow(*, state: str | None = None, code_verifier: str | None = None) -> Flow:
    flow = Flow.from_client_config(
        client_config(),
        scopes=SCOPES,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=code_verifier is None,
    )
    flow.redirect_uri = settings.GOOGLE_OAUTH_REDIRECT_URI
    return flow


def authorization_url() -> tuple[str, str, str]:
    """(URL to send the user to, its `state`, the PKCE `code_verifier`). Offline access
    and the consent prompt make Google return a refresh token."""
    flow = _flow()
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return url, state, flow.code_verifier


def _aware(expiry: datetime | None) -> datetime | None:
    """google-auth keeps expiry as naive UTC."""
    return expiry.replace(tzinfo=UTC) if expiry is not None else None


def exchange_code(*, code: str, state: str, code_verifier: str) -> TokenSet:
    """Trade the authorization code for tokens at Google's token endpoint."""
    flow = _flow(state=state, code_verifier=code_verifier)
    try:
        token = flow.fetch_token(code=code, timeout=HTTP_TIMEOUT)
    except Warning as warning:
        # oauthlib warns (raises) when the user granted fewer scopes than asked; the token
        # is still good for what was granted.
        token = getattr(warning, "token", None)
        if token is None:
            raise
    except OAuth2Error as exc:
        raise YouTubeAuthError(f"Google refused the code: {exc.error}.") from exc
    except requests.RequestException as exc:
        raise YouTubeTransientError(f"Could not reach Google: {exc}") from exc
    expires_at = token.get("expires_at")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expires_at=datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None,
        scopes=list(token.get("scope") or SCOPES),
    )


def credentials(
    *,
    access_token: str,
    refresh_token: str = "",
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
) -> Credentials:
    expiry = expires_at.astimezone(UTC).replace(tzinfo=None) if expires_at else None
    return Credentials(
        token=access_token,
        refresh_token=refresh_token or None,
        token_uri=TOKEN_URI,
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
        client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
        scopes=scopes or SCOPES,
        expiry=expiry,
    )


def refresh(creds: Credentials) -> TokenSet:
    """A new access token from the refresh token (the credentials are updated too)."""
    if not creds.refresh_token:
        raise YouTubeAuthError("The access token expired and there is no refresh token.")
    try:
        creds.refresh(GoogleAuthRequest())
    except RefreshError as exc:
        raise YouTubeAuthError(f"Google refused to refresh the token: {exc}") from exc
    except TransportError as exc:
        raise YouTubeTransientError(f"Could not reach Google: {exc}") from exc
    return TokenSet(
        access_token=creds.token,
        refresh_token=creds.refresh_token or "",
        expires_at=_aware(creds.expiry),
        scopes=list(creds.scopes or SCOPES),
    )


def revoke(token: str) -> bool:
    """Withdraw the platform's access at Google; whether Google confirmed it. The token
    goes in the form body, never in the URL, which proxies and error messages repeat."""
    try:
        response = requests.post(REVOKE_URI, data={"token": token}, timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        logger.warning("could not revoke a YouTube token: %s", type(exc).__name__)
        return False
    return response.status_code == 200


def http_factory() -> Any:
    """The HTTP transport of API calls. Tests replace this function."""
    return httplib2.Http(timeout=HTTP_TIMEOUT)


def build_service(creds: Credentials) -> Any:
    return build(
        "youtube",
        "v3",
        http=AuthorizedHttp(creds, http=http_factory()),
        static_discovery=True,
        cache_discovery=False,
    )


def _translate(exc: HttpError) -> YouTubeError:
    status = exc.status_code
    details = exc.error_details if isinstance(exc.error_details, list) else []
    reasons = {d.get("reason", "") for d in details if isinstance(d, dict)}
    message = exc.reason or f"HTTP {status}"
    if status in RETRYABLE_STATUSES or reasons & QUOTA_REASONS:
        return YouTubeTransientError(f"YouTube answered {status} ({message}).")
    if status == 401:
        return YouTubeAuthError("YouTube no longer accepts the connection; connect again.")
    return YouTubeError(f"YouTube refused the request: {status} {message}")


def _execute(request: Any) -> dict[str, Any]:
    try:
        return request.execute()  # type: ignore[no-any-return]
    except HttpError as exc:
        raise _translate(exc) from exc
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise YouTubeTransientError(f"Could not reach YouTube: {exc}") from exc


def channel(service: Any) -> dict[str, str] | None:
    """The id and title of the connected account's channel (None: it has none)."""
    response = _execute(service.channels().list(part="snippet", mine=True, maxResults=1))
    items = response.get("items") or []
    if not items:
        return None
    return {"id": items[0]["id"], "title": (items[0].get("snippet") or {}).get("title", "")}


def playlist_create(
    service: Any, *, title: str, description: str, privacy_status: str
) -> dict[str, Any]:
    response = _execute(
        service.playlists().insert(
            part="snippet,status",
            body={
                "snippet": {"title": title, "description": description},
                "status": {"privacyStatus": privacy_status},
            },
        )
    )
    return {
        "playlist_id": response["id"],
        "title": (response.get("snippet") or {}).get("title", title),
        "privacy_status": (response.get("status") or {}).get("privacyStatus", privacy_status),
    }


def playlist_add(service: Any, *, playlist_id: str, video_id: str) -> None:
    _execute(
        service.playlistItems().insert(
            part="snippet",
            body={
                "snippet": {
                    "playlistId": playlist_id,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                }
            },
        )
    )


def upload_video(
    service: Any,
    *,
    stream: IO[bytes],
    mimetype: str,
    body: dict[str, Any],
    chunk_size: int,
    max_chunk_retries: int,
    backoff: float,
    on_progress: Callable[[int], None],
    on_retry: Callable[[str], None],
) -> str:
    """Upload a video with a resumable `videos.insert`, `chunk_size` bytes at a time, and
    return its id. `on_progress(bytes_sent)` follows each chunk. A chunk that fails with
    a 5xx/429 or a network error is retried after `backoff` seconds (doubling, at most a
    minute) up to `max_chunk_retries` times in a row: googleapiclient first asks the
    server how much it received (a 308 with `range`) and resumes from there."""
    media = MediaIoBaseUpload(stream, mimetype=mimetype, chunksize=chunk_size, resumable=True)
    request = service.videos().insert(part="snippet,status", body=body, media_body=media)
    failures = 0
    response = None
    while response is None:
        try:
            status, response = request.next_chunk()
        except HttpError as exc:
            if exc.status_code not in RETRYABLE_STATUSES:
                raise _translate(exc) from exc
            reason = f"YouTube answered {exc.status_code}"
        except (OSError, httplib2.HttpLib2Error) as exc:
            reason = f"network error: {exc}"
        else:
            failures = 0
            if status is not None:
                on_progress(status.resumable_progress)
            continue
        failures += 1
        if failures > max_chunk_retries:
            raise YouTubeTransientError(f"The upload failed {failures} times in a row ({reason}).")
        on_retry(reason)
        sleep(min(backoff * 2 ** (failures - 1), MAX_BACKOFF))
    video_id = response.get("id") if isinstance(response, dict) else None
    if not video_id:
        raise YouTubeError("YouTube accepted the upload but returned no video id.")
    return str(video_id)
