"""A letter read by OCR reaches extraction as OCR'd text: the router keeps its document's extraction method."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_router.handlers import SOURCE, Router
from denialops_router.repository import MongoRouterRepository
from denialops_shared.contracts.artifacts import CaseFacts
from denialops_shared.contracts.events import CaseCreated, DocType, DocumentAdded, Page, StageCompleted
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.settings import ServiceSettings
from tests.integration.support import received
from tests.kafka_helpers import collect, headers_of

pytestmark = pytest.mark.integration

# As Tesseract reads a scan: a space after the member id's hyphen, `GO299` for G0299.
SCANNED = (
    "Silverpine Community Health\nMarch 18, 2025\nICN: 2025031800412\nMember ID: SCH- 7720-41186\n"
    "Services billed: GO299 skilled nursing visit, 12 visits $2,160.00\nDenial code: CO-197\n"
    "You may ask for a reconsideration within 60 days of the date of this letter.\n"
)


async def _case_facts(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, case_id: str, method: str
) -> CaseFacts:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    document = DocumentAdded(
        tenant_id="it",
        case_id=case_id,
        document_id=f"doc-{case_id}",
        doc_type=DocType.DENIAL_LETTER,
        media_type="application/pdf",
        sha256="b" * 64,
        pages=[Page(number=1, text=SCANNED)],
        extraction_method=method,
    )
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, document))
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == SOURCE,
        2,
        wait_seconds=10,
    )
    artifacts = {a.name: a.content for r in records for a in StageCompleted.model_validate_json(r.value).artifacts}
    return CaseFacts.model_validate_json(artifacts["case_facts.json"])


async def test_an_ocr_document_is_read_ocr_tolerantly(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    facts = await _case_facts(db, broker, settings, f"case-{unique}", "ocr")
    assert facts.member_id == "SCH-7720-41186"
    assert facts.hcpcs_codes == ["G0299"]


async def test_a_text_layer_document_is_read_as_printed(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    facts = await _case_facts(db, broker, settings, f"case-{unique}", "pdf_text")
    assert facts.hcpcs_codes == []
