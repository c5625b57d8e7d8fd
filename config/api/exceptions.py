"""One error body for every API error:
`{"status_code", "code", "message", "errors"?}` plus any extra fields of a domain error."""

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError, ValidationFailed

logger = logging.getLogger(__name__)


def error_body(
    status_code: int,
    code: str,
    message: str,
    errors: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


def _normalise_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationFailed):
        return Response(
            error_body(400, exc.code, exc.message, exc.errors, **exc.extra),
            status=exc.status_code,
        )
    if isinstance(exc, DomainError):
        domain_response = Response(
            error_body(exc.status_code, exc.code, exc.message, **exc.extra),
            status=exc.status_code,
        )
        if "retry_after" in exc.extra:
            domain_response["Retry-After"] = str(exc.extra["retry_after"])
        return domain_response
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(413, "payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            error_body(400, "bad_request", "The request was malformed."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (DataError, OverflowError)):
        # A value the database cannot hold (an integer past 64 bits in a filter or id):
        # bad input, not a server fault.
        return Response(
            error_body(400, "invalid", "A value in the request is out of range."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body(503, "service_unavailable", "The database is unavailable; try again."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    elif isinstance(exc, DatabaseError):
        logger.exception("database error")
        return Response(
            error_body(500, "server_error", "An unexpected error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error", exc_info=exc)
        return Response(
            error_body(500, "server_error", "An unexpected error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        errors = _normalise_errors(response.data)
        body = error_body(response.status_code, "invalid", _validation_message(errors), errors)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(response.status_code, str(code), _first_message(exc.detail))
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            body["retry_after"] = int(wait)
    response.data = body
    return response


def _validation_message(errors: dict[str, Any]) -> str:
    fields = [name for name in errors if name != "non_field_errors"]
    if fields:
        return "Invalid input: " + ", ".join(fields) + "."
    return _first_message(errors) or "Invalid input."


def _json_error(request: HttpRequest, status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message), status=status_code)


# Paths whose clients are programs: errors there are the JSON error body, never a page.
# /_allauth/ is allauth's headless API, which the social sign-in clients call.
JSON_PATHS = ("/api/", "/_allauth/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATHS)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    """JSON under /api/ and /_allauth/; Django's page elsewhere (admin)."""
    if _is_api(request):
        return _json_error(request, 404, "not_found", "Not found.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> Any:
    """Django calls this while handling the uncaught exception: a database that is down
    (outside DRF's views, e.g. allauth's) is a 503 like in the DRF handler above."""
    if _is_api(request):
        if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
            return _json_error(
                request, 503, "service_unavailable", "The database is unavailable; try again."
            )
        return _json_error(request, 500, "server_error", "An unexpected error occurred.")
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _is_api(request):
        return _json_error(request, 400, "bad_request", "Bad request.")
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception())


def handler403(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _is_api(request):
        return _json_error(request, 403, "permission_denied", "Permission denied.")
    from django.views.defaults import permission_denied

    return permission_denied(request, exception or DjangoPermissionDenied())
