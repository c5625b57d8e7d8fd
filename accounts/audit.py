"""Audit records for plain Django admin edits.

Admin actions call services, which audit themselves. What is left are the add, change and
delete forms of admin pages that allow them: `AuditedAdminMixin` records each in the audit
log next to Django's own admin history, with the admin's change message as the reason."""

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from accounts.models import User
from accounts.services import audit_record


def _actor(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


class AuditedAdminMixin:
    """Put first in a ModelAdmin's bases. Each admin add, change or delete of a row writes
    an audit record (`admin.add`, `admin.change`, `admin.delete`) in the same transaction
    as the edit (Django's admin views run in one)."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        audit_record(
            actor=_actor(request), action="admin.add", target=obj, reason=_text(entry, "Added.")
        )
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        audit_record(
            actor=_actor(request),
            action="admin.change",
            target=obj,
            reason=_text(entry, "No fields changed."),
        )
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            audit_record(
                actor=_actor(request), action="admin.delete", target=obj, reason=f"Deleted {obj}."
            )
        return super().log_deletions(request, queryset)  # type: ignore[misc]


def _text(entry: Any, default: str) -> str:
    message = entry.get_change_message() if hasattr(entry, "get_change_message") else ""
    return message or default
