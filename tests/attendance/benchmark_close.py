"""Benchmark of closing a day of attendance (not a test; not collected).

Creates a throwaway test database with N students enrolled across ten courses; a share of
them (default 40%) watched that day, half of those reaching the threshold; the rest never
came. Then times
`attendance_day_close` for that day and a second close (a no-op). Run it against
PostgreSQL:

    DATABASE_URL=postgres://USER@HOST:5432/NAME \\
        python -m tests.attendance.benchmark_close --students 50000
"""

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument(
        "--watched", type=float, default=0.4, help="Share of the students with a row."
    )
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()

    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(arguments.students, arguments.watched)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count: int, watched: float) -> None:
    from datetime import date, datetime, timedelta

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from attendance import services
    from attendance.models import DailyAttendance
    from courses.models import Course, Enrollment

    day = timezone.localdate() - timedelta(days=1)
    enrolled_at = timezone.make_aware(datetime.combine(date(2026, 1, 1), datetime.min.time()))
    started = time.perf_counter()
    mentor = User.objects.create(username="mentor", email="mentor@example.com", role="mentor")
    courses = Course.objects.bulk_create(
        [
            Course(code=f"BENCH{i}", title=f"Course {i}", instructor=mentor, status="published")
            for i in range(10)
        ]
    )
    User.objects.bulk_create(
        [
            User(username=f"bench{i}", email=f"bench{i}@example.com", password="!")
            for i in range(count)
        ],
        batch_size=5000,
    )
    user_ids = list(User.objects.filter(username__startswith="bench").values_list("id", flat=True))
    Enrollment.objects.bulk_create(
        [
            Enrollment(user_id=user_id, course=courses[i % 10], enrolled_at=enrolled_at)
            for i, user_id in enumerate(user_ids)
        ],
        batch_size=5000,
    )
    DailyAttendance.objects.bulk_create(
        [
            DailyAttendance(
                user_id=user_id,
                date=day,
                total_seconds=900 if i % 2 else 120,
                status="present" if i % 2 else "in_progress",
            )
            for i, user_id in enumerate(user_ids[: int(count * watched)])
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"setup: {count} students in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    result = services.attendance_day_close(day=day)
    elapsed = time.perf_counter() - started
    print(f"close: {result.as_dict()} in {elapsed:.2f}s")

    started = time.perf_counter()
    again = services.attendance_day_close(day=day)
    print(f"close again: {again.as_dict()} in {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
