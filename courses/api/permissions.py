from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User


class IsMentorOrAdmin(BasePermission):
    """Mentors and admins may create courses."""

    message = "Mentors and admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (
                user.is_staff or getattr(user, "role", None) in (User.Role.MENTOR, User.Role.ADMIN)
            )
        )
