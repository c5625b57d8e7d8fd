from rest_framework import serializers

from accounts.models import User
from jobs.models import MAX_TARGET_DURATION, Job, Project, YouTubeUpload
from jobs.parameters import describe_schemas

SCRIPT_MAX_LENGTH = 100_000
REASON_MAX_LENGTH = 2000
PARAMETERS_HELP = "Parameters of the job type; unknown keys are refused.\n" + describe_schemas()


# --- projects -----------------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    review_decision = serializers.ChoiceField(
        choices=Project.Decision.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty until staff decide.",
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "script",
            "style",
            "target_duration",
            "status",
            "submitted_at",
            "review_decision",
            "review_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "username", "tier"]
        read_only_fields = fields


class ModerationProjectSerializer(ProjectSerializer):
    """A project as staff see it: with its owner and deletion time."""

    owner = ProjectOwnerSerializer(read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "owner", "deleted_at"]
        read_only_fields = fields


class ProjectWriteSerializer(serializers.Serializer):
    """Input of POST (title required) and PATCH (everything optional)."""

    title = serializers.CharField(max_length=200)
    script = serializers.CharField(
        required=False, allow_blank=True, max_length=SCRIPT_MAX_LENGTH, trim_whitespace=False
    )
    style = serializers.ChoiceField(  # type: ignore[assignment]  # DRF's Field.style
        choices=Project.Style.choices, required=False
    )
    target_duration = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_TARGET_DURATION, help_text="Seconds."
    )


class ApproveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH
    )
    priority = serializers.ChoiceField(
        choices=Job.Priority.choices,
        required=False,
        help_text="Priority of the generation job (default: the owner's tier's).",
    )
    parameters = serializers.JSONField(
        required=False, help_text="full_generation parameters; unknown keys are refused."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class RestoreSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH
    )


# --- jobs ---------------------------------------------------------------------------------


class JobSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    result = serializers.JSONField(
        read_only=True, help_text="What the job produced; files appear with their URLs."
    )
    parameters = serializers.JSONField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "project",
            "job_type",
            "parameters",
            "priority",
            "status",
            "progress",
            "result",
            "error",
            "retry_count",
            "max_retries",
            "credit_cost",
            "cancel_requested",
            "queued_at",
            "started_at",
            "finished_at",
            "failed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class JobCreateSerializer(serializers.Serializer):
    project_id = serializers.IntegerField(min_value=1)
    job_type = serializers.ChoiceField(choices=Job.Type.choices)
    parameters = serializers.JSONField(required=False, help_text=PARAMETERS_HELP)
    priority = serializers.ChoiceField(
        choices=Job.Priority.choices,
        required=False,
        help_text="1 low, 2 normal, 3 high. Default: your tier's (free low, pro normal, "
        "enterprise high); only staff may go above it.",
    )


class ApproveResultSerializer(serializers.Serializer):
    project = ProjectSerializer()
    job = JobSerializer()


class GroupStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average_duration_seconds = serializers.FloatField(allow_null=True)


class StatusStatsSerializer(GroupStatsSerializer):
    status = serializers.CharField(source="key")


class TypeStatsSerializer(GroupStatsSerializer):
    job_type = serializers.CharField(source="key")


class QueueDepthSerializer(serializers.Serializer):
    high = serializers.IntegerField()
    normal = serializers.IntegerField()
    low = serializers.IntegerField()


class JobStatsSerializer(serializers.Serializer):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    by_status = StatusStatsSerializer(many=True)
    by_type = TypeStatsSerializer(many=True)
    queue_depth = QueueDepthSerializer(help_text="Queued jobs now, per priority.")
    average_wait_seconds = serializers.FloatField(
        allow_null=True, help_text="From queued to started."
    )
    failure_rate = serializers.FloatField(
        allow_null=True, help_text="Failed among completed and failed jobs (0 to 1)."
    )


# --- YouTube ------------------------------------------------------------------------------


class AuthorizationUrlSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()


class CallbackQuerySerializer(serializers.Serializer):
    state = serializers.CharField(max_length=128)
    code = serializers.CharField(max_length=2048, required=False, default="")
    error = serializers.CharField(max_length=200, required=False, default="")


class ConnectionSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    channel_id = serializers.CharField(allow_null=True)
    channel_title = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField(), allow_null=True)
    token_hint = serializers.CharField(
        allow_null=True, help_text="At most the last four characters of the access token."
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)


class UploadCreateSerializer(serializers.Serializer):
    project_id = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000
    )
    privacy_status = serializers.ChoiceField(
        choices=YouTubeUpload.Privacy.choices, default=YouTubeUpload.Privacy.PRIVATE
    )
    playlist_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{10,64}$", required=False, allow_blank=True, default=""
    )

    def validate_title(self, value: str) -> str:
        if "<" in value or ">" in value:
            raise serializers.ValidationError("YouTube titles cannot contain < or >.")
        return value


class UploadSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)

    class Meta:
        model = YouTubeUpload
        fields = [
            "id",
            "project",
            "title",
            "description",
            "privacy_status",
            "playlist_id",
            "status",
            "progress",
            "bytes_total",
            "bytes_sent",
            "chunk_retries",
            "video_id",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class PlaylistCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=150)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000
    )
    privacy_status = serializers.ChoiceField(
        choices=YouTubeUpload.Privacy.choices, default=YouTubeUpload.Privacy.PRIVATE
    )


class PlaylistSerializer(serializers.Serializer):
    playlist_id = serializers.CharField()
    title = serializers.CharField()
    privacy_status = serializers.CharField()
