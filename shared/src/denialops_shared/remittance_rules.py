"""Which adjustments of an 835 are routine: the one list the router (which claim of a document is the
denied one) and intake (which claims of a file become cases) both judge by.

Routine means every paid claim carries it and nobody works it: the contractual write-down to the fee
schedule, sequestration, capitation, another payer's prior adjudication, and the patient's share
(deductible, coinsurance, copay, blood deductible). Anything else (CO-97 bundling, CO-197 no
authorisation, PR-204 not covered, OA-18 duplicate...) may be worth an appeal or a corrected claim.
"""

from __future__ import annotations

from denialops_shared.x12_835 import Adjustment, Claim

ROUTINE_ADJUSTMENTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("CO", "45"),  # charge exceeds the fee schedule / contracted amount
        ("CO", "253"),  # sequestration
        ("CO", "24"),  # covered by a capitation agreement
        ("OA", "23"),  # impact of prior payer(s) adjudication (coordination of benefits)
        ("PR", "1"),  # deductible
        ("PR", "2"),  # coinsurance
        ("PR", "3"),  # copay
        ("PR", "66"),  # blood deductible
    }
)
DENIED_STATUS = "4"
REVERSAL_STATUS = "22"


def is_routine(adjustment: Adjustment) -> bool:
    return (adjustment.group, adjustment.reason) in ROUTINE_ADJUSTMENTS


def adjustments(claim: Claim) -> list[Adjustment]:
    """Claim-level and line-level adjustments in the order the segments appear."""
    found = claim.adjustments + [a for line in claim.lines for a in line.adjustments]
    return sorted(found, key=lambda a: a.segment.start)


def non_routine(claim: Claim) -> list[Adjustment]:
    return [a for a in adjustments(claim) if not is_routine(a)]


def is_denied(claim: Claim) -> bool:
    """Denied outright: CLP02 = 4, or nothing paid on a charge."""
    return claim.status == DENIED_STATUS or (claim.paid == 0 and (claim.charge or 0) > 0)
