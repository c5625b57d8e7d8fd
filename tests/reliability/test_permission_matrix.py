# The matrix keeps one line per row, however long.
# ruff: noqa: E501
"""The permission matrix: every route under /api/v1/ and every method it answers, called by
every principal of the world (see `tests/reliability/world.py`), with the exact status each
must get. A route or method without a row fails `test_every_route_has_a_row_and_every_row_a_route`
(which lists the missing (METHOD, URL_NAME) pairs); a row naming a route or method that no
longer exists fails it too.

A refused call (any expected status of 400 or more) must answer the error body and change
no row of any table; a denied one (401, 403, 404) must be denied whatever the body, so it is
sent a second time with an empty body and must get the same status: permission checks come
before validation.

Adding a row: one line in MATRIX, `row(METHOD, URL_NAME, anonymous, student, other_student,
mentor, other_mentor, admin, **options)`. URL_NAME is the route's name: the `name=` of its
`path()`, or `<basename>-list`, `-detail` or `-<action url name>` for router routes. A row
whose statuses are wrong fails with every principal's actual status and body.
Options: a URL keyword argument names the world object whose pk it takes (`pk="course"`) or
is a function of the world (`day=lambda w: ...`); `body=` a dict, or a function of the
world returning one; `query=` a query string (or a function of the world); `headers=` a
function of the world and the body returning extra request headers; `object_in_body=True`
when the object the caller may not touch is named in the body (a project id, a video id),
so an empty body cannot be refused for it and only the given body is sent.
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.tokens import token_pair_for
from tests.accounts.factories import PASSWORD
from tests.conftest import _clear_cache
from tests.reliability.world import PRINCIPALS, WEBHOOK_SECRET, World, database_state

API_PREFIX = "api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL_METHODS = WRITE_METHODS | {"GET"}
Body = dict[str, Any] | bytes | Callable[[World], Any] | None


@dataclass(frozen=True)
class Row:
    method: str
    name: str
    expected: dict[str, int]
    args: dict[str, Any] = field(default_factory=dict)
    body: Body = None
    query: str | Callable[[World], str] = ""
    headers: Callable[[World, Any], dict[str, str]] | None = None
    object_in_body: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.name)


def row(
    method: str,
    name: str,
    anonymous: int,
    student: int,
    other_student: int,
    mentor: int,
    other_mentor: int,
    admin: int,
    *,
    body: Body = None,
    query: str | Callable[[World], str] = "",
    headers: Callable[[World, Any], dict[str, str]] | None = None,
    object_in_body: bool = False,
    **args: Any,
) -> Row:
    statuses = (anonymous, student, other_student, mentor, other_mentor, admin)
    return Row(
        method=method,
        name=name,
        expected=dict(zip(PRINCIPALS, statuses, strict=True)),
        args=args,
        body=body,
        query=query,
        headers=headers,
        object_in_body=object_in_body,
    )


# --- bodies -----------------------------------------------------------------------------------


def soon() -> datetime:
    """A time the world's mentor is free: in four days at 10:00."""
    return (timezone.now() + timedelta(days=4)).replace(hour=10, minute=0, second=0, microsecond=0)


def _webhook_body(world: World) -> bytes:
    event = {
        "id": "evt_matrix_1",
        "type": "payment.succeeded",
        "data": {"user_id": world.student.pk, "credits": 5, "amount_cents": 500},
    }
    return json.dumps(event).encode()


def _webhook_headers(world: World, body: bytes) -> dict[str, str]:
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Signature": signature}


COURSE = {"code": "NEW-101", "title": "A new course"}
PROJECT = {"title": "Another film", "script": "INT. ROOM - DAY\n\nALICE\nHi."}
VIDEO = {"youtube_id": "dQw4w9WgXcQ", "title": "A new video", "duration_seconds": 300}


def assessments(w: World) -> dict[str, Any]:
    return {
        "quizzes": [
            {
                "id": "quiz-new",
                "title": "New quiz",
                "questions": [
                    {
                        "id": "q-new",
                        "text": "What is a derivative?",
                        "type": "multiple_choice",
                        "points": 1,
                        "answers": [{"student_id": w.student.pk, "correct": False, "score": 0}],
                    }
                ],
            }
        ]
    }


