"""CSV downloads that open safely in a spreadsheet (gradebook, class view)."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@")


def spreadsheet_safe(value: str) -> str:
    """Text starting with =, +, - or @ would run as a formula when the CSV is opened, so it is
    quoted; names and concept titles are written by users."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def csv_download(filename: str) -> tuple[HttpResponse, Any]:
    """An attachment response and a csv writer that writes into it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)
