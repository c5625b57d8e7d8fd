"""Mentors, their availability, sessions paid in credits, messages and reviews.

Every change to a mentor's sessions (booking, every transition, reviews) runs under the
row lock of the mentor's profile (`services.mentor_lock`), so booking rules and the
denormalised figures of the profile hold however many requests arrive at once."""

import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 180
DEFAULT_DURATION_MINUTES = 60


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class MentorProfile(models.Model):
    """What students see of a mentor. Created on the mentor's first visit to their profile.

    `rating`, `review_count` and `total_sessions` (completed sessions) are derived: the
    review and completion services keep them up to date in their own transaction."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_profile"
    )
    headline = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    specialization = models.CharField(max_length=200, blank=True)
    experience_years = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(80)]
    )
    hourly_rate_credits = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_available = models.BooleanField(
        default=True, help_text="Whether the mentor accepts new bookings."
    )
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    total_sessions = models.PositiveIntegerField(default=0, help_text="Completed sessions.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hourly_rate_credits__gte=1), name="mentor_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"mentor profile of user {self.user_id}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class MentorExpertise(models.Model):
    """One expertise tag of a mentor (lower case), for `?expertise=` filtering."""

    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="expertise")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["mentor", "name"], name="mentor_expertise_unique")
        ]
        indexes = [models.Index(fields=["name"], name="mentor_expertise_name")]

    def __str__(self) -> str:
        return self.name


class AvailabilityWindow(models.Model):
    """A weekly window (weekday 0 = Monday) in the mentor's time zone, start before end on
    the same day, where an end of 00:00 means midnight at the end of the day. A mentor's
    windows of one weekday do not overlap (checked by the service). Adjacent windows join,
    across midnight too: a session may span both."""

    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.CASCADE, related_name="availability_windows"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")) | Q(end_time=time(0)),
                name="availability_start_before_end",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday"),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start_time}-{self.end_time}"


class BlockedPeriod(models.Model):
    """A one-off period (aware datetimes) when the mentor cannot be booked, whatever their
    weekly windows say."""

    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.CASCADE, related_name="blocked_periods"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_at__lt=F("end_at")), name="blocked_start_before_end"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "end_at"], name="blocked_mentor_end")]

    def __str__(self) -> str:
        return f"blocked {self.start_at:%Y-%m-%d %H:%M}-{self.end_at:%Y-%m-%d %H:%M}"


class Session(models.Model):
    """A one-to-one session, paid in credits: the price is held on the student's credits
    when it is requested (`hold_id`) and settled when it ends (`charged_credits` went to
    the mentor).

    `ends_at` is `scheduled_at + duration_minutes`, stored so that overlap checks are
    plain comparisons. `reminder_*_sent_at` record the reminders claimed for the current
    `scheduled_at`; a reschedule clears them."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        CONFIRMED = "confirmed", "Confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No show"

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_as_student"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_as_mentor"
    )
    topic = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_DURATION_MINUTES,
        validators=[
            MinValueValidator(MIN_DURATION_MINUTES),
            MaxValueValidator(MAX_DURATION_MINUTES),
        ],
    )
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    meeting_link = models.URLField(max_length=500, blank=True)
    price_credits = models.PositiveIntegerField()
    charged_credits = models.PositiveIntegerField(
        default=0, help_text="What the student paid the mentor when the session ended."
    )
    hold_id = models.BigIntegerField(
        null=True, blank=True, help_text="The credit hold of the price (credits app)."
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancellation_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminder_24h_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_1h_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES)
                & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_at__lt=F("ends_at")), name="session_starts_before_end"
            ),
            models.CheckConstraint(
                condition=~Q(student=F("mentor")), name="session_student_is_not_mentor"
            ),
            models.CheckConstraint(
                condition=Q(charged_credits__lte=F("price_credits")),
                name="session_charged_within_price",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status", "scheduled_at"], name="session_mentor"),
            models.Index(fields=["student", "status", "scheduled_at"], name="session_student"),
            models.Index(fields=["status", "scheduled_at"], name="session_status_time"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.status})"

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class Review(models.Model):
    """The student's review of a completed session: one per session."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="review")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_range"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "-created_at"], name="review_mentor")]

    def __str__(self) -> str:
        return f"review of session {self.session_id}: {self.rating}"


class Message(models.Model):
    """A direct message. A thread is every message between two users."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_received"
    )
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="message_not_to_self"),
        ]
        indexes = [
            models.Index(fields=["sender", "recipient", "-id"], name="message_pair"),
            models.Index(fields=["recipient", "read_at"], name="message_unread"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} from {self.sender_id} to {self.recipient_id}"