# --- the matrix -------------------------------------------------------------------------------
# Columns: anonymous, student, other_student, mentor, other_mentor, admin (see world.py).
# fmt: off
MATRIX: list[Row] = [
    # accounts
    row("POST", "auth-signup", 201, 201, 201, 201, 201, 201, body={"email": "new@example.com", "username": "newcomer", "password": "a-long-enough-passphrase", "first_name": "N", "last_name": "C"}),
    row("POST", "auth-login", 200, 200, 200, 200, 200, 200, body=lambda w: {"email": w.student.email, "password": PASSWORD}),
    row("POST", "auth-refresh", 200, 200, 200, 200, 200, 200, body=lambda w: {"refresh": token_pair_for(w.student)["refresh"]}),
    row("POST", "auth-logout", 401, 204, 400, 400, 400, 400, body=lambda w: {"refresh": token_pair_for(w.student)["refresh"]}),
    row("GET", "auth-me", 401, 200, 200, 200, 200, 200),
    row("PATCH", "auth-me", 401, 200, 200, 200, 200, 200, body={"first_name": "Renamed"}),
    row("DELETE", "auth-me", 401, 204, 204, 204, 204, 204, body={"password": PASSWORD}),
    row("GET", "auth-me-export", 401, 200, 200, 200, 200, 200),
    row("POST", "auth-password-change", 401, 200, 200, 200, 200, 200, body={"old_password": PASSWORD, "new_password": "another-long-passphrase"}),
    row("POST", "auth-password-reset", 202, 202, 202, 202, 202, 202, body=lambda w: {"email": w.student.email}),
    row("POST", "auth-password-reset-confirm", 400, 400, 400, 400, 400, 400, body={"uid": "x", "token": "y", "new_password": "another-long-passphrase"}),
    row("POST", "auth-social-token", 401, 401, 401, 401, 401, 401),
    row("GET", "google_callback", 302, 302, 302, 302, 302, 302),
    row("GET", "github_callback", 302, 302, 302, 302, 302, 302),
    row("GET", "notification-preferences", 401, 200, 200, 200, 200, 200),
    row("PATCH", "notification-preferences", 401, 200, 200, 200, 200, 200, body={"preferences": [{"type": "new_message", "email": False}]}),
    row("GET", "user-list", 401, 403, 403, 403, 403, 200),
    row("POST", "user-list", 401, 403, 403, 403, 403, 201, body={"email": "made@example.com", "username": "made", "role": "mentor"}),
    row("GET", "user-detail", 401, 403, 403, 403, 403, 200, pk="student"),
    row("PATCH", "user-detail", 401, 403, 403, 403, 403, 200, pk="student", body={"tier": "pro"}),
    row("DELETE", "user-detail", 401, 403, 403, 403, 403, 204, pk="student", body={"reason": "Asked to leave."}),
    row("POST", "user-suspend", 401, 403, 403, 403, 403, 200, pk="student", body={"reason": "Spam."}),
    row("POST", "user-reactivate", 401, 403, 403, 403, 403, 409, pk="student", body={"reason": "Appeal."}),
    row("GET", "notification-list", 401, 200, 200, 200, 200, 200),
    row("POST", "notification-read-all", 401, 200, 200, 200, 200, 200),
    row("POST", "notification-read", 401, 200, 404, 404, 404, 404, pk="notification"),
    # credits
    row("GET", "credits-balance", 401, 200, 200, 200, 200, 200),
    row("GET", "credits-transactions", 401, 200, 200, 200, 200, 200),
    row("GET", "credits-check", 401, 200, 200, 200, 200, 200, query="amount=1"),
    row("POST", "credits-grant", 401, 403, 403, 403, 403, 201, body=lambda w: {"user_id": w.student.pk, "amount": 5, "reason": "Prize.", "idempotency_key": "matrix-grant"}),
    row("POST", "credits-adjust", 401, 403, 403, 403, 403, 201, body=lambda w: {"user_id": w.student.pk, "amount": 1, "reason": "Fix.", "idempotency_key": "matrix-adjust"}),
    row("POST", "credits-webhook-payment", 200, 200, 200, 200, 200, 200, body=_webhook_body, headers=_webhook_headers),
    row("GET", "user-credits", 401, 403, 403, 403, 403, 200, user_id="student"),
    row("GET", "user-credits-transactions", 401, 403, 403, 403, 403, 200, user_id="student"),
    # courses
    row("GET", "lms-token", 401, 403, 403, 200, 404, 404),
    row("PUT", "lms-token", 401, 403, 403, 200, 200, 200, body={"access_token": "canvas-new-token-5678", "course_ids": ["101"], "link": "https://93.184.216.34"}),
    row("DELETE", "lms-token", 401, 403, 403, 204, 404, 404),
    row("GET", "course-list", 401, 200, 200, 200, 200, 200),
    row("POST", "course-list", 401, 403, 403, 201, 201, 201, body=COURSE),
    row("GET", "course-detail", 401, 200, 200, 200, 200, 200, pk="course"),
    row("PATCH", "course-detail", 401, 403, 403, 200, 403, 200, pk="course", body={"title": "Renamed"}),
    row("DELETE", "course-detail", 401, 403, 403, 200, 403, 200, pk="course"),
    row("POST", "course-assessments", 401, 403, 403, 201, 403, 201, pk="course", body=assessments),
    row("PUT", "course-context", 401, 403, 403, 200, 403, 200, pk="course", body={"context": "Calculus for engineers."}),
    row("POST", "course-invitations", 401, 403, 403, 201, 403, 201, pk="course", body={"email": "invitee@example.com"}),
    row("GET", "course-lms-sync", 401, 403, 403, 404, 403, 404, pk="course"),
    row("POST", "course-lms-sync", 401, 403, 403, 409, 403, 409, pk="course"),
    row("POST", "course-register", 401, 409, 201, 201, 201, 201, pk="course"),
    row("DELETE", "course-register", 401, 204, 404, 404, 404, 404, pk="course"),
    row("GET", "course-registration", 401, 200, 200, 200, 200, 200, pk="course"),
    row("GET", "course-students", 401, 403, 403, 200, 403, 200, pk="course"),
    row("GET", "course-at-risk", 401, 403, 403, 200, 403, 200, pk="course"),
    row("GET", "course-my-risk", 401, 200, 404, 404, 404, 404, pk="course"),
    # videos and recommendations
    row("GET", "course-videos", 401, 200, 403, 200, 403, 200, course_id="course"),
    row("POST", "course-videos", 401, 403, 403, 201, 403, 201, course_id="course", body=VIDEO),
    row("POST", "video-playlist-import", 401, 403, 403, 202, 202, 202, body={"playlist_url": "https://www.youtube.com/playlist?list=PLdjango4beginnersXq8Zr2Lk5Tn0Wv7"}),
    row("GET", "video-playlist-import-detail", 401, 404, 404, 200, 404, 200, pk="playlist_import"),
    row("GET", "search", 401, 200, 200, 200, 200, 200, query="q=course"),
    row("GET", "course-assessment-videos", 401, 200, 403, 200, 403, 200, course_id="course", query=lambda w: f"student_id={w.student.pk}"),
    row("GET", "course-question-videos", 401, 403, 403, 200, 403, 200, course_id="course"),
    row("POST", "course-recommendations-refresh", 401, 403, 403, 202, 403, 202, course_id="course"),
    row("POST", "recommendations-refresh", 401, 403, 403, 403, 403, 202),
    row("GET", "question-videos", 401, 403, 403, 200, 403, 200, question_id="question"),
    row("PUT", "question-videos", 401, 403, 403, 200, 403, 200, question_id="question", body={"rank": 1}),
    row("DELETE", "question-videos", 401, 403, 403, 200, 403, 200, question_id="question", query="rank=1"),
    row("GET", "video-detail", 401, 200, 404, 200, 404, 200, pk="video"),
    row("PATCH", "video-detail", 401, 403, 404, 200, 404, 200, pk="video", body={"title": "Renamed"}),
    row("DELETE", "video-detail", 401, 403, 404, 204, 404, 204, pk="video"),
    # attendance
    row("POST", "progress-event", 401, 200, 403, 403, 403, 403, body=lambda w: {"video_id": w.video.pk, "event": "play", "position_seconds": 0, "event_id": "matrix-play"}, object_in_body=True),
    row("GET", "progress-video", 401, 200, 404, 200, 404, 200, video_id="video"),
    row("GET", "course-progress", 401, 200, 200, 200, 200, 200, course_id="course"),
    row("GET", "attendance-me", 401, 200, 200, 200, 200, 200),
    row("GET", "attendance-today", 401, 200, 200, 200, 200, 200),
    row("GET", "attendance-user", 401, 403, 403, 200, 404, 200, user_id="student"),
    row("GET", "attendance-date", 401, 403, 403, 200, 200, 200, day=lambda w: timezone.localdate().isoformat()),
    row("POST", "attendance-finalize", 401, 403, 403, 403, 403, 200),
    # jobs and YouTube
    row("GET", "youtube-connect", 401, 200, 200, 200, 200, 200),
    row("GET", "youtube-callback", 400, 400, 400, 400, 400, 400, query="state=unknown&code=x"),
    row("GET", "youtube-connection", 401, 200, 200, 200, 200, 200),
    row("DELETE", "youtube-connection", 401, 404, 404, 404, 404, 404),
    row("POST", "youtube-uploads", 401, 409, 404, 404, 404, 404, body=lambda w: {"project_id": w.project.pk, "title": "My film"}, object_in_body=True),
    row("GET", "youtube-upload-detail", 401, 200, 404, 404, 404, 404, pk="upload"),
    row("POST", "youtube-playlists", 401, 409, 409, 409, 409, 409, body={"title": "My films"}),
    row("GET", "project-list", 401, 200, 200, 200, 200, 200),
    row("POST", "project-list", 401, 201, 201, 201, 201, 201, body=PROJECT),
    row("GET", "project-moderation-queue", 401, 403, 403, 403, 403, 200),
    row("GET", "project-detail", 401, 200, 404, 404, 404, 404, pk="project"),
    row("PATCH", "project-detail", 401, 200, 404, 404, 404, 404, pk="project", body={"title": "Renamed"}),
    row("DELETE", "project-detail", 401, 204, 404, 404, 404, 404, pk="project"),
    row("POST", "project-approve", 401, 403, 403, 403, 403, 200, pk="pending_project", body={"reason": "Fine."}),
    row("POST", "project-reject", 401, 403, 403, 403, 403, 200, pk="pending_project", body={"reason": "No."}),
    row("POST", "project-restore", 401, 403, 403, 403, 403, 200, pk="deleted_project", body={"reason": "Mistake."}),
    row("POST", "project-submit", 401, 200, 404, 404, 404, 404, pk="project"),
    row("GET", "job-list", 401, 200, 200, 200, 200, 200),
    row("POST", "job-list", 401, 201, 404, 404, 404, 404, body=lambda w: {"project_id": w.project.pk, "job_type": "script_analysis"}, object_in_body=True),
    row("GET", "job-stats", 401, 403, 403, 403, 403, 200),
    row("GET", "job-detail", 401, 200, 404, 404, 404, 404, pk="job"),
    row("POST", "job-cancel", 401, 200, 404, 404, 404, 404, pk="job"),
    row("POST", "job-retry", 401, 409, 404, 404, 404, 404, pk="job"),
    # mentoring
    row("GET", "mentor-me", 401, 403, 403, 200, 200, 403),
    row("PUT", "mentor-me", 401, 403, 403, 200, 200, 403, body={"headline": "Calculus", "bio": "", "specialization": "", "expertise": ["calculus"], "experience_years": 3, "hourly_rate_credits": 12, "time_zone": "UTC", "is_available": True}),
    row("PATCH", "mentor-me", 401, 403, 403, 200, 200, 403, body={"headline": "Calculus"}),
    row("POST", "message-create", 401, 201, 201, 400, 201, 201, body=lambda w: {"recipient_id": w.mentor.pk, "body": "Hello"}),
    row("GET", "message-threads", 401, 200, 200, 200, 200, 200),
    row("GET", "message-thread", 401, 200, 200, 200, 200, 200, user_id="mentor"),
    row("POST", "message-thread-read", 401, 200, 200, 200, 200, 200, user_id="student"),
    row("GET", "stats-platform", 200, 200, 200, 200, 200, 200),
    row("GET", "stats-user", 401, 200, 200, 200, 200, 200),
    row("GET", "stats-dashboard", 401, 200, 200, 200, 200, 200),
    row("GET", "mentor-availability-list", 401, 403, 403, 200, 200, 403),
    row("POST", "mentor-availability-list", 401, 403, 403, 409, 201, 403, body={"weekday": 2, "start_time": "09:00", "end_time": "10:00"}),
    row("GET", "mentor-availability-detail", 401, 403, 403, 200, 404, 403, pk="availability_window"),
    row("PUT", "mentor-availability-detail", 401, 403, 403, 200, 404, 403, pk="availability_window", body={"weekday": 0, "start_time": "08:00", "end_time": "00:00"}),
    row("PATCH", "mentor-availability-detail", 401, 403, 403, 200, 404, 403, pk="availability_window", body={"start_time": "01:00"}),
    row("DELETE", "mentor-availability-detail", 401, 403, 403, 204, 404, 403, pk="availability_window"),
    row("GET", "mentor-blocked-period-list", 401, 403, 403, 200, 200, 403),
    row("POST", "mentor-blocked-period-list", 401, 403, 403, 201, 201, 403, body=lambda w: {"start_at": soon().isoformat(), "end_at": (soon() + timedelta(hours=1)).isoformat()}),
    row("DELETE", "mentor-blocked-period-detail", 401, 403, 403, 204, 404, 403, pk="blocked_period"),
    row("GET", "mentor-list", 401, 200, 200, 200, 200, 200),
    row("GET", "mentor-detail", 401, 200, 200, 200, 200, 200, id="mentor"),
    row("GET", "mentor-reviews", 401, 200, 200, 200, 200, 200, id="mentor"),
    row("GET", "session-list", 401, 200, 200, 200, 200, 200),
    row("POST", "session-list", 401, 201, 402, 403, 403, 403, body=lambda w: {"mentor_id": w.mentor.pk, "scheduled_at": soon().isoformat(), "topic": "Limits"}),
    row("GET", "session-detail", 401, 200, 404, 200, 404, 200, pk="session"),
    row("POST", "session-cancel", 401, 200, 404, 200, 404, 200, pk="session", body={"reason": "Ill."}),
    row("POST", "session-complete", 401, 403, 404, 409, 404, 403, pk="session"),
    row("POST", "session-confirm", 401, 403, 404, 200, 404, 403, pk="session", body={"meeting_link": "https://meet.example.com/x"}),
    row("POST", "session-decline", 401, 403, 404, 200, 404, 403, pk="session"),
    row("POST", "session-no-show", 401, 403, 404, 409, 404, 403, pk="session"),
    row("POST", "session-reschedule", 401, 200, 404, 200, 404, 403, pk="session", body=lambda w: {"scheduled_at": (soon() + timedelta(days=1)).isoformat()}),
    row("POST", "session-review", 401, 201, 404, 403, 404, 403, pk="completed_session", body={"rating": 4, "comment": "Good."}),
    row("POST", "session-start", 401, 403, 404, 409, 404, 403, pk="session"),
    # API documentation (public)
    row("GET", "schema", 200, 200, 200, 200, 200, 200),
    row("GET", "swagger-ui", 200, 200, 200, 200, 200, 200),
    row("GET", "redoc", 200, 200, 200, 200, 200, 200),
]
# fmt: on


