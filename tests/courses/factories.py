import factory

from courses.models import Course, CourseInvitation, Enrollment
from tests.accounts.factories import MentorFactory, StudentFactory


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C{n:04d}")
    title = factory.Sequence(lambda n: f"Course {n}")
    description = "A course."
    instructor = factory.SubFactory(MentorFactory)
    status = Course.Status.PUBLISHED
    enrollment_type = Course.EnrollmentType.OPEN


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    status = Enrollment.Status.ACTIVE


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseInvitation

    course = factory.SubFactory(CourseFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
