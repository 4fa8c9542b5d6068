"""Splitting an 835 file by claim (tests/fixtures/x12, our own synthetic files): which claims become
cases, each claim's own 835, the derived ids, and the refusals with their segment positions."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from denialops_intake.domain.remittances import (
    Kind,
    MalformedRemittance,
    SplitClaim,
    claim_case_id,
    claim_document_id,
    claims,
    remittance_id,
    validate,
)
from denialops_intake.remittances import decode
from denialops_router.domain.remittance import read_remittance
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.cloudevents import MAX_EVENT_BYTES
from denialops_shared.contracts.events import MAX_REMITTANCE_CHARS, RemittanceReceived
from denialops_shared.remittance_rules import ROUTINE_ADJUSTMENTS, is_routine
from denialops_shared.x12_835 import Adjustment, ClaimRead, iter_835, read_835
from tests.unit.shared.test_x12_835 import DENIED, PAID, interchange

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.835").read_text(encoding="ascii")


def denial_codes(claim_text: str) -> list[str]:
    """The codes the router reads from a claim's own 835, in segment order."""
    remit = read_remittance(make_doc([claim_text]))
    assert remit is not None
    value = remit.facts["denial_codes"].value
    assert isinstance(value, list)
    return [c.code for c in value]


def split(text: str, tenant: str = "acme") -> list[SplitClaim | tuple[str, str]]:
    validate(text)
    return list(claims(tenant, text))


def test_payment_partial_and_full_denial_side_by_side() -> None:
    paid, partial, denied = split(fixture("mixed"))
    assert isinstance(paid, SplitClaim)
    assert isinstance(partial, SplitClaim)
    assert isinstance(denied, SplitClaim)
    assert [(c.label, c.kind) for c in (paid, partial, denied)] == [
        ("ICN-PAID-1", Kind.PAID),  # CO-45, PR-2 only: no case
        ("ICN-PART-2", Kind.ADJUSTED),  # a line denied CO-97
        ("ICN-DEN-3", Kind.DENIED),  # CLP02 = 4
    ]
    assert denied.key == "acme:ACME HEALTH PLAN:ICN-DEN-3"


def test_each_claim_is_an_835_of_its_own_that_the_router_reads_from_its_segments() -> None:
    *_, partial, denied = split(fixture("mixed"))
    assert isinstance(denied, SplitClaim)
    assert isinstance(partial, SplitClaim)
    reading = read_835(denied.text)
    assert reading.envelope_errors == []
    assert reading.unreadable == []
    [remittance] = reading.remittances
    assert [c.payer_claim_number for c in remittance.claims] == ["ICN-DEN-3"]
    assert remittance.party("PR") is not None
    assert remittance.party("PE") is not None
    assert remittance.provider_adjustments == [], "PLB stays on the file's remittance, not on a claim"
    remit = read_remittance(make_doc([denied.text]))
    assert remit is not None
    assert remit.facts["claim_number"].value == "ICN-DEN-3"
    assert denial_codes(denied.text) == ["MA130", "CO-197"]
    span = remit.facts["claim_number"].spans[0]
    assert denied.text[span.start : span.end].startswith("CLP*ACCT-3*4*")
    assert "ICN-DEN-3" not in partial.text
    assert "ICN-PAID-1" not in partial.text


def test_plb_is_kept_on_the_remittance() -> None:
    [plb_wo, plb_l6] = validate(fixture("mixed"))
    assert (plb_wo.reason, plb_wo.reference, plb_wo.amount) == ("WO", "ICN-OLD-9", Decimal("-50.00"))
    assert (plb_l6.reason, plb_l6.amount) == ("L6", Decimal("2.15"))
    [remittance] = read_835(fixture("mixed")).remittances
    assert len(remittance.provider_adjustments) == 2
    assert len(remittance.claims) == 3