# --- enumerating the routes -------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _view_class(pattern: URLPattern) -> Any:
    callback = pattern.callback
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _methods(pattern: URLPattern) -> list[str]:
    """The methods a route answers: a DRF viewset's method-to-action map, a class-based
    view's handlers, GET for a plain function view (allauth's OAuth callbacks, which
    redirect whatever the method). HEAD and OPTIONS are left out: Django and DRF answer
    them for every view."""
    view_class = _view_class(pattern)
    actions = getattr(pattern.callback, "actions", None)
    if view_class is None:
        return ["GET"]
    allowed = set(view_class.http_method_names) - {"head", "options"}
    if actions:
        names = [method for method in actions if method in allowed]
    else:
        names = [method for method in allowed if hasattr(view_class, method)]
    return sorted(name.upper() for name in names)


def _api_patterns() -> Iterator[tuple[str, URLPattern]]:
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(API_PREFIX):
            yield route, pattern


def api_routes() -> set[tuple[str, str]]:
    """Every (method, URL name) under /api/v1/. A route without a name cannot be given a
    row, so it is reported by its pattern."""
    return {
        (method, pattern.name or f"<unnamed: {route}>")
        for route, pattern in _api_patterns()
        for method in _methods(pattern)
    }


def test_every_route_has_a_row_and_every_row_a_route():
    table = [r.key for r in MATRIX]
    routes = api_routes()

    assert sorted(k for k in set(table) if table.count(k) > 1) == [], "rows given twice"
    assert sorted(routes - set(table)) == [], "routes without a row in MATRIX"
    assert sorted(set(table) - routes) == [], "rows for routes that do not exist"


