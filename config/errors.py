"""The domain error hierarchy. Services raise these; the API exception handler maps each to
its status code and the one error body. Services never raise DRF exceptions."""

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose. `extra` lands in the error body."""

    status_code = 400
    code = "invalid"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, **extra: Any):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Input that passed the serializer but breaks a business rule.

    `errors` maps field names to lists of messages, as in the validation error body."""

    status_code = 400
    code = "invalid"
    default_message = "Invalid input."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        code: str | None = None,
        **extra: Any,
    ):
        self.errors = errors
        super().__init__(message, code=code, **extra)


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are invalid."


class PaymentRequired(DomainError):
    status_code = 402
    code = "payment_required"
    default_message = "Payment is required."


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class TooManyRequests(DomainError):
    """Refused for a while; `retry_after` (seconds) becomes the Retry-After header too."""

    status_code = 429
    code = "throttled"
    default_message = "Too many requests; try again later."


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A service the request needs is unavailable; try again shortly."
