"""Deadline arithmetic on ISO 8601 periods (`P60D`, `P4M`, `PT72H`), the way appeal rules count them.

Months are calendar months; when the target day does not exist in the end month the date rolls to the
first day of the next month (45 CFR 147.136: "the first day of the fifth month"). No weekend or holiday
rollover: federal procedural rules have one, plan deadlines do not.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

_PERIOD = re.compile(r"^P(?:(?P<days>\d+)D|(?P<months>\d+)M|T(?P<hours>\d+)H)$")


def add_months(start: dt.date, months: int) -> dt.date:
    """`start` plus calendar months; a day missing from the end month rolls to the 1st of the next."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day > calendar.monthrange(year, month)[1]:
        return dt.date(year, month + 1, 1)  # December has 31 days, so the short month is never December
    return dt.date(year, month, start.day)


def add_period(start: dt.date, period: str) -> dt.date:
    """The last day of a period counted from `start`; hours count as whole days begun (72 h -> 3 days)."""
    m = _PERIOD.match(period)
    if m is None:
        raise ValueError(f"not a period of days, months or hours: {period!r}")
    if m["months"]:
        return add_months(start, int(m["months"]))
    days = int(m["days"]) if m["days"] else math.ceil(int(m["hours"]) / 24)
    return start + dt.timedelta(days=days)
