"""The benchmark's data set, loaded with COPY into an empty, migrated PostgreSQL database.

    200 courses (published, one instructor each), 100 videos each (20,000);
    10,000 students, each actively enrolled in 4 courses (40,000 enrollments);
    a month of progress: on each of the last 30 days half of the students watched one to
    three videos of their courses (a VideoProgress row, a play and a pause WatchEvent, the
    VideoWatch totals and a closed DailyAttendance row per day);
    2 quizzes of 10 questions per course, each question with a topic and 3 recommended course
    videos; every student answered one quiz in each of two courses (about a third wrong);
    a credit account with a balanced ledger for every user.

Every user's password is `PASSWORD` (one hash, computed once). Rows get explicit ids and the
sequences are moved past them afterwards. Run as a module inside the bench environment:

    DATABASE_URL=postgres://…/lectern_bench_seed python -m tests.benchmarks.dataset

`fingerprint()` names the data set: the generator's version and sizes, the migrations, and
the pinned requirements. The runner reloads only when it changes."""

import hashlib
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATASET_VERSION = 1
PASSWORD = "bench-password-2026"
APPS = ("accounts", "credits", "courses", "videos", "attendance", "jobs", "mentoring")


@dataclass(frozen=True)
class Sizes:
    courses: int = 200
    videos_per_course: int = 100
    students: int = 10_000
    enrollments_per_student: int = 4
    days: int = 30
    active_share: float = 0.5
    quizzes_per_course: int = 2
    questions_per_quiz: int = 10
    answered_courses_per_student: int = 2


def fingerprint(sizes: Sizes) -> str:
    """Changes whenever the data set would: generator, sizes, schema, pinned packages."""
    digest = hashlib.sha256()
    digest.update(f"v{DATASET_VERSION}:{json.dumps(asdict(sizes), sort_keys=True)}".encode())
    digest.update(Path(__file__).read_bytes())
    for app in APPS:
        for migration in sorted((ROOT / app / "migrations").glob("*.py")):
            digest.update(migration.name.encode())
            digest.update(migration.read_bytes())
    digest.update((ROOT / "requirements" / "base.txt").read_bytes())
    return digest.hexdigest()[:16]


def migrations_fingerprint() -> str:
    """Changes whenever an empty migrated database would."""
    digest = hashlib.sha256()
    for app in APPS:
        for migration in sorted((ROOT / app / "migrations").glob("*.py")):
            digest.update(migration.name.encode())
            digest.update(migration.read_bytes())
    digest.update((ROOT / "requirements" / "base.txt").read_bytes())
    return digest.hexdigest()[:16]


# --- loading ------------------------------------------------------------------------------

WORDS = [
    "derivative",
    "integral",
    "limit",
    "vector",
    "matrix",
    "eigenvalue",
    "probability",
    "variance",
    "regression",
    "gradient",
    "algorithm",
    "recursion",
    "pointer",
    "closure",
    "database",
    "index",
    "transaction",
    "protein",
    "enzyme",
    "photosynthesis",
    "mitochondria",
    "velocity",
    "momentum",
    "energy",
    "entropy",
    "circuit",
    "voltage",
    "molecule",
    "reaction",
    "equilibrium",
    "grammar",
    "syntax",
    "essay",
    "poetry",
    "history",
    "empire",
    "revolution",
    "economy",
    "market",
    "supply",
    "demand",
    "inflation",
    "ecology",
    "evolution",
    "genetics",
    "cell",
    "neuron",
    "graph",
    "tree",
    "sorting",
]


