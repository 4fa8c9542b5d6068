"""835 remittances through the HTTP API and the `remittance.received` event, on the real database and
broker: one case per claim that needs work, read by the router from the claim's segments, idempotent,
updated by a later 835 of the same claim, refused whole when malformed, and kept per tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.remittances import RemittanceIntake
from denialops_intake.settings import IntakeSettings
from denialops_intake.work import CaseWork
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.cloudevents import InvalidEvent
from denialops_shared.contracts.events import RemittanceReceived, auto_run_id
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from tests.integration.intake_api import Api, api_for, assert_error
from tests.integration.support import make_intake, received

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
TODAY = dt.date(2025, 6, 1)


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.835").read_bytes()


@pytest.fixture
async def remit_api(db: AsyncDatabase[Document], broker: KafkaBroker) -> AsyncIterator[Api]:
    intake = make_intake(db, broker)
    intake.today = lambda: TODAY
    settings = IntakeSettings(INTAKE_RATE_LIMIT="100000/second", MAX_REMITTANCE_BYTES=64 * 1024)
    async with api_for(intake, settings) as served:
        yield served


async def upload(api: Api, data: bytes, tenant: str = "acme") -> Any:
    return await api.client.post(
        "/api/v1/remittances", files={"file": ("era.835", data, "application/edi-x12")}, headers=api.auth(tenant)
    )


async def created(api: Api, data: bytes, tenant: str = "acme") -> dict[str, Any]:
    response = await upload(api, data, tenant)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def get(api: Api, path: str, tenant: str = "acme") -> dict[str, Any]:
    response = await api.client.get(f"/api/v1{path}", headers=api.auth(tenant))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def read_by_router(api: Api, case_id: str, tenant: str = "acme") -> None:
    """Run the case's auto run through the pipeline in process, on the document intake stored."""
    case = await get(api, f"/cases/{case_id}", tenant)
    [document] = case["documents"]
    pages = await get(api, f"/cases/{case_id}/documents/{document['document_id']}/text", tenant)
    run = RunInput(
        tenant_id=tenant, case_id=case_id, run_id=auto_run_id(case_id), letter_pages=[pages["pages"][0]["text"]]
    )
    for stage in run_stages(run).stages:
        await api.intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))


async def test_one_case_per_claim_that_needs_work_read_from_its_segments(remit_api: Api) -> None:
    api = remit_api
    first = await created(api, fixture("mixed"))
    assert first["remittance_id"].startswith("remit-")
    assert len(first["cases_created"]) == 2, "the partial and the full denial; not the payment"
    assert first["cases_updated"] == []
    assert first["claims_skipped"] == [{"claim": "ICN-PAID-1", "reason": "paid; routine adjustments only"}]
    assert [(p["reason"], p["amount"]) for p in first["provider_adjustments"]] == [("WO", -50.0), ("L6", 2.15)]
    partial_id, denied_id = first["cases_created"]

    case = await get(api, f"/cases/{denied_id}")
    assert case["source"] == "remittance"
    [document] = case["documents"]
    assert (document["doc_type"], document["extraction_method"]) == ("denial_letter", "x12-835")
    assert case["tasks"][0]["task_id"] == auto_run_id(denied_id), "the case runs the pipeline by itself"
    text = (await get(api, f"/cases/{denied_id}/documents/{document['document_id']}/text"))["pages"][0]["text"]
    assert "ICN-DEN-3" in text
    assert "ICN-PART-2" not in text
    assert "ICN-PAID-1" not in text

    for case_id in (partial_id, denied_id):
        await read_by_router(api, case_id)
    facts = (
        await api.client.get(f"/api/v1/cases/{denied_id}/artifacts/case_facts.json", headers=api.auth("acme"))
    ).json()
    assert (facts["claim_number"], facts["billed_amount"], facts["paid_amount"]) == ("ICN-DEN-3", 2140.0, 0.0)
    assert [c["code"] for c in facts["denial_codes"]] == ["MA130", "CO-197"]
    assert text[facts["evidence"]["claim_number"][0]["start"] :].startswith("CLP*ACCT-3*4*"), "cites the CLP"
    worklist = await get(api, "/worklist")
    assert {item["case_id"] for item in worklist["items"]} == {partial_id, denied_id}

    again = await created(api, fixture("mixed"))
    assert again["remittance_id"] == first["remittance_id"]
    assert (again["cases_created"], again["cases_updated"]) == ([], [])
    assert sorted(s["reason"] for s in again["claims_skipped"]) == [
        "already received",
        "already received",
        "paid; routine adjustments only",
    ]
    assert len((await get(api, "/cases"))["items"]) == 2


