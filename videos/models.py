"""Videos of a course and the records of YouTube playlist imports."""

from django.conf import settings
from django.db import models


class Video(models.Model):
    """A YouTube video in a course, ordered by `position` (0-based, dense after an import).

    Videos are never deleted by an import: one that vanished from the playlist or from
    YouTube is marked `is_available=False`, so that watch history keeps pointing at it.
    `is_from_playlist` tells imported videos from the ones an instructor added by hand;
    only imported ones are marked unavailable when they leave the playlist."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="videos")
    youtube_id = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    thumbnail = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    is_available = models.BooleanField(default=True)
    is_from_playlist = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "youtube_id"], name="video_unique_per_course")
        ]
        indexes = [models.Index(fields=["course", "position"], name="video_course_position_idx")]

    def __str__(self) -> str:
        return f"{self.youtube_id}: {self.title}"


class PlaylistImport(models.Model):
    """One request to import a YouTube playlist into a course, and how it went.

    queued → running → succeeded | failed. A retryable error (quota, 5xx, network) puts it
    back to queued with the reason in `error` until the retries run out. `course` is set
    once known: the given one, or the course created from (or already mirroring) the
    playlist."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="playlist_imports",
    )
    playlist_id = models.CharField(max_length=64)
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="playlist_imports",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    imported = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="playlist_import_status_idx")]

    def __str__(self) -> str:
        return f"import of {self.playlist_id} ({self.status})"
