from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from mentoring.models import (
    DEFAULT_DURATION_MINUTES,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    AvailabilityWindow,
    BlockedPeriod,
    MentorProfile,
    Message,
    Review,
    Session,
)
from mentoring.services.profiles import EXPERTISE_TAG_MAX_LENGTH, MAX_EXPERTISE_TAGS
from mentoring.services.reviews import REVIEW_COMMENT_MAX_LENGTH

NOTES_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name"]
        read_only_fields = fields


# --- mentors -----------------------------------------------------------------------------------


class MentorSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id", read_only=True, help_text="The user id.")
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    expertise = serializers.SerializerMethodField()
    rating = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
        help_text="Mean review rating; null before the first review.",
    )
    total_sessions = serializers.IntegerField(read_only=True, help_text="Completed sessions.")

    class Meta:
        model = MentorProfile
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "headline",
            "bio",
            "specialization",
            "expertise",
            "experience_years",
            "hourly_rate_credits",
            "time_zone",
            "is_available",
            "rating",
            "review_count",
            "total_sessions",
        ]
        read_only_fields = fields

    def get_expertise(self, profile: MentorProfile) -> list[str]:
        return [tag.name for tag in profile.expertise.all()]


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class MentorDetailSerializer(MentorSerializer):
    next_free_slots = SlotSerializer(
        many=True,
        read_only=True,
        help_text="The next bookable slots (UTC), within the mentor's availability.",
    )

    class Meta(MentorSerializer.Meta):
        fields = [*MentorSerializer.Meta.fields, "next_free_slots"]
        read_only_fields = fields


class MentorProfileWriteSerializer(serializers.Serializer):
    """PUT replaces the profile (every field but `expertise` required); PATCH changes the
    fields given."""

    headline = serializers.CharField(max_length=200, allow_blank=True)
    bio = serializers.CharField(max_length=10_000, allow_blank=True)
    specialization = serializers.CharField(max_length=200, allow_blank=True)
    expertise = serializers.ListField(
        child=serializers.CharField(max_length=EXPERTISE_TAG_MAX_LENGTH),
        max_length=MAX_EXPERTISE_TAGS,
        required=False,
    )
    experience_years = serializers.IntegerField(min_value=0, max_value=80)
    hourly_rate_credits = serializers.IntegerField(min_value=1, max_value=100_000)
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    is_available = serializers.BooleanField()


class AvailabilityWindowSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday."
    )
    start_time = serializers.TimeField(help_text="In the mentor's time zone.")
    end_time = serializers.TimeField(
        help_text="In the mentor's time zone; after start_time. 00:00 means midnight at the "
        "end of the day."
    )

    class Meta:
        model = AvailabilityWindow
        fields = ["id", "weekday", "start_time", "end_time"]
        read_only_fields = ["id"]


class BlockedPeriodSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    class Meta:
        model = BlockedPeriod
        fields = ["id", "start_at", "end_at", "reason", "created_at"]
        read_only_fields = ["id", "created_at"]


class ReviewSerializer(serializers.ModelSerializer):
    student = UserBriefSerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "session_id", "student", "rating", "comment", "created_at"]
        read_only_fields = fields


class SessionReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "rating", "comment", "created_at"]
        read_only_fields = fields


class ReviewCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=REVIEW_COMMENT_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


# --- sessions ----------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    student = UserBriefSerializer(read_only=True)
    mentor = UserBriefSerializer(read_only=True)
    review = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "student",
            "mentor",
            "topic",
            "notes",
            "scheduled_at",
            "ends_at",
            "duration_minutes",
            "status",
            "meeting_link",
            "price_credits",
            "charged_credits",
            "cancelled_by",
            "cancellation_reason",
            "cancelled_at",
            "confirmed_at",
            "started_at",
            "completed_at",
            "review",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SessionReviewSerializer(allow_null=True))
    def get_review(self, session: Session) -> dict[str, Any] | None:
        review = getattr(session, "review", None)
        return SessionReviewSerializer(review).data if review is not None else None


class SessionCreateSerializer(serializers.Serializer):
    mentor_id = serializers.IntegerField(min_value=1)
    scheduled_at = serializers.DateTimeField(help_text="The start, with its UTC offset.")
    duration_minutes = serializers.IntegerField(
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        default=DEFAULT_DURATION_MINUTES,
    )
    topic = serializers.CharField(max_length=200)
    notes = serializers.CharField(
        max_length=NOTES_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class ConfirmSerializer(serializers.Serializer):
    meeting_link = serializers.URLField(max_length=500)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class RescheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(help_text="The new start, with its UTC offset.")


# --- messages ----------------------------------------------------------------------------------


class DirectMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "sender_id", "recipient_id", "body", "read_at", "created_at"]
        read_only_fields = fields


class DirectMessageCreateSerializer(serializers.Serializer):
    recipient_id = serializers.IntegerField(min_value=1)
    body = serializers.CharField(
        max_length=settings.MENTORING_MESSAGE_MAX_LENGTH,
        help_text="Not blank; surrounding white space is removed.",
    )


class ThreadSerializer(serializers.Serializer):
    counterpart = UserBriefSerializer()
    last_message = DirectMessageSerializer()
    unread_count = serializers.IntegerField(help_text="Messages to the caller not read yet.")


class MessagesMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many messages were marked read.")


# --- stats -------------------------------------------------------------------------------------


class PlatformStatsSerializer(serializers.Serializer):
    total_users = serializers.IntegerField(help_text="Active accounts.")
    total_mentors = serializers.IntegerField()
    total_students = serializers.IntegerField()
    total_sessions = serializers.IntegerField(help_text="Completed mentoring sessions.")
    total_courses = serializers.IntegerField(help_text="Published courses.")
    platform_name = serializers.CharField()
    version = serializers.CharField()


class MentorStatsSerializer(serializers.Serializer):
    total_sessions = serializers.IntegerField(help_text="Every session booked with the mentor.")
    completed_sessions = serializers.IntegerField()
    rating = serializers.DecimalField(
        max_digits=3, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    review_count = serializers.IntegerField()


class UserStatsSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    created_at = serializers.DateTimeField()
    mentor_stats = MentorStatsSerializer(allow_null=True, help_text="Mentors only.")


class DashboardStatsSerializer(serializers.Serializer):
    total_courses = serializers.IntegerField(help_text="Courses the user is actively enrolled in.")
    in_progress = serializers.IntegerField(
        help_text="Of those, courses with a video watched and not all available videos complete."
    )
    completed = serializers.IntegerField(
        help_text="Of those, courses whose available videos are all complete."
    )
    sessions_as = serializers.ChoiceField(
        choices=[("mentor", "Mentor"), ("student", "Student")],
        help_text="Mentors' sessions and reviews are those they gave and received as mentor; "
        "everyone else's those they booked and wrote as student.",
    )
    total_sessions = serializers.IntegerField(help_text="Every session, whatever its status.")
    upcoming_sessions = serializers.IntegerField(
        help_text="Requested or confirmed sessions that have not started."
    )
    completed_sessions = serializers.IntegerField()
    total_reviews = serializers.IntegerField(help_text="Reviews of those sessions.")
    average_rating = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Average rating (1-5) of those reviews; null without any.",
    )
    credits_available = serializers.IntegerField(
        help_text="Credits the user may spend now (allowance plus purchased)."
    )
