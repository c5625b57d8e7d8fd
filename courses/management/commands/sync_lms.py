from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import DomainError
from courses import selectors
from courses.lms import sync
from courses.lms.client import CanvasTransientError
from courses.models import LMSSync

BAR_WIDTH = 30


class ProgressBar:
    """`MATH101  quizzes [#########.............]  3/10` redrawn in place."""

    def __init__(self, stream: Any, label: str):
        self.stream = stream
        self.label = label
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label:<12} {stage:<8} [{bar}] {done:>4}/{total}", ending="")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Sync quiz results from the LMS now (not in the background), showing progress: "
        "every linked course, or the one given with --course."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", help="Code of the one course to sync.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["course"]:
            course = selectors.course_get_by_code(code=options["course"])
            if course is None:
                raise CommandError(f"No course with code {options['course']!r}.")
            courses = [course]
        else:
            courses = sync.lms_courses_to_sync()
        if not courses:
            self.stdout.write("No course is linked to an LMS course.")
            return
        failed = 0
        for course in courses:
            failed += not self._sync(course)
        if failed:
            raise CommandError(f"{failed} of {len(courses)} sync(s) failed.")

    def _sync(self, course: Any) -> bool:
        try:
            record = sync.lms_sync_create(course=course)
        except DomainError as exc:
            self.stderr.write(f"{course.code}: {exc.message}")
            return False
        bar = ProgressBar(self.stdout, course.code)
        try:
            record = sync.lms_sync_run(sync_id=record.pk, progress=bar)
        except CanvasTransientError as exc:
            bar.close()
            sync.lms_sync_fail(sync_id=record.pk, error=str(exc))
            self.stderr.write(f"{course.code}: {exc} Try again later.")
            return False
        bar.close()
        if record.status != LMSSync.Status.SUCCEEDED:
            self.stderr.write(f"{course.code}: sync failed: {record.error}")
            return False
        self.stdout.write(
            self.style.SUCCESS(
                f"{course.code}: {record.quizzes} quiz(zes), {record.questions} question(s), "
                f"{record.answers} answer(s); {record.unmatched_students} student(s) not matched."
            )
        )
        return True
