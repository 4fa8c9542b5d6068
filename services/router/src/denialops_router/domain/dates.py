"""Dates in every format letters use: `March 6, 2025`, `03/06/2025`, `2025-03-06`, `28 Feb 2025`, ..."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # Spanish, for bilingual notices.
    "ene": 1,
    "abr": 4,
    "ago": 8,
    "dic": 12,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\.?"
)
_DAY = r"([0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d\d)"
_DATE = re.compile(
    r"(?<![\w/-])(?:"
    rf"(?P<mdy>({_MONTH})\s+{_DAY},?\s+{_YEAR})"
    rf"|(?P<dmy>{_DAY}\s+(?:de\s+)?({_MONTH}),?\s+(?:de\s+)?{_YEAR})"
    r"|(?P<iy>(?:19|20)\d\d)[-/.](?P<im>[01]?\d)[-/.](?P<id>[0-3]?\d)"
    r"|(?P<nm>[01]?\d)[/-](?P<nd>[0-3]?\d)[/-](?P<ny>(?:19|20)\d\d|\d\d)"
    r")(?![\w/]|-\d)"
)


@dataclass(frozen=True)
class DateMention:
    value: dt.date
    start: int
    end: int


def _month_number(name: str) -> int:
    key = name.lower().rstrip(".")
    spanish = {"marzo": 3, "mayo": 5, "junio": 6, "julio": 7, "septiembre": 9, "octubre": 10}
    if key in spanish:
        return spanish[key]
    return _MONTHS.get(key[:3], 0)


def _build(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def lower_same_length(text: str) -> str:
    """Lower-case text whose offsets still match the original (a few characters grow when lowered)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def find_dates(text: str) -> list[DateMention]:
    # Matching lower-case text without IGNORECASE is several times faster.
    out: list[DateMention] = []
    for m in _DATE.finditer(lower_same_length(text)):
        g = m.groupdict()
        value: dt.date | None
        if g["mdy"]:
            value = _build(int(m.group(4)), _month_number(m.group(2)), int(m.group(3)))
        elif g["dmy"]:
            value = _build(int(m.group(8)), _month_number(m.group(7)), int(m.group(6)))
        elif g["iy"]:
            value = _build(int(g["iy"]), int(g["im"]), int(g["id"]))
        else:
            year = int(g["ny"])
            # Two-digit years on remits are always this century.
            value = _build(year + 2000 if year < 100 else year, int(g["nm"]), int(g["nd"]))
        if value is not None:
            out.append(DateMention(value, m.start(), m.end()))
    return out


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar-month arithmetic; the day is clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
