"""The interval arithmetic behind booking rules and free slots."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from mentoring.availability import Interval, merge, slot_starts, subtract, window_intervals

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2031, month, day, hour, minute, tzinfo=UTC)


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge(
        [
            Interval(at(1, 12), at(1, 13)),
            Interval(at(1, 9), at(1, 10)),
            Interval(at(1, 10), at(1, 11)),
            Interval(at(1, 12, 30), at(1, 12, 45)),
        ]
    ) == [Interval(at(1, 9), at(1, 11)), Interval(at(1, 12), at(1, 13))]


def test_subtract_splits_and_trims():
    result = subtract(
        [Interval(at(1, 8), at(1, 12))],
        [Interval(at(1, 9), at(1, 10)), Interval(at(1, 11, 30), at(1, 13))],
    )

    assert result == [
        Interval(at(1, 8), at(1, 9)),
        Interval(at(1, 10), at(1, 11, 30)),
    ]


def test_windows_become_utc_intervals_with_the_offset_of_each_day():
    window = SimpleNamespace(weekday=6, start_time=time(1), end_time=time(5))  # Sundays

    intervals = window_intervals([window], BERLIN, Interval(at(23, 0), at(31, 0)))

    # 23 March: winter time (+01:00); 30 March: the night clocks go forward (3 real hours).
    assert intervals == [Interval(at(23, 0), at(23, 4)), Interval(at(30, 0), at(30, 3))]


def test_an_end_of_midnight_joins_the_next_day():
    windows = [
        SimpleNamespace(weekday=0, start_time=time(22), end_time=time(0)),
        SimpleNamespace(weekday=1, start_time=time(0), end_time=time(2)),
    ]

    intervals = window_intervals(windows, ZoneInfo("UTC"), Interval(at(3, 0), at(5, 0)))

    assert intervals == [Interval(at(3, 22), at(4, 2))]


def test_slots_follow_the_local_grid_and_stop_at_the_limit():
    free = [Interval(at(3, 8, 10), at(3, 10)), Interval(at(4, 8), at(4, 9))]

    starts = slot_starts(
        free,
        BERLIN,
        duration=timedelta(minutes=60),
        step=timedelta(minutes=30),
        not_before=at(3, 8),
        limit=3,
    )

    assert starts == [at(3, 8, 30), at(3, 9), at(4, 8)]
