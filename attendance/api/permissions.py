from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User


class IsStaff(BasePermission):
    message = "Staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsStaffOrInstructor(BasePermission):
    """Staff, and the roles that teach courses (mentors and admins); which rows they see is
    the selectors' business."""

    message = "Staff and instructors only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        teaching_roles = (User.Role.MENTOR, User.Role.ADMIN)
        return bool(
            user
            and user.is_authenticated
            and (user.is_staff or getattr(user, "role", None) in teaching_roles)
        )