# --- calling them -----------------------------------------------------------------------------


def resolve_arg(value: Any, world: World) -> Any:
    if callable(value):
        return value(world)
    return getattr(world, value).pk


def row_url(world: World, spec: Row, extra_query: str = "") -> str:
    kwargs = {name: resolve_arg(value, world) for name, value in spec.args.items()}
    query = spec.query(world) if callable(spec.query) else spec.query
    query = "&".join(part for part in (query, extra_query) if part)
    url = reverse(spec.name, kwargs=kwargs)
    return f"{url}?{query}" if query else url


def call_row(world: World, spec: Row, principal: str, body: Any, extra_query: str = "") -> Any:
    url = row_url(world, spec, extra_query)
    headers = spec.headers(world, body) if spec.headers else {}
    client = world.client(principal)
    send = getattr(client, spec.method.lower())
    if isinstance(body, bytes):
        return send(url, body, content_type="application/json", headers=headers)
    if spec.method == "GET":
        return send(url, headers=headers)
    return send(url, body, format="json", headers=headers)


def changed_tables(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


@dataclass(frozen=True)
class Attempt:
    world: World
    spec: Row
    body: Any
    before: dict[str, list[tuple[Any, ...]]]

    def run(self, principal: str, *, empty_body: bool) -> str | None:
        """Call once, in a savepoint rolled back afterwards, so that every principal starts
        from the same world (`before`); a description of what went wrong, or None."""
        expected = self.spec.expected[principal]
        with transaction.atomic():
            response = call_row(self.world, self.spec, principal, {} if empty_body else self.body)
            after = database_state() if expected >= 400 else self.before
            transaction.set_rollback(True)
        _clear_cache()
        sent = "empty body" if empty_body else "body"
        if response.status_code != expected:
            detail = response.content[:300].decode(errors="replace")
            return f"{principal} ({sent}): {response.status_code}, expected {expected}: {detail}"
        if expected < 400:
            return None
        payload = response.json()
        if payload.get("status_code") != expected or "code" not in payload:
            return f"{principal} ({sent}): not the error body: {payload}"
        changed = changed_tables(self.before, after)
        if changed:
            return f"{principal} ({sent}): refused with {expected} but changed {changed}"
        return None


@pytest.mark.parametrize("spec", MATRIX, ids=lambda spec: f"{spec.method} {spec.name}")
def test_each_principal_gets_its_status_and_refusals_change_nothing(world, spec):
    body = spec.body(world) if callable(spec.body) else spec.body
    attempt = Attempt(world=world, spec=spec, body=body, before=database_state())
    problems = []
    for principal in PRINCIPALS:
        problems.append(attempt.run(principal, empty_body=False))
        denied = spec.expected[principal] in (401, 403, 404)
        if denied and spec.method in WRITE_METHODS and not spec.object_in_body:
            problems.append(attempt.run(principal, empty_body=True))
    found = [problem for problem in problems if problem]
    assert not found, "\n".join(found)


def _admitted(name: str) -> str | None:
    """A principal the matrix lets through on some method of the route, if any."""
    for principal in ("admin", "mentor", "student", "anonymous"):
        if any(s.name == name and s.expected[principal] < 400 for s in MATRIX):
            return principal
    return None


def test_methods_a_route_does_not_answer_are_405_and_change_nothing(world):
    """Every other method of every class-based route, as a principal that passes the
    route's checks on the methods it answers (so the method is what is refused): 405 in the
    error body, nothing changed."""
    args = {spec.name: spec.args for spec in MATRIX}
    problems = []
    for _route, pattern in _api_patterns():
        principal = _admitted(pattern.name)
        if _view_class(pattern) is None or principal is None:
            continue
        kwargs = {key: resolve_arg(value, world) for key, value in args[pattern.name].items()}
        url = reverse(pattern.name, kwargs=kwargs)
        for method in sorted(ALL_METHODS - set(_methods(pattern))):
            with transaction.atomic():
                before = database_state()
                send = getattr(world.client(principal), method.lower())
                response = send(url, {}, format="json")
                changed = changed_tables(before, database_state())
                transaction.set_rollback(True)
            where = f"{method} {pattern.name} as {principal}"
            if (response.status_code, response["Content-Type"]) != (405, "application/json"):
                problems.append(f"{where}: {response.status_code}")
            elif response.json()["status_code"] != 405 or changed:
                problems.append(f"{where}: {response.json()}, changed {changed}")
    assert not problems, "\n".join(problems)
