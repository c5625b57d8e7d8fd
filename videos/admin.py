from django.contrib import admin

from accounts.audit import AuditedAdminMixin
from videos.models import PlaylistImport, QuestionVideo, Topic, Video


@admin.register(Video)
class VideoAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["youtube_id", "title", "course", "position", "duration_seconds", "is_available"]
    list_filter = ["is_available", "is_from_playlist"]
    search_fields = ["youtube_id", "title", "course__code"]
    raw_id_fields = ["course"]
    list_select_related = ["course"]


@admin.register(PlaylistImport)
class PlaylistImportAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "playlist_id",
        "course",
        "status",
        "imported",
        "total",
        "error",
        "requested_by",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["playlist_id", "error", "requested_by__email"]
    list_select_related = ["course", "requested_by"]
    readonly_fields = [field.name for field in PlaylistImport._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(QuestionVideo)
class QuestionVideoAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Recommendations are written by refreshes and by instructors through the API; here
    they are only shown."""

    list_display = ["question", "rank", "source", "youtube_id", "title", "score", "is_pinned"]
    list_filter = ["source", "is_pinned"]
    search_fields = ["youtube_id", "title", "question__quiz__course__code"]
    readonly_fields = [field.name for field in QuestionVideo._meta.fields]
    list_select_related = ["question"]


@admin.register(Topic)
class TopicAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
