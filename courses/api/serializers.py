from typing import Any

from rest_framework import serializers

from accounts.models import User
from courses.models import Course, CourseInvitation, Enrollment

CONTEXT_MAX_LENGTH = 20_000


class InstructorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name"]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    instructor = InstructorSerializer(read_only=True)
    video_count = serializers.IntegerField(read_only=True, help_text="Available videos.")
    total_duration_seconds = serializers.IntegerField(
        read_only=True, help_text="Total duration of the available videos."
    )
    enrolled = serializers.BooleanField(
        read_only=True, help_text="Whether the caller has an active enrollment."
    )

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "description",
            "context",
            "context_updated_at",
            "instructor",
            "status",
            "enrollment_type",
            "max_students",
            "start_date",
            "end_date",
            "source",
            "playlist_id",
            "video_count",
            "total_duration_seconds",
            "enrolled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CourseWriteSerializer(serializers.Serializer):
    """Input of POST (code and title required) and PATCH (everything optional)."""

    code = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    status = serializers.ChoiceField(choices=Course.Status.choices, required=False)
    enrollment_type = serializers.ChoiceField(choices=Course.EnrollmentType.choices, required=False)
    max_students = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    instructor_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(deleted_at__isnull=True),
        source="instructor",
        required=False,
        help_text="Staff only: the mentor or admin who teaches the course (default: you).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["The end date cannot be before the start date."]}
            )
        return attrs


class CourseCreateSerializer(CourseWriteSerializer):
    context = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=CONTEXT_MAX_LENGTH, trim_whitespace=False
    )


class CourseUpdateSerializer(CourseWriteSerializer):
    code = serializers.CharField(max_length=64, required=False)
    title = serializers.CharField(max_length=200, required=False)


class EnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrollment
        fields = ["id", "course_id", "user_id", "role", "status", "enrolled_at", "dropped_at"]
        read_only_fields = fields


class RegistrationSerializer(serializers.Serializer):
    enrolled = serializers.BooleanField(help_text="True while the enrollment is active.")
    enrolled_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(
        choices=Enrollment.Status.choices,
        allow_null=True,
        help_text="Status of the caller's enrollment; null when never registered.",
    )


class StudentUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "username", "first_name", "last_name"]
        read_only_fields = fields


class StudentSerializer(serializers.ModelSerializer):
    user = StudentUserSerializer(read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "user", "role", "status", "enrolled_at", "dropped_at"]
        read_only_fields = fields


class StudentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Enrollment.Status.choices, required=False)


class ContextSerializer(serializers.Serializer):
    context = serializers.CharField(  # type: ignore[assignment]
        allow_blank=True, max_length=CONTEXT_MAX_LENGTH, trim_whitespace=False
    )


class ContextOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "context", "context_updated_at"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseInvitation
        fields = ["id", "course_id", "email", "invited_by_id", "created_at", "accepted_at"]
        read_only_fields = fields
