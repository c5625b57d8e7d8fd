from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsMentor(BasePermission):
    """Checked before the body is read, so a caller who is not a mentor learns nothing
    about what a valid body would be."""

    message = "Only mentors have a mentor profile."
    code = "not_a_mentor"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == "mentor")


class IsStudent(BasePermission):
    """Only students book sessions; checked before the body is read."""

    message = "Only students book sessions."
    code = "students_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == "student")
