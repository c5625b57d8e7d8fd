"""Values as DRF's fields write them, for hot list endpoints that render rows without a
serializer (the serializer still documents the shape; tests keep the two equal)."""

from datetime import date, datetime

from django.utils import timezone


def api_datetime(value: datetime | None) -> str | None:
    """As DateTimeField: in the current time zone, ISO 8601, UTC written as Z."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def api_date(value: date | None) -> str | None:
    """As DateField: ISO 8601."""
    return value.isoformat() if value is not None else None
