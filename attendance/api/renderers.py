"""CSV downloads of the staff attendance lists (`?format=csv`)."""

import csv
import io
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

CSV_COLUMNS = [
    "user_id",
    "email",
    "username",
    "name",
    "date",
    "total_seconds",
    "total_time",
    "status",
    "closed",
]
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class AttendanceCSVRenderer(BaseRenderer):
    """A header line and one line per row (RFC 4180: comma separated, CRLF, quoted where
    needed). Text that a spreadsheet would run as a formula is prefixed with a quote."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for row in data or []:
            writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
        return buffer.getvalue().encode(self.charset)
