"""Member ID and claim number read by the role of their label, whatever its spelling."""

from __future__ import annotations

import pytest

from denialops_router.domain.parties import find_claim_number, find_member_id
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import make_doc


def _ids(letter: str) -> tuple[str | None, str | None]:
    doc = make_doc([letter])
    scope = find_scope(doc)
    member, claim = find_member_id(doc, scope), find_claim_number(doc, scope)
    return (member.value if member else None), (claim.value if claim else None)


@pytest.mark.parametrize(
    ("block", "member", "claim"),
    [
        ("Subscriber ID: ABC 1234 5678\nClaim #: CL-2025-000871\n", "ABC 1234 5678", "CL-2025-000871"),
        ("ID#  XYZ778812\nICN  25040300771122\n", "XYZ778812", "25040300771122"),
        ("Riverstone ID:       RFC 3390-1127\nClaim No.:  RHI-250114-07716\n", "RFC 3390-1127", "RHI-250114-07716"),
        ("Member / Miembro: Ana Ruiz\nMember ID / Numero de miembro: OHC-300-77-2154\n", "OHC-300-77-2154", None),
        ("Claim / Reclamo:       TB25-0317-60044\n", None, "TB25-0317-60044"),
        ("CLM# GH5069201147   PAT CTL# LCH-A-2250187\n", None, "GH5069201147"),
        ("Payer claim control no. (CLP07) .. CB2503280007719\n", None, "CB2503280007719"),
        ("Beneficiary: Mary Lou Jones   HICN 1EG4-TE5-MK72\n", "1EG4-TE5-MK72", None),
        ("Claim:  SH25-030318-SN (received 03/03/2025)\n", None, "SH25-030318-SN"),
    ],
)
def test_labels_by_role(block: str, member: str | None, claim: str | None) -> None:
    assert _ids("ACME HEALTH PLAN\n\n" + block) == (member, claim)


def test_other_owners_ids_are_not_the_member_id() -> None:
    letter = (
        "Chat ID: GF-LC-20250312-00731    Started: 2025-03-12\nMember Services: 719-555-0166\n"
        "Member: Gideon Lund     Session ID: TBP-MC-88412007\nAgent: your member ID is THP-552-18-0094.\n"
    )
    assert _ids(letter)[0] == "THP-552-18-0094"


def test_capitals_after_the_id_words_begin_the_value() -> None:
    assert _ids("Plan\nFormer member ID AMA 330912847   |   Claim AF250115-30072\n")[0] == "AMA 330912847"


def test_original_claim_label_is_not_the_denied_claim() -> None:
    letter = "Plan\nOriginal claim: ZZ25-0101-10001\nClaim number: ZZ25-0101-10002\n"
    assert _ids(letter)[1] == "ZZ25-0101-10002"


def test_a_rejected_row_without_a_claim_number_has_none() -> None:
    letter = (
        "CLEARINGHOUSE REJECTION REPORT\n\n"
        "SEQ  ACCT#       PATIENT           MEMBER ID     DOS         CHARGES   RESULT    CLAIM NO.\n"
        "001  CPP-77102   NAVARRO, ELENA    MHP-61190-02  05/05/2025  $180.00   ACCEPTED  MH25050900410\n"
        "002  CPP-77105   GALLOWAY, PIA     MHP-60914-77  05/05/2025  $231.00   REJECTED  (none assigned)\n"
    )
    member, claim = _ids(letter)
    assert member == "MHP-60914-77"
    assert claim is None


def test_member_id_in_brackets_after_the_persons_name() -> None:
    letter = (
        "[05/16 09:12] Clinic billing: Claim KP-2505-118204 for Yusuf Abernathy-Lin (KPH 7731-004-22) was denied.\n"
    )
    assert _ids(letter) == ("KPH 7731-004-22", "KP-2505-118204")


def test_a_member_label_beats_an_earlier_bare_id_label() -> None:
    # A report's, a submitter's or a town's `ID` printed first, and a policy number, are not the member's.
    letter = (
        "ACME PLAN\nReport ID: RP-26-1120-0318\nPO Box 77, Boise ID 83731-1870\nsubmitter_id=SUB00419\n"
        "Policy: ACME-SHIP 2024-2025\nInsured ID: ACM-0931847\n"
    )
    assert _ids(letter)[0] == "ACM-0931847"


def test_a_bare_id_label_still_names_the_member_when_nothing_else_does() -> None:
    assert _ids("ACME PLAN\nRiverstone ID:   RFC 3390-1127\n")[0] == "RFC 3390-1127"


def test_a_brand_before_claim_number_and_another_partys_claim() -> None:
    letter = (
        "ACME BEHAVIORAL\nEmployer claim / incident: EC-2024-3318 (employer reference only)\n"
        "ACBH claim number:         ACB-25-008812\n"
    )
    assert _ids(letter)[1] == "ACB-25-008812"
    assert _ids("[claim]\npatient_ctrl_no=PC-88213\npayer_claim_ctrl_no=AC2505001187\n")[1] == "AC2505001187"


def test_labels_read_through_ocrs_rn_for_m() -> None:
    assert _ids("ACME PLAN\nMernber ID: ACM-118-40-2271            Clairn #: 25009-448812-01\n") == (
        "ACM-118-40-2271",
        "25009-448812-01",
    )
