r"""Patterns for the lower-cased letter that survive hard wraps: a space in the pattern matches any run of whitespace.

PDF extraction and fax text break sentences over lines (`would not\n  change`); writing every
pattern with `\s+` would make them unreadable, so patterns are written with plain spaces and
compiled here.
"""

from __future__ import annotations

import re

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
