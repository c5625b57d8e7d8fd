import factory
from django.utils import timezone

from courses.models import Course, CourseInvitation, Enrollment, Question, Quiz, StudentAnswer
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


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    source = Quiz.Source.UPLOAD
    lms_id = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    lms_id = factory.Sequence(lambda n: f"question-{n}")
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Question {n}: what is the derivative of x^{n}?")
    question_type = Question.Type.MULTIPLE_CHOICE
    points_possible = 1.0


class StudentAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentAnswer

    student = factory.SubFactory(StudentFactory)
    question = factory.SubFactory(QuestionFactory)
    is_correct = False
    score = 0.0
    answered_at = factory.LazyFunction(timezone.now)
