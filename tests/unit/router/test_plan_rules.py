"""Plan rules from two synthetic plan documents (an SBC with tables, an EOC with numbered sections)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from denialops_router.domain.plan_rules import extract_plan_rules, merge_plan_rules
from denialops_shared.contracts.artifacts import PlanRule, PlanRules

FIXTURES = Path(__file__).parent / "fixtures"


def _pages(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").split("\f")


@pytest.fixture(scope="module")
def sbc() -> PlanRules:
    return extract_plan_rules(_pages("sbc_bluepine.txt"))


@pytest.fixture(scope="module")
def eoc() -> PlanRules:
    return extract_plan_rules(_pages("eoc_harborview.txt"), document=2)


def _services(rules: list[PlanRule]) -> list[str]:
    return [s for r in rules for s in r.services]


def _cited_text(pages: list[str], rule: PlanRule) -> str:
    return " ".join(pages[rule.citation.page - 1][rule.citation.start : rule.citation.end].split())


def test_sbc_prior_authorization_from_the_benefits_table(sbc: PlanRules) -> None:
    assert _services(sbc.prior_authorization) == [
        "Imaging (CT/PET scans, MRIs)",
        "Outpatient surgery facility fee",
        "Home health care",
        "Durable medical equipment",
    ]
    # "Preauthorization is not required." for office visits is not a rule.
    assert "Office visit" not in _services(sbc.prior_authorization)
    assert {r.citation.section for r in sbc.prior_authorization} == {"COMMON MEDICAL EVENTS"}


def test_sbc_exclusions_cost_sharing_and_appeals(sbc: PlanRules) -> None:
    assert sbc.plan_name == "Bluepine Silver 3000 PPO"
    assert _services(sbc.exclusions)[:2] == ["Cosmetic surgery", "Dental care (adult)"]
    assert len(sbc.exclusions) == 5
    assert {(r.citation.page, r.citation.section) for r in sbc.exclusions} == {
        (2, "EXCLUDED SERVICES & OTHER COVERED SERVICES")
    }
    assert [(r.amount, r.applies_to) for r in sbc.deductibles] == [
        (Decimal("3000.00"), "individual in-network"),
        (Decimal("6000.00"), "family in-network"),
        (Decimal("6000.00"), "individual out-of-network"),
        (Decimal("12000.00"), "family out-of-network"),
    ]
    assert [r.amount for r in sbc.out_of_pocket_limits] == [Decimal("7500.00"), Decimal("15000.00")]
    appeals = sbc.appeals
    assert (appeals.internal_appeal_days, appeals.external_review, appeals.external_review_months) == (180, True, 4)
    assert appeals.expedited_available
    assert sbc.medical_necessity is None
    assert sbc.timely_filing is None


def test_eoc_numbered_sections_definitions_and_lists(eoc: PlanRules) -> None:
    pages = _pages("eoc_harborview.txt")
    assert eoc.plan_name == "Harborview Gold HMO"
    necessity = eoc.medical_necessity
    assert necessity is not None
    assert necessity.citation.section == "1.2 Medically Necessary"
    assert necessity.text.startswith("Medically Necessary means health care services")
    assert _cited_text(pages, necessity) == necessity.text
    assert _services(eoc.prior_authorization) == [
        "Inpatient admissions, except emergencies",
        "Spinal surgery and joint replacement",
        "Genetic testing",
        "Sleep studies",
        "Physical therapy visits after the first 12 visits in a year",
    ]
    assert not any("Emergency care" in s for s in _services(eoc.prior_authorization))
    assert _services(eoc.exclusions)[:2] == ["Acupuncture", "Hearing aids for members age 18 and older"]
    assert eoc.exclusions[-1].services == ["Services received outside the United States"]
    assert {r.citation.section for r in eoc.exclusions} == {"5. EXCLUSIONS"}
    assert {r.citation.document for r in eoc.exclusions} == {2}


def test_eoc_appeal_levels_deadlines_and_filing_limit(eoc: PlanRules) -> None:
    appeals = eoc.appeals
    assert appeals.internal_levels == 2
    assert appeals.internal_appeal_days == 180
    assert (appeals.external_review, appeals.external_review_months) == (True, 4)
    # How long the plan takes to decide is not a deadline for the member.
    assert [r.days for r in appeals.rules if "We decide" in r.text] == [None]
    assert {r.citation.section for r in appeals.rules} == {"9. Appeals and External Review"}
    filing = eoc.timely_filing
    assert filing is not None
    assert filing.days == 90
    assert filing.citation.section == "6. Filing Claims"
    assert [(r.amount, r.applies_to) for r in eoc.deductibles] == [
        (Decimal("1250.00"), "member"),
        (Decimal("2500.00"), "family"),
    ]
    assert eoc.out_of_pocket_limits[0].citation.section == "1.3 Out-of-Pocket Maximum"


def test_merging_an_sbc_and_an_eoc(sbc: PlanRules, eoc: PlanRules) -> None:
    merged = merge_plan_rules([sbc, eoc])
    assert merged.plan_name == sbc.plan_name
    assert merged.medical_necessity == eoc.medical_necessity
    assert len(merged.exclusions) == len(sbc.exclusions) + len(eoc.exclusions)
    assert merged.appeals.internal_levels == 2
    assert merged.appeals.internal_appeal_days == 180
    assert merge_plan_rules([]) == PlanRules()


def test_unreadable_or_empty_documents() -> None:
    assert extract_plan_rules([]) == PlanRules()
    assert extract_plan_rules(["\x00 ### \n|||\n- \n"]).exclusions == []
