"""Writes of the courses app: one function per use case, each one transaction.

Enrollment rules, seat counting and the course row lock live here and nowhere else."""

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from courses import signals
from courses.models import Course, CourseInvitation, Enrollment

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
COURSE_AUDIT_FIELDS = (
    "code",
    "title",
    "status",
    "enrollment_type",
    "max_students",
    "start_date",
    "end_date",
    "instructor_id",
    "lms_course_id",
)
UPDATABLE_FIELDS = frozenset(
    {
        "code",
        "title",
        "description",
        "status",
        "enrollment_type",
        "max_students",
        "start_date",
        "end_date",
        "instructor",
        "lms_course_id",
    }
)


def _snapshot(course: Course) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, date) else value)
        for name in COURSE_AUDIT_FIELDS
        for value in [getattr(course, name)]
    }


def _full_clean(course: Course) -> None:
    """Model rules (choices, lengths, dates) as a 400 with field errors. Uniqueness is
    checked separately: it answers 409."""
    errors: dict[str, list[str]] = {}
    try:
        course.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        errors.update({field: list(messages) for field, messages in exc.message_dict.items()})
    if course.start_date and course.end_date and course.end_date < course.start_date:
        errors.setdefault("end_date", []).append("The end date cannot be before the start date.")
    if course.max_students is not None and course.max_students < 1:
        errors.setdefault("max_students", []).append("Must be at least 1.")
    if errors:
        raise ValidationFailed("Invalid input: " + ", ".join(errors) + ".", errors=errors)


def _check_code(code: str, *, exclude_pk: int | None = None) -> None:
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(
            "Invalid input: code.",
            errors={"code": ["Letters, digits, '.', '_' and '-' only, at most 64 characters."]},
        )
    duplicates = Course.objects.filter(code__iexact=code)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise Conflict(f"A course with code {code!r} already exists.", code="duplicate_code")


def _check_instructor(*, instructor: User, acting_user: User) -> None:
    if instructor.pk != acting_user.pk and not acting_user.is_staff:
        raise PermissionDenied(
            "Only staff may make someone else the instructor.", code="instructor_not_allowed"
        )
    if instructor.role not in (User.Role.MENTOR, User.Role.ADMIN) or not instructor.is_active:
        raise ValidationFailed(
            "Invalid input: instructor_id.",
            errors={"instructor_id": ["The instructor must be an active mentor or admin."]},
        )


def _save_unique(course: Course, **save_kwargs: Any) -> None:
    """Save, turning a lost race on a unique constraint (code, playlist) into a 409."""
    try:
        with transaction.atomic():
            course.save(**save_kwargs)
    except IntegrityError as exc:
        raise Conflict(
            f"A course with code {course.code!r} or this playlist already exists.",
            code="duplicate_code",
        ) from exc


def _announce_context_change(course_id: int) -> None:
    transaction.on_commit(
        lambda: signals.course_context_changed.send(sender=Course, course_id=course_id)
    )


def course_lock(*, course_id: int) -> Course:
    """Lock the course row until the end of the transaction: the one place that serialises
    seat counting and video reordering for a course. Raises NotFound."""
    course = Course.objects.select_for_update().filter(pk=course_id).first()
    if course is None:
        raise NotFound("Course not found.")
    return course


@transaction.atomic
def course_create(
    *,
    acting_user: User,
    code: str,
    title: str,
    description: str = "",
    context: str = "",
    status: str = Course.Status.DRAFT,
    enrollment_type: str = Course.EnrollmentType.OPEN,
    max_students: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    instructor: User | None = None,
    source: str = Course.Source.MANUAL,
    playlist_id: str = "",
    lms_course_id: str = "",
) -> Course:
    """Create a course taught by `instructor` (the acting user unless staff name another).
    A duplicate code (in any case) is a 409 `duplicate_code`."""
    instructor = instructor or acting_user
    _check_instructor(instructor=instructor, acting_user=acting_user)
    _check_code(code)
    course = Course(
        code=code,
        title=title,
        description=description,
        context=context,
        context_updated_at=timezone.now() if context else None,
        instructor=instructor,
        status=status,
        enrollment_type=enrollment_type,
        max_students=max_students,
        start_date=start_date,
        end_date=end_date,
        source=source,
        playlist_id=playlist_id,
        lms_course_id=lms_course_id,
    )
    _full_clean(course)
    _save_unique(course)
    audit_record(actor=acting_user, action="course.create", target=course, after=_snapshot(course))
    if context:
        _announce_context_change(course.pk)
    return course


