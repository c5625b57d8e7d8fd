"""A small, complete "world" for permission tests: one user per principal and one object of
every kind, each owned by a known principal, so that a URL can name an object that one
caller owns and another does not.

Principals (the columns of the permission matrix):

- `anonymous`: no credentials.
- `student`: enrolled in the course; owns the projects, the job, the upload, the
  notification; the student of the sessions; the sender of the message.
- `other_student`: a student who is enrolled in nothing and owns nothing.
- `mentor`: the course's instructor; owns the mentor profile, availability window, blocked
  period, playlist import and LMS token; the mentor of the sessions; the message's
  recipient.
- `other_mentor`: a mentor (with a profile) who teaches nothing and owns nothing.
- `admin`: staff, owns nothing.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Credential, Notification, User
from accounts.services import credential_store
from attendance.models import DailyAttendance
from courses.models import Course, Enrollment, Question
from credits import services as credits
from jobs.models import Job, Project, YouTubeUpload
from mentoring.models import (
    AvailabilityWindow,
    BlockedPeriod,
    MentorProfile,
    Message,
    Review,
    Session,
)
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    StudentAnswerFactory,
)
from tests.jobs.factories import JobFactory, ProjectFactory, UploadFactory
from tests.mentoring.factories import (
    BlockedPeriodFactory,
    MentorProfileFactory,
    MessageFactory,
    SessionFactory,
    always_available,
)
from tests.videos.factories import PlaylistImportFactory, QuestionVideoFactory, VideoFactory
from videos.models import PlaylistImport, Video

PRINCIPALS = ("anonymous", "student", "other_student", "mentor", "other_mentor", "admin")
WEBHOOK_SECRET = "world-webhook-secret"


@dataclass
class World:
    student: User
    other_student: User
    mentor: User
    other_mentor: User
    admin: User
    course: Course
    enrollment: Enrollment
    video: Video
    question: Question
    playlist_import: PlaylistImport
    project: Project
    pending_project: Project
    deleted_project: Project
    job: Job
    upload: YouTubeUpload
    mentor_profile: MentorProfile
    availability_window: AvailabilityWindow
    blocked_period: BlockedPeriod
    session: Session
    completed_session: Session
    reviewed_session: Session
    review: Review
    message: Message
    notification: Notification
    attendance: DailyAttendance
    lms_credential: Credential
    clients: dict[str, APIClient] = field(default_factory=dict)

    def user(self, principal: str) -> User | None:
        return None if principal == "anonymous" else getattr(self, principal)

    def client(self, principal: str) -> APIClient:
        """The principal's client, made once (each token is an outstanding-token row, so
        clients are made before a test takes its snapshot)."""
        if principal not in self.clients:
            user = self.user(principal)
            self.clients[principal] = APIClient() if user is None else client_for(user)
        return self.clients[principal]


def _fund(user: User, amount: int) -> None:
    credits.add_credits(user=user, amount=amount, idempotency_key=f"world:{uuid.uuid4().hex}")


def build_world() -> World:
    """Every object the matrix's URLs name. Balances go through the ledger, so the
    world is a consistent one (`check_ledger` would pass)."""
    student = StudentFactory()
    other_student = StudentFactory()
    mentor = MentorFactory()
    other_mentor = MentorFactory()
    admin = AdminFactory()
    for user in (student, other_student, mentor, other_mentor, admin):
        credits.account_create(user=user)
    _fund(student, 50)

    mentor_profile = always_available(MentorProfileFactory(user=mentor))
    MentorProfileFactory(user=other_mentor)

    course = CourseFactory(instructor=mentor)
    enrollment = EnrollmentFactory(user=student, course=course)
    video = VideoFactory(course=course)
    question = QuestionFactory(quiz__course=course)
    StudentAnswerFactory(student=student, question=question)
    QuestionVideoFactory(question=question)
    playlist_import = PlaylistImportFactory(requested_by=mentor, course=course)
    lms_credential = credential_store(
        user=mentor,
        provider=Credential.Provider.CANVAS,
        access_token="canvas-secret-token-1234",
        extra={"link": "https://93.184.216.34", "course_ids": ["101"]},
    )

    project = ProjectFactory(owner=student)
    pending_project = ProjectFactory(
        owner=student, status=Project.Status.PENDING_REVIEW, submitted_at=timezone.now()
    )
    deleted_project = ProjectFactory(owner=student, deleted_at=timezone.now())
    job = JobFactory(project=project)
    upload = UploadFactory(project=project)

    session = SessionFactory(student=student, mentor=mentor)
    past = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    completed_session = SessionFactory(
        student=student, mentor=mentor, scheduled_at=past, status=Session.Status.COMPLETED
    )
    reviewed_session = SessionFactory(
        student=student,
        mentor=mentor,
        scheduled_at=past - timedelta(days=1),
        status=Session.Status.COMPLETED,
    )
    review = Review.objects.create(
        session=reviewed_session, student=student, mentor=mentor, rating=5, comment="Clear."
    )
    availability_window = mentor_profile.availability_windows.first()
    assert availability_window is not None
    blocked_period = BlockedPeriodFactory(mentor=mentor_profile)

    message = MessageFactory(sender=student, recipient=mentor)
    notification = Notification.objects.create(
        user=student, type=Notification.Type.NEW_MESSAGE, title="New message", body="Hello."
    )
    attendance = DailyAttendance.objects.create(
        user=student, date=timezone.localdate(), total_seconds=120
    )
    return World(
        student=student,
        other_student=other_student,
        mentor=mentor,
        other_mentor=other_mentor,
        admin=admin,
        course=course,
        enrollment=enrollment,
        video=video,
        question=question,
        playlist_import=playlist_import,
        project=project,
        pending_project=pending_project,
        deleted_project=deleted_project,
        job=job,
        upload=upload,
        mentor_profile=mentor_profile,
        availability_window=availability_window,
        blocked_period=blocked_period,
        session=session,
        completed_session=completed_session,
        reviewed_session=reviewed_session,
        review=review,
        message=message,
        notification=notification,
        attendance=attendance,
        lms_credential=lms_credential,
    )


def database_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the project's models map, by model label: compared before
    and after a refused call to show that it changed nothing."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        state[meta.label] = list(model._base_manager.order_by("pk").values_list())
    return state
