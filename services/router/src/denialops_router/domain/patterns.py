r"""Patterns for the lower-cased letter that survive hard wraps: a space in the pattern matches any run of whitespace.

PDF extraction and fax text break sentences over lines (`would not\n  change`); writing every
pattern with `\s+` would make them unreadable, so patterns are written with plain spaces and
compiled here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_QUANTIFIERS = frozenset("?*+{")


def lower_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a pattern meant for `Doc.lower`, each space outside a character class matching whitespace."""
    out: list[str] = []
    in_class = escaped = False
    # Open groups, True for a lookbehind: those must stay fixed-width, so their spaces stay spaces.
    groups: list[bool] = []
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            groups.append(pattern.startswith(("(?<!", "(?<="), i))
        elif ch == ")":
            groups.pop()
        elif ch == " " and not any(groups):
            # A quantified space (` ?`) keeps its quantifier: `\s?`, not `\s+?`.
            nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
            out.append(r"\s" if nxt in _QUANTIFIERS else r"\s+")
            continue
        out.append(ch)
    return re.compile("".join(out))


def folded(text: str) -> str:
    """`text` with every run of whitespace one space (for cheap substring checks before a pattern runs)."""
    return " ".join(text.split())


# What ends a literal run at the start of a branch: any character with a meaning of its own.
_SPECIAL = frozenset("\\()[]{}.^$|?*+")


@functools.lru_cache(maxsize=512)
def literal_starts(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Literal texts one of which every match of `pattern` starts with: each top-level branch's leading
    literal (`no|without` -> `no`, `without`), a leading group's own branches (`(?:plan|policy) lapsed`).

    None when a branch may start otherwise (a class, `\\b`, a lookaround, an optional group) or the pattern
    has flags beyond the defaults (a case-insensitive literal is not one string).
    """
    if pattern.flags & ~re.UNICODE:
        return None
    starts, end = _branch_starts(pattern.pattern, 0)
    return tuple(dict.fromkeys(starts)) if starts is not None and end == len(pattern.pattern) else None


def _branch_starts(source: str, i: int) -> tuple[list[str] | None, int]:
    """The leading literals of the branches from `source[i]` to the `)` closing them (or the end), and
    where that is; None for the literals when one branch has none."""
    starts: list[str] | None = []
    while True:
        literal = ""
        while i < len(source) and source[i] not in _SPECIAL:
            literal += source[i]
            i += 1
        here = source[i] if i < len(source) else ""
        if here in ("?", "*", "{"):
            literal = literal[:-1]  # the character before an optional quantifier is not required
        branch: list[str] | None = [literal] if literal else None
        if not literal and here == "(" and (source.startswith(("(?:", "(?P<"), i) or source[i + 1 : i + 2] != "?"):
            # A group opening the branch: its own branches' literals, unless the group may be skipped.
            i = source.index(">", i) + 1 if source.startswith("(?P<", i) else i + (3 if source[i + 1] == "?" else 1)
            branch, i = _branch_starts(source, i)
            i += 1  # its `)`
            if i < len(source) and source[i] in "?*{":
                branch = None
        if branch is None:
            starts = None
        elif starts is not None:
            starts += branch
        i = _branch_end(source, i)
        if i >= len(source) or source[i] == ")":
            return starts, i
        i += 1  # the `|`


def _branch_end(source: str, i: int) -> int:
    """Where the branch going on at `source[i]` ends: its `|`, the `)` closing its group, or the end."""
    depth = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 1
        elif ch == "[":
            i += 2 if source.startswith("[^", i) else 1
            i += source[i] == "]"  # a `]` right after `[` or `[^` is a member of the class, not its end
            while source[i] != "]":
                i += 2 if source[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "|" and depth == 0:
            return i
        i += 1
    return i


def scan(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, the same matches, trying the pattern only where a branch's literal start occurs.

    sre skips ahead fast only for one literal prefix; a pattern of many branches (`coverage ended|not
    enrolled|no coverage|...`) is tried at every position holding one of their first letters, most of
    a letter. `str.find` of each branch's start gives the few places a match can begin.
    """
    starts = literal_starts(pattern)
    if starts is None:
        yield from pattern.finditer(text)
        return
    positions: set[int] = set()
    for start in starts:
        pos = text.find(start)
        while pos >= 0:
            positions.add(pos)
            pos = text.find(start, pos + 1)
    end = 0
    for pos in sorted(positions):
        if pos < end:
            continue  # finditer's matches do not overlap
        m = pattern.match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`pattern.search(text)`, through `scan`."""
    return next(scan(pattern, text), None)
