"""What a date looks like in a letter: the one grammar the extractor and the grounding check share.

Formats: `March 6, 2025`, `Jan. 5, 2025`, `Tuesday, March 4, 2025`, `28 Feb 2025`, `the 3rd of March
2025`, `28 de febrero de 2025`, `05-JAN-2025`, `14FEB2025`, `MAR-20-2025`, `2025-03-06`, `2025/01/05`,
`20250105` (X12), `03/06/2025`, `12-20-2024`, `1/5/25`; ranges `January 1-3, 2025`, `Jan 30 - Feb 2, 2025`,
`01/01 - 01/03/2025`, `01/01/2025 - 01/03/2025`, `... through ...`; and the noise of OCR (a space after a
separator, `O` read for `0`, `l`/`I` for `1` next to digits).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTH_NAMES = {
    1: ("january", "jan", "enero", "ene"),
    2: ("february", "feb", "febrero"),
    3: ("march", "mar", "marzo"),
    4: ("april", "apr", "abril", "abr"),
    5: ("may", "mayo"),
    6: ("june", "jun", "junio"),
    7: ("july", "jul", "julio"),
    8: ("august", "aug", "agosto", "ago"),
    9: ("september", "sept", "sep", "septiembre", "setiembre"),
    10: ("october", "oct", "octubre"),
    11: ("november", "nov", "noviembre"),
    12: ("december", "dec", "diciembre", "dic"),
}
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_MON = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
_D = r"[0-3]?\d(?:st|nd|rd|th)?"
_Y4 = r"(?:19|20)\d\d"
_SEP = r"\s*(?:-|to|through|thru)\s*"  # between the two ends of a range (dashes are folded to `-`)

# Where a date can start: a digit or a month's first letter. Testing that first (and per branch) spares the
# rest of the pattern at most positions of a letter: less than half the time.
_INITIALS = "".join(sorted({name[0] for name in _MONTHS}))
# Matched against lower-cased text without IGNORECASE: several times faster on whole letters.
_DATE = re.compile(
    rf"(?=[\d{_INITIALS}])(?<![\w/.])(?<![a-z_]-)(?:"
    # March 6, 2025 | Jan. 5 2025 | MAR-20-2025 | January 1-3, 2025 | Jan 30 - Feb 2, 2025
    rf"(?=[{_INITIALS}])(?P<m1>{_MON})[ -]?\s*(?P<d1>{_D})(?:{_SEP}(?:(?P<m1b>{_MON})\s*)?(?P<d1b>{_D}))?"
    rf"(?:,\s*|-\s*|\s+)(?P<y1>{_Y4})"
    # 28 Feb 2025 | 28 de febrero de 2025 | the 3rd of March 2025 | 05-JAN-2025 | 5-jan-25 | 14feb2025
    r"|(?=\d)(?:"
    rf"(?P<d2>{_D})(?:\s+de\s+|(?<=st|nd|rd|th)\s+of\s+|[ -]?\s*)(?P<m2>{_MON})(?:,?\s*(?:del?\s+)?|-\s*)"
    r"(?P<y2>(?:19|20)\d\d(?!\d)|(?<=-)\d\d(?![\d:]))"
    # 2025-03-06 | 2025/01/05 | 2025.01.05
    rf"|(?P<y3>{_Y4})(?P<s3>[-/.])\s?(?P<m3>[01]?\d)(?P=s3)\s?(?P<d3>[0-3]?\d)(?![\d:])"
    # 20250105 (X12 segments, file names in subjects)
    rf"|(?P<y4>{_Y4})(?P<m4>0[1-9]|1[0-2])(?P<d4>[0-3]\d)(?!\d)"
    # 03/06/2025 | 12-20-2024 | 1/5/25 | 03.06.2025 | 01/01 - 01/03/2025 (a colon after a two-digit year ends
    # a phrase, `dated 12/27/24: allowed`; before a digit it is a time's)
    r"|(?P<m5>[01]?\d)(?P<s5>[/-])\s?(?P<d5>[0-3]?\d)"
    r"(?:(?P=s5)\s?(?P<y5>(?:19|20)\d\d|\d\d(?!\d|:\d))"
    r"|\s*-\s*(?P<m5b>[01]?\d)(?P=s5)(?P<d5b>[0-3]?\d)(?P=s5)(?P<y5b>(?:19|20)\d\d))"
    r"|(?P<m6>[01]?\d)\.(?P<d6>[0-3]?\d)\.(?P<y6>(?:19|20)\d\d)"
    r")"
    # Not a piece of a longer token (`2025-03-06-01`); `08/04/2025-08/08/2025` is a range.
    r")(?![\w/]|\.\d|-(?!\d\d?/|(?:19|20)\d\d-)\d)"
)
# Two whole dates joined as a range: `02/03/2025 - 02/28/2025`, `08/04/2025 through 08/08/2025`.
_RANGE_JOIN = re.compile(rf"{_SEP}$")
# OCR reads `0` as `O` and `1` as `l` or `I`; next to digits they are digits (same length, offsets kept).
# The letter comes first so sre scans for it (a leading lookbehind would test the pattern at every position).
_OCR_DIGIT = re.compile(r"[oli](?:(?<=\d[oli])|(?=\d))")
_OCR_VALUE = str.maketrans({"o": "0", "l": "1", "i": "1"})


@dataclass(frozen=True)
class DateMention:
    """One date in a text; `through` is the last day when the mention opens a range (`January 1-3`)."""

    value: dt.date
    start: int
    end: int
    through: dt.date | None = None
    # The mention is the second end of a range (`... - 02/28/2025`): never the date a role names.
    closes_range: bool = False

    @property
    def days(self) -> tuple[dt.date, ...]:
        """Every date the mention states (both ends of a range)."""
        return (self.value,) if self.through is None else (self.value, self.through)


def lower_same_length(text: str) -> str:
    """Lower-case text whose offsets still match the original (a few characters grow when lowered)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def find_dates(text: str) -> list[DateMention]:
    """Every date in `text`, in order, with its character span."""
    low = _prepare(text)
    out: list[DateMention] = []
    for m in _DATE.finditer(low):
        found = _read(m)
        if found is None:
            continue
        value, through = found
        closes = bool(out) and out[-1].through is None and _RANGE_JOIN.fullmatch(low, out[-1].end, m.start())
        if closes and out[-1].value <= value:
            out[-1] = DateMention(out[-1].value, out[-1].start, out[-1].end, through=value)
            out.append(DateMention(value, m.start(), m.end(), closes_range=True))
        else:
            out.append(DateMention(value, m.start(), m.end(), through=through))
    return out


