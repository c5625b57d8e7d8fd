"""A user with data in every app, for the personal data export and account deletion
tests. Every text the helper writes carries `marker`, so a test can tell one user's data
from another's in an export."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from accounts.models import Notification
from accounts.services import credential_store, notification_preferences_update, notify
from credits import services as credits_services
from tests.accounts.factories import AdminFactory
from tests.attendance.factories import (
    DailyAttendanceFactory,
    VideoProgressFactory,
    WatchEventFactory,
)
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    InvitationFactory,
    QuestionFactory,
    QuizFactory,
    StudentAnswerFactory,
)
from tests.jobs.factories import JobFactory, ProjectFactory, UploadFactory
from tests.mentoring.factories import (
    AvailabilityWindowFactory,
    BlockedPeriodFactory,
    MentorProfileFactory,
    MessageFactory,
    ReviewFactory,
    SessionFactory,
)
from tests.videos.factories import PlaylistImportFactory, VideoFactory


@dataclass
class Secrets:
    """The raw secret values stored for a user: none may ever appear in an export."""

    values: list[str] = field(default_factory=list)


def populate(user, *, rows: int, marker: str) -> Secrets:
    """Give a mentor `user` `rows` rows of every kind in every app (lists grow with
    `rows`; one-per-user things once) and return the secrets stored for them."""
    secrets = Secrets()
    canvas_token = f"canvas-{marker}-secret-0123456789"
    youtube_access = f"ya29.{marker}-access-secret-abcdef"
    youtube_refresh = f"1//{marker}-refresh-secret-ghijkl"
    secrets.values += [canvas_token, youtube_access, youtube_refresh]
    credential_store(user=user, provider="canvas", access_token=canvas_token)
    credential_store(
        user=user,
        provider="youtube",
        access_token=youtube_access,
        refresh_token=youtube_refresh,
        scopes=["https://www.googleapis.com/auth/youtube.upload"],
        extra={"channel_id": f"UC-{marker}", "channel_title": f"{marker} channel"},
    )
    SocialAccount.objects.create(user=user, provider="google", uid=f"google-{marker}")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    notification_preferences_update(
        user=user, changes=[{"type": Notification.Type.NEW_MESSAGE, "email": False}]
    )
    staff = AdminFactory()
    profile = MentorProfileFactory(user=user, headline=f"{marker} headline", bio=f"{marker} bio")
    profile.expertise.create(name=f"{marker}-expertise")
    CourseFactory(instructor=user, title=f"{marker} taught course")
    for i in range(rows):
        notify(user=user, type=Notification.Type.WELCOME)
        credits_services.add_credits(
            user=user,
            amount=5 + i,
            kind="grant",
            reason=f"{marker} grant {i}",
            idempotency_key=f"test:{uuid.uuid4().hex}",
            acting_user=staff,
        )
        course = CourseFactory(title=f"{marker} course {i}")
        EnrollmentFactory(user=user, course=course)
        InvitationFactory(course=course, email=user.email)
        StudentAnswerFactory(
            student=user,
            question=QuestionFactory(
                quiz=QuizFactory(course=course, title=f"{marker} quiz {i}"),
                text=f"{marker} question {i}",
            ),
        )
        video = VideoFactory(course=course, title=f"{marker} video {i}")
        PlaylistImportFactory(requested_by=user, error=f"{marker} import {i}")
        day = date(2026, 1, 1) + timedelta(days=i)
        DailyAttendanceFactory(user=user, date=day, total_seconds=600 + i)
        VideoProgressFactory(user=user, video=video, date=day)
        WatchEventFactory(user=user, video=video, event_id=f"{marker}-event-{i}", date=day)
        project = ProjectFactory(owner=user, title=f"{marker} film {i}")
        JobFactory(project=project, error=f"{marker} job {i}")
        UploadFactory(project=project, title=f"{marker} upload {i}")
        AvailabilityWindowFactory(mentor=profile, weekday=i % 7)
        BlockedPeriodFactory(mentor=profile, reason=f"{marker} away {i}")
        SessionFactory(student=user, topic=f"{marker} learning {i}")
        SessionFactory(mentor=user, topic=f"{marker} teaching {i}")
        MessageFactory(sender=user, body=f"{marker} says {i}")
        MessageFactory(recipient=user, body=f"{marker} hears {i}")
        ReviewFactory(session__student=user, comment=f"{marker} wrote review {i}")
        ReviewFactory(session__mentor=user, comment=f"{marker} got review {i}")
    return secrets
