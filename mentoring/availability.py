"""Time arithmetic of bookings: weekly windows in a mentor's time zone turned into aware UTC
intervals, interval algebra, and the free-slot grid.

Everything is computed in UTC. Local wall times become instants with zoneinfo (so a window
of 01:00-05:00 on the night clocks go forward lasts three real hours), and no arithmetic is
ever done on two datetimes that share a local tzinfo (Python compares those as wall times,
ignoring the offset)."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class WeeklyWindow(Protocol):
    weekday: int
    start_time: time
    end_time: time


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end


def local_instant(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall time on a day in `zone`. A wall time that does not exist
    (clocks going forward) is read with the offset before the change; one that exists twice
    (clocks going back) means its first occurrence."""
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)


def end_of_window(day: date, end_time: time, zone: ZoneInfo) -> datetime:
    """The instant a window ends; an end of 00:00 is midnight at the end of `day`."""
    if end_time == time.min:
        return local_instant(day + timedelta(days=1), time.min, zone)
    return local_instant(day, end_time, zone)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(intervals: Sequence[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """`intervals` minus every cut."""
    result = list(intervals)
    for cut in cuts:
        remaining: list[Interval] = []
        for interval in result:
            if not interval.overlaps(cut):
                remaining.append(interval)
                continue
            if interval.start < cut.start:
                remaining.append(Interval(interval.start, cut.start))
            if cut.end < interval.end:
                remaining.append(Interval(cut.end, interval.end))
        result = remaining
    return result


def window_intervals(
    windows: Iterable[WeeklyWindow], zone: ZoneInfo, span: Interval
) -> list[Interval]:
    """The occurrences of the weekly windows that meet `span`, as merged UTC intervals."""
    by_weekday: dict[int, list[WeeklyWindow]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    first = span.start.astimezone(zone).date() - timedelta(days=1)
    last = span.end.astimezone(zone).date() + timedelta(days=1)
    occurrences = []
    day = first
    while day <= last:
        for window in by_weekday.get(day.weekday(), []):
            occurrence = Interval(
                local_instant(day, window.start_time, zone),
                end_of_window(day, window.end_time, zone),
            )
            if occurrence.start < occurrence.end and occurrence.overlaps(span):
                occurrences.append(occurrence)
        day += timedelta(days=1)
    return merge(occurrences)


def _first_on_grid(instant: datetime, zone: ZoneInfo, step: timedelta) -> datetime:
    """The first instant at or after `instant` whose wall time in `zone` is a whole number of
    steps after midnight."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    midnight = datetime.combine(local.date(), time.min)
    steps = math.ceil((local - midnight) / step)
    candidate = (midnight + steps * step).replace(tzinfo=zone).astimezone(UTC)
    while candidate < instant:
        candidate += step
    return candidate


def slot_starts(
    free: Sequence[Interval],
    zone: ZoneInfo,
    *,
    duration: timedelta,
    step: timedelta,
    not_before: datetime,
    limit: int,
) -> list[datetime]:
    """Up to `limit` starts of slots of `duration` lying inside the free intervals, on the
    mentor's local grid of `step` (e.g. :00 and :30), strictly after `not_before`."""
    starts: list[datetime] = []
    for interval in free:
        earliest = max(interval.start, not_before + timedelta(microseconds=1))
        candidate = _first_on_grid(earliest, zone, step)
        while candidate + duration <= interval.end:
            starts.append(candidate)
            if len(starts) == limit:
                return starts
            candidate += step
    return starts
