"""Web sessions on the real database: only the token's hash is stored, expiry and sign-out end them."""

from __future__ import annotations

import hashlib

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.sessions import SessionStore
from denialops_shared.mongo import Document

pytestmark = pytest.mark.integration


async def test_a_session_is_found_by_its_token_until_it_ends(db: AsyncDatabase[Document]) -> None:
    store = SessionStore(db, ttl_seconds=600)
    session = await store.create("acme")
    found = await store.find(session.token)
    assert found is not None
    assert (found.tenant_id, found.csrf_token) == ("acme", session.csrf_token)
    stored = await db["sessions"].find_one({})
    assert stored is not None
    assert session.token not in str(stored)  # a read of the database yields no usable cookie
    assert stored["_id"] == hashlib.sha256(session.token.encode()).hexdigest()
    assert await store.find(session.token + "x") is None
    await store.end(session.token)
    assert await store.find(session.token) is None


async def test_an_expired_session_is_not_found_and_is_deleted(db: AsyncDatabase[Document]) -> None:
    store = SessionStore(db, ttl_seconds=0.001)
    session = await store.create("acme")
    assert await store.find(session.token) is None
    assert await db["sessions"].count_documents({}) == 0
