"""Sessions: booking, the transitions between states with their credit effects and the
notification to the other side, reminders and the expiry of unanswered requests.

Money: the price is held on the student's credits when the session is requested. When the
session ends the hold is released and whatever the student owes the mentor (the price on
completion, a share of it on a late cancellation, the no-show policy's amount) is
transferred from the student to the mentor, in the same transaction, under the lock of the
student's credit account (credits' `transfer` debits the sender's available credits, so
capturing the hold as well would charge the student twice). Every credit call carries an
idempotency key derived from the session (`mentoring-session:<id>:hold|release|payment`).

Locks, always in this order: the mentor's profile (`mentor_lock`), the session row, the
student's user row (booking rules only), then credit accounts (inside credits)."""

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from credits import services as credits
from mentoring.availability import Interval, window_intervals
from mentoring.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    BlockedPeriod,
    MentorProfile,
    Session,
)
from mentoring.services.profiles import full_clean, mentor_lock

Status = Session.Status
NotificationType = Notification.Type

# The statuses that occupy the mentor's and the student's time.
ACTIVE_STATUSES = (Status.REQUESTED, Status.CONFIRMED, Status.IN_PROGRESS)

# (action, current status) -> new status. Any other pair is an illegal transition (409).
# A confirmed session moved by the student goes back to requested (the mentor confirms the
# new time); moved by the mentor it stays confirmed.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("confirm", Status.REQUESTED): Status.CONFIRMED,
    ("decline", Status.REQUESTED): Status.CANCELLED,
    ("cancel", Status.REQUESTED): Status.CANCELLED,
    ("cancel", Status.CONFIRMED): Status.CANCELLED,
    ("reschedule", Status.REQUESTED): Status.REQUESTED,
    ("reschedule", Status.CONFIRMED): Status.CONFIRMED,
    ("start", Status.CONFIRMED): Status.IN_PROGRESS,
    ("complete", Status.CONFIRMED): Status.COMPLETED,
    ("complete", Status.IN_PROGRESS): Status.COMPLETED,
    ("no_show", Status.CONFIRMED): Status.NO_SHOW,
    ("expire", Status.REQUESTED): Status.CANCELLED,
}

_ACTION_WORDS = {
    "confirm": "confirmed",
    "decline": "declined",
    "cancel": "cancelled",
    "reschedule": "moved",
    "start": "started",
    "complete": "completed",
    "no_show": "marked as a no-show",
    "expire": "expired",
}

NO_SHOW_CAPTURE = "capture"
NO_SHOW_RELEASE = "release"

# The reminders: the field that records each, how long before the start it goes out, and
# the words for that time. A session confirmed late gets only the reminders still ahead.
REMINDERS = (
    ("reminder_24h_sent_at", timedelta(hours=24), "24 hours"),
    ("reminder_1h_sent_at", timedelta(hours=1), "1 hour"),
)


# --- helpers -----------------------------------------------------------------------------------


def session_price(*, hourly_rate_credits: int, duration_minutes: int) -> int:
    """The price of a session: the hourly rate pro rata, rounded up to a whole credit."""
    return math.ceil(hourly_rate_credits * duration_minutes / 60)


