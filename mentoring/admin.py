"""Admin of mentoring. Money and status change only through the services: sessions are
read-only here except through the "Cancel" action; messages are read-only."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.audit import AuditedAdminMixin
from config.errors import DomainError
from mentoring import services
from mentoring.models import (
    AvailabilityWindow,
    BlockedPeriod,
    MentorExpertise,
    MentorProfile,
    Message,
    Review,
    Session,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AvailabilityWindowInline(admin.TabularInline):
    model = AvailabilityWindow
    extra = 0


class BlockedPeriodInline(admin.TabularInline):
    model = BlockedPeriod
    extra = 0


class MentorExpertiseInline(admin.TabularInline):
    model = MentorExpertise
    extra = 0


@admin.register(MentorProfile)
class MentorProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "user",
        "headline",
        "hourly_rate_credits",
        "time_zone",
        "is_available",
        "rating",
        "review_count",
        "total_sessions",
    ]
    list_filter = ["is_available", "time_zone"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__username", "headline", "specialization"]
    readonly_fields = ["user", "rating", "review_count", "total_sessions", "created_at"]
    inlines = [MentorExpertiseInline, AvailabilityWindowInline, BlockedPeriodInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "scheduled_at",
        "duration_minutes",
        "status",
        "student",
        "mentor",
        "topic",
        "price_credits",
        "charged_credits",
    ]
    list_filter = ["status", "scheduled_at"]
    list_select_related = ["student", "mentor"]
    search_fields = ["topic", "student__email", "mentor__email"]
    date_hierarchy = "scheduled_at"
    actions = ["cancel_sessions"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Viewing needs no change permission; actions check `cancel_sessions` below."""
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_staff)

    @admin.action(description="Cancel selected sessions (credits released, both sides told)")
    def cancel_sessions(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        done = 0
        for session in queryset:
            try:
                services.session_cancel(
                    session_id=session.pk,
                    acting_user=request.user,  # type: ignore[arg-type]
                    reason="Cancelled by staff.",
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Session {session.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {done} session(s).")


@admin.register(Review)
class ReviewAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "mentor", "student", "rating", "session"]
    list_filter = ["rating"]
    list_select_related = ["mentor", "student"]
    search_fields = ["mentor__email", "student__email", "comment"]
    readonly_fields = ["session", "student", "mentor", "rating", "comment", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "sender", "recipient", "read_at"]
    list_select_related = ["sender", "recipient"]
    search_fields = ["sender__email", "recipient__email"]
    date_hierarchy = "created_at"
