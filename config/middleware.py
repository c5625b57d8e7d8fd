"""Project-wide middleware: request ids and rate-limit headers."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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


class RateLimitHeadersMiddleware:
    """Puts X-RateLimit-* on every API response. Requests that never reached the DRF
    throttle (a bad token, an unknown URL) are charged to the client's IP bucket here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if not path.startswith("/api/") or path.startswith(RATE_LIMIT_EXEMPT_PREFIXES):
            return response
        if not settings.RATE_LIMIT_ENABLED:
            return response
        decision = getattr(request, "rate_limit", None)
        if decision is None:
            decision = take_for_request(request, "default", None)
        for name, value in decision.headers().items():
            response[name] = value
        return response