def late_cancel_fee(*, price_credits: int) -> int:
    """What a student cancelling late pays: MENTORING_LATE_CANCEL_CAPTURE_SHARE of the price,
    rounded half up, within 0 and the price."""
    share = Decimal(str(settings.MENTORING_LATE_CANCEL_CAPTURE_SHARE))
    fee = int((price_credits * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(max(fee, 0), price_credits)


def _reference(session: Session) -> str:
    return f"mentoring-session:{session.pk}"


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def _display_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%A %d %B %Y, %H:%M UTC")


def _session_data(session: Session, **extra: Any) -> dict[str, Any]:
    """The facts every session notification is rendered from."""
    return {
        "session_id": session.pk,
        "topic": session.topic,
        "scheduled_at": session.scheduled_at,
        "scheduled_at_display": _display_time(session.scheduled_at),
        "duration_minutes": session.duration_minutes,
        "meeting_link": session.meeting_link,
        "status": session.status,
        "price_credits": session.price_credits,
        "charged_credits": session.charged_credits,
        "student_name": display_name(session.student),
        "mentor_name": display_name(session.mentor),
        **extra,
    }


def _next_status(session: Session, action: str) -> str:
    new_status = TRANSITIONS.get((action, session.status))
    if new_status is None:
        raise Conflict(
            f"The session is {session.get_status_display().lower()}: it cannot be "
            f"{_ACTION_WORDS[action]}.",
            code="illegal_transition",
            status=session.status,
            action=action,
        )
    return new_status


def session_lock(session_id: int) -> Session:
    """Lock the session's mentor profile, then the session row; return the session fresh,
    with student and mentor. Every change to a session starts here."""
    mentor_id = Session.objects.filter(pk=session_id).values_list("mentor_id", flat=True).first()
    if mentor_id is None:
        raise NotFound("No such session.", code="session_not_found")
    mentor_lock(mentor_id=mentor_id)
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("student", "mentor")
        .get(pk=session_id)
    )


def _side(session: Session, user: User) -> str:
    """Which side `user` acts on: student, mentor or staff. Anyone else may not know the
    session exists."""
    if user.pk == session.student_id:
        return "student"
    if user.pk == session.mentor_id:
        return "mentor"
    if user.is_staff:
        return "staff"
    raise NotFound("No such session.", code="session_not_found")


# The mentor's actions, with the verb their refusal names.
MENTOR_ACTIONS = {
    "confirm": "confirm",
    "decline": "decline",
    "start": "start",
    "complete": "complete",
    "no_show": "mark",
}


def session_actor_check(*, session: Session, user: User, action: str) -> str:
    """The side `user` takes `action` on: NotFound for someone who is no side of the session,
    PermissionDenied for the wrong side (only the mentor confirms, declines, starts,
    completes and marks a no-show; only the participants reschedule; only the student
    reviews; either side or staff cancels). A session's sides never change, so views check
    this before validating the body; the services check it again under the row lock."""
    side = _side(session, user)
    if action in MENTOR_ACTIONS:
        if side != "mentor":
            verb = MENTOR_ACTIONS[action]
            raise PermissionDenied(f"Only the mentor may {verb} a session.", code="mentor_only")
    elif action == "reschedule":
        if side == "staff":
            raise PermissionDenied(
                "Only the participants may move a session.", code="participants_only"
            )
    elif action == "review":
        if side != "student":
            raise PermissionDenied("Only the session's student may review it.", code="student_only")
    elif action != "cancel":
        raise ValueError(f"Unknown session action: {action}")
    return side


def _settle(session: Session, *, to_mentor: int, reason: str) -> None:
    """End the hold: release it, then pay the mentor `to_mentor` credits from the student."""
    reference = _reference(session)
    if session.hold_id is not None:
        credits.release(
            hold_id=session.hold_id, idempotency_key=f"{reference}:release", reason=reason
        )
    if to_mentor:
        credits.transfer(
            sender=session.student,
            receiver=session.mentor,
            amount=to_mentor,
            reference=reference,
            idempotency_key=f"{reference}:payment",
            reason=reason,
        )
    session.charged_credits = to_mentor


# --- booking -----------------------------------------------------------------------------------


def _booking_refusal(
    *,
    profile: MentorProfile,
    student_id: int,
    slot: Interval,
    now: datetime,
    exclude_session_id: int | None = None,
) -> Conflict | None:
    """Why the slot cannot be booked (or moved to), or None. Call under the mentor's lock
    (and the student's, for the student's overlaps)."""
    if slot.start <= now:
        return Conflict("The slot is in the past.", code="slot_in_past")
    if not profile.is_available:
        return Conflict("The mentor does not accept bookings.", code="mentor_unavailable")
    windows = list(profile.availability_windows.all())
    if not any(
        interval.contains(slot) for interval in window_intervals(windows, profile.zone, slot)
    ):
        return Conflict(
            "The slot is outside the mentor's availability.", code="outside_availability"
        )
    blocked = BlockedPeriod.objects.filter(
        mentor=profile, start_at__lt=slot.end, end_at__gt=slot.start
    )
    if blocked.exists():
        return Conflict("The mentor is not available then.", code="slot_blocked")
    overlapping = Session.objects.filter(
        status__in=ACTIVE_STATUSES, scheduled_at__lt=slot.end, ends_at__gt=slot.start
    )
    if exclude_session_id is not None:
        overlapping = overlapping.exclude(pk=exclude_session_id)
    if overlapping.filter(mentor_id=profile.user_id).exists():
        return Conflict("The mentor has another session then.", code="mentor_busy")
    if overlapping.filter(student_id=student_id).exists():
        return Conflict("You have another session then.", code="student_busy")
    return None


def _lock_student(student_id: int) -> None:
    """Serialise one student's bookings across mentors (each holds a different mentor lock),
    so that their own overlap check holds too."""
    list(User.objects.select_for_update().filter(pk=student_id).values_list("pk", flat=True))


def _validate_duration(duration_minutes: int) -> None:
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationFailed(
            "Invalid input: duration_minutes.",
            errors={
                "duration_minutes": [
                    f"Between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes."
                ]
            },
        )


@transaction.atomic
def session_request(
    *,
    student: User,
    mentor_id: int,
    scheduled_at: datetime,
    topic: str,
    duration_minutes: int = 60,
    notes: str = "",
) -> Session:
    """Book a session: the slot must lie in the mentor's availability, in the future, outside
    blocked periods and clear of the mentor's and the student's other sessions (409
    otherwise). The price is held on the student's credits (402 when short; nothing is
    booked). The mentor is told (`session_requested`)."""
    if student.role != User.Role.STUDENT:
        raise PermissionDenied("Only students book sessions.", code="students_only")
    _validate_duration(duration_minutes)
    try:
        profile = mentor_lock(mentor_id=mentor_id)
    except NotFound:
        profile = None
    mentor = (
        User.objects.filter(
            pk=mentor_id, role=User.Role.MENTOR, is_active=True, deleted_at__isnull=True
        ).first()
        if profile is not None
        else None
    )
    if profile is None or mentor is None:
        raise ValidationFailed(
            "Invalid input: mentor_id.", errors={"mentor_id": ["No such mentor."]}
        )
    _lock_student(student.pk)
    start = scheduled_at.astimezone(UTC)
    slot = Interval(start, start + timedelta(minutes=duration_minutes))
    refusal = _booking_refusal(
        profile=profile, student_id=student.pk, slot=slot, now=timezone.now()
    )
    if refusal is not None:
        raise refusal
    session = Session(
        student=student,
        mentor=mentor,
        topic=topic,
        notes=notes,
        scheduled_at=slot.start,
        ends_at=slot.end,
        duration_minutes=duration_minutes,
        price_credits=session_price(
            hourly_rate_credits=profile.hourly_rate_credits, duration_minutes=duration_minutes
        ),
    )
    full_clean(session, validate_constraints=False)
    session.save()
    credit_hold = credits.hold(
        user=student,
        amount=session.price_credits,
        reference=_reference(session),
        idempotency_key=f"{_reference(session)}:hold",
        reason=f"Session {session.pk} with {display_name(mentor)}",
    )
    session.hold_id = credit_hold.pk
    session.save(update_fields=["hold_id"])
    notify(user=mentor, type=NotificationType.SESSION_REQUESTED, data=_session_data(session))
    return session


# --- transitions -------------------------------------------------------------------------------


@transaction.atomic
def session_confirm(*, session_id: int, acting_user: User, meeting_link: str) -> Session:
    """The mentor accepts a requested session and gives the meeting link."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="confirm")
    new_status = _next_status(session, "confirm")
    now = timezone.now()
    if session.scheduled_at <= now:
        raise Conflict("The session's time has passed.", code="session_in_past")
    session.status = new_status
    session.meeting_link = meeting_link
    session.confirmed_at = now
    full_clean(session, validate_constraints=False)
    session.save()
    notify(
        user=session.student,
        type=NotificationType.SESSION_CONFIRMED,
        data=_session_data(session),
    )
    return session


@transaction.atomic
def session_decline(*, session_id: int, acting_user: User, reason: str = "") -> Session:
    """The mentor turns a request down; the hold is released."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="decline")
    session.status = _next_status(session, "decline")
    _settle(session, to_mentor=0, reason=f"Session {session.pk} declined")
    session.cancelled_by = acting_user
    session.cancellation_reason = reason
    session.cancelled_at = timezone.now()
    session.save()
    notify(
        user=session.student,
        type=NotificationType.SESSION_CANCELLED,
        data=_session_data(
            session, declined=True, reason=reason, actor_name=display_name(session.mentor)
        ),
    )
    return session


def _is_late(session: Session, now: datetime) -> bool:
    window = timedelta(hours=settings.MENTORING_LATE_CANCEL_WINDOW_HOURS)
    return session.scheduled_at - now < window


@transaction.atomic
def session_cancel(*, session_id: int, acting_user: User, reason: str) -> Session:
    """Either side (or staff) calls a requested or confirmed session off. The hold is
    released, except that a student cancelling a confirmed session within
    MENTORING_LATE_CANCEL_WINDOW_HOURS of its start pays the mentor the late-cancel share.
    The other side is told; staff cancellations tell both and are audited."""
    session = session_lock(session_id)
    side = session_actor_check(session=session, user=acting_user, action="cancel")
    previous_status = session.status
    session.status = _next_status(session, "cancel")
    now = timezone.now()
    late = side == "student" and previous_status == Status.CONFIRMED and _is_late(session, now)
    fee = late_cancel_fee(price_credits=session.price_credits) if late else 0
    _settle(
        session,
        to_mentor=fee,
        reason=f"Session {session.pk} cancelled" + (" late" if fee else ""),
    )
    session.cancelled_by = acting_user
    session.cancellation_reason = reason
    session.cancelled_at = now
    session.save()
    data = _session_data(session, reason=reason, actor_name=display_name(acting_user))
    recipients = {
        "student": [session.mentor],
        "mentor": [session.student],
        "staff": [session.student, session.mentor],
    }[side]
    for recipient in recipients:
        notify(user=recipient, type=NotificationType.SESSION_CANCELLED, data=data)
    if fee:
        notify(
            user=session.mentor,
            type=NotificationType.PAYMENT_RECEIVED,
            data=_session_data(session, amount=fee),
        )
    if side == "staff":
        audit_record(
            actor=acting_user,
            action="mentoring.session.cancel",
            target=session,
            reason=reason,
            before={"status": previous_status},
            after={"status": session.status, "charged_credits": session.charged_credits},
        )
    return session


@transaction.atomic
def session_reschedule(*, session_id: int, acting_user: User, scheduled_at: datetime) -> Session:
    """Either side moves a requested or confirmed session to a new time, under the booking
    rules. Its reminders start over for the new time. Moved by the student, a confirmed
    session waits for the mentor's confirmation again."""
    session = session_lock(session_id)
    side = session_actor_check(session=session, user=acting_user, action="reschedule")
    new_status = _next_status(session, "reschedule")
    if side == "student" and new_status == Status.CONFIRMED:
        new_status = Status.REQUESTED
    start = scheduled_at.astimezone(UTC)
    if start == session.scheduled_at:
        raise ValidationFailed(
            "Invalid input: scheduled_at.",
            errors={"scheduled_at": ["The session is already at this time."]},
        )
    profile = MentorProfile.objects.get(user_id=session.mentor_id)  # locked by session_lock
    _lock_student(session.student_id)
    slot = Interval(start, start + session.duration)
    refusal = _booking_refusal(
        profile=profile,
        student_id=session.student_id,
        slot=slot,
        now=timezone.now(),
        exclude_session_id=session.pk,
    )
    if refusal is not None:
        raise refusal
    previous = session.scheduled_at
    session.scheduled_at, session.ends_at = slot.start, slot.end
    session.status = new_status
    if new_status == Status.REQUESTED:
        session.confirmed_at = None
    session.reminder_24h_sent_at = None
    session.reminder_1h_sent_at = None
    session.save()
    other = session.mentor if side == "student" else session.student
    notify(
        user=other,
        type=NotificationType.SESSION_RESCHEDULED,
        data=_session_data(
            session,
            previous_scheduled_at=previous,
            previous_scheduled_at_display=_display_time(previous),
            actor_name=display_name(acting_user),
        ),
    )
    return session


@transaction.atomic
def session_start(*, session_id: int, acting_user: User) -> Session:
    """The mentor opens a confirmed session, from MENTORING_START_EARLY_MINUTES before its
    time."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="start")
    new_status = _next_status(session, "start")
    now = timezone.now()
    if now < session.scheduled_at - timedelta(minutes=settings.MENTORING_START_EARLY_MINUTES):
        raise Conflict("The session cannot start this early.", code="too_early")
    session.status = new_status
    session.started_at = now
    session.save()
    notify(user=session.student, type=NotificationType.SESSION_STARTED, data=_session_data(session))
    return session


def _require_started(session: Session, now: datetime) -> None:
    if now < session.scheduled_at:
        raise Conflict("The session has not started yet.", code="session_not_started")


@transaction.atomic
def session_complete(*, session_id: int, acting_user: User) -> Session:
    """The mentor closes a session after its start: the price goes from the student to the
    mentor (`payment_received`), the student is asked for a review (`session_completed`),
    and the mentor's completed-session count goes up."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="complete")
    new_status = _next_status(session, "complete")
    now = timezone.now()
    _require_started(session, now)
    _settle(session, to_mentor=session.price_credits, reason=f"Session {session.pk} completed")
    session.status = new_status
    session.completed_at = now
    session.save()
    MentorProfile.objects.filter(user_id=session.mentor_id).update(
        total_sessions=F("total_sessions") + 1
    )
    notify(
        user=session.mentor,
        type=NotificationType.PAYMENT_RECEIVED,
        data=_session_data(session, amount=session.charged_credits),
    )
    notify(
        user=session.student,
        type=NotificationType.SESSION_COMPLETED,
        data=_session_data(session),
    )
    return session


@transaction.atomic
def session_mark_no_show(*, session_id: int, acting_user: User) -> Session:
    """The mentor reports that the student did not come. MENTORING_NO_SHOW_POLICY decides
    the money: "capture" pays the mentor the price, "release" gives it back."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="no_show")
    new_status = _next_status(session, "no_show")
    _require_started(session, timezone.now())
    policy = settings.MENTORING_NO_SHOW_POLICY
    if policy not in (NO_SHOW_CAPTURE, NO_SHOW_RELEASE):
        raise ValueError(f"MENTORING_NO_SHOW_POLICY must be capture or release, not {policy!r}")
    to_mentor = session.price_credits if policy == NO_SHOW_CAPTURE else 0
    _settle(session, to_mentor=to_mentor, reason=f"Session {session.pk}: no-show")
    session.status = new_status
    session.save()
    notify(user=session.student, type=NotificationType.SESSION_NO_SHOW, data=_session_data(session))
    if to_mentor:
        notify(
            user=session.mentor,
            type=NotificationType.PAYMENT_RECEIVED,
            data=_session_data(session, amount=to_mentor),
        )
    return session


@transaction.atomic
def sessions_cancel_for_closed_account(*, user: User) -> int:
    """The user's account is closed: their requested and confirmed sessions are cancelled,
    every hold released, and the other side told. Returns how many were cancelled."""
    sessions = Session.objects.filter(
        Q(student_id=user.pk) | Q(mentor_id=user.pk),
        status__in=[Status.REQUESTED, Status.CONFIRMED],
    ).order_by("pk")
    cancelled = 0
    for session_id in list(sessions.values_list("pk", flat=True)):
        session = session_lock(session_id)
        if session.status not in (Status.REQUESTED, Status.CONFIRMED):
            continue
        session.status = _next_status(session, "cancel")
        _settle(session, to_mentor=0, reason=f"Session {session.pk}: account closed")
        session.cancellation_reason = "The other participant's account was closed."
        session.cancelled_at = timezone.now()
        session.save()
        other = session.mentor if session.student_id == user.pk else session.student
        notify(
            user=other,
            type=NotificationType.SESSION_CANCELLED,
            data=_session_data(
                session, reason=session.cancellation_reason, actor_name=display_name(user)
            ),
        )
        cancelled += 1
    return cancelled


# --- periodic work -----------------------------------------------------------------------------


def session_requests_expire(*, now: datetime | None = None) -> int:
    """Cancel requested sessions whose start has passed unconfirmed, releasing their holds
    and telling the student. Safe to run twice: each is re-checked under its locks."""
    now = now or timezone.now()
    due = Session.objects.filter(status=Status.REQUESTED, scheduled_at__lte=now)
    return sum(_expire(session_id=pk, now=now) for pk in due.values_list("pk", flat=True))


@transaction.atomic
def _expire(*, session_id: int, now: datetime) -> int:
    session = session_lock(session_id)
    if session.status != Status.REQUESTED or session.scheduled_at > now:
        return 0
    session.status = _next_status(session, "expire")
    _settle(session, to_mentor=0, reason=f"Session {session.pk} expired unconfirmed")
    session.cancellation_reason = "Not confirmed before the start."
    session.cancelled_at = now
    session.save()
    notify(
        user=session.student,
        type=NotificationType.SESSION_CANCELLED,
        data=_session_data(session, expired=True),
    )
    return 1


def session_reminders_send(*, now: datetime | None = None) -> int:
    """Send the 24-hour and 1-hour reminders that are due, to both participants of each
    confirmed session; returns how many reminders (sessions) went out.

    Each reminder goes out once per scheduled time however many runs overlap: it is claimed
    with a conditional UPDATE (still unsent, still confirmed, still at the time it was
    found for) and sent only by the run whose UPDATE changed the row."""
    now = now or timezone.now()
    sent = 0
    for index, (field, lead, words) in enumerate(REMINDERS):
        later_lead = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else timedelta(0)
        due = Session.objects.filter(
            status=Status.CONFIRMED,
            scheduled_at__gt=now + later_lead,
            scheduled_at__lte=now + lead,
            **{f"{field}__isnull": True},
        ).values_list("pk", "scheduled_at")
        for session_id, scheduled_at in due:
            sent += _remind(
                session_id=session_id, scheduled_at=scheduled_at, field=field, words=words, now=now
            )
    return sent


@transaction.atomic
def _remind(
    *, session_id: int, scheduled_at: datetime, field: str, words: str, now: datetime
) -> int:
    claimed = Session.objects.filter(
        pk=session_id,
        status=Status.CONFIRMED,
        scheduled_at=scheduled_at,
        **{f"{field}__isnull": True},
    ).update(**{field: now})
    if not claimed:
        return 0
    session = Session.objects.select_related("student", "mentor").get(pk=session_id)
    for recipient, counterpart in (
        (session.student, session.mentor),
        (session.mentor, session.student),
    ):
        notify(
            user=recipient,
            type=NotificationType.SESSION_REMINDER,
            data=_session_data(
                session, time_until=words, counterpart_name=display_name(counterpart)
            ),
        )
    return 1
