"""Reads of the mentoring app."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Case, Count, F, IntegerField, Max, Q, QuerySet, When
from django.utils import timezone

from accounts.models import User
from attendance import selectors as attendance_selectors
from config.cache import cached
from courses import selectors as course_selectors
from credits import selectors as credit_selectors
from mentoring.availability import Interval, slot_starts, subtract, window_intervals
from mentoring.models import (
    AvailabilityWindow,
    BlockedPeriod,
    MentorExpertise,
    MentorProfile,
    Message,
    Review,
    Session,
)
from mentoring.services.sessions import ACTIVE_STATUSES

PLATFORM_STATS_TTL = 5 * 60


# --- mentors -----------------------------------------------------------------------------------


def mentor_list() -> QuerySet[MentorProfile]:
    """Profiles of active mentors, with their user and expertise tags."""
    return (
        MentorProfile.objects.filter(
            user__role=User.Role.MENTOR, user__is_active=True, user__deleted_at__isnull=True
        )
        .select_related("user")
        .prefetch_related("expertise")
    )


def mentor_get(*, mentor_id: int) -> MentorProfile | None:
    """A listed mentor by user id, or None."""
    return mentor_list().filter(user_id=mentor_id).first()


def mentor_is_listed(*, mentor_id: int) -> bool:
    return mentor_list().filter(user_id=mentor_id).exists()


def mentor_profile_get(*, user: User) -> MentorProfile | None:
    return (
        MentorProfile.objects.select_related("user")
        .prefetch_related("expertise")
        .filter(user_id=user.pk)
        .first()
    )


def availability_window_list(*, user: User) -> QuerySet[AvailabilityWindow]:
    return AvailabilityWindow.objects.filter(mentor__user_id=user.pk)


def blocked_period_list(*, user: User) -> QuerySet[BlockedPeriod]:
    return BlockedPeriod.objects.filter(mentor__user_id=user.pk)


def mentor_free_slots(
    *, profile: MentorProfile, now: datetime | None = None, limit: int | None = None
) -> list[Interval]:
    """The next free slots of MENTORING_FREE_SLOT_MINUTES within MENTORING_FREE_SLOTS_DAYS:
    inside the weekly windows (in the mentor's zone), outside blocked periods and the
    mentor's requested, confirmed or running sessions, on the mentor's local grid of
    MENTORING_SLOT_STEP_MINUTES. Aware UTC intervals; four queries."""
    if not profile.is_available:
        return []
    now = now or timezone.now()
    horizon = Interval(now, now + timedelta(days=settings.MENTORING_FREE_SLOTS_DAYS))
    windows = list(AvailabilityWindow.objects.filter(mentor=profile))
    available = window_intervals(windows, profile.zone, horizon)
    blocked = BlockedPeriod.objects.filter(
        mentor=profile, end_at__gt=horizon.start, start_at__lt=horizon.end
    ).values_list("start_at", "end_at")
    busy = Session.objects.filter(
        mentor_id=profile.user_id,
        status__in=ACTIVE_STATUSES,
        ends_at__gt=horizon.start,
        scheduled_at__lt=horizon.end,
    ).values_list("scheduled_at", "ends_at")
    taken = [Interval(start, end) for start, end in [*blocked, *busy]]
    free = [
        Interval(max(interval.start, horizon.start), min(interval.end, horizon.end))
        for interval in subtract(available, taken)
    ]
    duration = timedelta(minutes=settings.MENTORING_FREE_SLOT_MINUTES)
    starts = slot_starts(
        free,
        profile.zone,
        duration=duration,
        step=timedelta(minutes=settings.MENTORING_SLOT_STEP_MINUTES),
        not_before=now,
        limit=limit or settings.MENTORING_FREE_SLOTS_COUNT,
    )
    return [Interval(start, start + duration) for start in starts]


def review_list(*, mentor_id: int) -> QuerySet[Review]:
    return Review.objects.filter(mentor_id=mentor_id).select_related("student")


# --- sessions ----------------------------------------------------------------------------------


def session_list(*, user: User) -> QuerySet[Session]:
    """The user's sessions, as student or as mentor, with both users and the review."""
    return Session.objects.filter(Q(student_id=user.pk) | Q(mentor_id=user.pk)).select_related(
        "student", "mentor", "review"
    )


def session_visible_queryset(*, user: User) -> QuerySet[Session]:
    """The sessions the user may see one by one: their own; staff see all."""
    if user.is_staff:
        return Session.objects.select_related("student", "mentor", "review")
    return session_list(user=user)


# --- messages ----------------------------------------------------------------------------------


def thread_list(*, user: User) -> QuerySet[Any]:
    """One row per counterpart the user exchanged messages with, most recent first:
    `counterpart_id`, `last_message_id` and `unread_count` (messages to the user not read),
    in one grouped query. Pair with `thread_last_messages` for the page shown."""
    counterpart = Case(
        When(sender_id=user.pk, then=F("recipient_id")),
        default=F("sender_id"),
        output_field=IntegerField(),
    )
    return (
        Message.objects.filter(Q(sender_id=user.pk) | Q(recipient_id=user.pk))
        .annotate(counterpart_id=counterpart)
        .values("counterpart_id")
        .annotate(
            last_message_id=Max("id"),
            unread_count=Count("id", filter=Q(recipient_id=user.pk, read_at__isnull=True)),
        )
        .order_by("-last_message_id")
    )


def thread_last_messages(*, message_ids: list[int]) -> dict[int, Message]:
    """The given messages with sender and recipient, by id, in one query."""
    messages = Message.objects.filter(pk__in=message_ids).select_related("sender", "recipient")
    return {message.pk: message for message in messages}


def thread_messages(*, user: User, counterpart_id: int) -> QuerySet[Message]:
    """Every message between the user and the counterpart, newest first."""
    return Message.objects.filter(
        Q(sender_id=user.pk, recipient_id=counterpart_id)
        | Q(sender_id=counterpart_id, recipient_id=user.pk)
    ).order_by("-created_at", "-id")


def counterpart_get(*, user_id: int) -> User | None:
    """A user someone may have a thread with (deleted users' threads stay readable)."""
    return User.objects.filter(pk=user_id).first()


# --- stats -------------------------------------------------------------------------------------


@cached(PLATFORM_STATS_TTL, "mentoring:platform-stats")
def platform_stats() -> dict[str, Any]:
    """Public platform figures, cached for five minutes. Users are active accounts;
    sessions are completed sessions; courses are published courses."""
    users = User.objects.filter(is_active=True, deleted_at__isnull=True).aggregate(
        total=Count("id"),
        mentors=Count("id", filter=Q(role=User.Role.MENTOR)),
        students=Count("id", filter=Q(role=User.Role.STUDENT)),
    )
    return {
        "total_users": users["total"],
        "total_mentors": users["mentors"],
        "total_students": users["students"],
        "total_sessions": Session.objects.filter(status=Session.Status.COMPLETED).count(),
        "total_courses": course_selectors.course_count_published(),
        "platform_name": settings.PLATFORM_NAME,
        "version": settings.VERSION,
    }


def user_stats(*, user: User) -> dict[str, Any]:
    """The caller's figures; `mentor_stats` for mentors only (all their sessions, the
    completed ones, their rating and review count)."""
    mentor_stats = None
    if user.role == User.Role.MENTOR:
        totals = Session.objects.filter(mentor_id=user.pk).aggregate(
            total=Count("id"), completed=Count("id", filter=Q(status=Session.Status.COMPLETED))
        )
        profile = MentorProfile.objects.filter(user_id=user.pk).values(
            "rating", "review_count"
        ).first() or {"rating": None, "review_count": 0}
        mentor_stats = {
            "total_sessions": totals["total"],
            "completed_sessions": totals["completed"],
            "rating": profile["rating"],
            "review_count": profile["review_count"],
        }
    return {
        "user_id": user.pk,
        "email": user.email,
        "role": user.role,
        "created_at": user.date_joined,
        "mentor_stats": mentor_stats,
    }


UPCOMING_STATUSES = (Session.Status.REQUESTED, Session.Status.CONFIRMED)


def dashboard_stats(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The user's dashboard figures in four queries, whatever their volume of data.

    Courses: active enrollments (`total_courses`), and of those the ones started and not
    completed (`in_progress`) and completed (`completed`) by watch progress. Sessions and
    reviews (one aggregate over the sessions joined to their review): a mentor's are the
    sessions they gave and the reviews they received; anyone else's the sessions they
    booked and the reviews they wrote (`sessions_as` says which). Upcoming sessions are
    requested or confirmed ones starting after `now`; the average rating is of those
    reviews, to two decimals, null without any. Credits: what the user may spend now."""
    now = now or timezone.now()
    as_mentor = user.role == User.Role.MENTOR
    sessions = Session.objects.filter(
        Q(mentor_id=user.pk) if as_mentor else Q(student_id=user.pk)
    ).aggregate(
        total=Count("id"),
        upcoming=Count("id", filter=Q(status__in=UPCOMING_STATUSES, scheduled_at__gt=now)),
        completed=Count("id", filter=Q(status=Session.Status.COMPLETED)),
        reviews=Count("review"),
        average_rating=Avg("review__rating"),
    )
    average = sessions["average_rating"]
    courses = attendance_selectors.course_completion_counts(user_id=user.pk)
    return {
        "total_courses": course_selectors.enrollment_count_active(user_id=user.pk),
        "in_progress": courses["in_progress"],
        "completed": courses["completed"],
        "sessions_as": "mentor" if as_mentor else "student",
        "total_sessions": sessions["total"],
        "upcoming_sessions": sessions["upcoming"],
        "completed_sessions": sessions["completed"],
        "total_reviews": sessions["reviews"],
        "average_rating": None
        if average is None
        else Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "credits_available": credit_selectors.available_credits(user=user),
    }


# --- personal data export ------------------------------------------------------------------


def _mentor_profile_export(user: User) -> dict[str, Any] | None:
    row = (
        MentorProfile.objects.filter(user_id=user.pk)
        .values(
            "id",
            "headline",
            "bio",
            "specialization",
            "experience_years",
            "hourly_rate_credits",
            "time_zone",
            "is_available",
            "rating",
            "review_count",
            "total_sessions",
            "created_at",
        )
        .first()
    )
    if row is None:
        return None
    profile: dict[str, Any] = dict(row)
    profile_id = profile.pop("id")
    profile["rating"] = str(profile["rating"]) if profile["rating"] is not None else None
    profile["expertise"] = list(
        MentorExpertise.objects.filter(mentor_id=profile_id)
        .order_by("name")
        .values_list("name", flat=True)
    )
    profile["availability"] = list(
        AvailabilityWindow.objects.filter(mentor_id=profile_id)
        .order_by("weekday", "start_time", "id")
        .values("weekday", "start_time", "end_time")
    )
    profile["blocked_periods"] = list(
        BlockedPeriod.objects.filter(mentor_id=profile_id)
        .order_by("start_at", "id")
        .values("start_at", "end_at", "reason")
    )
    return profile


def personal_data_export(*, user: User) -> dict[str, Any]:
    """The mentoring section of a user's data export: their mentor profile (null for
    non-mentors), sessions on either side, messages sent and received, reviews written and
    received. One query per list (four for the profile)."""
    mine = Q(student_id=user.pk) | Q(mentor_id=user.pk)
    return {
        "mentor_profile": _mentor_profile_export(user),
        "sessions": list(
            Session.objects.filter(mine)
            .order_by("scheduled_at", "id")
            .values(
                "id",
                "student_id",
                "mentor_id",
                "topic",
                "notes",
                "scheduled_at",
                "duration_minutes",
                "status",
                "meeting_link",
                "price_credits",
                "charged_credits",
                "cancellation_reason",
                "cancelled_at",
                "confirmed_at",
                "started_at",
                "completed_at",
                "created_at",
            )
        ),
        "messages": list(
            Message.objects.filter(Q(sender_id=user.pk) | Q(recipient_id=user.pk))
            .order_by("created_at", "id")
            .values("id", "sender_id", "recipient_id", "body", "read_at", "created_at")
        ),
        "reviews_written": list(
            Review.objects.filter(student_id=user.pk)
            .order_by("created_at", "id")
            .values("session_id", "mentor_id", "rating", "comment", "created_at")
        ),
        "reviews_received": list(
            Review.objects.filter(mentor_id=user.pk)
            .order_by("created_at", "id")
            .values("session_id", "rating", "comment", "created_at")
        ),
    }
