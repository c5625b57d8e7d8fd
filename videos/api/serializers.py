from typing import Any

from rest_framework import serializers

from config.api.formats import api_datetime
from config.search import MAX_QUERY_LENGTH
from videos.models import PlaylistImport, QuestionVideo, Video
from videos.youtube import parse_video_id


class VideoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id",
            "course_id",
            "youtube_id",
            "url",
            "title",
            "description",
            "duration_seconds",
            "position",
            "thumbnail",
            "published_at",
            "is_available",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, video: Video) -> str:
        return f"https://www.youtube.com/watch?v={video.youtube_id}"


def video_data(video: Video) -> dict[str, Any]:
    """`VideoSerializer(video).data` without DRF's per-field machinery, for the pages of a
    course's videos. It must stay equal to the serializer's output, which documents the
    shape; a test compares them."""
    return {
        "id": video.pk,
        "course_id": video.course_id,
        "youtube_id": video.youtube_id,
        "url": f"https://www.youtube.com/watch?v={video.youtube_id}",
        "title": video.title,
        "description": video.description,
        "duration_seconds": video.duration_seconds,
        "position": video.position,
        "thumbnail": video.thumbnail,
        "published_at": api_datetime(video.published_at),
        "is_available": video.is_available,
        "created_at": api_datetime(video.created_at),
        "updated_at": api_datetime(video.updated_at),
    }


class VideoCreateSerializer(serializers.Serializer):
    """`youtube_id` or `url` (a YouTube video link) names the video."""

    youtube_id = serializers.CharField(required=False, max_length=32)
    url = serializers.CharField(required=False, max_length=500)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    duration_seconds = serializers.IntegerField(min_value=0, max_value=10 * 24 * 3600)
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="0-based; default: after the last video."
    )
    thumbnail = serializers.URLField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = attrs.pop("youtube_id", None) or attrs.pop("url", None)
        attrs.pop("url", None)
        if not raw:
            raise serializers.ValidationError({"youtube_id": ["Give youtube_id or url."]})
        youtube_id = parse_video_id(raw)
        if youtube_id is None:
            raise serializers.ValidationError(
                {"youtube_id": ["Not a YouTube video id or video URL."]}
            )
        attrs["youtube_id"] = youtube_id
        return attrs


class VideoUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    duration_seconds = serializers.IntegerField(
        min_value=0, max_value=10 * 24 * 3600, required=False
    )
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="0-based; moves the video, shifting the others."
    )
    thumbnail = serializers.URLField(required=False, allow_blank=True, max_length=500)
    is_available = serializers.BooleanField(required=False)


class VideoFilterSerializer(serializers.Serializer):
    is_available = serializers.BooleanField(required=False, allow_null=True, default=None)


class PlaylistImportCreateSerializer(serializers.Serializer):
    playlist_url = serializers.CharField(
        max_length=500, help_text="A YouTube playlist URL (…?list=ID) or a bare playlist id."
    )
    course_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Fill this course instead of creating one."
    )


class PlaylistImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaylistImport
        fields = [
            "id",
            "playlist_id",
            "course_id",
            "status",
            "imported",
            "total",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH, help_text="Words to look for.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class SearchHitSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["course", "video"])
    id = serializers.IntegerField()
    course_id = serializers.IntegerField()
    title = serializers.CharField()
    snippet = serializers.CharField()
    score = serializers.FloatField()


class SearchResultSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)


# --- recommendations ----------------------------------------------------------------------------


class RecommendedVideoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = QuestionVideo
        fields = [
            "rank",
            "source",
            "video_id",
            "youtube_id",
            "url",
            "title",
            "channel_title",
            "thumbnail",
            "score",
            "reason",
            "is_pinned",
            "refreshed_at",
        ]
        read_only_fields = fields

    def get_url(self, row: QuestionVideo) -> str:
        return f"https://www.youtube.com/watch?v={row.youtube_id}"


class QuestionVideosSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    quiz_id = serializers.IntegerField()
    quiz_title = serializers.CharField()
    question_text = serializers.CharField()
    question_type = serializers.CharField()
    points_possible = serializers.FloatField()
    topic = serializers.CharField(allow_null=True)
    refreshed_at = serializers.DateTimeField(allow_null=True)
    videos = RecommendedVideoSerializer(many=True)


class AssessmentVideosSerializer(QuestionVideosSerializer):
    score = serializers.FloatField(help_text="The student's points on the question.")
    answered_at = serializers.DateTimeField()


class AssessmentVideosQuerySerializer(serializers.Serializer):
    student_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Instructor and staff: whose wrong questions (default: the caller's).",
    )


class QuestionVideosQuerySerializer(serializers.Serializer):
    quiz_id = serializers.IntegerField(required=False, min_value=1)


class CourseRefreshSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Recompute every question, not only those without videos or with changed "
        "inputs (pinned videos stay).",
    )


class RefreshQueuedSerializer(serializers.Serializer):
    course_id = serializers.IntegerField(allow_null=True)
    questions = serializers.IntegerField(help_text="Questions queued for a refresh.")
    force = serializers.BooleanField()


class RefreshFilterSerializer(serializers.Serializer):
    course_id = serializers.IntegerField(required=False, min_value=1)
    quiz_id = serializers.IntegerField(required=False, min_value=1)
    question_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=10_000
    )
    stale_before = serializers.DateTimeField(
        required=False, help_text="Only questions never refreshed or refreshed before this."
    )


class QuestionVideoPinSerializer(serializers.Serializer):
    """Name the video by `video_id` (a video of the question's course) or by `youtube_id`
    (a YouTube id or link); with neither, the video already at `rank` is (un)pinned."""

    rank = serializers.IntegerField(min_value=1, max_value=10)
    video_id = serializers.IntegerField(required=False, min_value=1)
    youtube_id = serializers.CharField(required=False, max_length=500)
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    is_pinned = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "video_id" in attrs and "youtube_id" in attrs:
            raise serializers.ValidationError(
                {"video_id": ["Give video_id or youtube_id, not both."]}
            )
        if "youtube_id" in attrs:
            youtube_id = parse_video_id(attrs["youtube_id"])
            if youtube_id is None:
                raise serializers.ValidationError(
                    {"youtube_id": ["Not a YouTube video id or video URL."]}
                )
            attrs["youtube_id"] = youtube_id
        return attrs


class QuestionVideoRemoveSerializer(serializers.Serializer):
    rank = serializers.IntegerField(min_value=1, max_value=10)