def _sentence(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


# The columns of a ledger row that the COPY loaders write (besides its id, where they set it).
TRANSACTION_COPY_FIELDS = [
    "account",
    "kind",
    "allowance_delta",
    "purchased_delta",
    "held_delta",
    "expired_allowance",
    "allowance_period",
    "balance_after",
    "reason",
    "reference",
    "idempotency_key",
    "created_at",
]

# The columns of a user row that the COPY loaders write (the rest keep their defaults).
USER_COPY_FIELDS = [
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "role",
    "tier",
    "suspension_reason",
    "token_version",
    "lms_user_id",
]


class Loader:
    """COPY rows into the tables of Django models, by field name."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.counts: dict[str, int] = {}

    def copy(self, model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        meta = model._meta
        columns = ", ".join(f'"{meta.get_field(name).column}"' for name in fields)
        count = 0
        with self.connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f'COPY "{meta.db_table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.counts[meta.db_table] = self.counts.get(meta.db_table, 0) + count
        return count

    def reset_sequences(self, models: Iterable[Any]) -> None:
        with self.connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )


def load(sizes: Sizes, seed: int = 2026) -> dict[str, int]:
    """Fill the (empty, migrated) database. Returns rows per table."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from attendance.models import (
        AttendanceDay,
        DailyAttendance,
        VideoProgress,
        VideoWatch,
        WatchEvent,
    )
    from courses.models import Course, Enrollment, Question, Quiz, StudentAnswer
    from credits.models import CreditAccount, CreditTransaction
    from videos.models import QuestionRecommendation, QuestionVideo, Topic, Video

    rng = random.Random(seed)
    loader = Loader()
    now = timezone.now()
    today = timezone.localdate()
    password = make_password(PASSWORD)
    joined = now - timedelta(days=sizes.days + 30)

    # users: 1 admin, one mentor per course, the students
    admin_id = 1
    mentor_ids = list(range(2, 2 + sizes.courses))
    student_ids = list(range(2 + sizes.courses, 2 + sizes.courses + sizes.students))
    user_fields = USER_COPY_FIELDS

    def users() -> Iterable[tuple[Any, ...]]:
        yield (
            admin_id,
            password,
            True,
            "bench-admin",
            "Bench",
            "Admin",
            "bench-admin@example.com",
            True,
            True,
            joined,
            "admin",
            "enterprise",
            "",
            0,
            "",
        )
        for index, pk in enumerate(mentor_ids):
            yield (
                pk,
                password,
                False,
                f"bench-mentor-{index}",
                "Mentor",
                str(index),
                f"bench-mentor-{index}@example.com",
                False,
                True,
                joined,
                "mentor",
                "pro",
                "",
                0,
                "",
            )
        for index, pk in enumerate(student_ids):
            tier = "pro" if index % 10 == 0 else "free"
            yield (
                pk,
                password,
                False,
                f"bench-student-{index}",
                "Student",
                str(index),
                f"bench-student-{index}@example.com",
                False,
                True,
                joined,
                "student",
                tier,
                "",
                0,
                f"lms-{index}",
            )

    allowances = {"free": 3, "pro": 30, "enterprise": 1000}
    tiers = {admin_id: "enterprise", **dict.fromkeys(mentor_ids, "pro")}
    tiers.update({pk: "pro" if i % 10 == 0 else "free" for i, pk in enumerate(student_ids)})
    period = now.strftime("%Y-%m")

    with transaction.atomic():
        loader.copy(User, user_fields, users())
        loader.copy(
            CreditAccount,
            [
                "id",
                "user",
                "allowance",
                "purchased",
                "held",
                "last_reset_period",
                "created_at",
                "updated_at",
            ],
            (
                (pk, pk, allowances[tier], 0, 0, period, joined, joined)
                for pk, tier in tiers.items()
            ),
        )
        loader.copy(
            CreditTransaction,
            ["id", *TRANSACTION_COPY_FIELDS],
            (
                (
                    pk,
                    pk,
                    "monthly_reset",
                    allowances[tier],
                    0,
                    0,
                    0,
                    period,
                    allowances[tier],
                    "Monthly allowance",
                    "",
                    f"monthly_reset:{period}",
                    joined,
                )
                for pk, tier in tiers.items()
            ),
        )

        # courses and videos
        course_ids = list(range(1, sizes.courses + 1))
        loader.copy(
            Course,
            [
                "id",
                "code",
                "title",
                "description",
                "context",
                "instructor",
                "status",
                "enrollment_type",
                "source",
                "playlist_id",
                "lms_course_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    pk,
                    f"BENCH-{pk:04d}",
                    f"Course {pk}: {_sentence(rng, 3)}",
                    _sentence(rng, 40),
                    _sentence(rng, 60),
                    mentor_ids[pk - 1],
                    "published",
                    "open",
                    "manual",
                    "",
                    "",
                    joined,
                    joined,
                )
                for pk in course_ids
            ),
        )
        videos_of: dict[int, list[tuple[int, int]]] = {}
        video_rows = []
        video_id = 0
        for course_id in course_ids:
            for position in range(sizes.videos_per_course):
                video_id += 1
                duration = rng.randint(240, 1800)
                videos_of.setdefault(course_id, []).append((video_id, duration))
                video_rows.append(
                    (
                        video_id,
                        course_id,
                        f"yt{video_id:09d}",
                        f"Lesson {position + 1}: {_sentence(rng, 4)}",
                        _sentence(rng, 25),
                        duration,
                        position,
                        f"https://i.ytimg.com/vi/yt{video_id:09d}/hqdefault.jpg",
                        joined,
                        True,
                        True,
                        joined,
                        joined,
                    )
                )
        loader.copy(
            Video,
            [
                "id",
                "course",
                "youtube_id",
                "title",
                "description",
                "duration_seconds",
                "position",
                "thumbnail",
                "published_at",
                "is_available",
                "is_from_playlist",
                "created_at",
                "updated_at",
            ],
            video_rows,
        )

        # enrollments
        enrolled: dict[int, list[int]] = {}
        enrollment_rows = []
        enrolled_at = now - timedelta(days=sizes.days + 15)
        for student_id in student_ids:
            courses = rng.sample(course_ids, sizes.enrollments_per_student)
            enrolled[student_id] = courses
            for course_id in courses:
                enrollment_rows.append(
                    (
                        len(enrollment_rows) + 1,
                        student_id,
                        course_id,
                        "student",
                        "active",
                        enrolled_at,
                        enrolled_at,
                    )
                )
        loader.copy(
            Enrollment,
            ["id", "user", "course", "role", "status", "enrolled_at", "updated_at"],
            enrollment_rows,
        )

        # a month of progress, closed days
        watches: dict[tuple[int, int], dict[str, Any]] = {}
        progress_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        attendance_rows: list[tuple[Any, ...]] = []
        threshold = 600
        for offset in range(sizes.days, 0, -1):
            day = today - timedelta(days=offset)
            day_start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            for student_id in student_ids:
                if rng.random() >= sizes.active_share:
                    continue
                total = 0
                moment = day_start + timedelta(minutes=rng.randint(0, 600))
                seen: set[int] = set()
                for _ in range(rng.randint(1, 3)):
                    course_id = rng.choice(enrolled[student_id])
                    video_id, duration = rng.choice(videos_of[course_id])
                    if video_id in seen:
                        continue
                    seen.add(video_id)
                    watch = watches.setdefault(
                        (student_id, video_id),
                        {
                            "id": len(watches) + 1,
                            "course": course_id,
                            "duration": duration,
                            "intervals": [],
                            "total": 0,
                            "position": 0,
                            "created": moment,
                        },
                    )
                    start = watch["position"] if watch["position"] < duration else 0
                    seconds = min(rng.randint(60, 900), duration - start)
                    interval = [start, start + seconds]
                    watch["intervals"] = _merge(watch["intervals"], interval)
                    watch["total"] += seconds
                    watch["position"] = start + seconds
                    watch["updated"] = moment + timedelta(seconds=seconds)
                    ended = moment + timedelta(seconds=seconds)
                    progress_id = len(progress_rows) + 1
                    progress_rows.append(
                        (
                            progress_id,
                            watch["id"],
                            student_id,
                            video_id,
                            course_id,
                            day,
                            seconds,
                            moment,
                            ended,
                            json.dumps([interval]),
                            None,
                            None,
                            moment,
                            ended,
                        )
                    )
                    body = json.dumps(
                        {
                            "video_id": video_id,
                            "course_id": course_id,
                            "date": day.isoformat(),
                            "watch_seconds": seconds,
                            "intervals": [interval],
                            "credited_seconds": seconds,
                        }
                    )
                    event_rows.append(
                        (
                            len(event_rows) + 1,
                            student_id,
                            video_id,
                            "play",
                            start,
                            moment,
                            day,
                            0,
                            None,
                            body,
                        )
                    )
                    event_rows.append(
                        (
                            len(event_rows) + 1,
                            student_id,
                            video_id,
                            "pause",
                            start + seconds,
                            ended,
                            day,
                            seconds,
                            json.dumps(interval),
                            body,
                        )
                    )
                    total += seconds
                    moment = ended + timedelta(minutes=rng.randint(1, 30))
                status = "present" if total >= threshold else "absent"
                closed_at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    days=1, minutes=15
                )
                attendance_rows.append(
                    (
                        len(attendance_rows) + 1,
                        student_id,
                        day,
                        total,
                        status,
                        True,
                        closed_at,
                        day_start,
                        closed_at,
                    )
                )
        loader.copy(
            VideoWatch,
            [
                "id",
                "user",
                "video",
                "course",
                "intervals",
                "watched_seconds",
                "percent_watched",
                "completed",
                "completed_at",
                "total_watch_seconds",
                "last_position",
                "created_at",
                "updated_at",
            ],
            (
                _watch_row(user_id, video_id, watch)
                for (user_id, video_id), watch in watches.items()
            ),
        )
        loader.copy(
            VideoProgress,
            [
                "id",
                "watch",
                "user",
                "video",
                "course",
                "date",
                "watch_seconds",
                "start_time",
                "end_time",
                "intervals",
                "open_position",
                "open_started_at",
                "created_at",
                "updated_at",
            ],
            progress_rows,
        )
        loader.copy(
            WatchEvent,
            [
                "id",
                "user",
                "video",
                "kind",
                "position_seconds",
                "received_at",
                "date",
                "credited_seconds",
                "interval",
                "response",
            ],
            event_rows,
        )
        loader.copy(
            DailyAttendance,
            [
                "id",
                "user",
                "date",
                "total_seconds",
                "status",
                "closed",
                "closed_at",
                "created_at",
                "updated_at",
            ],
            attendance_rows,
        )
        loader.copy(
            AttendanceDay,
            ["id", "date", "closed_at", "marked_absent", "created_absent", "present", "absent"],
            (
                (offset, today - timedelta(days=offset), now, 0, 0, 0, 0)
                for offset in range(1, sizes.days + 1)
            ),
        )

        # quizzes, questions with topics and recommended videos, answers
        quiz_rows, question_rows, topic_rows, state_rows, pick_rows = [], [], [], [], []
        questions_of: dict[int, list[int]] = {}
        for course_id in course_ids:
            for number in range(sizes.quizzes_per_course):
                quiz_id = len(quiz_rows) + 1
                quiz_rows.append(
                    (
                        quiz_id,
                        course_id,
                        "upload",
                        f"quiz-{number}",
                        f"Quiz {number + 1}",
                        joined,
                        joined,
                    )
                )
                for position in range(sizes.questions_per_quiz):
                    question_id = len(question_rows) + 1
                    questions_of.setdefault(quiz_id, []).append(question_id)
                    question_rows.append(
                        (
                            question_id,
                            quiz_id,
                            f"q-{position}",
                            position,
                            f"What is the {_sentence(rng, 6)}?",
                            "multiple_choice",
                            1.0,
                            joined,
                            joined,
                        )
                    )
                    topic_rows.append((question_id, f"topic {question_id}", "[]", joined))
                    state_rows.append(
                        (question_id, question_id, question_id, "t", "i", "lexical", "[]", joined)
                    )
                    for rank, (video_id, _duration) in enumerate(
                        rng.sample(videos_of[course_id], 3), start=1
                    ):
                        pick_rows.append(
                            (
                                len(pick_rows) + 1,
                                question_id,
                                rank,
                                "course",
                                video_id,
                                f"yt{video_id:09d}",
                                f"Lesson {video_id}",
                                "",
                                "",
                                0.5,
                                "From this course.",
                                False,
                                "i",
                                joined,
                            )
                        )
        loader.copy(
            Quiz,
            ["id", "course", "source", "lms_id", "title", "created_at", "updated_at"],
            quiz_rows,
        )
        loader.copy(
            Question,
            [
                "id",
                "quiz",
                "lms_id",
                "position",
                "text",
                "question_type",
                "points_possible",
                "created_at",
                "updated_at",
            ],
            question_rows,
        )
        loader.copy(Topic, ["id", "name", "keywords", "created_at"], topic_rows)
        loader.copy(
            QuestionRecommendation,
            [
                "id",
                "question",
                "topic",
                "text_hash",
                "inputs_hash",
                "ranker",
                "excluded_youtube_ids",
                "refreshed_at",
            ],
            state_rows,
        )
        loader.copy(
            QuestionVideo,
            [
                "id",
                "question",
                "rank",
                "source",
                "video",
                "youtube_id",
                "title",
                "channel_title",
                "thumbnail",
                "score",
                "reason",
                "is_pinned",
                "inputs_hash",
                "refreshed_at",
            ],
            pick_rows,
        )
        quizzes_of = {}
        for quiz_id, course_id, *_rest in quiz_rows:
            quizzes_of.setdefault(course_id, []).append(quiz_id)
        answer_rows = []
        for student_id in student_ids:
            for course_id in enrolled[student_id][: sizes.answered_courses_per_student]:
                quiz_id = rng.choice(quizzes_of[course_id])
                for question_id in questions_of[quiz_id]:
                    right = rng.random() >= 0.35
                    answer_rows.append(
                        (
                            len(answer_rows) + 1,
                            student_id,
                            question_id,
                            right,
                            1.0 if right else 0.0,
                            joined,
                            joined,
                        )
                    )
        loader.copy(
            StudentAnswer,
            ["id", "student", "question", "is_correct", "score", "answered_at", "updated_at"],
            answer_rows,
        )
        loader.reset_sequences(
            [
                User,
                CreditAccount,
                CreditTransaction,
                Course,
                Video,
                Enrollment,
                VideoWatch,
                VideoProgress,
                WatchEvent,
                DailyAttendance,
                AttendanceDay,
                Quiz,
                Question,
                Topic,
                QuestionRecommendation,
                QuestionVideo,
                StudentAnswer,
            ]
        )
    return loader.counts


def _merge(intervals: list[list[int]], new: list[int]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted([*intervals, new]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _watch_row(user_id: int, video_id: int, watch: dict[str, Any]) -> tuple[Any, ...]:
    watched = sum(end - start for start, end in watch["intervals"])
    share = round(min(100.0, 100.0 * watched / watch["duration"]), 2)
    completed = watched >= 0.9 * watch["duration"]
    return (
        watch["id"],
        user_id,
        video_id,
        watch["course"],
        json.dumps(watch["intervals"]),
        watched,
        share,
        completed,
        watch["updated"] if completed else None,
        watch["total"],
        watch["position"],
        watch["created"],
        watch["updated"],
    )


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    counts = load(Sizes())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    json.dump({"seconds": round(elapsed, 1), "rows": counts}, sys.stdout)


if __name__ == "__main__":
    main()
