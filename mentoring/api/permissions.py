from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsMentor(BasePermission):
    message = "Mentors only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == "mentor")
