"""What a code looks like: the one grammar the extractor and the grounding check share.

CPT (`99213`, category II/III `0001F`, `0042T`, with a modifier `-25`), HCPCS Level II and CDT
(`J1885`, `D2740`), ICD-10-CM (`M54.16`, dot optional `M5416`), CARC with its group (`CO-197`,
`CO 197`, `CO197`, `PR:2`, `Group CO Reason 45`, the X12 segment `CAS*CO*29*`), a labelled bare CARC
(`reason code 198`), and RARCs (`N56`, `M119`, `MA130`). Shapes only: which code is the claim's is the
extractor's business (its context), whether a code is grounded is the grounding check's (the facts).

Each pattern starts with its first character class and checks the character before it right after
(`(?<!X.)`), so sre scans ahead fast instead of trying a lookbehind at every position of a letter.
"""

from __future__ import annotations

import re

GROUPS = ("CO", "PR", "OA", "PI", "CR")
GROUP = "|".join(GROUPS)
CPT_SHAPE = r"\d{4}[\dFTU]"
# HCPCS Level II letters (not I, O, W-Z, and F/N are not HCPCS); `D` covers dental CDT.
HCPCS_SHAPE = r"[A-EGHJ-MP-V]\d{4}"
# A CARC reason: a number, or a letter and a number (`A1`, `B7`, `P12`).
CARC_REASON = r"[A-Z]?\d{1,3}"
# A code ends where its token ends: a modifier (`-25`, `-RT`) may follow a procedure code; a longer tail,
# a decimal or another digit group means an ID, an amount, a ZIP+4.
_PROCEDURE_END = r"(?:-[A-Z0-9]{2})?(?![\w/]|[.,]\d|-\w)"
_CODE_END = r"(?!\w|\.\w|-\d)"

CPT = re.compile(rf"(\d(?<![\w$/.,#-].)\d{{3}}[\dFTU]){_PROCEDURE_END}(?!\s+days\b)")
HCPCS = re.compile(rf"([A-EGHJ-MP-V](?<![\w$/.#-].)\d{{4}}){_PROCEDURE_END}")
# ICD-10-CM: letter, digit, digit-or-letter, then an optional dot and up to four more.
ICD10 = re.compile(r"([A-Z](?<![\w.-].)\d[0-9A-Z])(\.)?([0-9A-Z]{1,4})?(?!\w|\.\w|-\w)")
GROUPED_CARC = re.compile(rf"({GROUP})(?<![\w-]..)(?:\s?[-:/ ]\s?)?({CARC_REASON})(?![\w]|-\d|[.,]\d)")
# `Group CO Reason 45`, `group code PR / CARC 204`: the group and the reason named by words.
WORDED_CARC = re.compile(
    rf"[Gg]roup(?<!\w[Gg]roup)(?: [Cc]ode)?\s*[:=]?\s*({GROUP})\b\s*[,;/]?\s*"
    rf"(?:[Rr]eason|CARC|carc)(?: [Cc]ode)?\s*[:#=]?\s*({CARC_REASON})(?![\w]|-\d|[.,]\d)"
)
# The X12 adjustment segment pasted into a text: `CAS*CO*29*210.00`, later reasons every third element.
CAS_SEGMENT = re.compile(rf"CAS(?<!\wCAS)\*({GROUP})\*([^~\n]*)")
_CODE_WORDS = (
    r"(?:carc|claim adjustment reason code|adjustment reason code|reason code|denial code|adjustment code|"
    r"adj(?:ustment)? reason(?: code)?|adj code)"
)
LABELLED_CARC = re.compile(
    rf"\b{_CODE_WORDS}s?\s*[:#=]?\s*({CARC_REASON}(?:\s*(?:,|/|&|and)\s*{CARC_REASON})*)(?![\w]|-\d|[.,]\d)",
    re.IGNORECASE,
)
RARC = re.compile(rf"(M(?<![\w.-].)(?:A\d{{2,3}}|\d{{1,3}})|N(?<![\w.-].)\d{{1,3}}){_CODE_END}")


def cas_reasons(elements: str) -> list[str]:
    """The reasons of a CAS segment's elements after its group (`29*210.00**45*5.00` -> 29, 45)."""
    parts = elements.split("*")
    return [p for p in parts[0::3] if re.fullmatch(CARC_REASON, p)]


def normalise_code(code: str) -> str:
    """One spelling per code, for comparing: upper case, no dot, `CO-197` for every group form."""
    code = code.strip().upper().replace(".", "")
    return re.sub(rf"^({GROUP})[ :/-]?(?=[A-Z]?\d)", r"\1-", code)