def date_shapes(text: str) -> list[tuple[int, int, tuple[dt.date, ...]]]:
    """Every span written like a date, with the days it states; `()` when no such day exists (`02/30/2025`)."""
    out: list[tuple[int, int, tuple[dt.date, ...]]] = []
    for m in _DATE.finditer(_prepare(text)):
        found = _read(m)
        days = () if found is None else tuple(d for d in found if d is not None)
        out.append((m.start(), m.end(), days))
    return out


def _prepare(text: str) -> str:
    low = lower_same_length(text)
    low = _OCR_DIGIT.sub(lambda m: m.group().translate(_OCR_VALUE), low)
    return low.replace("\u2013", "-").replace("\u2014", "-")


def _read(g: re.Match[str]) -> tuple[dt.date, dt.date | None] | None:
    # The match's groups are read by name where needed: `groupdict()` built all 25 for each date.
    if g["m1"]:
        month, year = _month(g["m1"]), int(g["y1"])
        last_month = _month(g["m1b"]) if g["m1b"] else month
        return _range(year, month, _day(g["d1"]), last_month, _day(g["d1b"]) if g["d1b"] else None)
    if g["m2"]:
        return _single(_year(g["y2"]), _month(g["m2"]), _day(g["d2"]))
    if g["y3"]:
        return _single(int(g["y3"]), int(g["m3"]), int(g["d3"]))
    if g["y4"]:
        return _single(int(g["y4"]), int(g["m4"]), int(g["d4"]))
    if g["m5"] and g["y5"]:
        return _single(_year(g["y5"]), int(g["m5"]), int(g["d5"]))
    if g["m5"]:
        return _range(int(g["y5b"]), int(g["m5"]), int(g["d5"]), int(g["m5b"]), int(g["d5b"]))
    return _single(int(g["y6"]), int(g["m6"]), int(g["d6"]))


def _range(
    year: int, month: int, day: int, last_month: int, last_day: int | None
) -> tuple[dt.date, dt.date | None] | None:
    last = _build(year, last_month, last_day) if last_day is not None else None
    # `Dec 30 - Jan 2, 2025`: the year printed is the last day's.
    first = _build(year - 1 if last_month < month else year, month, day)
    if first is None or (last_day is not None and (last is None or last < first)):
        return None
    return first, last


def _single(year: int, month: int, day: int) -> tuple[dt.date, dt.date | None] | None:
    value = _build(year, month, day)
    return None if value is None else (value, None)


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".")]


def _day(text: str) -> int:
    return int(text.rstrip("stndrh"))


def _year(text: str) -> int:
    # Two-digit years: letters are about recent care; `61` in a birth date is 1961.
    year = int(text)
    if year >= 100:
        return year
    return 2000 + year if year <= 50 else 1900 + year


def _build(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
