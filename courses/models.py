"""Courses, who is enrolled in them, who is invited to the invite-only ones, and the quiz
results that come in from an LMS (or an upload): quizzes, questions and student answers."""

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
    lms_course_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The course's id in the instructor's LMS (Canvas); empty when not linked.",
    )
    lms_synced_at = models.DateTimeField(null=True, blank=True)
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


class LMSSync(models.Model):
    """One run of reading a course's quiz results from its LMS, and how it went.

    queued → running → succeeded | failed. A retryable error (throttling, 5xx, network)
    puts it back to queued with the reason in `error` until the retries run out."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lms_syncs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    quizzes = models.PositiveIntegerField(default=0)
    questions = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    unmatched_students = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["course", "status"], name="lms_sync_course_status_idx")]

    def __str__(self) -> str:
        return f"LMS sync of course {self.course_id} ({self.status})"


class Quiz(models.Model):
    """A quiz of a course, from the LMS (`lms_id` is its id there) or from an upload (`lms_id`
    is the id the uploaded document gives it). Re-syncing or re-uploading updates it."""

    class Source(models.TextChoices):
        CANVAS = "canvas", "Canvas"
        UPLOAD = "upload", "Upload"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    source = models.CharField(max_length=16, choices=Source.choices)
    lms_id = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "source", "lms_id"], name="quiz_unique_per_course_source"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question of a quiz. `text` is the question's text with the HTML stripped;
    `question_type` decides what a wrong answer is (see `courses.lms.grading`)."""

    class Type(models.TextChoices):
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        TRUE_FALSE = "true_false", "True/false"
        SHORT_ANSWER = "short_answer", "Short answer"
        NUMERICAL = "numerical", "Numerical"
        MULTIPLE_ANSWERS = "multiple_answers", "Multiple answers"
        FILL_IN_MULTIPLE_BLANKS = "fill_in_multiple_blanks", "Fill in multiple blanks"
        MULTIPLE_DROPDOWNS = "multiple_dropdowns", "Multiple dropdowns"
        MATCHING = "matching", "Matching"
        ESSAY = "essay", "Essay"
        CALCULATED = "calculated", "Calculated"
        FILE_UPLOAD = "file_upload", "File upload"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    lms_id = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    question_type = models.CharField(max_length=32, choices=Type.choices)
    points_possible = models.FloatField(default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["quiz_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "lms_id"], name="question_unique_per_quiz"),
            models.CheckConstraint(
                condition=models.Q(points_possible__gte=0), name="question_points_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class StudentAnswer(models.Model):
    """How a student did on one question: their latest graded attempt. One row per student
    and question; a sync or upload updates it in place."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_answers"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    is_correct = models.BooleanField()
    score = models.FloatField(default=0.0)
    answered_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "question"], name="answer_unique_student_question"
            )
        ]
        indexes = [
            models.Index(
                fields=["student", "is_correct", "answered_at"], name="answer_student_correct_idx"
            )
        ]

    def __str__(self) -> str:
        state = "right" if self.is_correct else "wrong"
        return f"user {self.student_id} {state} on question {self.question_id}"
