"""Project-wide middleware: request ids, rate limiting and the body size limit."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from config.api.exceptions import error_body
from config.api.throttling import take_for_request
from config.logging import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RATE_LIMIT_EXEMPT_PREFIXES = ("/api/v1/schema", "/api/v1/docs", "/api/v1/redoc")


class RequestIdMiddleware:
    """Takes a well-formed incoming X-Request-ID or makes one; every log line of the request
    carries it and the response echoes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _bearer_user_id(request: HttpRequest) -> Any | None:
    """The user id of a well-signed, unexpired access token, without a database query. Only
    used to pick the caller's bucket; authentication proper happens in the view, which
    reuses the verified token left on the request (`verified_access_token`) instead of
    checking the signature a second time."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        token = AccessToken(header[7:].strip())  # type: ignore[arg-type]
    except TokenError:
        return None
    request.verified_access_token = token  # type: ignore[attr-defined]
    return token.get("user_id")


class RateLimitMiddleware:
    """The token bucket in front of every API view (and allauth's endpoints), so that every
    request counts, including ones that would fail authentication, permissions or routing.

    The bucket is per user (per IP when anonymous); login, signup and password-reset paths
    use the stricter `auth` bucket, per IP. Every response carries X-RateLimit-*; over the
    limit the answer is 429 in the error body with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        limited = path.startswith(("/api/", "/_allauth/")) and not path.startswith(
            RATE_LIMIT_EXEMPT_PREFIXES
        )
        if not limited or not settings.RATE_LIMIT_ENABLED:
            return self.get_response(request)
        if path.startswith(tuple(settings.RATE_LIMIT_AUTH_PATHS)):
            decision = take_for_request(request, "auth", None)
        else:
            decision = take_for_request(request, "default", _bearer_user_id(request))
        if decision.allowed:
            response = self.get_response(request)
        else:
            message = f"Too many requests; try again in {decision.retry_after} seconds."
            response = JsonResponse(
                error_body(429, "throttled", message, retry_after=decision.retry_after),
                status=429,
            )
            response["Retry-After"] = str(decision.retry_after)
        for name, value in decision.headers().items():
            response[name] = value
        return response


class BodySizeLimitMiddleware:
    """Refuses an API request whose declared body is over DATA_UPLOAD_MAX_MEMORY_SIZE with
    413 in the error body, before any view runs. Django checks the limit only when a body is
    read, so a view that never reads its body (a DELETE, an action without input) would
    otherwise accept any size."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse(
                    error_body(413, "payload_too_large", "The request body is too large."),
                    status=413,
                )
        return self.get_response(request)
