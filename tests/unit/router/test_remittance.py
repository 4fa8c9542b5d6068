"""An 835 document's case facts come from its segments: the denied claim, its parties, codes, amounts."""

from __future__ import annotations

import datetime as dt

from denialops_router.domain import extract_case_facts
from denialops_router.domain.remittance import read_remittance
from denialops_router.domain.text import make_doc
from tests.unit.shared.test_x12_835 import DENIED, PAID, PARTIAL, interchange


def test_denied_claim_is_chosen_among_paid_and_partly_denied() -> None:
    facts = extract_case_facts([interchange(PAID + PARTIAL + DENIED)])
    assert facts.claim_number == "ICN-DEN-3"
    assert facts.patient_name == "Delphine Fairweather"
    assert facts.member_id == "KCH90441730"  # the subscriber's (NM1*IL) member id
    assert facts.payer_name == "Acme Health Plan"
    assert facts.provider_name == "Northside Clinic"
    assert facts.cpt_codes == ["70553"]
    assert facts.hcpcs_codes == ["A9579"]
    assert [c.code for c in facts.denial_codes] == ["MA130", "CO-197"]
    assert facts.date_of_service == dt.date(2025, 3, 3)
    assert facts.date_of_denial == dt.date(2025, 4, 11)  # DTM*405, not the BPR payment date
    assert facts.billed_amount == 2140.0
    assert facts.allowed_amount is None  # no AMT*B6 on the denied claim
    assert facts.appeal_contact.phone == "8005550102"  # PER*CX, not the EDI help desk
    assert facts.appeal_contact.fax == "8005550103"


def test_partly_denied_claim_beats_a_paid_one() -> None:
    facts = extract_case_facts([interchange(PAID + PARTIAL)])
    assert facts.claim_number == "ICN-PART-2"
    assert facts.allowed_amount == 193.0
    assert [c.code for c in facts.denial_codes] == ["CO-45", "CO-253", "PR-3", "CO-97", "M15"]
    assert facts.patient_responsibility == 40.0


def test_evidence_is_the_segment() -> None:
    text = "ERA viewer\n\n" + interchange(PAID + DENIED)
    facts = extract_case_facts([text])
    [span] = facts.evidence["claim_number"]
    assert text[span.start : span.end] == DENIED[0]


def test_identifier_as_the_readable_part_prints_it() -> None:
    text = interchange(DENIED) + "\n\nDecoded summary\n  Subscriber ID:   KCH-9044-1730\n"
    assert extract_case_facts([text]).member_id == "KCH-9044-1730"


def test_unreadable_interchange_is_noted_and_read_as_prose() -> None:
    text = interchange(DENIED).replace("*00501*", "*00999*", 1)
    remit = read_remittance(make_doc([text]))
    assert remit is not None
    assert not remit.facts
    assert any("could not be read" in a for a in extract_case_facts([text]).assumptions)


def test_letter_without_x12_has_no_remittance() -> None:
    assert read_remittance(make_doc(["Dear member, your claim CL-1 was denied (CO-197)."])) is None