def test_group_codes_remarks_and_several_envelopes_with_their_own_delimiters() -> None:
    pi, oa, cr = split(fixture("group_codes"))
    assert isinstance(pi, SplitClaim)
    assert isinstance(oa, SplitClaim)
    assert isinstance(cr, SplitClaim)
    assert [(c.label, c.kind) for c in (pi, oa, cr)] == [
        ("ICN-PI-4", Kind.DENIED),  # nothing paid: PI-204
        ("ICN-OA-5", Kind.DENIED),  # nothing paid: OA-18 duplicate
        ("ICN-CR-6", Kind.ADJUSTED),  # paid, with a CR adjustment
    ]
    assert oa.text.startswith("ISA|00|"), "the claim keeps its file's delimiters"
    assert "\nCLP|ACCT-5|1|" in oa.text
    assert denial_codes(pi.text) == ["MA01", "PI-204", "N130"]
    assert denial_codes(cr.text) == ["CR-45", "PR-1"]


def test_a_reversal_and_its_correction_are_one_claim_read_as_the_correction() -> None:
    [corrected] = split(fixture("reversal"))
    assert isinstance(corrected, SplitClaim)
    assert corrected.kind is Kind.DENIED
    [remittance] = read_835(corrected.text).remittances
    assert [c.status for c in remittance.claims] == ["22", "4"], "both CLP loops, in one 835"
    assert read_835(corrected.text).envelope_errors == []
    assert denial_codes(corrected.text) == ["N54", "CO-50"], "the router reads the correction"
    [*_, first_denial] = split(fixture("mixed"))
    assert isinstance(first_denial, SplitClaim)
    assert first_denial.key == corrected.key, "the later file finds the first one's case"


def test_a_reversal_alone_is_its_own_claim() -> None:
    [reversal] = split(interchange(["CLP*ACCT-3*22*-2140.00*0*0*12*ICN-DEN-3*11*1", "CAS*CR*197*-2140.00"]))
    assert isinstance(reversal, SplitClaim)
    assert reversal.kind is Kind.REVERSAL


@pytest.mark.parametrize(("group", "reason"), sorted(ROUTINE_ADJUSTMENTS))
def test_routine_adjustments_alone_open_no_case(group: str, reason: str) -> None:
    clp = f"CLP*A-9*1*100.00*80.00*20.00*12*ICN-R-9*11*1~SVC*HC:99213*100.00*80.00**1~CAS*{group}*{reason}*20.00"
    [claim] = split(interchange(clp.split("~")))
    assert isinstance(claim, SplitClaim)
    assert claim.kind is Kind.PAID


@pytest.mark.parametrize(("group", "reason"), [("CO", "97"), ("CO", "197"), ("PR", "204"), ("OA", "18"), ("PI", "16")])
def test_other_adjustments_open_a_case_even_when_paid(group: str, reason: str) -> None:
    clp = f"CLP*A-9*1*100.00*80.00*0*12*ICN-R-9*11*1~SVC*HC:99213*100.00*80.00**1~CAS*{group}*{reason}*20.00"
    [claim] = split(interchange(clp.split("~")))
    assert isinstance(claim, SplitClaim)
    assert claim.kind is Kind.ADJUSTED
    assert not is_routine(Adjustment(group, reason, None, read_835(claim.text).remittances[0].claims[0].segment))


def test_a_claim_without_clp07_cannot_be_deduplicated_and_is_skipped() -> None:
    [skipped] = split(interchange(["CLP*ACCT-7*4*100.00*0*0*12"]))
    assert skipped == ("ACCT-7", "no payer claim control number (CLP07)")


def test_ids_are_derived_from_tenant_payer_and_claim() -> None:
    data = fixture("mixed").encode()
    assert remittance_id("acme", data) == remittance_id("acme", data) != remittance_id("globex", data)
    [*_, acme] = split(fixture("mixed"), "acme")
    [*_, globex] = split(fixture("mixed"), "globex")
    assert isinstance(acme, SplitClaim)
    assert isinstance(globex, SplitClaim)
    assert claim_case_id(acme.key) != claim_case_id(globex.key), "tenants never share a case"
    case_id = claim_case_id(acme.key)
    assert claim_document_id(case_id, acme.text) == claim_document_id(case_id, globex.text.replace("x", "x"))