async def test_a_reversal_and_a_payment_after_appeal_update_the_claims_case(remit_api: Api) -> None:
    api = remit_api
    [_, denied_id] = (await created(api, fixture("mixed")))["cases_created"]
    await read_by_router(api, denied_id)

    reversal = await created(api, fixture("reversal"))
    assert (reversal["cases_created"], reversal["cases_updated"]) == ([], [denied_id])
    case = await get(api, f"/cases/{denied_id}")
    assert len(case["documents"]) == 2, "the first claim; then its reversal and correction, as one 835"
    assert len(case["tasks"]) == 2, "the later 835 is read in a run of its own"
    assert (await created(api, fixture("reversal")))["cases_updated"] == [], "the same reversal again: nothing"

    submission = {"level": "appeal", "date": "2025-05-10", "channel": "portal"}
    response = await api.client.post(
        f"/api/v1/cases/{denied_id}/submissions", json=submission, headers=api.auth("acme")
    )
    assert response.status_code == 201, response.text
    paid = await created(api, fixture("paid_after_appeal"))
    assert (paid["cases_created"], paid["cases_updated"], paid["claims_skipped"]) == ([], [denied_id], [])
    work = (await get(api, f"/cases/{denied_id}"))["work"]
    assert (work["status"], work["outcome"], work["amount_recovered"]) == ("decided", "overturned", 1890.0)
    assert work["decisions"][0]["date"] == "2025-05-20", "decided on the payment's date (BPR16)"


@pytest.mark.parametrize(
    ("data", "status", "code", "where"),
    [
        (fixture("mixed").replace(b"SE*38*", b"SE*37*"), 422, "malformed_remittance", "segment 40 SE"),
        (fixture("mixed").replace(b"IEA*1*", b"IEA*2*"), 422, "malformed_remittance", "IEA01"),
        (b"\x00\x01binary" * 10, 422, "malformed_remittance", "binary"),
        (b"Dear provider, your claim was denied.", 422, "malformed_remittance", "no ISA"),
        (fixture("mixed") * 60, 413, "payload_too_large", ""),
    ],
)
async def test_a_malformed_file_is_refused_whole_with_its_position(
    remit_api: Api, data: bytes, status: int, code: str, where: str
) -> None:
    response = await upload(remit_api, data)
    assert_error(response, status, code)
    assert where in response.json()["error"]["message"]
    assert "FAIRWEATHER" not in response.text
    assert (await get(remit_api, "/cases"))["items"] == [], "nothing half-done"


async def test_tenants_never_share_a_claims_case(remit_api: Api) -> None:
    acme = await created(remit_api, fixture("mixed"), "acme")
    globex = await created(remit_api, fixture("mixed"), "globex")
    assert len(globex["cases_created"]) == 2, "the same file is new to another tenant"
    assert set(acme["cases_created"]).isdisjoint(globex["cases_created"])
    for case_id in acme["cases_created"]:
        response = await remit_api.client.get(f"/api/v1/cases/{case_id}", headers=remit_api.auth("globex"))
        assert_error(response, 404, "not_found")


async def test_the_event_makes_the_same_cases_and_refuses_a_malformed_file(remit_api: Api) -> None:
    api = remit_api
    remittances = RemittanceIntake(api.intake, CaseWork(api.intake.repo, api.intake.today))
    text = fixture("group_codes").decode()
    event = RemittanceReceived(tenant_id="acme", case_id="era-2025-04-11", text=text)
    await remittances.on_remittance_received(received(Topic.REMITTANCE_RECEIVED, event))
    cases = (await get(api, "/cases"))["items"]
    assert len(cases) == 3, "PI-204, OA-18 and the CR adjustment"
    by_http = await created(api, text.encode())
    assert (by_http["cases_created"], by_http["cases_updated"]) == ([], []), "the event's cases, found again"
    assert [s["reason"] for s in by_http["claims_skipped"]] == ["already received"] * 3

    bad = RemittanceReceived(tenant_id="acme", case_id="era-bad", text=text.replace("GE*1*1", "GE*3*1", 1))
    with pytest.raises(InvalidEvent) as refused:
        await remittances.on_remittance_received(received(Topic.REMITTANCE_RECEIVED, bad))
    assert refused.value.code == "malformed_remittance"
    stranger = RemittanceReceived(tenant_id="initech", case_id="era-x", text=text)
    with pytest.raises(InvalidEvent):
        await remittances.on_remittance_received(received(Topic.REMITTANCE_RECEIVED, stranger))
    assert len((await get(api, "/cases"))["items"]) == 3
