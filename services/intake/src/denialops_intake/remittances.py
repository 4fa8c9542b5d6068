"""Receiving an 835 file (HTTP upload or `remittance.received`): one case per claim that needs work.

The file is checked whole before anything is written (a malformed file changes nothing), then its
claims are handed over in batches: each one's case is found by its derived id (tenant + payer +
CLP07, an `_id` lookup) or created, and the claim's own 835 is added as the case's document, so the
router reads its facts from the segments and the case runs the whole pipeline. Every id is derived,
so the same file twice writes nothing new, and a request that failed half-way converges when retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from denialops_intake.domain import casework
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
from denialops_intake.handlers import Intake, now
from denialops_intake.metrics import REMITTANCE_CLAIMS, REMITTANCES_REFUSED
from denialops_intake.text_extraction import TEXT_MEDIA_TYPE, ExtractedText
from denialops_intake.work import CaseWork, work_of
from denialops_shared.contracts.cloudevents import InvalidEvent, ReceivedEvent
from denialops_shared.contracts.events import DocType, EventBody, Mode, RemittanceReceived

# Claims are split off the file this many at a time (in a worker thread) and then written, so a large
# file's cases come out in batches while the event loop stays free.
BATCH_CLAIMS = 200


@dataclass
class Outcome:
    remittance_id: str
    cases_created: list[str] = field(default_factory=list)
    cases_updated: list[str] = field(default_factory=list)
    claims_skipped: list[dict[str, str]] = field(default_factory=list)
    provider_adjustments: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "remittance_id": self.remittance_id,
            "cases_created": self.cases_created,
            "cases_updated": self.cases_updated,
            "claims_skipped": self.claims_skipped,
            "provider_adjustments": self.provider_adjustments,
        }


def decode(data: bytes) -> str:
    """The file as text: X12 is ASCII (UTF-8 tolerated); binary is refused."""
    if b"\x00" in data[:4096]:
        raise MalformedRemittance("the file is binary, not an X12 835")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedRemittance("the file is not ASCII/UTF-8 text", offset=exc.start) from exc


@dataclass
class RemittanceIntake:
    intake: Intake
    work: CaseWork

    async def receive(self, tenant_id: str, data: bytes, *, via: str) -> Outcome:
        try:
            text = decode(data)
            provider_adjustments = await asyncio.to_thread(validate, text)
        except MalformedRemittance:
            REMITTANCES_REFUSED.labels(via=via).inc()
            raise
        outcome = Outcome(remittance_id(tenant_id, data))
        outcome.provider_adjustments = [
            {
                "reason": p.reason,
                "reference": p.reference,
                "amount": float(p.amount) if p.amount is not None else None,
                "fiscal_period": p.fiscal_period.isoformat() if p.fiscal_period else None,
            }
            for p in provider_adjustments
        ]
        split = claims(tenant_id, text)
        while batch := await asyncio.to_thread(_take, split, BATCH_CLAIMS):
            for item in batch:
                if isinstance(item, tuple):
                    outcome.claims_skipped.append({"claim": item[0], "reason": item[1]})
                else:
                    await self._claim(tenant_id, item, outcome)
        REMITTANCE_CLAIMS.labels(outcome="created").inc(len(outcome.cases_created))
        REMITTANCE_CLAIMS.labels(outcome="updated").inc(len(outcome.cases_updated))
        REMITTANCE_CLAIMS.labels(outcome="skipped").inc(len(outcome.claims_skipped))
        await self.intake.repo.save_remittance(
            {
                "_id": outcome.remittance_id,
                "tenant_id": tenant_id,
                "sha256": hashlib.sha256(data).hexdigest(),
                "via": via,
                "cases": outcome.cases_created + outcome.cases_updated,
                "claims_skipped": len(outcome.claims_skipped),
                "provider_adjustments": outcome.provider_adjustments,
                "received_at": now(),
            }
        )
        return outcome

    async def on_remittance_received(self, event: ReceivedEvent[EventBody]) -> None:
        """The same cases as an upload; a malformed file goes to the dead-letter topic with its position."""
        body = event.body
        assert isinstance(body, RemittanceReceived)
        if not await self.intake.tenants.exists(body.tenant_id):
            raise InvalidEvent("unknown_tenant", "the event's tenant is not registered")
        try:
            await self.receive(body.tenant_id, body.text.encode(), via="event")
        except MalformedRemittance as exc:
            raise InvalidEvent("malformed_remittance", exc.where()) from exc

    async def _claim(self, tenant_id: str, claim: SplitClaim, outcome: Outcome) -> None:
        case_id = claim_case_id(claim.key)
        document_id = claim_document_id(case_id, claim.text)
        case = await self.intake.repo.get_case(tenant_id, case_id)
        if case is not None and document_id in case.get("document_ids", []):
            outcome.claims_skipped.append({"claim": claim.label, "reason": "already received"})
            return
        first = case is None or not case.get("document_ids")
        if first and claim.kind in (Kind.REVERSAL, Kind.PAID):
            reason = (
                "a reversal of a claim without a case"
                if claim.kind is Kind.REVERSAL
                else "paid; routine adjustments only"
            )
            outcome.claims_skipped.append({"claim": claim.label, "reason": reason})
            return
        if case is None:
            case = await self.intake.create_case(tenant_id, Mode.FAST, True, {}, case_id=case_id, source="remittance")
        data = claim.text.encode()
        text = ExtractedText(media_type=TEXT_MEDIA_TYPE, pages=[claim.text], method="x12-835")
        if first:
            await self.intake.add_document(case, DocType.DENIAL_LETTER, data, text, document_id=document_id)
            outcome.cases_created.append(case_id)
            return
        if claim.kind is Kind.PAID:
            # A payment on a case: the payer's answer. Filed as an EOB (no new run), and an appeal awaiting
            # a decision is decided overturned with the amount paid.
            await self.intake.add_document(case, DocType.EOB, data, text, document_id=document_id)
            if work_of(case).status is casework.Status.SUBMITTED:
                try:
                    await self.work.decide(
                        tenant_id,
                        case_id,
                        "remittance",
                        outcome=casework.Outcome.OVERTURNED,
                        date=claim.paid_on or dt.datetime.now(dt.UTC).date(),
                        amount_recovered=float(claim.paid),
                    )
                except (casework.TransitionRefused, casework.InvalidValue) as exc:
                    # The payment is filed on the case; the decision is left for a person to record.
                    reason = f"payment filed on the case; no decision recorded: {exc}"
                    outcome.claims_skipped.append({"claim": claim.label, "reason": reason})
        else:
            # A reversal and correction, or a new denial of the same claim: read like a later letter.
            await self.intake.add_document(case, DocType.DENIAL_LETTER, data, text, document_id=document_id)
        if case_id not in outcome.cases_updated:  # a claim twice in one file updates one case
            outcome.cases_updated.append(case_id)


def _take(items: Iterator[SplitClaim | tuple[str, str]], n: int) -> list[SplitClaim | tuple[str, str]]:
    return list(itertools.islice(items, n))
