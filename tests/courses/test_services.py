from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from config.errors import Conflict, NotFound, ValidationFailed
from courses import selectors, services, signals
from courses.models import Course, Enrollment
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.courses.factories import CourseFactory, EnrollmentFactory, InvitationFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured_signals():
    """Every courses signal sent during the test, as (name, kwargs without the signal)."""
    sent = []

    def receiver(name):
        def receive(sender, signal, **kwargs):
            sent.append((name, kwargs))

        return receive

    context_receiver = receiver("course_context_changed")
    enrollment_receiver = receiver("enrollment_created")
    signals.course_context_changed.connect(context_receiver)
    signals.enrollment_created.connect(enrollment_receiver)
    yield sent
    signals.course_context_changed.disconnect(context_receiver)
    signals.enrollment_created.disconnect(enrollment_receiver)


# --- course_create / course_update ---------------------------------------------------------


def test_course_create_defaults_to_draft_taught_by_the_creator(mentor):
    course = services.course_create(acting_user=mentor, code="CS101", title="Intro")
    assert course.instructor == mentor
    assert course.status == Course.Status.DRAFT
    assert course.source == Course.Source.MANUAL
    assert AuditLog.objects.filter(action="course.create", target_id=str(course.pk)).exists()


def test_course_code_is_unique_whatever_the_case(mentor):
    CourseFactory(code="CS101")
    with pytest.raises(Conflict) as exc:
        services.course_create(acting_user=mentor, code="cs101", title="Again")
    assert exc.value.code == "duplicate_code"
    assert Course.objects.count() == 1


def test_course_create_rejects_end_before_start(mentor):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as exc:
        services.course_create(
            acting_user=mentor,
            code="X1",
            title="X",
            start_date=today,
            end_date=today - timedelta(days=1),
        )
    assert set(exc.value.errors) == {"end_date"}
    assert not Course.objects.exists()


