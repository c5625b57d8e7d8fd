"""Timed bulk jobs, each on data made for it in an empty, migrated scratch database:

    reset            the monthly credit reset over 100,000 accounts (three quarters spent
                     part of their allowance, so their reset writes a transaction)
    ledger           the ledger check (`manage.py check_ledger`) over those accounts
    close            closing a day of attendance for 50,000 enrolled students (40% watched
                     that day, half of them enough to be present)
    import           importing a 500-video playlist from recorded YouTube API responses
    recommendations  refreshing the recommended videos of 1,000 questions (lexical ranker,
                     the 500 imported videos as candidates, YouTube search not configured)

Run inside the bench environment (the runner does, with DATABASE_URL set to the scratch
database); prints one JSON object. `setup_*` and `time_*` are also used by the older
stand-alone scripts tests/credits/benchmark_reset.py and tests/attendance/benchmark_close.py."""

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

ACCOUNTS = 100_000
STUDENTS = 50_000
PLAYLIST_VIDEOS = 500
QUESTIONS = 1_000
RESET_FROM, RESET_TO = "2026-10", "2026-11"
TIERS = ["free"] * 8 + ["pro"] + ["enterprise"]


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return round(time.perf_counter() - started, 3), value


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _first_user_id() -> int:
    from accounts.models import User

    last = User.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


def setup_accounts(count: int) -> list[int]:
    """`count` users with credit accounts whose ledgers balance: a purchase of 5 and the
    month's allowance, of which index % 4 credits were spent. Returns the user ids."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from credits import services
    from credits.models import CreditAccount, CreditTransaction
    from tests.benchmarks.dataset import TRANSACTION_COPY_FIELDS, USER_COPY_FIELDS, Loader

    first = _first_user_id()
    ids = list(range(first, first + count))
    now = timezone.now()
    loader = Loader()
    allowance = {
        tier: services.tier_monthly_allowance(tier) for tier in ("free", "pro", "enterprise")
    }
    spent = {pk: (pk - first) % 4 for pk in ids}
    tier_of = {pk: TIERS[(pk - first) % len(TIERS)] for pk in ids}
    left = {pk: max(allowance[tier_of[pk]] - spent[pk], 0) for pk in ids}
    with transaction.atomic():
        loader.copy(
            User,
            USER_COPY_FIELDS,
            (
                (
                    pk,
                    "!",
                    False,
                    f"bench{pk}",
                    "",
                    "",
                    f"bench{pk}@example.com",
                    False,
                    True,
                    now,
                    "student",
                    tier_of[pk],
                    "",
                    0,
                    "",
                )
                for pk in ids
            ),
        )
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
            ((pk, pk, left[pk], 5, 0, RESET_FROM, now, now) for pk in ids),
        )
        loader.copy(
            CreditTransaction,
            TRANSACTION_COPY_FIELDS,
            (
                row
                for pk in ids
                for row in (
                    (pk, "purchase", 0, 5, 0, 0, RESET_FROM, 5, "", "", "bench:purchase", now),
                    (
                        pk,
                        "grant",
                        left[pk],
                        0,
                        0,
                        0,
                        RESET_FROM,
                        left[pk] + 5,
                        "",
                        "",
                        "bench:allowance",
                        now,
                    ),
                )
            ),
        )
        loader.reset_sequences([User, CreditAccount, CreditTransaction])
    _analyze()
    return ids


def time_reset() -> dict[str, Any]:
    from credits import services

    seconds, result = _timed(lambda: services.reset_monthly_credits(period=RESET_TO))
    again, repeat = _timed(lambda: services.reset_monthly_credits(period=RESET_TO))
    return {
        "title": "Monthly credit reset",
        "size": result.accounts_claimed,
        "seconds": seconds,
        "transactions_written": result.transactions_written,
        "second_run_seconds": again,
        "second_run_claimed": repeat.accounts_claimed,
    }


def time_ledger() -> dict[str, Any]:
    from io import StringIO

    from django.core.management import call_command

    from credits.models import CreditAccount
    from credits.selectors import ledger_mismatches

    output = StringIO()
    seconds, _ = _timed(lambda: call_command("check_ledger", stdout=output))
    query_seconds, mismatches = _timed(ledger_mismatches)
    return {
        "title": "Ledger check (`check_ledger`)",
        "size": CreditAccount.objects.count(),
        "seconds": seconds,
        "mismatches": len(mismatches),
        "query_seconds": query_seconds,
        "output": output.getvalue().strip(),
    }


def setup_close(user_ids: list[int], watched_share: float = 0.4) -> date:
    """Enroll the users across ten published courses; `watched_share` of them have a row for
    yesterday, half of those above the threshold. Returns yesterday."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from attendance.models import DailyAttendance
    from courses.models import Course, Enrollment
    from tests.benchmarks.dataset import Loader

    day = timezone.localdate() - timedelta(days=1)
    enrolled_at = datetime(2026, 1, 1, tzinfo=UTC)
    now = timezone.now()
    mentor = User.objects.create(
        username="bench-mentor", email="bench-mentor@example.com", role="mentor"
    )
    courses = Course.objects.bulk_create(
        [
            Course(code=f"BENCH{i}", title=f"Course {i}", instructor=mentor, status="published")
            for i in range(10)
        ]
    )
    loader = Loader()
    with transaction.atomic():
        loader.copy(
            Enrollment,
            ["user", "course", "role", "status", "enrolled_at", "updated_at"],
            (
                (user_id, courses[i % 10].pk, "student", "active", enrolled_at, now)
                for i, user_id in enumerate(user_ids)
            ),
        )
        loader.copy(
            DailyAttendance,
            ["user", "date", "total_seconds", "status", "closed", "created_at", "updated_at"],
            (
                (
                    user_id,
                    day,
                    900 if i % 2 else 120,
                    "present" if i % 2 else "in_progress",
                    False,
                    now,
                    now,
                )
                for i, user_id in enumerate(user_ids[: int(len(user_ids) * watched_share)])
            ),
        )
    _analyze()
    return day


