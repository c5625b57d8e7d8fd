"""Mentor profiles, weekly availability and blocked periods."""

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction

from accounts.models import User
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.models import AvailabilityWindow, BlockedPeriod, MentorExpertise, MentorProfile

PROFILE_FIELDS = frozenset(
    {
        "headline",
        "bio",
        "specialization",
        "experience_years",
        "hourly_rate_credits",
        "time_zone",
        "is_available",
    }
)
MAX_EXPERTISE_TAGS = 20
EXPERTISE_TAG_MAX_LENGTH = 50


def full_clean(instance: models.Model, **kwargs: Any) -> None:
    """Model rules as a 400 with field errors."""
    try:
        instance.full_clean(**kwargs)
    except DjangoValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
        raise ValidationFailed("Invalid input: " + ", ".join(errors) + ".", errors=errors) from exc


def _ensure_mentor(user: User) -> None:
    if user.role != User.Role.MENTOR:
        raise PermissionDenied("Only mentors have a mentor profile.", code="not_a_mentor")


def mentor_profile_get_or_create(*, user: User) -> MentorProfile:
    """The mentor's profile, created with the default rate on first use. Concurrent first
    visits create one profile (the one-to-one constraint decides)."""
    _ensure_mentor(user)
    profile = MentorProfile.objects.filter(user_id=user.pk).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return MentorProfile.objects.create(
                user=user, hourly_rate_credits=settings.MENTORING_DEFAULT_HOURLY_RATE_CREDITS
            )
    except IntegrityError:
        return MentorProfile.objects.get(user_id=user.pk)


def mentor_lock(*, mentor_id: int) -> MentorProfile:
    """Lock the mentor's profile row for the rest of the transaction. Every change to a
    mentor's availability, sessions and reviews takes this lock first (then the session
    row, then credit accounts), so checks made under it still hold when the change is
    written, and locks are always taken in the same order."""
    profile = MentorProfile.objects.select_for_update().filter(user_id=mentor_id).first()
    if profile is None:
        raise NotFound("No such mentor.", code="mentor_not_found")
    return profile


@transaction.atomic
def mentor_profile_close_for_closed_account(*, user: User) -> bool:
    """The mentor's account was closed: their profile stops taking bookings and loses what
    describes the person (headline, bio, specialization, expertise), and their availability
    and blocked periods go. Rating and session counts stay, like the reviews behind them.
    Returns whether there was a profile; safe to call again."""
    profile = MentorProfile.objects.select_for_update().filter(user_id=user.pk).first()
    if profile is None:
        return False
    profile.is_available = False
    profile.headline = ""
    profile.bio = ""
    profile.specialization = ""
    profile.save(update_fields=["is_available", "headline", "bio", "specialization", "updated_at"])
    MentorExpertise.objects.filter(mentor=profile).delete()
    AvailabilityWindow.objects.filter(mentor=profile).delete()
    BlockedPeriod.objects.filter(mentor=profile).delete()
    return True


def _lock_own_profile(user: User) -> MentorProfile:
    """The caller's profile (created if needed), locked."""
    mentor_profile_get_or_create(user=user)
    return mentor_lock(mentor_id=user.pk)


def _normalise_expertise(tags: list[str]) -> list[str]:
    names: list[str] = []
    for tag in tags:
        name = " ".join(tag.split()).lower()
        if not name:
            continue
        if len(name) > EXPERTISE_TAG_MAX_LENGTH:
            raise ValidationFailed(
                "Invalid input: expertise.",
                errors={"expertise": [f"Tags have at most {EXPERTISE_TAG_MAX_LENGTH} characters."]},
            )
        if name not in names:
            names.append(name)
    if len(names) > MAX_EXPERTISE_TAGS:
        raise ValidationFailed(
            "Invalid input: expertise.",
            errors={"expertise": [f"At most {MAX_EXPERTISE_TAGS} tags."]},
        )
    return names


@transaction.atomic
def mentor_profile_update(*, user: User, data: dict[str, Any]) -> MentorProfile:
    """Update the caller's own profile; `expertise` (a list of tags) replaces the tags."""
    profile = _lock_own_profile(user)
    unknown = set(data) - PROFILE_FIELDS - {"expertise"}
    if unknown:
        raise ValidationFailed(
            "Invalid input: " + ", ".join(sorted(unknown)) + ".",
            errors={name: ["Unknown field."] for name in sorted(unknown)},
        )
    for name, value in data.items():
        if name in PROFILE_FIELDS:
            setattr(profile, name, value)
    full_clean(profile, exclude=["user"])
    profile.save()
    if "expertise" in data:
        names = _normalise_expertise(data["expertise"])
        MentorExpertise.objects.filter(mentor=profile).exclude(name__in=names).delete()
        MentorExpertise.objects.bulk_create(
            [MentorExpertise(mentor=profile, name=name) for name in names],
            ignore_conflicts=True,
        )
    return profile


