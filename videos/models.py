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


class Topic(models.Model):
    """The core topic of one or more quiz questions ("chain rule", "photosynthesis light
    reactions"). Found once, reused by every question that yields the same name."""

    name = models.CharField(max_length=200, unique=True)
    keywords = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuestionRecommendation(models.Model):
    """What a question's recommended videos were computed from.

    `text_hash` is the question text the topic was extracted from; `inputs_hash` covers
    everything the ranked videos depend on (question text, course context, the course's
    video set, the ranker). A refresh recomputes a question only when `inputs_hash`
    differs or is empty (a refresh that could not reach YouTube leaves it empty).
    `excluded_youtube_ids` are videos an instructor removed by hand: never recommended for
    this question again."""

    question = models.OneToOneField(
        "courses.Question", on_delete=models.CASCADE, related_name="recommendation"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    text_hash = models.CharField(max_length=64, blank=True, db_index=True)
    inputs_hash = models.CharField(max_length=64, blank=True)
    ranker = models.CharField(max_length=32, blank=True)
    excluded_youtube_ids = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recommendation state of question {self.question_id}"


class QuestionVideo(models.Model):
    """One recommended video of a question, at `rank` (1 first). Course videos point at
    `video`; YouTube ones carry what search returned. A pinned row was chosen by an
    instructor and is never replaced or moved by a refresh."""

    class Source(models.TextChoices):
        COURSE = "course", "Course video"
        YOUTUBE = "youtube", "YouTube"

    question = models.ForeignKey(
        "courses.Question", on_delete=models.CASCADE, related_name="recommended_videos"
    )
    rank = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    video = models.ForeignKey(
        Video, null=True, blank=True, on_delete=models.CASCADE, related_name="recommendations"
    )
    youtube_id = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    channel_title = models.CharField(max_length=200, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)
    score = models.FloatField(default=0.0)
    reason = models.CharField(max_length=300, blank=True)
    is_pinned = models.BooleanField(default=False)
    inputs_hash = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["question_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["question", "rank"], name="question_video_unique_rank"),
            models.UniqueConstraint(
                fields=["question", "youtube_id"], name="question_video_unique_video"
            ),
            models.CheckConstraint(
                condition=models.Q(rank__gte=1), name="question_video_rank_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(source="youtube") | models.Q(video__isnull=False),
                name="question_video_course_has_video",
            ),
        ]

    def __str__(self) -> str:
        return f"question {self.question_id} #{self.rank}: {self.youtube_id}"


class VideoEmbedding(models.Model):
    """A course video's sentence embedding (float32, little-endian), computed once from its
    title and description by `model_name` and recomputed only when that text (`text_hash`)
    or the model changes."""

    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="embedding")
    model_name = models.CharField(max_length=100)
    text_hash = models.CharField(max_length=64)
    dimensions = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"embedding of video {self.video_id} ({self.model_name})"
