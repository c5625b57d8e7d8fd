"""Courses admin: each course with its videos and enrollments inline.

The videos inline is the one place where the courses app shows another app's model. It
takes the model from the app registry rather than importing `videos.models`, so the code
boundary between the apps stays as import-linter enforces it."""

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.audit import AuditedAdminMixin
from config.errors import DomainError
from courses import services
from courses.models import (
    Course,
    CourseInvitation,
    Enrollment,
    LMSSync,
    Question,
    Quiz,
    StudentAnswer,
)


class VideoInline(admin.TabularInline):
    model = apps.get_model("videos", "Video")
    fields = ["position", "youtube_id", "title", "duration_seconds", "is_available"]
    ordering = ["position", "id"]
    extra = 0
    show_change_link = True


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    fields = ["user", "role", "status", "enrolled_at", "dropped_at"]
    raw_id_fields = ["user"]
    extra = 0


class InvitationInline(admin.TabularInline):
    model = CourseInvitation
    fields = ["email", "invited_by", "created_at", "accepted_at"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]
    extra = 0


@admin.register(Course)
class CourseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "instructor", "status", "enrollment_type", "source"]
    list_filter = ["status", "enrollment_type", "source"]
    search_fields = ["code", "title", "instructor__email"]
    raw_id_fields = ["instructor"]
    readonly_fields = ["context_updated_at", "created_at", "updated_at"]
    inlines = [VideoInline, EnrollmentInline, InvitationInline]
    actions = ["archive_courses"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return super().get_queryset(request).select_related("instructor")

    @admin.action(description="Archive selected courses")
    def archive_courses(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        done = 0
        for course in queryset:
            try:
                services.course_update(
                    course=course,
                    acting_user=request.user,  # type: ignore[arg-type]
                    data={"status": Course.Status.ARCHIVED},
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{course}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Archived {done} course(s).")


@admin.register(Enrollment)
class EnrollmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "course", "role", "status", "enrolled_at"]
    list_filter = ["status", "role"]
    search_fields = ["user__email", "course__code"]
    raw_id_fields = ["user", "course"]
    list_select_related = ["user", "course"]


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "lms_id", "question_type", "points_possible", "text"]
    readonly_fields = ["position", "lms_id", "question_type", "points_possible", "text"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Quiz results come from the LMS sync or an upload; the admin only shows them."""

    list_display = ["title", "course", "source", "lms_id", "updated_at"]
    list_filter = ["source"]
    search_fields = ["title", "course__code", "lms_id"]
    raw_id_fields = ["course"]
    readonly_fields = ["course", "source", "lms_id", "title", "created_at", "updated_at"]
    list_select_related = ["course"]
    inlines = [QuestionInline]


@admin.register(StudentAnswer)
class StudentAnswerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["student", "question", "is_correct", "score", "answered_at"]
    list_filter = ["is_correct"]
    search_fields = ["student__email", "question__quiz__course__code"]
    readonly_fields = ["student", "question", "is_correct", "score", "answered_at", "updated_at"]
    list_select_related = ["student", "question"]


@admin.register(LMSSync)
class LMSSyncAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["course", "status", "quizzes", "questions", "answers", "created_at"]
    list_filter = ["status"]
    search_fields = ["course__code"]
    readonly_fields = [field.name for field in LMSSync._meta.fields]
    list_select_related = ["course"]