# --- weekly availability ---------------------------------------------------------------------


def _minutes(moment: time, *, is_end: bool = False) -> int:
    """Minutes after midnight; an end of 00:00 is the end of the day (1440)."""
    minutes = moment.hour * 60 + moment.minute
    return 24 * 60 if is_end and minutes == 0 and moment.second == 0 else minutes


def _check_window(
    profile: MentorProfile,
    *,
    weekday: int,
    start_time: time,
    end_time: time,
    exclude_pk: int | None = None,
) -> None:
    if not 0 <= weekday <= 6:
        raise ValidationFailed(
            "Invalid input: weekday.", errors={"weekday": ["0 (Monday) to 6 (Sunday)."]}
        )
    if any(moment.second or moment.microsecond for moment in (start_time, end_time)):
        raise ValidationFailed(
            "Invalid input: start_time, end_time.",
            errors={"start_time": ["Whole minutes only."], "end_time": ["Whole minutes only."]},
        )
    start, end = _minutes(start_time), _minutes(end_time, is_end=True)
    if start >= end:
        raise ValidationFailed(
            "Invalid input: end_time.",
            errors={"end_time": ["Must be after start_time (00:00 means midnight)."]},
        )
    others = AvailabilityWindow.objects.filter(mentor=profile, weekday=weekday)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for other in others:
        if _minutes(other.start_time) < end and start < _minutes(other.end_time, is_end=True):
            raise Conflict(
                "The window overlaps another window of the same weekday.",
                code="availability_overlap",
            )


@transaction.atomic
def availability_window_create(
    *, user: User, weekday: int, start_time: time, end_time: time
) -> AvailabilityWindow:
    profile = _lock_own_profile(user)
    _check_window(profile, weekday=weekday, start_time=start_time, end_time=end_time)
    return AvailabilityWindow.objects.create(
        mentor=profile, weekday=weekday, start_time=start_time, end_time=end_time
    )


def _own_window(profile: MentorProfile, window_id: int) -> AvailabilityWindow:
    window = AvailabilityWindow.objects.filter(pk=window_id, mentor=profile).first()
    if window is None:
        raise NotFound("No such availability window.", code="window_not_found")
    return window


@transaction.atomic
def availability_window_update(
    *, user: User, window_id: int, data: dict[str, Any]
) -> AvailabilityWindow:
    """Change a window of the caller's; sessions already booked are not affected."""
    profile = _lock_own_profile(user)
    window = _own_window(profile, window_id)
    weekday = data.get("weekday", window.weekday)
    start_time = data.get("start_time", window.start_time)
    end_time = data.get("end_time", window.end_time)
    _check_window(
        profile, weekday=weekday, start_time=start_time, end_time=end_time, exclude_pk=window.pk
    )
    window.weekday, window.start_time, window.end_time = weekday, start_time, end_time
    window.save()
    return window


@transaction.atomic
def availability_window_delete(*, user: User, window_id: int) -> None:
    profile = _lock_own_profile(user)
    _own_window(profile, window_id).delete()


# --- blocked periods ---------------------------------------------------------------------------


@transaction.atomic
def blocked_period_create(
    *, user: User, start_at: datetime, end_at: datetime, reason: str = ""
) -> BlockedPeriod:
    """Block a period. Sessions already booked in it stay; the mentor cancels them if
    needed."""
    profile = _lock_own_profile(user)
    if start_at >= end_at:
        raise ValidationFailed(
            "Invalid input: end_at.", errors={"end_at": ["Must be after start_at."]}
        )
    return BlockedPeriod.objects.create(
        mentor=profile, start_at=start_at, end_at=end_at, reason=reason
    )


@transaction.atomic
def blocked_period_delete(*, user: User, period_id: int) -> None:
    profile = _lock_own_profile(user)
    deleted, _ = BlockedPeriod.objects.filter(pk=period_id, mentor=profile).delete()
    if not deleted:
        raise NotFound("No such blocked period.", code="blocked_period_not_found")
