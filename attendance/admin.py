"""Admin of progress and attendance: read-only (the numbers change only through the
services); the "Close these days" action calls the day close service."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.selectors import request_user
from attendance import selectors, services
from attendance.models import AttendanceDay, DailyAttendance, VideoProgress, VideoWatch, WatchEvent
from config.errors import DomainError
from courses import selectors as course_selectors


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class StudentCourseFilter(admin.SimpleListFilter):
    """Attendance rows of the students (any enrollment) of one course."""

    title = "course"
    parameter_name = "course"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        courses = course_selectors.course_visible_queryset(user=request_user(request))
        return [(str(course.pk), str(course)) for course in courses.only("id", "code", "title")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        return queryset.filter(
            user_id__in=course_selectors.course_students(course_id=int(self.value() or 0))
            .order_by()
            .values("user_id")
        )


class CloseDaysActionForm(ActionForm):
    """The reason a day is closed by hand (kept in the audit log)."""

    reason = forms.CharField(required=False, max_length=500)


@admin.register(DailyAttendance)
class DailyAttendanceAdmin(ReadOnlyAdmin):
    action_form = CloseDaysActionForm
    list_display = ["date", "user", "total_time", "status", "closed"]
    list_filter = ["date", "status", "closed", StudentCourseFilter]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__username"]
    date_hierarchy = "date"
    actions = ["close_days"]

    @admin.display(description="total time", ordering="total_seconds")
    def total_time(self, row: DailyAttendance) -> str:
        return selectors.hms(row.total_seconds)

    @admin.action(description="Close the days of the selected rows")
    def close_days(self, request: HttpRequest, queryset: QuerySet[DailyAttendance]) -> None:
        reason = request.POST.get("reason", "").strip()[:500]
        for day in sorted(set(queryset.values_list("date", flat=True))):
            try:
                result = services.attendance_day_close(
                    day=day, acting_user=request_user(request), reason=reason
                )
            except DomainError as exc:
                self.message_user(request, f"{day}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{day}: {result.marked_absent} marked absent, "
                f"{result.created_absent} absent rows created, {result.present} present.",
            )


@admin.register(VideoProgress)
class VideoProgressAdmin(ReadOnlyAdmin):
    list_display = ["date", "user", "video", "course", "watch_seconds", "start_time", "end_time"]
    list_filter = [
        "date",
        ("course", admin.RelatedOnlyFieldListFilter),
        ("watch__completed", admin.BooleanFieldListFilter),
    ]
    list_select_related = ["user", "video", "course"]
    search_fields = ["user__email", "video__title"]
    date_hierarchy = "date"


@admin.register(VideoWatch)
class VideoWatchAdmin(ReadOnlyAdmin):
    list_display = ["user", "video", "course", "percent_watched", "completed", "updated_at"]
    list_filter = ["completed", ("course", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "video", "course"]
    search_fields = ["user__email", "video__title"]


@admin.register(WatchEvent)
class WatchEventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "user",
        "video",
        "kind",
        "position_seconds",
        "credited_seconds",
        "event_id",
    ]
    list_filter = ["kind", "date"]
    list_select_related = ["user", "video"]
    search_fields = ["user__email", "event_id"]
    date_hierarchy = "received_at"


@admin.register(AttendanceDay)
class AttendanceDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "closed_at", "closed_by", "marked_absent", "created_absent"]
    list_select_related = ["closed_by"]
