"""Courses, who is enrolled in them, and who is invited to the invite-only ones."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Course(models.Model):
    """A course taught by one instructor (a mentor or an admin).

    `code` is unique regardless of case. `source` says who owns the video list: a course
    imported from a YouTube playlist mirrors that playlist (`playlist_id`) on every
    re-import. Students see published courses (and the ones they are enrolled in); the
    instructor and staff see every course."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class EnrollmentType(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        INVITE_ONLY = "invite_only", "Invite only"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        YOUTUBE_PLAYLIST = "youtube_playlist", "YouTube playlist"

    code = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    context = models.TextField(
        blank=True, help_text="Free text the instructor writes about the course."
    )
    context_updated_at = models.DateTimeField(null=True, blank=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taught_courses"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    enrollment_type = models.CharField(
        max_length=16, choices=EnrollmentType.choices, default=EnrollmentType.OPEN
    )
    max_students = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=32, choices=Source.choices, default=Source.MANUAL)
    playlist_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status"], name="course_status_idx")]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="course_code_unique_ci"),
            models.UniqueConstraint(
                fields=["playlist_id"],
                condition=~models.Q(playlist_id=""),
                name="course_playlist_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="course_end_after_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(max_students__isnull=True) | models.Q(max_students__gte=1),
                name="course_max_students_positive",
                violation_error_message="max_students must be at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class Enrollment(models.Model):
    """A user's registration in a course; one row per user and course, whatever happens.

    Dropping keeps the row (status dropped) and registering again re-activates it. Only
    active student enrollments take a seat out of `max_students`."""

    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        TA = "ta", "Teaching assistant"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DROPPED = "dropped", "Dropped"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(default=timezone.now)
    dropped_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_user_course")
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="enrollment_course_status_idx"),
            models.Index(fields=["user", "status"], name="enrollment_user_status_idx"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in course {self.course_id} ({self.status})"


class CourseInvitation(models.Model):
    """Permission for whoever holds `email` to register in an invite-only course.

    Emails are stored lower-case and matched against the registering user's email without
    regard to case. `accepted_at` is set when the invitation is used."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "email"], name="invitation_unique_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} invited to course {self.course_id}"
