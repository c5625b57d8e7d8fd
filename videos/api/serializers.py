from typing import Any

from rest_framework import serializers

from config.search import MAX_QUERY_LENGTH
from videos.models import PlaylistImport, Video
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