def test_claims_are_streamed_without_collecting_them() -> None:
    text = interchange(PAID * 50 + DENIED * 50)
    reads = [item for item in iter_835(text) if isinstance(item, ClaimRead)]
    assert len(reads) == 100
    assert all(r.remittance.claims == [] for r in reads), "a streamed claim is not kept on its remittance"


def refusal(text: str) -> MalformedRemittance:
    with pytest.raises(MalformedRemittance) as caught:
        validate(text)
    return caught.value


def test_a_wrong_se_count_names_the_se_segment_and_its_position() -> None:
    text = interchange(DENIED)
    bad = text.replace("SE*19*", "SE*18*")
    assert bad != text
    error = refusal(bad)
    assert (error.segment, error.position) == ("SE", 21)
    assert bad[error.offset :].startswith("SE*18*")
    assert "SE01" in error.where()
    assert "segment 21" in error.where()
    assert "FAIRWEATHER" not in error.where()


@pytest.mark.parametrize(
    ("old", "new", "segment", "element"),
    [("GE*1*1", "GE*2*1", "GE", "GE01"), ("IEA*1*", "IEA*3*", "IEA", "IEA01"), ("GE*1*1", "GE*1*9", "GE", "GE02")],
)
def test_wrong_group_and_interchange_trailers_are_refused_where_they_are(
    old: str, new: str, segment: str, element: str
) -> None:
    bad = interchange(DENIED).replace(old, new)
    error = refusal(bad)
    assert error.segment == segment
    assert element in error.message
    assert bad[error.offset :].startswith(new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("CLP*A*4*1*0~ a fragment", "no ISA interchange header with known delimiters was found"),
        ("ISA#00#" + "x" * 200, "the ISA segment is incomplete"),  # its separators stop short
        (interchange(DENIED).replace("*00501*", "*00999*", 1), "unknown X12 version"),
        (interchange(DENIED) + "trailing note", "text outside any ISA...IEA interchange"),
        (interchange(DENIED).split("SE*")[0], "has no IEA trailer"),
    ],
)
def test_malformed_files_are_refused_whole(text: str, message: str) -> None:
    assert message in refusal(text).message


def test_binary_and_non_text_files_are_refused() -> None:
    with pytest.raises(MalformedRemittance, match="binary"):
        decode(b"%PDF\x00\x01" + bytes(range(256)))
    with pytest.raises(MalformedRemittance, match="not ASCII"):
        decode(b"ISA*\xff\xfe")
    assert decode(b"\xef\xbb\xbfISA") == "ISA"


def test_broken_envelopes_pyx12_trips_over_are_refused_not_crashed() -> None:
    text = interchange(DENIED)
    no_gs = text.replace("GS*HP*PAYERID*PAYEEID*20250411*2210*1*X*005010X221A1~", "")
    assert "envelope is broken" in refusal(no_gs).message
    short_isa = text.replace("*0*P*:~", "*P*:~", 1)
    assert refusal(short_isa).message, "an ISA one element short is refused"


def test_damaged_files_are_refused_or_read_never_crash() -> None:
    """Random damage (a delimiter changed, dropped or added) ends in a refusal or a clean reading."""
    rng = random.Random(17)
    base = interchange(PAID + DENIED)
    for _ in range(300):
        chars = list(base)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                chars[at] = rng.choice("*~:^|A0 \n")
            elif action == 1:
                del chars[at]
            else:
                chars.insert(at, rng.choice("*~:^|9 \n"))
        damaged = "".join(chars)
        try:
            validate(damaged)
        except MalformedRemittance:
            continue
        for item in claims("acme", damaged):
            assert isinstance(item, SplitClaim | tuple)


def test_a_remittance_event_is_bounded_to_one_kafka_record() -> None:
    RemittanceReceived(tenant_id="acme", case_id="era-1", text="x" * MAX_REMITTANCE_CHARS)
    with pytest.raises(ValidationError):
        RemittanceReceived(tenant_id="acme", case_id="era-1", text="x" * (MAX_REMITTANCE_CHARS + 1))
    assert MAX_REMITTANCE_CHARS < MAX_EVENT_BYTES
