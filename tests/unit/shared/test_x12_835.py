"""Reading X12 835 interchanges out of a document's text (synthetic remittances)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from denialops_shared.x12_835 import read_835


def isa(control: str, ele: str = "*", comp: str = ":", rep: str = "^", version: str = "00501") -> str:
    """A fixed-width ISA segment (without its terminator)."""
    parts = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PAYERID".ljust(15), "ZZ", "PAYEEID".ljust(15),
        "250411", "2210", rep, version, control, "0", "P", comp,
    ]  # fmt: skip
    segment = ele.join(parts)
    assert len(segment) == 105
    return segment


def interchange(claims: list[str], control: str = "000000001", ele: str = "*", term: str = "~") -> str:
    body = [
        f"GS{ele}HP{ele}PAYERID{ele}PAYEEID{ele}20250411{ele}2210{ele}1{ele}X{ele}005010X221A1",
        f"ST{ele}835{ele}0001",
        f"BPR{ele}I{ele}90.18{ele}C{ele}ACH" + ele * 12 + "20250414",
        f"DTM{ele}405{ele}20250411",
        f"N1{ele}PR{ele}ACME HEALTH PLAN",
        f"PER{ele}CX{ele}CLAIMS{ele}TE{ele}8005550102{ele}FX{ele}8005550103",
        f"PER{ele}BL{ele}EDI HELP DESK{ele}TE{ele}8005550199",
        f"N1{ele}PE{ele}NORTHSIDE CLINIC{ele}XX{ele}1234567893",
        f"LX{ele}1",
        *[c.replace("*", ele) for c in claims],
    ]
    count = len(body)  # ST through SE: the GS is not counted, the SE added below is
    body += [f"SE{ele}{count}{ele}0001", f"GE{ele}1{ele}1", f"IEA{ele}1{ele}{control}"]
    return term.join([isa(control, ele), *body]) + term


def segments(text: str) -> list[str]:
    return text.split("~")


PAID = segments(
    "CLP*ACCT-1*1*168.00*90.18*22.55*12*ICN-PAID-1*11*1~NM1*QC*1*ROE*JANE****MI*ACM1234~"
    "SVC*HC:92012*168.00*90.18**1~DTM*472*20250219~CAS*CO*45*55.27~CAS*PR*2*22.55~AMT*B6*112.73"
)
PARTIAL = segments(
    "CLP*ACCT-2*1*385.00*153.00*40.00*12*ICN-PART-2*11*1~NM1*QC*1*DOE*JOHN****MI*ACM5678~"
    "SVC*HC:97110*180.00*153.00**2~DTM*472*20250301~CAS*CO*45*27.00**253*3.00~CAS*PR*3*40.00~AMT*B6*193.00~"
    "SVC*HC:97140:59*95.00*0.00**1~DTM*472*20250301~CAS*CO*97*95.00~LQ*HE*M15"
)
DENIED = segments(
    "CLP*ACCT-3*4*2140.00*0*0*12*ICN-DEN-3*11*1~NM1*QC*1*FAIRWEATHER*DELPHINE~"
    "NM1*IL*1*FAIRWEATHER*ROLAND*J***MI*KCH90441730~MOA***MA130~DTM*232*20250303~"
    "SVC*HC:70553*1890.00*0**1~DTM*472*20250303~CAS*CO*197*1890.00~SVC*HC:A9579*250.00*0**15~CAS*CO*197*250.00"
)


def test_one_interchange_among_prose_with_offsets() -> None:
    edi = interchange(PAID + DENIED)
    text = f"Clearinghouse ERA viewer\nFile received 04/12/2025\n\n{edi}\n\nDecoded summary follows ~ not X12.\n"
    reading = read_835(text)
    assert not reading.unreadable
    assert not reading.envelope_errors
    [remit] = reading.remittances
    payer = remit.party("PR")
    assert payer is not None
    assert payer.last_or_org == "ACME HEALTH PLAN"
    assert remit.production_date is not None
    assert remit.production_date.date == dt.date(2025, 4, 11)
    assert remit.payment_date == dt.date(2025, 4, 14)
    assert [c.function for c in remit.contacts] == ["CX", "BL"]
    paid, denied = remit.claims
    assert text[denied.segment.start : denied.segment.end] == DENIED[0]
    assert (denied.status, denied.charge, denied.payer_claim_number) == ("4", Decimal("2140.00"), "ICN-DEN-3")
    assert [(p.role, p.last_or_org, p.first) for p in denied.parties] == [
        ("QC", "FAIRWEATHER", "DELPHINE"),
        ("IL", "FAIRWEATHER", "ROLAND"),
    ]
    assert [r.code for r in denied.remarks] == ["MA130"]
    assert [line.procedure for line in denied.lines] == ["70553", "A9579"]
    assert [(a.group, a.reason, a.amount) for a in denied.lines[1].adjustments] == [("CO", "197", Decimal("250.00"))]
    assert paid.lines[0].amounts["B6"][0] == Decimal("112.73")


def test_cas_triples_modifiers_and_line_remarks() -> None:
    [remit] = read_835(interchange(PARTIAL)).remittances
    [claim] = remit.claims
    first, second = claim.lines
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", Decimal("27.00")),
        ("CO", "253", Decimal("3.00")),
        ("PR", "3", Decimal("40.00")),
    ]
    assert second.modifiers == ("59",)
    assert [r.code for r in second.remarks] == ["M15"]


def test_odd_delimiters_and_newline_terminators() -> None:
    edi = interchange(PAID + DENIED, ele="|", term="\n")
    [remit] = read_835(edi).remittances
    assert [c.payer_claim_number for c in remit.claims] == ["ICN-PAID-1", "ICN-DEN-3"]
    assert remit.claims[1].lines[0].procedure == "70553"


def test_several_envelopes_each_with_its_own_delimiters() -> None:
    second = interchange(DENIED, "000000012", ele="|", term="\n")
    text = interchange(PAID, "000000011") + "\n\n---- next file ----\n\n" + second
    reading = read_835(text)
    assert [c.payer_claim_number for r in reading.remittances for c in r.claims] == ["ICN-PAID-1", "ICN-DEN-3"]


def test_collapsed_isa_padding_and_wrapped_segments_are_repaired() -> None:
    edi = interchange(DENIED)
    collapsed = " ".join(edi.split())  # PDF extraction folds the ISA's padding
    wrapped = collapsed.replace("FAIRWEATHER*DELPHINE", "FAIRWEA\nTHER*DELPHINE")
    [remit] = read_835(wrapped).remittances
    patient = remit.claims[0].party("QC")
    assert patient is not None
    assert patient.last_or_org == "FAIRWEATHER"


def test_envelope_errors_are_codes_without_data() -> None:
    edi = interchange(DENIED).replace("SE*", "SE*99", 1)
    reading = read_835(edi)
    assert reading.remittances
    assert reading.envelope_errors
    assert not any("FAIRWEATHER" in e.description for e in reading.envelope_errors)


def test_unknown_version_is_reported_not_guessed() -> None:
    text = interchange(DENIED).replace("*00501*", "*00999*", 1)
    reading = read_835(text)
    assert not reading.remittances
    assert [u.reason for u in reading.unreadable] == ["pyx12 could not read the interchange (unknown X12 version)"]


def test_prose_is_not_an_interchange() -> None:
    reading = read_835("Claim 123 was denied. ISA: n/a")
    assert reading.remittances == []
    assert reading.unreadable == []
    assert read_835("CLP*ACCT-1*4*100*0*0*12*ICN~ fragment without an envelope").remittances == []