def time_close(day: date) -> dict[str, Any]:
    from attendance import services

    seconds, result = _timed(lambda: services.attendance_day_close(day=day))
    again, _ = _timed(lambda: services.attendance_day_close(day=day))
    return {
        "title": "Closing a day of attendance",
        "size": result.present + result.absent,
        "seconds": seconds,
        "result": result.as_dict(),
        "second_run_seconds": again,
    }


def _recorded_playlist(playlist_id: str, count: int) -> list[tuple[dict, str]]:
    """The responses YouTube gives an import of a `count`-video playlist: the playlist,
    pages of 50 items, then videos.list for 50 ids at a time (shapes as recorded in
    tests/videos/data)."""
    from tests.videos.data import build_fixtures as fixtures

    def answer(body: dict) -> tuple[dict, str]:
        return {"status": "200", "content-type": "application/json; charset=UTF-8"}, json.dumps(
            body
        )

    rng = random.Random(5)
    words = [
        "limits",
        "derivatives",
        "integrals",
        "vectors",
        "matrices",
        "probability",
        "statistics",
    ]
    ids = [f"B{n:09d}x" for n in range(count)]
    titles = [f"Lesson {n + 1}: {' '.join(rng.sample(words, 3))}" for n in range(count)]
    pages = [ids[start : start + 50] for start in range(0, count, 50)]
    responses = [answer(fixtures.playlist(playlist_id, "Bench course", "Recorded.", count))]
    for number, chunk in enumerate(pages):
        responses.append(
            answer(
                fixtures.compact(
                    fixtures.items_page(
                        [
                            fixtures.item(
                                playlist_id, number * 50 + i, vid, titles[number * 50 + i]
                            )
                            for i, vid in enumerate(chunk)
                        ],
                        count,
                        f"PAGE{number + 2}" if number < len(pages) - 1 else None,
                    )
                )
            )
        )
    for number, chunk in enumerate(pages):
        responses.append(
            answer(
                fixtures.compact(
                    fixtures.videos_page(
                        [
                            fixtures.video(vid, titles[number * 50 + i], f"PT{rng.randint(4, 60)}M")
                            for i, vid in enumerate(chunk)
                        ]
                    )
                )
            )
        )
    return responses


