from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from config.errors import DomainError
from courses import selectors as course_selectors
from videos import services
from videos.models import PlaylistImport
from videos.youtube import YouTubeTransientError, parse_playlist_id

STAGES = {
    "listing": "Reading playlist",
    "details": "Fetching durations",
    "storing": "Storing videos",
}
BAR_WIDTH = 30


class ProgressBar:
    """`Reading playlist   [#########.............]  90/200` redrawn in place."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage and self.stage:
            self.stream.write("")
        self.stage = stage
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        label = STAGES.get(stage, stage)
        self.stream.write(f"\r{label:<20} [{bar}] {done:>4}/{total}", ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.stage:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Import a YouTube playlist now (not in the background), showing progress. Without "
        "--course, a draft course is made from the playlist, or the course already "
        "mirroring it is updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="Playlist URL (...?list=ID) or bare playlist id.")
        parser.add_argument("--course", help="Code of the course to fill.")
        parser.add_argument(
            "--instructor",
            help="Email of the instructor of a new course (default: the course's instructor, "
            "else the first admin).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        playlist_id = parse_playlist_id(options["url"])
        if playlist_id is None:
            raise CommandError(f"Not a YouTube playlist URL or id: {options['url']}")
        course = None
        if options["course"]:
            course = course_selectors.course_get_by_code(code=options["course"])
            if course is None:
                raise CommandError(f"No course with code {options['course']!r}.")
        requested_by = self._requester(options["instructor"], course, playlist_id)
        try:
            record = services.playlist_import_create(
                requested_by=requested_by,
                playlist_url=playlist_id,
                course_id=course.pk if course is not None else None,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        bar = ProgressBar(self.stdout)
        try:
            record = services.playlist_import_run(import_id=record.pk, progress=bar)
        except YouTubeTransientError as exc:
            bar.close()
            services.playlist_import_fail(import_id=record.pk, error=str(exc))
            raise CommandError(f"{exc} Try again later.") from exc
        bar.close()
        if record.status != PlaylistImport.Status.SUCCEEDED:
            raise CommandError(f"Import failed: {record.error}")
        imported = course_selectors.course_get(course_id=record.course_id or 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {record.imported} video(s) into {imported.code if imported else '?'} "
                f"(import {record.pk})."
            )
        )

    def _requester(self, email: str | None, course: Any, playlist_id: str) -> User:
        if email:
            user = User.objects.filter(email__iexact=email, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user with email {email!r}.")
            return user
        course = course or course_selectors.course_get_by_playlist(playlist_id=playlist_id)
        if course is not None:
            return course.instructor  # type: ignore[no-any-return]
        admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
        if admin is None:
            raise CommandError("No admin user to own the new course; pass --instructor EMAIL.")
        return admin
