"""The parameters each job type accepts: one strict schema (a DRF serializer) per type.

Unknown keys are refused rather than ignored, so a typo never silently falls back to a
default. `validate_parameters` returns the parameters with their defaults filled in."""

from typing import Any

from rest_framework import serializers

from config.errors import ValidationFailed
from jobs.models import Job

T = Job.Type


class StrictSchema(serializers.Serializer):
    """A parameters schema that refuses keys it does not know."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown parameter."] for name in unknown})
        return attrs


class ScriptAnalysisParameters(StrictSchema):
    words_per_minute = serializers.IntegerField(min_value=80, max_value=250, default=150)


class SubtitleParameters(StrictSchema):
    words_per_minute = serializers.IntegerField(min_value=80, max_value=250, default=150)
    max_chars_per_line = serializers.IntegerField(min_value=20, max_value=80, default=42)


class ThumbnailParameters(StrictSchema):
    width = serializers.IntegerField(min_value=320, max_value=1920, default=1280)
    height = serializers.IntegerField(min_value=180, max_value=1080, default=720)
    text = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ImageParameters(StrictSchema):
    count = serializers.IntegerField(min_value=1, max_value=8, default=1)
    prompt = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    size = serializers.ChoiceField(
        choices=["512x512", "1024x1024", "1792x1024", "1024x1792"], default="1024x1024"
    )


class VoiceParameters(StrictSchema):
    voice = serializers.CharField(max_length=64, default="narrator")
    language = serializers.RegexField(r"^[a-z]{2}(-[A-Z]{2})?$", max_length=5, default="en")


class VideoParameters(StrictSchema):
    resolution = serializers.ChoiceField(choices=["720p", "1080p"], default="1080p")
    fps = serializers.ChoiceField(choices=[24, 25, 30, 60], default=24)


class FullGenerationParameters(StrictSchema):
    """Passed on to the steps: the image count, the voice and the video format."""

    image_count = serializers.IntegerField(min_value=1, max_value=8, default=4)
    voice = serializers.CharField(max_length=64, default="narrator")
    language = serializers.RegexField(r"^[a-z]{2}(-[A-Z]{2})?$", max_length=5, default="en")
    resolution = serializers.ChoiceField(choices=["720p", "1080p"], default="1080p")
    fps = serializers.ChoiceField(choices=[24, 25, 30, 60], default=24)
    words_per_minute = serializers.IntegerField(min_value=80, max_value=250, default=150)


SCHEMAS: dict[str, type[StrictSchema]] = {
    T.SCRIPT_ANALYSIS: ScriptAnalysisParameters,
    T.IMAGE_GENERATION: ImageParameters,
    T.VOICE_SYNTHESIS: VoiceParameters,
    T.VIDEO_COMPOSITION: VideoParameters,
    T.SUBTITLE_GENERATION: SubtitleParameters,
    T.THUMBNAIL_GENERATION: ThumbnailParameters,
    T.FULL_GENERATION: FullGenerationParameters,
}


def _flatten(detail: Any, prefix: str) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = prefix if name == "non_field_errors" else f"{prefix}.{name}"
            errors.update(_flatten(value, key))
        return errors
    if isinstance(detail, list):
        return {prefix: [str(item) for item in detail]}
    return {prefix: [str(detail)]}


def validate_parameters(job_type: str, parameters: Any) -> dict[str, Any]:
    """The validated parameters of a job of `job_type`, defaults filled in.
    An unknown type or bad parameters raise ValidationFailed (400)."""
    schema = SCHEMAS.get(job_type)
    if schema is None:
        raise ValidationFailed(
            "Invalid input: job_type.",
            errors={"job_type": [f"Unknown job type {job_type!r}."]},
        )
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise ValidationFailed(
            "Invalid input: parameters.", errors={"parameters": ["An object is required."]}
        )
    serializer = schema(data=parameters)
    if not serializer.is_valid():
        errors = _flatten(serializer.errors, "parameters")
        raise ValidationFailed("Invalid input: " + ", ".join(errors) + ".", errors=errors)
    return dict(serializer.validated_data)


def describe_schemas() -> str:
    """A summary of every type's parameters, for the API documentation."""
    lines = []
    for job_type, schema in SCHEMAS.items():
        fields = []
        for name, field in schema().fields.items():
            default = field.default
            fields.append(f"`{name}` (default {default!r})")
        lines.append(f"- `{job_type}`: " + (", ".join(fields) or "none"))
    return "\n".join(lines)