@transaction.atomic
def course_update(*, course: Course, acting_user: User, data: dict[str, Any]) -> Course:
    """Change the fields in `data` (see UPDATABLE_FIELDS). The context has its own service;
    the code stays unique; only staff hand a course to another instructor.

    `course` may be stale (read before a concurrent context update or playlist attach): the
    row is locked and re-read first, and only the fields in `data` are written, so changes
    made meanwhile to other fields are kept. `course` is refreshed in place."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            "Invalid input: " + ", ".join(sorted(unknown)) + ".",
            errors={name: ["This field cannot be changed here."] for name in sorted(unknown)},
        )
    course_lock(course_id=course.pk)
    course.refresh_from_db()
    before = _snapshot(course)
    if "code" in data and data["code"] != course.code:
        _check_code(data["code"], exclude_pk=course.pk)
    instructor = data.get("instructor")
    if instructor is not None and instructor.pk != course.instructor_id:
        if not acting_user.is_staff:
            raise PermissionDenied(
                "Only staff may make someone else the instructor.", code="instructor_not_allowed"
            )
        _check_instructor(instructor=instructor, acting_user=acting_user)
    for name, value in data.items():
        setattr(course, name, value)
    _full_clean(course)
    _save_unique(course, update_fields=[*sorted(data), "updated_at"])
    audit_record(
        actor=acting_user,
        action="course.update",
        target=course,
        before=before,
        after=_snapshot(course),
    )
    return course


@transaction.atomic
def course_delete(*, course: Course, acting_user: User) -> Course | None:
    """Delete a course nobody ever enrolled in (its videos go with it). A course with any
    enrollment is archived instead, so that its students' history stays; the archived
    course is returned. Archiving an archived course changes nothing."""
    course = course_lock(course_id=course.pk)
    before = _snapshot(course)
    if Enrollment.objects.filter(course=course).exists():
        if course.status == Course.Status.ARCHIVED:
            return course
        course.status = Course.Status.ARCHIVED
        course.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=acting_user,
            action="course.archive",
            target=course,
            before=before,
            after=_snapshot(course),
        )
        return course
    audit_record(actor=acting_user, action="course.delete", target=course, before=before)
    course.delete()
    return None


@transaction.atomic
def course_context_update(*, course: Course, acting_user: User, context: str) -> Course:
    """Upsert the instructor's free-text context. When the text really changed,
    `course_context_changed` is sent after commit."""
    if context == course.context:
        return course
    before = {"context": course.context}
    course.context = context
    course.context_updated_at = timezone.now()
    course.save(update_fields=["context", "context_updated_at", "updated_at"])
    audit_record(
        actor=acting_user,
        action="course.context_update",
        target=course,
        before=before,
        after={"context": context},
    )
    _announce_context_change(course.pk)
    return course


@transaction.atomic
def course_attach_playlist(*, course: Course, playlist_id: str) -> Course:
    """Mark a course as mirroring a YouTube playlist. A playlist feeds one course only."""
    if course.playlist_id == playlist_id and course.source == Course.Source.YOUTUBE_PLAYLIST:
        return course
    if course.playlist_id and course.playlist_id != playlist_id:
        raise Conflict(
            "The course already mirrors another playlist.", code="course_has_other_playlist"
        )
    if Course.objects.filter(playlist_id=playlist_id).exclude(pk=course.pk).exists():
        raise Conflict(
            "Another course already mirrors this playlist.", code="playlist_in_other_course"
        )
    course.source = Course.Source.YOUTUBE_PLAYLIST
    course.playlist_id = playlist_id
    course.save(update_fields=["source", "playlist_id", "updated_at"])
    return course


def _enrollment_refusal(*, course: Course, user: User, today: date) -> ValidationFailed | None:
    """The first rule that keeps `user` out of `course`, as the error to raise."""
    if course.status == Course.Status.ARCHIVED:
        return ValidationFailed("The course is archived.", code="course_archived")
    if course.status != Course.Status.PUBLISHED:
        return ValidationFailed("The course is not published yet.", code="course_not_published")
    if course.end_date is not None and course.end_date < today:
        return ValidationFailed("The course has ended.", code="course_ended")
    if course.enrollment_type == Course.EnrollmentType.CLOSED:
        return ValidationFailed("Enrollment in this course is closed.", code="enrollment_closed")
    if (
        course.enrollment_type == Course.EnrollmentType.INVITE_ONLY
        and not CourseInvitation.objects.filter(course=course, email=user.email.lower()).exists()
    ):
        return ValidationFailed("This course is by invitation only.", code="invitation_required")
    if course.max_students is not None:
        taken = Enrollment.objects.filter(
            course=course, status=Enrollment.Status.ACTIVE, role=Enrollment.Role.STUDENT
        ).count()
        if taken >= course.max_students:
            return ValidationFailed("The course is full.", code="course_full")
    return None


@transaction.atomic
def enrollment_create(*, user: User, course_id: int) -> Enrollment:
    """Register `user` as a student, or re-activate their dropped enrollment.

    The course row is locked first, so two registrations for the last seat are counted one
    after the other and exactly one gets it. Refusals are 400s with a code naming the rule
    (course_archived, course_not_published, course_ended, enrollment_closed,
    invitation_required, course_full); an active enrollment is 409 `already_enrolled`."""
    course = course_lock(course_id=course_id)
    enrollment = Enrollment.objects.filter(user=user, course=course).first()
    if enrollment is not None and enrollment.status == Enrollment.Status.ACTIVE:
        raise Conflict("You are already enrolled in this course.", code="already_enrolled")
    if enrollment is not None and enrollment.status == Enrollment.Status.COMPLETED:
        raise Conflict("You have already completed this course.", code="already_completed")
    refusal = _enrollment_refusal(course=course, user=user, today=timezone.localdate())
    if refusal is not None:
        raise refusal
    now = timezone.now()
    reactivated = enrollment is not None
    if enrollment is None:
        enrollment = Enrollment.objects.create(user=user, course=course, enrolled_at=now)
    else:
        enrollment.status = Enrollment.Status.ACTIVE
        enrollment.role = Enrollment.Role.STUDENT
        enrollment.enrolled_at = now
        enrollment.dropped_at = None
        enrollment.save(update_fields=["status", "role", "enrolled_at", "dropped_at", "updated_at"])
    if course.enrollment_type == Course.EnrollmentType.INVITE_ONLY:
        CourseInvitation.objects.filter(
            course=course, email=user.email.lower(), accepted_at__isnull=True
        ).update(accepted_at=now)
    signals.enrollment_created.send(
        sender=Enrollment,
        enrollment_id=enrollment.pk,
        user_id=user.pk,
        course_id=course.pk,
        reactivated=reactivated,
    )
    return enrollment


@transaction.atomic
def enrollment_drop(*, user: User, course_id: int) -> Enrollment:
    """Drop the user's active enrollment; the row stays (status dropped). 404
    `not_enrolled` when there is no active enrollment."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(user=user, course_id=course_id, status=Enrollment.Status.ACTIVE)
        .first()
    )
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.", code="not_enrolled")
    enrollment.status = Enrollment.Status.DROPPED
    enrollment.dropped_at = timezone.now()
    enrollment.save(update_fields=["status", "dropped_at", "updated_at"])
    return enrollment


@transaction.atomic
def enrollments_drop_for_closed_account(*, user: User) -> int:
    """The user's account was closed: their active enrollments are dropped (rows kept, so
    attendance and course statistics stay as they were), freeing their seats. Returns how
    many were dropped; a second call drops nothing."""
    enrollments = list(
        Enrollment.objects.select_for_update()
        .filter(user=user, status=Enrollment.Status.ACTIVE)
        .order_by("pk")
    )
    now = timezone.now()
    for enrollment in enrollments:
        enrollment.status = Enrollment.Status.DROPPED
        enrollment.dropped_at = now
        enrollment.save(update_fields=["status", "dropped_at", "updated_at"])
    return len(enrollments)


@transaction.atomic
def invitation_create(
    *, course: Course, acting_user: User, email: str
) -> tuple[CourseInvitation, bool]:
    """Invite an email address to the course; inviting it again returns the existing
    invitation (`created` False)."""
    invitation, created = CourseInvitation.objects.get_or_create(
        course=course, email=email.strip().lower(), defaults={"invited_by": acting_user}
    )
    if created:
        audit_record(
            actor=acting_user,
            action="course.invite",
            target=course,
            after={"email": invitation.email},
        )
    return invitation, created
