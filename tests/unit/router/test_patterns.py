"""`scan` finds exactly what `finditer` finds, trying the pattern only where a branch's literal start occurs."""

from __future__ import annotations

import re

import pytest

from denialops_router.domain.patterns import literal_starts, lower_pattern, scan, search
from denialops_router.domain.phrases import CONTRADICTIONS, PHRASES


@pytest.mark.parametrize(
    ("pattern", "starts"),
    [
        (r"no|without", ("no", "without")),
        (r"pre-?auth|prior", ("pre", "prior")),  # `-?` may be absent: only `pre` is required
        (r"a+b|c", ("a", "c")),
        (r"(?:plan|policy) lapsed|coverage", ("plan", "policy", "coverage")),
        (r"(?P<x>ab)|e", ("ab", "e")),
        (r"x(?:a|b)|y", ("x", "y")),
        (r"ab|c[]|]d|e", ("ab", "c", "e")),  # a `]` first in a class, and a `|` inside it
        (r"x\|y|z", ("x", "z")),
        (r"no|no", ("no",)),
        # No literal every match starts with: these fall back to finditer.
        (r"\bno|without", None),
        (r"[ab]c|d", None),
        (r"(?:a|b)?c|d", None),
        (r"(?=a)b|c", None),
        (r"(?i:ab)|c", None),
        (r"a?|b", None),
    ],
)
def test_literal_starts(pattern: str, starts: tuple[str, ...] | None) -> None:
    assert literal_starts(re.compile(pattern)) == starts


def test_flags_give_no_literal_starts() -> None:
    assert literal_starts(re.compile("abc", re.IGNORECASE)) is None
    assert literal_starts(re.compile("(?i)abc")) is None


TEXT = (
    "Your coverage ended on 03/01/2025. We did not receive a prior authorization; no\n  authorization was on file.\n"
    "Coordination of benefits: the other insurance pays first. nonot not enrolled, no coverage, notnot."
)


@pytest.mark.parametrize(
    "pattern",
    [
        lower_pattern(r"not enrolled|no coverage|coverage ended|(?:plan|policy) lapsed"),
        lower_pattern(r"no(?<!\wno) authori[sz]ation|not"),  # overlapping candidates: `no` inside `not`
        re.compile(r"no|not"),
        re.compile(r"not(?=\s)|no"),
        *(phrase.pattern for phrases in PHRASES.values() for phrase in phrases),
        *CONTRADICTIONS.values(),
    ],
)
def test_scan_finds_what_finditer_finds(pattern: re.Pattern[str]) -> None:
    text = TEXT.lower()
    assert [(m.span(), m.groups()) for m in scan(pattern, text)] == [
        (m.span(), m.groups()) for m in pattern.finditer(text)
    ]
    found, expected = search(pattern, text), pattern.search(text)
    assert (found.span() if found else None) == (expected.span() if expected else None)


def test_scan_matches_do_not_overlap() -> None:
    # `ab` at 0 consumes the `b` where the `bc` branch would start: finditer resumes after the match.
    assert [m.group() for m in scan(re.compile(r"ab|bc"), "abc bc")] == ["ab", "bc"]
