from typing import Any

from rest_framework import serializers

from accounts.models import User
from config.api.formats import api_date, api_datetime
from courses.lms.grading import strip_html
from courses.models import Course, CourseInvitation, Enrollment, LMSSync, Question
from courses.risk import RiskLevel, RiskReasonCode

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
            "lms_course_id",
            "lms_synced_at",
            "video_count",
            "total_duration_seconds",
            "enrolled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def course_data(course: Course) -> dict[str, Any]:
    """`CourseSerializer(course).data` without DRF's per-field machinery, for the course
    list (a page of up to 100 courses on every catalogue view). It must stay equal to the
    serializer's output, which documents the shape; a test compares them field by field."""
    instructor = course.instructor
    return {
        "id": course.pk,
        "code": course.code,
        "title": course.title,
        "description": course.description,
        "context": course.context,
        "context_updated_at": api_datetime(course.context_updated_at),
        "instructor": {
            "id": instructor.pk,
            "username": instructor.username,
            "first_name": instructor.first_name,
            "last_name": instructor.last_name,
        },
        "status": course.status,
        "enrollment_type": course.enrollment_type,
        "max_students": course.max_students,
        "start_date": api_date(course.start_date),
        "end_date": api_date(course.end_date),
        "source": course.source,
        "playlist_id": course.playlist_id,
        "lms_course_id": course.lms_course_id,
        "lms_synced_at": api_datetime(course.lms_synced_at),
        "video_count": int(course.video_count),  # type: ignore[attr-defined]
        "total_duration_seconds": int(course.total_duration_seconds),  # type: ignore[attr-defined]
        "enrolled": bool(course.enrolled),  # type: ignore[attr-defined]
        "created_at": api_datetime(course.created_at),
        "updated_at": api_datetime(course.updated_at),
    }


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
    lms_course_id = serializers.RegexField(
        r"^(?:[A-Za-z0-9][A-Za-z0-9:_.-]{0,63})?$",
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The course's id in the instructor's LMS (Canvas); empty unlinks it.",
    )
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


# --- LMS ------------------------------------------------------------------------------------


class LMSTokenInputSerializer(serializers.Serializer):
    access_token = serializers.CharField(max_length=4096, trim_whitespace=True)
    course_ids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=200,
        help_text="The LMS course ids this token may sync.",
    )
    link = serializers.CharField(
        max_length=500,
        help_text="Base URL of the LMS (https; public hosts only), e.g. "
        "https://school.instructure.com.",
    )


class LMSTokenSerializer(serializers.Serializer):
    provider = serializers.CharField()
    token = serializers.CharField(help_text="Masked: at most the last four characters.")
    course_ids = serializers.ListField(child=serializers.CharField())
    link = serializers.CharField()
    updated_at = serializers.DateTimeField()


class LMSSyncSerializer(serializers.ModelSerializer):
    class Meta:
        model = LMSSync
        fields = [
            "id",
            "course_id",
            "status",
            "quizzes",
            "questions",
            "answers",
            "unmatched_students",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


# --- assessment upload ------------------------------------------------------------------------

UPLOAD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$"


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF's BooleanField also takes "yes", 1, "on"...)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so that a typo is an error and not a silent skip."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class AnswerUploadSerializer(StrictSerializer):
    student_id = serializers.IntegerField(required=False, min_value=1)
    lms_user_id = serializers.CharField(required=False, max_length=64)
    correct = StrictBooleanField()
    score = serializers.FloatField(
        required=False, min_value=0, help_text="Default: the question's points if correct, else 0."
    )
    answered_at = serializers.DateTimeField(required=False, help_text="Default: now.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("student_id" in attrs) == ("lms_user_id" in attrs):
            raise serializers.ValidationError(
                {"student_id": ["Give exactly one of student_id and lms_user_id."]}
            )
        return attrs


class QuestionUploadSerializer(StrictSerializer):
    id = serializers.RegexField(UPLOAD_ID_PATTERN, max_length=64)
    text = serializers.CharField(max_length=10_000, help_text="HTML is stripped.")
    type = serializers.ChoiceField(choices=Question.Type.choices)
    points = serializers.FloatField(min_value=0, max_value=10_000)
    answers = serializers.ListField(
        child=AnswerUploadSerializer(), max_length=5_000, required=False, default=list
    )

    def validate_text(self, value: str) -> str:
        text = strip_html(value)
        if not text:
            raise serializers.ValidationError("The question has no text.")
        return text


class QuizUploadSerializer(StrictSerializer):
    id = serializers.RegexField(UPLOAD_ID_PATTERN, max_length=64)
    title = serializers.CharField(max_length=300)
    questions = serializers.ListField(
        child=QuestionUploadSerializer(), min_length=1, max_length=500
    )


class AssessmentUploadSerializer(StrictSerializer):
    quizzes = serializers.ListField(child=QuizUploadSerializer(), min_length=1, max_length=200)


class AssessmentUploadResultSerializer(serializers.Serializer):
    quizzes = serializers.IntegerField()
    questions = serializers.IntegerField()
    answers = serializers.IntegerField()


# --- at-risk students -------------------------------------------------------------------------


class RiskFilterSerializer(serializers.Serializer):
    level = serializers.MultipleChoiceField(
        choices=RiskLevel.choices,
        required=False,
        help_text="Only students at these levels; repeat for several (`?level=high&level=medium`).",
    )


class RiskStudentSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name"]
        read_only_fields = fields


class RiskReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=RiskReasonCode.choices)
    level = serializers.ChoiceField(
        choices=RiskLevel.choices, help_text="The level this reason alone gives."
    )
    message = serializers.CharField()
    value = serializers.FloatField(help_text="The student's figure.")
    threshold = serializers.FloatField(
        allow_null=True,
        help_text="The threshold the figure reached (wrong_answers, absences) or fell short "
        "of (low_watch_time); null for no_activity.",
    )


class RiskFiguresSerializer(serializers.Serializer):
    questions_answered = serializers.IntegerField(source="figures.answered")
    wrong_answers = serializers.IntegerField(source="figures.wrong")
    wrong_share = serializers.FloatField(
        source="figures.wrong_share",
        allow_null=True,
        help_text="Wrong over answered (0-1, four decimals); null without answers.",
    )
    absent_days = serializers.IntegerField(source="figures.absent_days")
    watch_seconds = serializers.IntegerField(
        source="figures.watch_seconds", help_text="Watch time on this course's videos."
    )
    required_watch_seconds = serializers.IntegerField(
        help_text="The watch time expected, pro-rated by the days enrolled."
    )
    days_enrolled = serializers.IntegerField(
        source="figures.days_enrolled", help_text="Days of the window the student was enrolled."
    )


class RiskWindowSerializer(serializers.Serializer):
    vars()["from"] = serializers.DateField(source="date_from", help_text="First day, inclusive.")
    vars()["to"] = serializers.DateField(source="date_to", help_text="Last day (today), inclusive.")
    days = serializers.IntegerField()


class StudentRiskSerializer(serializers.Serializer):
    student = RiskStudentSerializer()
    level = serializers.ChoiceField(choices=RiskLevel.choices)
    reasons = RiskReasonSerializer(many=True)
    figures = RiskFiguresSerializer(source="*")
    window = RiskWindowSerializer()
