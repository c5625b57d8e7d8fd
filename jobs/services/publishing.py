"""YouTube publishing: connecting a channel (OAuth with PKCE), refreshing its token,
disconnecting, uploading finished films and creating playlists.

Tokens live encrypted in the accounts credential store (provider "youtube"), with the
channel's id and title in its `extra`. The OAuth `state` and PKCE verifier of a started
connection are kept server-side (`YouTubeOAuthState`), bound to the user, used once."""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from google.oauth2.credentials import Credentials

from accounts.models import Credential, User
from accounts.selectors import credential_get
from accounts.services import credential_delete, credential_store
from config.celery import send_after_commit
from config.errors import (
    Conflict,
    DomainError,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from jobs import selectors, youtube
from jobs.models import Project, YouTubeOAuthState, YouTubeUpload
from jobs.states import check_project_transition, check_upload_transition

logger = logging.getLogger(__name__)

PROVIDER = Credential.Provider.YOUTUBE
U = YouTubeUpload.Status
# A token expiring sooner than this is refreshed before use.
REFRESH_MARGIN = timedelta(minutes=2)
PUBLISHABLE = frozenset({Project.Status.COMPLETED, Project.Status.PUBLISHED})


class YouTubeRefused(DomainError):
    """YouTube refused a request made on the user's behalf."""

    status_code = 502
    code = "youtube_refused"
    default_message = "YouTube refused the request."


def _require_configured() -> None:
    if not youtube.is_configured():
        raise ServiceUnavailable(
            "YouTube publishing is not configured (GOOGLE_OAUTH_CLIENT_ID, "
            "GOOGLE_OAUTH_CLIENT_SECRET, GOOGLE_OAUTH_REDIRECT_URI).",
            code="youtube_not_configured",
        )


def _as_domain_error(exc: youtube.YouTubeError) -> DomainError:
    if isinstance(exc, youtube.YouTubeAuthError):
        return Conflict(str(exc), code="youtube_reconnect_required")
    if isinstance(exc, youtube.YouTubeTransientError):
        return ServiceUnavailable(str(exc), code="youtube_unavailable")
    return YouTubeRefused(str(exc))


# --- connection ---------------------------------------------------------------------------


@transaction.atomic
def youtube_connect_start(*, user: User) -> str:
    """The Google authorization URL for the user; remembers its state and PKCE verifier
    (expired ones, anyone's, are cleared on the way)."""
    _require_configured()
    expired = timezone.now() - timedelta(seconds=settings.YOUTUBE_OAUTH_STATE_TTL)
    YouTubeOAuthState.objects.filter(created_at__lt=expired).delete()
    url, state, code_verifier = youtube.authorization_url()
    YouTubeOAuthState.objects.create(user=user, state=state, code_verifier=code_verifier)
    return url


def _take_state(*, state: str, user: User | None) -> YouTubeOAuthState:
    """The pending connection of this `state`, removed (it is single use). A state that is
    unknown, expired, or another user's (when the caller is authenticated) is refused."""
    fresh = timezone.now() - timedelta(seconds=settings.YOUTUBE_OAUTH_STATE_TTL)
    with transaction.atomic():
        pending = (
            YouTubeOAuthState.objects.select_for_update()
            .select_related("user")
            .filter(state=state, created_at__gte=fresh)
            .first()
        )
        if pending is None or (user is not None and pending.user_id != user.pk):
            raise ValidationFailed(
                "Unknown or expired connection attempt; connect again.",
                code="invalid_state",
                errors={"state": ["Unknown or expired."]},
            )
        pending.delete()
    return pending


def youtube_connect_finish(
    *, state: str, code: str = "", error: str = "", user: User | None = None
) -> Credential:
    """Complete a connection: exchange the code (with the stored PKCE verifier) for
    tokens, look up the channel and store everything encrypted for the user who started
    the connection. `user` (when the callback request is authenticated) must be that user."""
    _require_configured()
    pending = _take_state(state=state, user=user)
    if error:
        raise ValidationFailed(
            f"Google did not authorize the connection ({error}).", code="oauth_denied"
        )
    if not code:
        raise ValidationFailed("Invalid input: code.", errors={"code": ["This field is required."]})
    try:
        tokens = youtube.exchange_code(code=code, state=state, code_verifier=pending.code_verifier)
    except youtube.YouTubeAuthError as exc:
        raise ValidationFailed(str(exc), code="oauth_exchange_failed") from exc
    except youtube.YouTubeTransientError as exc:
        raise ServiceUnavailable(str(exc), code="youtube_unavailable") from exc
    creds = youtube.credentials(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scopes=tokens.scopes,
    )
    extra: dict[str, Any] = {"channel_id": "", "channel_title": ""}
    try:
        channel = youtube.channel(youtube.build_service(creds))
    except youtube.YouTubeError as exc:
        logger.warning("connected YouTube for user %s, channel unknown: %s", pending.user_id, exc)
    else:
        if channel is not None:
            extra = {"channel_id": channel["id"], "channel_title": channel["title"]}
    return credential_store(
        user=pending.user,
        provider=PROVIDER,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scopes=tokens.scopes,
        extra=extra,
    )


def youtube_disconnect(*, user: User) -> None:
    """Revoke the platform's access at Google (best effort) and forget the tokens."""
    credential = credential_get(user=user, provider=PROVIDER)
    if credential is None:
        raise NotFound("No YouTube channel is connected.", code="youtube_not_connected")
    if not youtube.revoke(credential.refresh_token or credential.access_token):
        logger.warning("Google did not confirm revoking user %s's YouTube token", user.pk)
    credential_delete(user=user, provider=PROVIDER)


def youtube_credentials(*, user: User) -> Credentials:
    """The user's Google credentials, refreshed first when the access token has expired
    or is about to (the new token is stored). Conflict when not connected or when Google
    refuses the refresh (the user has to connect again)."""
    credential = credential_get(user=user, provider=PROVIDER)
    if credential is None:
        raise Conflict("Connect a YouTube channel first.", code="youtube_not_connected")
    creds = youtube.credentials(
        access_token=credential.access_token,
        refresh_token=credential.refresh_token,
        expires_at=credential.expires_at,
        scopes=list(credential.scopes),
    )
    if credential.expires_at is None or credential.expires_at > timezone.now() + REFRESH_MARGIN:
        return creds
    _require_configured()
    try:
        tokens = youtube.refresh(creds)
    except youtube.YouTubeError as exc:
        raise _as_domain_error(exc) from exc
    credential_store(
        user=user,
        provider=PROVIDER,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or credential.refresh_token,
        expires_at=tokens.expires_at,
        scopes=list(credential.scopes),
        extra=dict(credential.extra),
    )
    return creds


# --- playlists ----------------------------------------------------------------------------


def youtube_playlist_create(
    *, user: User, title: str, description: str = "", privacy_status: str = "private"
) -> dict[str, Any]:
    """Create a playlist on the user's channel, now (one API call)."""
    _require_configured()
    service = youtube.build_service(youtube_credentials(user=user))
    try:
        return youtube.playlist_create(
            service, title=title, description=description, privacy_status=privacy_status
        )
    except youtube.YouTubeError as exc:
        raise _as_domain_error(exc) from exc


# --- uploads ------------------------------------------------------------------------------


@transaction.atomic
def youtube_upload_create(
    *,
    user: User,
    project_id: int,
    title: str,
    description: str = "",
    privacy_status: str = YouTubeUpload.Privacy.PRIVATE,
    playlist_id: str = "",
) -> YouTubeUpload:
    """Record an upload of the project's finished film and start it after commit.

    The project must be the user's (404), approved and finished (409
    `project_not_publishable`), with a film (409 `no_finished_video`); the user's channel
    connected (409 `youtube_not_connected`); one upload of a project at a time (409
    `upload_in_progress`)."""
    _require_configured()
    project = Project.objects.filter(pk=project_id, owner=user, deleted_at__isnull=True).first()
    if project is None:
        raise NotFound("Project not found.", code="project_not_found")
    if project.review_decision != Project.Decision.APPROVED or project.status not in PUBLISHABLE:
        raise Conflict(
            "Only an approved project whose generation completed can be published.",
            code="project_not_publishable",
            current_status=project.status,
        )
    video = selectors.project_video(project_id=project.pk)
    if video is None:
        raise Conflict("The project has no finished video.", code="no_finished_video")
    if credential_get(user=user, provider=PROVIDER) is None:
        raise Conflict("Connect a YouTube channel first.", code="youtube_not_connected")
    try:
        with transaction.atomic():
            upload = YouTubeUpload.objects.create(
                user=user,
                project=project,
                title=title,
                description=description,
                privacy_status=privacy_status,
                playlist_id=playlist_id,
                bytes_total=int(video.get("size") or 0),
            )
    except IntegrityError:
        raise Conflict(
            "An upload of this project is already in progress.", code="upload_in_progress"
        ) from None
    from jobs.tasks import youtube_upload_task  # the tasks module imports the services

    send_after_commit(youtube_upload_task, upload.pk, lost="the reaper sends it again")
    return upload


def _claim_upload(upload_id: int) -> YouTubeUpload | None:
    check_upload_transition(U.QUEUED, U.UPLOADING)
    now = timezone.now()
    claimed = YouTubeUpload.objects.filter(pk=upload_id, status=U.QUEUED).update(
        status=U.UPLOADING, started_at=now, heartbeat_at=now, updated_at=now
    )
    if not claimed:
        return None
    return YouTubeUpload.objects.select_related("project", "user").get(pk=upload_id)


@transaction.atomic
def _finish_upload(
    upload_id: int,
    status: str,
    *,
    error: str = "",
    video_id: str = "",
    silent_since: datetime | None = None,
) -> bool:
    """End an upload (under its lock); with `silent_since`, only if it has not reported
    since then. Whether it was ended."""
    upload = YouTubeUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status != U.UPLOADING:
        logger.warning("upload %s is already %s; %s dropped", upload_id, upload.status, status)
        return False
    if silent_since is not None and (upload.heartbeat_at or silent_since) >= silent_since:
        return False
    check_upload_transition(upload.status, status)
    upload.status = status
    upload.error = error
    upload.finished_at = timezone.now()
    fields = ["status", "error", "finished_at", "updated_at"]
    if status == U.COMPLETED:
        upload.video_id = video_id
        upload.progress = 100
        upload.bytes_sent = upload.bytes_total
        fields += ["video_id", "progress", "bytes_sent"]
    upload.save(update_fields=fields)
    if status == U.COMPLETED:
        _publish_project(upload.project_id)
    return True


def _publish_project(project_id: int) -> None:
    """The project of a completed upload becomes published (if it can: the upload is
    done whatever the project's state, so an illegal move is logged, not raised)."""
    project = Project.objects.select_for_update().get(pk=project_id)
    if project.status == Project.Status.PUBLISHED:
        return
    try:
        check_project_transition(project.status, Project.Status.PUBLISHED)
    except Conflict:
        logger.error("project %s is %s; not marked published", project_id, project.status)
        return
    project.status = Project.Status.PUBLISHED
    project.save(update_fields=["status", "updated_at"])


def youtube_upload_run(*, upload_id: int) -> YouTubeUpload | None:
    """Upload the film (resumable, in chunks, with progress and chunk retries), add it to
    the playlist if one was given, and mark the project published. Runs once per upload:
    it claims the upload (`queued` → `uploading`) first. Failures are recorded on the
    upload; returns it, or None when there was nothing to run."""
    upload = _claim_upload(upload_id)
    if upload is None:
        return None
    video = selectors.project_video(project_id=upload.project_id)
    total = upload.bytes_total

    def on_progress(sent: int) -> None:
        YouTubeUpload.objects.filter(pk=upload_id, status=U.UPLOADING).update(
            bytes_sent=sent,
            progress=min(99, sent * 100 // total) if total else 0,
            heartbeat_at=timezone.now(),
        )

    def on_retry(reason: str) -> None:
        logger.warning("upload %s: retrying a chunk (%s)", upload_id, reason)
        YouTubeUpload.objects.filter(pk=upload_id).update(
            chunk_retries=F("chunk_retries") + 1, heartbeat_at=timezone.now()
        )

    try:
        if video is None:
            raise youtube.YouTubeError("The project no longer has a finished video.")
        service = youtube.build_service(youtube_credentials(user=upload.user))
        with default_storage.open(video["path"], "rb") as stream:
            video_id = youtube.upload_video(
                service,
                stream=stream,
                mimetype=video.get("content_type") or "video/mp4",
                body={
                    "snippet": {"title": upload.title, "description": upload.description},
                    "status": {"privacyStatus": upload.privacy_status},
                },
                chunk_size=settings.YOUTUBE_UPLOAD_CHUNK_SIZE,
                max_chunk_retries=settings.YOUTUBE_UPLOAD_CHUNK_RETRIES,
                backoff=settings.YOUTUBE_UPLOAD_RETRY_BACKOFF,
                on_progress=on_progress,
                on_retry=on_retry,
            )
    except (youtube.YouTubeError, DomainError, OSError, SoftTimeLimitExceeded) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc) or "Timed out."
        _finish_upload(upload_id, U.FAILED, error=message)
        upload.refresh_from_db()
        return upload
    note = ""
    if upload.playlist_id:
        try:
            youtube.playlist_add(service, playlist_id=upload.playlist_id, video_id=video_id)
        except youtube.YouTubeError as exc:
            note = f"Uploaded, but adding it to the playlist failed: {exc}"
    _finish_upload(upload_id, U.COMPLETED, video_id=video_id, error=note)
    upload.refresh_from_db()
    return upload


def youtube_uploads_reap_stale() -> int:
    """Fail uploads whose worker went silent for JOBS_STUCK_TIMEOUT seconds (the worker
    died mid-upload); the owner can start a new one."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STUCK_TIMEOUT)
    stale = list(
        YouTubeUpload.objects.filter(status=U.UPLOADING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    return sum(
        _finish_upload(
            upload_id,
            U.FAILED,
            error="The upload was interrupted; start it again.",
            silent_since=cutoff,
        )
        for upload_id in stale
    )


def youtube_uploads_resend_lost() -> int:
    """Send again the task of uploads still queued JOBS_STUCK_TIMEOUT seconds after they
    were last touched: their message never reached the broker (it was down) or was lost.
    Touching `updated_at` claims the resend, so overlapping runs send it once; a duplicate
    message would do nothing anyway (`_claim_upload`)."""
    from jobs.tasks import youtube_upload_task

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STUCK_TIMEOUT)
    resent = 0
    lost = YouTubeUpload.objects.filter(status=U.QUEUED, updated_at__lt=cutoff)
    for upload_id in lost.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            if YouTubeUpload.objects.filter(
                pk=upload_id, status=U.QUEUED, updated_at__lt=cutoff
            ).update(updated_at=now):
                resent += 1
                send_after_commit(youtube_upload_task, upload_id, lost="the reaper sends it again")
    if resent:
        logger.warning("%d queued YouTube uploads were lost; sent again", resent)
    return resent


__all__ = [
    "YouTubeRefused",
    "youtube_connect_finish",
    "youtube_connect_start",
    "youtube_credentials",
    "youtube_disconnect",
    "youtube_playlist_create",
    "youtube_upload_create",
    "youtube_upload_run",
    "youtube_uploads_reap_stale",
    "youtube_uploads_resend_lost",
]