def time_import() -> tuple[dict[str, Any], int]:
    """Returns the figures and the course the playlist filled."""
    from django.test import override_settings
    from googleapiclient.http import HttpMockSequence

    from accounts.models import User
    from videos import services, youtube
    from videos.models import PlaylistImport

    playlist_id = "PLbench0five0hundred0videos0000"
    mentor = User.objects.create(
        username="bench-importer", email="bench-importer@example.com", role="mentor"
    )
    http = HttpMockSequence(_recorded_playlist(playlist_id, PLAYLIST_VIDEOS))
    original = youtube.http_factory
    youtube.http_factory = lambda: http  # type: ignore[assignment]
    try:
        with override_settings(YOUTUBE_API_KEY="recorded"):
            record = PlaylistImport.objects.create(requested_by=mentor, playlist_id=playlist_id)
            seconds, record = _timed(lambda: services.playlist_import_run(import_id=record.pk))
    finally:
        youtube.http_factory = original  # type: ignore[assignment]
    assert record.status == "succeeded", record.error
    return (
        {
            "title": "Importing a recorded 500-video playlist",
            "size": record.imported,
            "seconds": seconds,
            "requests_replayed": len(http.request_sequence),
        },
        int(record.course_id),
    )


def time_recommendations(course_id: int) -> dict[str, Any]:
    from django.utils import timezone

    from courses.models import Question, Quiz
    from videos.recommendations import services
    from videos.recommendations.rankers import default_ranker

    rng = random.Random(9)
    words = [
        "limits",
        "derivatives",
        "integrals",
        "vectors",
        "matrices",
        "probability",
        "statistics",
        "chain",
        "rule",
    ]
    quiz = Quiz.objects.create(course_id=course_id, source="upload", lms_id="bench", title="Bench")
    now = timezone.now()
    Question.objects.bulk_create(
        [
            Question(
                quiz=quiz,
                lms_id=f"q{n}",
                position=n,
                text=f"Explain {' '.join(rng.sample(words, 4))} in question {n}.",
                question_type="short_answer",
                created_at=now,
            )
            for n in range(QUESTIONS)
        ]
    )
    ids = list(Question.objects.filter(quiz=quiz).values_list("id", flat=True))
    seconds, result = _timed(
        lambda: services.recommendations_refresh(
            question_ids=ids, force=True, ranker=default_ranker()
        )
    )
    return {
        "title": "Refreshing recommendations (lexical ranker)",
        "size": len(ids),
        "seconds": seconds,
        "refreshed": result.refreshed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", default="reset,ledger,close,import,recommendations")
    arguments = parser.parse_args()
    import django

    django.setup()

    chosen = arguments.jobs.split(",")
    results: dict[str, Any] = {}
    if {"reset", "ledger", "close"} & set(chosen):
        user_ids = setup_accounts(ACCOUNTS)
        if "reset" in chosen:
            results["reset"] = time_reset()
        if "ledger" in chosen:
            results["ledger"] = time_ledger()
        if "close" in chosen:
            results["close"] = time_close(setup_close(user_ids[:STUDENTS]))
    if {"import", "recommendations"} & set(chosen):
        figures, course_id = time_import()
        if "import" in chosen:
            results["import"] = figures
        if "recommendations" in chosen:
            results["recommendations"] = time_recommendations(course_id)
    order = ["reset", "close", "import", "recommendations", "ledger"]
    json.dump({name: results[name] for name in order if name in results}, sys.stdout)


if __name__ == "__main__":
    main()
