"""Film projects, the generation jobs that render them, and their uploads to YouTube.

Statuses change only through the services, along the transition tables in `jobs.states`."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

MAX_TARGET_DURATION = 4 * 60 * 60


class Project(models.Model):
    """A film a creator writes (the script) and has generated once staff approve it.

    `review_*` hold the latest moderation decision; a new submission clears them.
    A deleted project (`deleted_at`) is gone from every list and lookup until staff restore
    it."""

    class Style(models.TextChoices):
        CINEMATIC = "cinematic", "Cinematic"
        ANIME = "anime", "Anime"
        DOCUMENTARY = "documentary", "Documentary"
        CARTOON = "cartoon", "Cartoon"
        PHOTOREALISTIC = "photorealistic", "Photorealistic"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_REVIEW = "pending_review", "Pending review"
        QUEUED = "queued", "Queued"
        GENERATING = "generating", "Generating"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        PUBLISHED = "published", "Published"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="film_projects"
    )
    title = models.CharField(max_length=200)
    script = models.TextField(blank=True)
    style = models.CharField(max_length=16, choices=Style.choices, default=Style.CINEMATIC)
    target_duration = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_DURATION)],
        help_text="Seconds.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="project_owner_created"),
            models.Index(fields=["status", "submitted_at"], name="project_status_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_duration__gte=1, target_duration__lte=MAX_TARGET_DURATION),
                name="project_target_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class PendingProject(Project):
    """The moderation queue in Django admin: projects waiting for review, oldest first."""

    class Meta:
        proxy = True
        verbose_name = "pending project"
        verbose_name_plural = "moderation queue"


class Job(models.Model):
    """One unit of generation work, paid with credits.

    The credits are held when the job is queued (`credit_hold`), spent when it completes and
    given back when it fails for good or is cancelled; a retry after a failure holds them
    again. `attempts` counts the times a worker took the job: a worker whose attempt was
    superseded (the reaper requeued the job, or a redelivered run took it over) stops
    without touching it."""

    class Type(models.TextChoices):
        SCRIPT_ANALYSIS = "script_analysis", "Script analysis"
        IMAGE_GENERATION = "image_generation", "Image generation"
        VOICE_SYNTHESIS = "voice_synthesis", "Voice synthesis"
        VIDEO_COMPOSITION = "video_composition", "Video composition"
        SUBTITLE_GENERATION = "subtitle_generation", "Subtitle generation"
        THUMBNAIL_GENERATION = "thumbnail_generation", "Thumbnail generation"
        FULL_GENERATION = "full_generation", "Full generation"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="jobs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="generation_jobs"
    )
    job_type = models.CharField(max_length=32, choices=Type.choices)
    parameters = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.LOW)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    retry_count = models.PositiveSmallIntegerField(default=0)
    max_retries = models.PositiveSmallIntegerField(default=3)
    attempts = models.PositiveIntegerField(default=0)
    credit_cost = models.PositiveIntegerField(default=0)
    credit_hold = models.ForeignKey(
        "credits.CreditHold",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The hold paying for the current run.",
    )
    cancel_requested = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current run was published to the broker."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_created"),
            models.Index(fields=["status", "priority"], name="job_status_priority"),
            models.Index(fields=["status", "dispatched_at"], name="job_status_dispatched"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["created_at"], name="job_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="job_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3), name="job_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} job {self.pk} ({self.status})"


class FailedJob(Job):
    """Failed jobs in Django admin, with their error and a retry action."""

    class Meta:
        proxy = True
        verbose_name = "failed job"
        verbose_name_plural = "failed jobs"


class YouTubeUpload(models.Model):
    """A finished film sent to the owner's YouTube channel by a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        UPLOADING = "uploading", "Uploading"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Privacy(models.TextChoices):
        PUBLIC = "public", "Public"
        UNLISTED = "unlisted", "Unlisted"
        PRIVATE = "private", "Private"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="youtube_uploads"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="youtube_uploads")
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    privacy_status = models.CharField(
        max_length=16, choices=Privacy.choices, default=Privacy.PRIVATE
    )
    playlist_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    bytes_sent = models.BigIntegerField(default=0)
    chunk_retries = models.PositiveIntegerField(default=0)
    video_id = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=["queued", "uploading"]),
                name="youtube_upload_one_active_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} of project {self.project_id} ({self.status})"


class YouTubeOAuthState(models.Model):
    """A started YouTube connection: the OAuth `state` sent to Google and the PKCE
    `code_verifier` the callback needs, bound to the user who started it. Used once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=128, unique=True)
    code_verifier = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"YouTube OAuth state of user {self.user_id}"
