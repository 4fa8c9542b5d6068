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
# The words that label a CARC (`carc`, `claim adjustment reason code`, `adjustment reason code`, `reason
# code`, `denial code`, `adjustment code`, `adj reason`, `adjustment reason`, `adj code`, in that order),
# matched case-insensitively as a whole word. Written first letter first, that letter case-sensitive
# (`(?-i:...)`, and only ASCII letters fold to these four): a case-insensitive pattern gives sre no
# first character to scan for, so `\b(?:carc|...)` was tried at every position of a letter.
_CODE_WORDS = (
    r"(?-i:[AaCcDdRr])(?<!\w.)(?:"
    r"(?<=[Cc])(?:arc|laim adjustment reason code)"
    r"|(?<=[Aa])(?:djustment reason code|djustment code|dj(?:ustment)? reason(?: code)?|dj code)"
    r"|(?<=[Rr])eason code|(?<=[Dd])enial code)"
)
LABELLED_CARC = re.compile(
    rf"{_CODE_WORDS}s?\s*[:#=]?\s*({CARC_REASON}(?:\s*(?:,|/|&|and)\s*{CARC_REASON})*)(?![\w]|-\d|[.,]\d)",
    re.IGNORECASE,
)
RARC = re.compile(rf"(M(?<![\w.-].)(?:A\d{{2,3}}|\d{{1,3}})|N(?<![\w.-].)\d{{1,3}}){_CODE_END}")


def cas_reasons(elements: str) -> list[str]:
    """The reasons of a CAS segment's elements after its group (`29*210.00**45*5.00` -> 29, 45)."""
    parts = elements.split("*")
    return [p for p in parts[0::3] if re.fullmatch(CARC_REASON, p)]


_GROUP_SEPARATOR = re.compile(rf"^({GROUP})[ :/-]?(?=[A-Z]?\d)")


def normalise_code(code: str) -> str:
    """One spelling per code, for comparing: upper case, no dot, `CO-197` for every group form."""
    code = code.strip().upper().replace(".", "")
    return _GROUP_SEPARATOR.sub(r"\1-", code)


# OCR's usual misreadings of a code's characters. A digit position read as a letter (`GO299`, `99Z13`)
# and, for ICD-10-CM, the leading letter read as a digit (`291.81` for Z91.81, `150.22` for I50.22).
# `7` stays unread at the start (T or Z), and a space OCR put after a code's dot or hyphen is dropped.
_OCR_AS_DIGIT = str.maketrans("OoDIl|SsB", "000111558")
_OCR_AS_LETTER = str.maketrans("0125", "OIZS")
_OCR_CODE_SHAPES = {
    "cpt": re.compile(CPT_SHAPE),
    "hcpcs": re.compile(HCPCS_SHAPE),
    "icd10": re.compile(r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"),
}
# What a misread code can look like at all: code characters, one optional dot (with OCR's space after it).
_OCR_TOKEN = re.compile(r"[0-9A-Za-z|]{3,5}(?:\. ?[0-9A-Za-z]{1,4})?")


def ocr_digits(text: str) -> str:
    """`text` with the letters OCR puts for digits read as digits (`4118O` -> `41180`)."""
    return text.translate(_OCR_AS_DIGIT)


def ocr_code(token: str, kind: str) -> str | None:
    """The `kind` code (`cpt`, `hcpcs`, `icd10`) an OCR'd token spells, or None when it spells none.

    Only for a token that stands where the document's structure puts a code (a code field, a code
    column): the reading maps OCR's confusions and then must fit the code's grammar exactly, and at
    least three of the token's characters must already be digits, so no word of prose becomes a code.
    """
    token = token.replace(". ", ".")
    if not _OCR_TOKEN.fullmatch(token) or sum(c.isdigit() for c in token) < 3:
        return None
    head, dot, tail = token.partition(".")
    if kind == "icd10":
        if head[0].isdigit() and not dot:
            return None  # a bare number (`123`) is a count before it is a misread category
        code = head[0].upper().translate(_OCR_AS_LETTER) + ocr_digits(head[1:2]) + head[2:].upper() + dot + tail.upper()
    elif dot:
        return None
    elif kind == "hcpcs":
        code = head[0].upper() + ocr_digits(head[1:])
    else:  # CPT: four digits, then a digit or the F/T/U of category II and III
        code = ocr_digits(head[:4]) + (head[4:] if head[4:] in ("F", "T", "U") else ocr_digits(head[4:]))
    return code if _OCR_CODE_SHAPES[kind].fullmatch(code) else None
