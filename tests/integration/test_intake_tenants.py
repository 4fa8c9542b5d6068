"""Intake's tenants on the real database: API keys (store and CLI), and events of unknown or other tenants."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase
from typer.testing import CliRunner

from denialops_cli.main import app as cli
from denialops_intake.tenants import InvalidTenant, TenantStore, hash_key
from denialops_shared.contracts.cloudevents import InvalidEvent
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    Mode,
    Page,
    Stage,
    StageCompleted,
    StageStatus,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.settings import ServiceSettings
from tests.integration.support import make_intake, received
from tests.support.secrets import tampered

pytestmark = pytest.mark.integration


async def test_keys_are_stored_hashed_and_can_be_revoked(db: AsyncDatabase[Document]) -> None:
    store = TenantStore(db)
    key, plain = await store.create_key("acme", "ci")
    assert await store.tenant_for_key(plain) == "acme"
    stored = await db.api_keys.find_one({"_id": key.key_id})
    assert stored is not None
    assert plain not in str(stored)
    assert stored["hash"] == hash_key(plain)
    assert await store.exists("acme")
    assert not await store.exists("globex")
    assert [k.key_id for k in await store.list_keys("acme")] == [key.key_id]
    assert await store.list_keys("globex") == []
    assert await store.revoke_key(key.key_id)
    assert not await store.revoke_key(key.key_id), "revoking twice says there was no active key"
    assert await store.tenant_for_key(plain) is None
    with pytest.raises(InvalidTenant):
        await store.create_key("Not A Tenant!", "x")


async def test_cached_keys_still_check_the_secret_and_expire_after_a_revocation_elsewhere(
    db: AsyncDatabase[Document],
) -> None:
    cached = TenantStore(db, key_cache_seconds=0.5)
    key, plain = await cached.create_key("acme", "cached")
    assert await cached.tenant_for_key(plain) == "acme"
    wrong_secret = tampered(plain)
    assert await cached.tenant_for_key(wrong_secret) is None, "a cached record never answers for a wrong secret"
    assert await TenantStore(db).revoke_key(key.key_id)  # another process, e.g. the CLI
    assert await cached.tenant_for_key(plain) == "acme", "within the cache lifetime the old record is used"
    await asyncio.sleep(0.6)
    assert await cached.tenant_for_key(plain) is None
    other, other_plain = await cached.create_key("acme", "same-process")
    assert await cached.tenant_for_key(other_plain) == "acme"
    assert await cached.revoke_key(other.key_id)
    assert await cached.tenant_for_key(other_plain) is None, "a revocation in this process applies at once"


def test_the_cli_creates_lists_and_revokes_keys(settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", settings.mongodb_uri.get_secret_value())
    monkeypatch.setenv("INTAKE_MONGODB_DATABASE", settings.mongodb_database)
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "acme", "--name", "laptop"])
    assert created.exit_code == 0, created.output
    plain = created.output.splitlines()[0]
    key_id = plain.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list"])
    assert key_id in listed.output
    assert "laptop" in listed.output
    assert plain not in listed.output
    assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 0
    assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 1
    assert runner.invoke(cli, ["keys", "create", "BAD TENANT"]).exit_code != 0


async def test_events_of_an_unknown_tenant_are_refused(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    intake = make_intake(db, broker)
    case_id = f"case-{unique}"
    created = received(Topic.CASE_CREATED, CaseCreated(tenant_id="ghost", case_id=case_id))
    with pytest.raises(InvalidEvent) as refused:
        await intake.on_case_created(created)
    assert refused.value.code == "unknown_tenant"
    assert await db.cases.count_documents({}) == 0
    await intake.tenants.ensure_tenant("ghost")
    await intake.on_case_created(created)
    assert await db.cases.count_documents({"tenant_id": "ghost"}) == 1


async def test_events_naming_another_tenants_case_or_run_are_refused(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    intake = make_intake(db, broker)
    for tenant in ("acme", "globex"):
        await intake.tenants.ensure_tenant(tenant)
    case = await intake.create_case("acme", Mode.FAST, False, {})
    document = DocumentAdded(
        tenant_id="globex",
        case_id=case["_id"],
        document_id=f"doc-{unique}",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text="letter")],
        extraction_method="text",
    )
    with pytest.raises(InvalidEvent, match="tenant_mismatch"):
        await intake.on_document_added(received(Topic.DOCUMENT_ADDED, document))
    now = dt.datetime.now(dt.UTC)
    stage = StageCompleted(
        tenant_id="globex",
        case_id=f"case-globex-{unique}",
        run_id="run-of-acme",
        stage=Stage.EXTRACT,
        status=StageStatus.SUCCEEDED,
        started_at=now,
        finished_at=now,
    )
    await db.runs.insert_one({"_id": "run-of-acme", "tenant_id": "acme", "case_id": case["_id"], "status": "queued"})
    with pytest.raises(InvalidEvent, match="tenant_mismatch"):
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    assert (await db.runs.find_one({"_id": "run-of-acme"}) or {}).get("stages") is None