def test_course_create_with_context_announces_it_after_commit(
    mentor, captured_signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        course = services.course_create(
            acting_user=mentor, code="CTX1", title="T", context="For data people."
        )
    assert captured_signals == [("course_context_changed", {"course_id": course.pk})]


def test_course_update_refuses_fields_it_does_not_own(mentor):
    course = CourseFactory(instructor=mentor)
    with pytest.raises(ValidationFailed) as exc:
        services.course_update(course=course, acting_user=mentor, data={"context": "x"})
    assert set(exc.value.errors) == {"context"}


def test_course_update_from_a_stale_instance_keeps_changes_made_meanwhile(mentor):
    stale = CourseFactory(instructor=mentor, title="Old", context="")
    meanwhile = Course.objects.get(pk=stale.pk)
    services.course_context_update(course=meanwhile, acting_user=mentor, context="Written later")
    services.course_attach_playlist(course=meanwhile, playlist_id="PLwrittenlater000000")

    updated = services.course_update(course=stale, acting_user=mentor, data={"title": "New"})

    stored = Course.objects.get(pk=stale.pk)
    assert (stored.title, stored.context, stored.playlist_id, stored.source) == (
        "New",
        "Written later",
        "PLwrittenlater000000",
        Course.Source.YOUTUBE_PLAYLIST,
    )
    assert (updated.title, updated.context) == ("New", "Written later")
    audit = AuditLog.objects.get(action="course.update")
    assert (audit.before["title"], audit.after["title"]) == ("Old", "New")


# --- context ------------------------------------------------------------------------------


def test_context_update_sends_the_signal_after_commit_only(
    mentor, captured_signals, django_capture_on_commit_callbacks
):
    course = CourseFactory(instructor=mentor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.course_context_update(course=course, acting_user=mentor, context="New words")
    assert captured_signals == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert captured_signals == [("course_context_changed", {"course_id": course.pk})]
    course.refresh_from_db()
    assert course.context == "New words"
    assert course.context_updated_at is not None


def test_context_update_with_the_same_text_changes_nothing(
    mentor, captured_signals, django_capture_on_commit_callbacks
):
    course = CourseFactory(instructor=mentor, context="Same")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.course_context_update(course=course, acting_user=mentor, context="Same")
    assert callbacks == []
    assert captured_signals == []
    assert not AuditLog.objects.filter(action="course.context_update").exists()


# --- course_delete ------------------------------------------------------------------------


def test_delete_removes_a_course_without_enrollments_and_its_videos(mentor):
    course = CourseFactory(instructor=mentor)
    VideoFactory(course=course)
    assert services.course_delete(course=course, acting_user=mentor) is None
    assert not Course.objects.filter(pk=course.pk).exists()
    assert AuditLog.objects.filter(action="course.delete", target_id=str(course.pk)).exists()


@pytest.mark.parametrize("status", list(Enrollment.Status))
def test_delete_archives_a_course_with_any_enrollment(mentor, status):
    course = CourseFactory(instructor=mentor)
    EnrollmentFactory(course=course, status=status)
    archived = services.course_delete(course=course, acting_user=mentor)
    assert archived is not None
    course.refresh_from_db()
    assert course.status == Course.Status.ARCHIVED
    assert Enrollment.objects.filter(course=course).count() == 1


# --- enrollment rules ---------------------------------------------------------------------


def test_enroll_in_open_course_creates_active_student_enrollment(student, captured_signals):
    course = CourseFactory()
    enrollment = services.enrollment_create(user=student, course_id=course.pk)
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.role == Enrollment.Role.STUDENT
    assert captured_signals == [
        (
            "enrollment_created",
            {
                "enrollment_id": enrollment.pk,
                "user_id": student.pk,
                "course_id": course.pk,
                "reactivated": False,
            },
        )
    ]


@pytest.mark.parametrize(
    ("course_kwargs", "code"),
    [
        ({"status": Course.Status.ARCHIVED}, "course_archived"),
        ({"status": Course.Status.DRAFT}, "course_not_published"),
        ({"end_date": timezone.localdate() - timedelta(days=1)}, "course_ended"),
        ({"enrollment_type": Course.EnrollmentType.CLOSED}, "enrollment_closed"),
        ({"enrollment_type": Course.EnrollmentType.INVITE_ONLY}, "invitation_required"),
        ({"max_students": 1}, "course_full"),
    ],
)
def test_enrollment_refusals_name_the_rule(student, captured_signals, course_kwargs, code):
    course = CourseFactory(**course_kwargs)
    if course.max_students:
        EnrollmentFactory(course=course)
    before = Enrollment.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_create(user=student, course_id=course.pk)
    assert exc.value.code == code
    assert Enrollment.objects.count() == before
    assert captured_signals == []


def test_invite_only_admits_an_invited_email_whatever_its_case_and_marks_it_used(student):
    course = CourseFactory(enrollment_type=Course.EnrollmentType.INVITE_ONLY)
    invitation = InvitationFactory(course=course, email=student.email.lower())
    student.email = student.email.upper()
    enrollment = services.enrollment_create(user=student, course_id=course.pk)
    assert enrollment.status == Enrollment.Status.ACTIVE
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_seats_count_active_students_only():
    course = CourseFactory(max_students=2)
    EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    EnrollmentFactory(course=course, role=Enrollment.Role.TA)
    EnrollmentFactory(course=course)
    services.enrollment_create(user=StudentFactory(), course_id=course.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_create(user=StudentFactory(), course_id=course.pk)
    assert exc.value.code == "course_full"


def test_enroll_twice_is_already_enrolled(student):
    course = CourseFactory()
    services.enrollment_create(user=student, course_id=course.pk)
    with pytest.raises(Conflict) as exc:
        services.enrollment_create(user=student, course_id=course.pk)
    assert exc.value.code == "already_enrolled"
    assert Enrollment.objects.count() == 1


def test_completed_enrollment_is_not_reopened(student):
    enrollment = EnrollmentFactory(user=student, status=Enrollment.Status.COMPLETED)
    with pytest.raises(Conflict) as exc:
        services.enrollment_create(user=student, course_id=enrollment.course_id)
    assert exc.value.code == "already_completed"
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED


def test_dropped_enrollment_is_reactivated_in_place(student, captured_signals):
    old = timezone.now() - timedelta(days=30)
    enrollment = EnrollmentFactory(
        user=student, status=Enrollment.Status.DROPPED, enrolled_at=old, dropped_at=old
    )
    again = services.enrollment_create(user=student, course_id=enrollment.course_id)
    assert again.pk == enrollment.pk
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.dropped_at is None
    assert enrollment.enrolled_at > old
    assert captured_signals[0][1]["reactivated"] is True


def test_dropped_student_still_meets_the_rules(student):
    enrollment = EnrollmentFactory(
        user=student,
        status=Enrollment.Status.DROPPED,
        course=CourseFactory(status=Course.Status.ARCHIVED),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_create(user=student, course_id=enrollment.course_id)
    assert exc.value.code == "course_archived"
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.DROPPED


def test_drop_keeps_the_row_and_dropping_again_is_not_enrolled(student):
    enrollment = EnrollmentFactory(user=student)
    services.enrollment_drop(user=student, course_id=enrollment.course_id)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.DROPPED
    assert enrollment.dropped_at is not None
    with pytest.raises(NotFound) as exc:
        services.enrollment_drop(user=student, course_id=enrollment.course_id)
    assert exc.value.code == "not_enrolled"


def test_invitation_create_is_idempotent_and_lowercases(mentor):
    course = CourseFactory(instructor=mentor)
    first, created = services.invitation_create(
        course=course, acting_user=mentor, email=" Ann@Example.COM "
    )
    again, created_again = services.invitation_create(
        course=course, acting_user=mentor, email="ann@example.com"
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert first.email == "ann@example.com"


# --- selectors for other apps -------------------------------------------------------------


def test_enrollment_is_active_is_one_query(django_assert_num_queries, student):
    enrollment = EnrollmentFactory(user=student)
    dropped = EnrollmentFactory(user=student, status=Enrollment.Status.DROPPED)
    with django_assert_num_queries(1):  # SELECT 1 ... WHERE user, course, status LIMIT 1
        assert selectors.enrollment_is_active(user_id=student.pk, course_id=enrollment.course_id)
    assert not selectors.enrollment_is_active(user_id=student.pk, course_id=dropped.course_id)


def test_enrollment_counts_active_for_many_users_in_one_query(django_assert_num_queries):
    busy, idle = StudentFactory(), StudentFactory()
    EnrollmentFactory.create_batch(2, user=busy)
    EnrollmentFactory(user=busy, status=Enrollment.Status.DROPPED)
    with django_assert_num_queries(1):  # SELECT user_id, COUNT(id) ... GROUP BY user_id
        counts = selectors.enrollment_counts_active(user_ids=[busy.pk, idle.pk])
    assert counts == {busy.pk: 2, idle.pk: 0}
    assert selectors.enrollment_count_active(user_id=busy.pk) == 2


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("student", {"published", "enrolled_archived"}),
        ("instructor", {"published", "own_draft", "enrolled_archived"}),
        ("staff", {"published", "own_draft", "other_draft", "enrolled_archived"}),
    ],
)
def test_course_visibility(viewer, visible):
    instructor, student = MentorFactory(), StudentFactory()
    courses = {
        "published": CourseFactory(),
        "own_draft": CourseFactory(status=Course.Status.DRAFT, instructor=instructor),
        "other_draft": CourseFactory(status=Course.Status.DRAFT),
        "enrolled_archived": CourseFactory(status=Course.Status.ARCHIVED, instructor=instructor),
    }
    EnrollmentFactory(
        user=student, course=courses["enrolled_archived"], status=Enrollment.Status.DROPPED
    )
    user = {"student": student, "instructor": instructor, "staff": AdminFactory()}[viewer]
    seen = set(selectors.course_visible_queryset(user=user).values_list("pk", flat=True))
    assert seen == {courses[name].pk for name in visible}
