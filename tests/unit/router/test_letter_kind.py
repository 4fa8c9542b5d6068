"""The letter's kind: appeal decisions that are final, that offer another level, or that go on to an IRE."""

from __future__ import annotations

import pytest

from denialops_router.domain import letter_kind
from denialops_router.domain.text import make_doc

FORWARDED = (
    "Notice of reconsideration decision. We did not decide fully in your favor. Medicare rules require us to "
    "send your case automatically to an Independent Review Entity (IRE). You do not need to do anything. "
    "If the IRE also decides against you, its letter will explain the next level of appeal."
)
LAST_LEVEL = (
    "Case status: CLOSED - UPHELD. This was the final level of Acme's internal appeal process; no further "
    "internal appeal is available. You may request an external review within 4 months."
)
FIRST_LEVEL = (
    "First-level appeal decision. We uphold the denial. This decision is final for the first level of appeal. "
    "It is not the Plan's final decision.\nYOUR RIGHT TO A SECOND-LEVEL APPEAL\nWrite to the Committee."
)
INITIAL = "Explanation of payment. Claim 12 denied CO-50: not medically necessary. Final determination of benefits."


def test_a_reconsideration_forwarded_to_an_ire_is_final() -> None:
    doc = make_doc([FORWARDED])
    assert letter_kind.forwarded_to_independent_review(doc) is not None
    # The IRE's own next level is not another internal level.
    assert letter_kind.more_levels(doc) is None
    assert letter_kind.final_appeal_decision(doc)[0]
    assert letter_kind.upheld(doc)[0]


def test_the_last_internal_level_is_final_however_it_is_worded() -> None:
    assert letter_kind.final_appeal_decision(make_doc([LAST_LEVEL]))[0]


def test_a_first_level_decision_offering_a_second_is_not_final() -> None:
    doc = make_doc([FIRST_LEVEL])
    assert letter_kind.appeal_decision(doc) is not None
    assert letter_kind.more_levels(doc) is not None
    assert not letter_kind.final_appeal_decision(doc)[0]


def test_an_initial_remittance_is_no_appeal_decision() -> None:
    doc = make_doc([INITIAL])
    assert letter_kind.remittance(doc) is not None
    assert letter_kind.appeal_decision(doc) is None
    assert not letter_kind.final_appeal_decision(doc)[0]


@pytest.mark.parametrize(
    "text",
    [
        "Medicare is primary. Send us the other payer's explanation of benefits and we will reconsider the claim.",
        "Resubmit the claim with the primary plan's EOB/remittance attached.",
        "Remark N479: missing explanation of benefits from the other payer.",
        "Rejected claims are not on file: no remittance will be sent for them.",
        "Do not resend the claim. Wait for the remittance on claim 70551.",
    ],
)
def test_a_remittance_of_another_party_missing_or_to_come_is_not_this_document(text: str) -> None:
    assert letter_kind.remittance(make_doc([text])) is None


def test_appeal_rights_saying_what_would_happen_is_no_forwarding() -> None:
    rights = (
        "Notice of denial of payment. You have the right to appeal our decision. If we do not decide fully in "
        "your favor, we will send your case to an independent review entity. You do not need to ask for that step."
    )
    doc = make_doc([rights])
    assert letter_kind.forwarded_to_independent_review(doc) is None
    assert not letter_kind.final_appeal_decision(doc)[0]


def test_other_authors_words_for_the_last_level() -> None:
    for ending in (
        "You have exhausted all of your appeal rights with the plan.",
        "There are no further appeals available through the plan.",
    ):
        letter = (
            f"We completed our review of your appeal. The denial is upheld. {ending} You may ask for external review."
        )
        assert letter_kind.final_appeal_decision(make_doc([letter]))[0], ending


@pytest.mark.parametrize(
    ("text", "is_message"),
    [
        ("From: Claims Team <claims@plan.example>\nTo: Member\nSubject: RE: your claim\n\nHello,", True),
        ("[09:12] Agent: Hello.\n[09:13] Member: Hi, my claim was denied.\n", True),
        ("03/04/2025 10:02:11  AB  Call from the clinic.\n03/04/2025 10:04:40  AB  Explained the denial.\n", True),
        ("ACME PLAN\nDate: 03/04/2025\nTo: Member\n\nNOTICE OF DENIAL\nWe denied the claim at 10:30 today.", False),
    ],
)
def test_a_message_is_an_email_or_time_stamped_lines(text: str, is_message: bool) -> None:
    assert letter_kind.message(make_doc([text])) is is_message


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("NOTICE OF DENIAL\n(Expedited / fast decision)\nType of decision: EXPEDITED (72 hours)\n", True),
        ("URGENT / EXPEDITED PRE-SERVICE DETERMINATION\nWe denied the request.\n", True),
        (
            "We denied the claim.\n\nEXPEDITED (URGENT) APPEALS\nYou may ask for a fast appeal if waiting harms you.\n",
            False,
        ),
        ("PAYEE NORTHSIDE URGENT CARE   VENDOR 0091\nClaim denied CO-29.\n", False),
        (
            "If your health is at risk, you may ask for one. We will decide an expedited appeal within 24 hours.\n",
            False,
        ),
    ],
)
def test_expedited_is_the_decisions_own_basis(text: str, urgent: bool) -> None:
    assert bool(letter_kind.expedited(make_doc([text]))) is urgent
