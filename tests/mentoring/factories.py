import uuid
from datetime import time, timedelta

import factory
from django.utils import timezone

from credits import services as credits
from mentoring.models import (
    AvailabilityWindow,
    BlockedPeriod,
    MentorProfile,
    Message,
    Review,
    Session,
)
from mentoring.services import session_price
from tests.accounts.factories import MentorFactory, StudentFactory


def fund(user, amount: int) -> None:
    """Give `user` `amount` purchased credits, through the ledger."""
    credits.add_credits(user=user, amount=amount, idempotency_key=f"test:{uuid.uuid4().hex}")


class MentorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorProfile

    user = factory.SubFactory(MentorFactory)
    headline = factory.Sequence(lambda n: f"Mentor {n}")
    hourly_rate_credits = 10
    time_zone = "UTC"


class AvailabilityWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityWindow

    mentor = factory.SubFactory(MentorProfileFactory)
    weekday = 0
    start_time = time(9)
    end_time = time(17)


def always_available(profile: MentorProfile) -> MentorProfile:
    """Every day, all day (an end of 00:00 is midnight: the days join)."""
    for weekday in range(7):
        AvailabilityWindowFactory(
            mentor=profile, weekday=weekday, start_time=time(0), end_time=time(0)
        )
    return profile


class BlockedPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedPeriod

    mentor = factory.SubFactory(MentorProfileFactory)
    start_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    end_at = factory.LazyAttribute(lambda o: o.start_at + timedelta(hours=2))


class SessionFactory(factory.django.DjangoModelFactory):
    """A session written directly (no booking rules, so it may lie in the past) with the
    price held on the student's credits through the ledger, like a booking. The student is
    funded with the price first unless `funded=False`."""

    class Meta:
        model = Session

    student = factory.SubFactory(StudentFactory)
    mentor = factory.LazyFunction(lambda: MentorProfileFactory().user)
    topic = factory.Sequence(lambda n: f"Topic {n}")
    scheduled_at = factory.LazyFunction(
        lambda: timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    )
    duration_minutes = 60
    status = Session.Status.REQUESTED

    @classmethod
    def _create(cls, model_class, *args, funded=True, **kwargs):
        mentor = kwargs["mentor"]
        profile = MentorProfile.objects.filter(user=mentor).first() or MentorProfileFactory(
            user=mentor
        )
        kwargs.setdefault(
            "ends_at", kwargs["scheduled_at"] + timedelta(minutes=kwargs["duration_minutes"])
        )
        kwargs.setdefault(
            "price_credits",
            session_price(
                hourly_rate_credits=profile.hourly_rate_credits,
                duration_minutes=kwargs["duration_minutes"],
            ),
        )
        if kwargs["status"] == Session.Status.CONFIRMED:
            kwargs.setdefault("meeting_link", "https://meet.example.com/abc")
            kwargs.setdefault("confirmed_at", timezone.now())
        session = model_class.objects.create(**kwargs)
        if funded:
            fund(session.student, session.price_credits)
        hold = credits.hold(
            user=session.student,
            amount=session.price_credits,
            reference=f"mentoring-session:{session.pk}",
            idempotency_key=f"mentoring-session:{session.pk}:hold",
        )
        session.hold_id = hold.pk
        session.save(update_fields=["hold_id"])
        return session


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    sender = factory.SubFactory(StudentFactory)
    recipient = factory.SubFactory(MentorFactory)
    body = factory.Sequence(lambda n: f"Message {n}")


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review written directly (no rules, no rating update) of a completed session."""

    class Meta:
        model = Review

    session = factory.SubFactory(SessionFactory, status=Session.Status.COMPLETED)
    student = factory.SelfAttribute("session.student")
    mentor = factory.SelfAttribute("session.mentor")
    rating = 5
