"""The one grammar for codes, shared by the extractor and the grounding check."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from denialops_shared.contracts import codes
from denialops_shared.contracts.codes import (
    CAS_SEGMENT,
    CPT,
    GROUPED_CARC,
    HCPCS,
    ICD10,
    LABELLED_CARC,
    RARC,
    WORDED_CARC,
    cas_reasons,
    normalise_code,
    ocr_code,
    ocr_digits,
)


def test_procedure_code_shapes_and_what_is_not_one() -> None:
    text = "99213-25 0001F J1885 $12345 84118-1234 99213.50 within 18000 days D2740"
    assert [m.group(1) for m in CPT.finditer(text)] == ["99213", "0001F"]
    assert [m.group(1) for m in HCPCS.finditer(text)] == ["J1885", "D2740"]


def test_icd10_with_and_without_its_dot() -> None:
    found = [(m.group(1), bool(m.group(2)), m.group(3)) for m in ICD10.finditer("M54.16, M5416 and A00.M0X.1")]
    assert found == [("M54", True, "16"), ("M54", False, "16")]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("CO-197 CO 50 PR:2 OA/18 CO197", ["CO-197", "CO-50", "PR-2", "OA-18", "CO-197"]),
        ("denver, CO 80202", []),
        ("CO-A1 PI-B7", ["CO-A1", "PI-B7"]),
    ],
)
def test_grouped_carcs(text: str, codes: list[str]) -> None:
    assert [normalise_code(m.group()) for m in GROUPED_CARC.finditer(text)] == codes


def test_worded_labelled_and_segment_carcs_and_rarcs() -> None:
    assert [m.groups() for m in WORDED_CARC.finditer("Group CO Reason 45; Group PR Reason 1")] == [
        ("CO", "45"),
        ("PR", "1"),
    ]
    assert LABELLED_CARC.search("reason codes 16, 96 and 204") is not None
    assert [m.group(1) for m in LABELLED_CARC.finditer("CARC 16; Adj Reason: A1 / 96, xreason code 5")] == [
        "16",
        "A1 / 96",
    ]


# The code words as a plain case-insensitive alternation: what `_CODE_WORDS`, written for speed, matches.
_PLAIN_LABELLED_CARC = re.compile(
    LABELLED_CARC.pattern.replace(
        codes._CODE_WORDS,
        r"\b(?:carc|claim adjustment reason code|adjustment reason code|reason code|denial code|adjustment code|"
        r"adj(?:ustment)? reason(?: code)?|adj code)",
    ),
    re.IGNORECASE,
)
_LABELS = (
    *("carc", "CARC", "Claim Adjustment Reason Code", "adjustment reason code", "REASON CODE", "denial code"),
    *("Adjustment Code", "adj reason", "adjustment reason", "Adj Code", "Code", "adj", ""),
)
# What may stand before a label (a word or a dot glued to it, OCR's look-alike letters), and after it.
_BEFORE = ("", " ", "\n", "x", "_", "9", ".", "-", "ſ", "ı", "K", "é")
_AFTER = ("", "s", " ", ": ", "#", "=", "s  ", "\n")
_REASONS = ("16", "A1", "16, 96", "A1 / 96 and 204", "16 & x", "1234", "16.5", "16-1", "x", "")


@given(
    st.lists(
        st.tuples(*map(st.sampled_from, (_BEFORE, _LABELS, _AFTER, _REASONS, _BEFORE))).map("".join), max_size=4
    ).map("".join)
)
def test_labelled_carc_matches_exactly_what_the_plain_alternation_matches(text: str) -> None:
    def found(pattern: re.Pattern[str]) -> list[tuple[tuple[int, int], str]]:
        return [(m.span(), m.group(1)) for m in pattern.finditer(text)]

    assert found(LABELLED_CARC) == found(_PLAIN_LABELLED_CARC)
    (segment,) = CAS_SEGMENT.finditer("SVC*HC:99214*210~CAS*CO*29*210.00**45*5.00~")
    assert (segment.group(1), cas_reasons(segment.group(2))) == ("CO", ["29", "45"])
    assert [m.group(1) for m in RARC.finditer("N56, M119 MA130 N4 M54.16 XN12")] == ["N56", "M119", "MA130", "N4"]


@pytest.mark.parametrize(
    ("token", "kind", "code"),
    [
        ("GO299", "hcpcs", "G0299"),  # O for 0
        ("J1l00", "hcpcs", "J1100"),  # l for 1
        ("9921S", "cpt", "99215"),  # S for 5
        ("0001F", "cpt", "0001F"),  # category II keeps its letter
        ("291.81", "icd10", "Z91.81"),  # Z read as 2 at the start
        ("150.22", "icd10", "I50.22"),  # I read as 1
        ("Z00. 00", "icd10", "Z00.00"),  # a space after the dot
        ("MO5.12", "icd10", "M05.12"),  # the second character is always a digit
    ],
)
def test_ocr_code_reads_the_usual_misreadings(token: str, kind: str, code: str) -> None:
    assert ocr_code(token, kind) == code


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("visit", "cpt"),  # a word: fewer than three digits
        ("GOOOO", "hcpcs"),
        ("99213", "hcpcs"),  # a CPT is no HCPCS
        ("G0151", "cpt"),
        ("7OO.12", "icd10"),  # 7 at the start could be T or Z: left unread
        ("123", "icd10"),  # a bare number is no ICD-10 category
        ("160.00", "cpt"),  # an amount
        ("W1234", "hcpcs"),  # W is no HCPCS letter
    ],
)
def test_ocr_code_invents_nothing_outside_the_grammar(token: str, kind: str) -> None:
    assert ocr_code(token, kind) is None


def test_ocr_digits_maps_only_the_letters_ocr_puts_for_digits() -> None:
    assert ocr_digits("4118O-l2S") == "41180-125"
    assert ocr_digits("TAX") == "TAX"
