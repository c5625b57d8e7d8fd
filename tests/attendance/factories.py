import factory

from attendance.models import DailyAttendance
from tests.accounts.factories import StudentFactory


class DailyAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyAttendance

    user = factory.SubFactory(StudentFactory)
    total_seconds = 0
    status = DailyAttendance.Status.IN_PROGRESS
