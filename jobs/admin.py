"""Jobs admin: projects with moderation actions, the moderation queue, jobs and failed jobs
with retry, uploads, and a system statistics page. Every action calls the same service as
the API, which writes the audit record."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from accounts.audit import AuditedAdminMixin
from accounts.models import User
from accounts.selectors import user_list
from config.errors import DomainError
from credits import selectors as credits_selectors
from jobs import selectors, services
from jobs.models import FailedJob, Job, PendingProject, Project, YouTubeUpload


class ModerationActionForm(ActionForm):
    """The reason the moderation actions record (required to reject)."""

    reason = forms.CharField(required=False, max_length=2000)


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ModerationActionsMixin:
    """Approve, reject and restore as admin actions, each calling its service per project
    and reporting refusals (wrong status, short credits) per project. Projects are read
    only here: the owner edits them through the API, under its rules."""

    action_form = ModerationActionForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Project._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _run(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        verb: str,
        call: Any,
    ) -> None:
        done = 0
        for project in queryset:
            try:
                call(project)
                done += 1
            except DomainError as exc:
                self.message_user(  # type: ignore[attr-defined]
                    request, f"{project.title}: {exc.message}", messages.WARNING
                )
        self.message_user(request, f"{verb} {done} project(s).")  # type: ignore[attr-defined]

    @admin.action(description="Approve selected projects (queues their generation)")
    def approve_projects(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        reason = request.POST.get("reason", "").strip()
        self._run(
            request,
            queryset,
            "Approved",
            lambda project: services.project_approve(
                project=project, acting_user=_acting_user(request), reason=reason
            ),
        )

    @admin.action(description="Reject selected projects (give a reason)")
    def reject_projects(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(  # type: ignore[attr-defined]
                request, "A reason is required to reject.", messages.ERROR
            )
            return
        self._run(
            request,
            queryset,
            "Rejected",
            lambda project: services.project_reject(
                project=project, acting_user=_acting_user(request), reason=reason
            ),
        )

    @admin.action(description="Restore selected deleted projects")
    def restore_projects(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        reason = request.POST.get("reason", "").strip()
        self._run(
            request,
            queryset,
            "Restored",
            lambda project: services.project_restore(
                project=project, acting_user=_acting_user(request), reason=reason
            ),
        )


@admin.register(Project)
class ProjectAdmin(ModerationActionsMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "owner",
        "status",
        "review_decision",
        "submitted_at",
        "deleted_at",
        "created_at",
    ]
    list_filter = ["status", "style", "review_decision", DeletedFilter]
    search_fields = ["title", "owner__email"]
    list_select_related = ["owner"]
    actions = ["approve_projects", "reject_projects", "restore_projects"]


@admin.register(PendingProject)
class ModerationQueueAdmin(ModerationActionsMixin, admin.ModelAdmin):
    """Projects waiting for review, oldest submission first."""

    list_display = ["id", "title", "owner", "style", "target_duration", "submitted_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    ordering = ["submitted_at", "id"]
    actions = ["approve_projects", "reject_projects"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .filter(status=Project.Status.PENDING_REVIEW, deleted_at__isnull=True)
        )


class ReadOnlyJobAdmin(admin.ModelAdmin):
    list_select_related = ["user", "project"]
    search_fields = ["id", "user__email", "project__title", "error"]
    actions = ["retry_jobs"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Retry selected failed jobs (the owner's credits)")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for job in queryset:
            try:
                services.job_retry(job=job, acting_user=_acting_user(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Job {job.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Retried {done} job(s).")


@admin.register(Job)
class JobAdmin(ReadOnlyJobAdmin):
    list_display = [
        "id",
        "job_type",
        "user",
        "project",
        "status",
        "priority",
        "progress",
        "retry_count",
        "credit_cost",
        "created_at",
    ]
    list_filter = ["status", "job_type", "priority"]
    date_hierarchy = "created_at"
    change_list_template = "admin/jobs/job/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        stats = path(
            "system-stats/",
            self.admin_site.admin_view(self.system_stats_view),
            name="jobs_system_stats",
        )
        return [stats, *super().get_urls()]

    def system_stats_view(self, request: HttpRequest) -> HttpResponse:
        """Users, jobs by status, and credits granted and spent this month."""
        month_start = _month_start(timezone.now())
        users = user_list().aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(is_active=True)),
            joined_this_month=Count("pk", filter=Q(date_joined__gte=month_start)),
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "System statistics",
            "month_start": month_start,
            "users": users,
            "jobs_by_status": selectors.job_counts_by_status(),
            "credits": credits_selectors.credit_totals(since=month_start),
        }
        return TemplateResponse(request, "admin/jobs/system_stats.html", context)


def _month_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@admin.register(FailedJob)
class FailedJobAdmin(ReadOnlyJobAdmin):
    list_display = ["id", "job_type", "user", "project", "error", "retry_count", "failed_at"]
    list_filter = ["job_type"]
    ordering = ["-failed_at", "-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(status=Job.Status.FAILED)


@admin.register(YouTubeUpload)
class YouTubeUploadAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "project", "user", "status", "progress", "video_id", "created_at"]
    list_filter = ["status", "privacy_status"]
    search_fields = ["video_id", "title", "user__email"]
    list_select_related = ["project", "user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in YouTubeUpload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
