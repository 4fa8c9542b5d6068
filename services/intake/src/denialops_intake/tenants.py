"""Tenants and their API keys, in intake's database (intake owns the set of tenants).

An API key is `dop_<key id>_<secret>`: the key id is public (it names the key in listings and logs),
the secret is 256 random bits. Only the SHA-256 of the whole key is stored; a key this random needs
no slow hash, and a lookup by key id plus a constant-time comparison leaks nothing through timing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from cachetools import TTLCache
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo import Document

KEY_PREFIX = "dop"
TENANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
_KEY = re.compile(rf"{KEY_PREFIX}_(?P<key_id>[0-9a-f]{{16}})_(?P<secret>[A-Za-z0-9_-]{{43}})")


class InvalidTenant(ValueError):
    """A tenant id must be 2-63 lowercase letters, digits or dashes."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant_id: str
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY.fullmatch(key)
    return match["key_id"] if match else None


def _api_key(doc: Document) -> ApiKey:
    return ApiKey(doc["_id"], doc["tenant_id"], doc["name"], doc["created_at"], doc.get("revoked_at"))


class TenantStore:
    def __init__(self, db: AsyncDatabase[Document], key_cache_seconds: float = 0.0) -> None:
        self.tenants: AsyncCollection[Document] = db["tenants"]
        self.keys: AsyncCollection[Document] = db["api_keys"]
        # Tenants are never deleted, so once seen a tenant stays known to this process.
        self._known: set[str] = set()
        # Every request presents its key: stored keys are kept for a few seconds instead of read each
        # time, so a revocation made elsewhere (the CLI, another replica) takes up to that long here.
        self._key_docs: TTLCache[str, Document | None] | None = (
            TTLCache(maxsize=10_000, ttl=key_cache_seconds) if key_cache_seconds > 0 else None
        )

    async def create_indexes(self) -> None:
        await self.keys.create_index([("tenant_id", ASCENDING)])

    async def ensure_tenant(self, tenant_id: str) -> None:
        if not TENANT_ID.fullmatch(tenant_id):
            raise InvalidTenant(tenant_id)
        now = dt.datetime.now(dt.UTC)
        await self.tenants.update_one({"_id": tenant_id}, {"$setOnInsert": {"created_at": now}}, upsert=True)

    async def tenant_ids(self) -> list[str]:
        """Every registered tenant (a small collection: reading it whole is cheap)."""
        return [doc["_id"] async for doc in self.tenants.find({}, {"_id": 1})]

    async def exists(self, tenant_id: str) -> bool:
        if tenant_id in self._known:
            return True
        if await self.tenants.find_one({"_id": tenant_id}, {"_id": 1}) is None:
            return False
        self._known.add(tenant_id)
        return True

    async def create_key(self, tenant_id: str, name: str) -> tuple[ApiKey, str]:
        """A new key for the tenant (created if new); the plain key is returned once and never stored."""
        await self.ensure_tenant(tenant_id)
        key_id = secrets.token_hex(8)
        plain = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        doc: Document = {
            "_id": key_id,
            "tenant_id": tenant_id,
            "name": name,
            "hash": hash_key(plain),
            "created_at": dt.datetime.now(dt.UTC),
            "revoked_at": None,
        }
        await self.keys.insert_one(doc)
        return _api_key(doc), plain

    async def list_keys(self, tenant_id: str | None = None) -> list[ApiKey]:
        query: Document = {} if tenant_id is None else {"tenant_id": tenant_id}
        docs = await self.keys.find(query, {"hash": 0}).sort("created_at", ASCENDING).to_list()
        return [_api_key(doc) for doc in docs]

    async def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; False when there is no such active key."""
        result = await self.keys.update_one(
            {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": dt.datetime.now(dt.UTC)}}
        )
        if self._key_docs is not None:
            self._key_docs.pop(key_id, None)
        return result.modified_count == 1

    async def _key_doc(self, key_id: str) -> Document | None:
        if self._key_docs is None:
            return await self.keys.find_one({"_id": key_id})
        if key_id not in self._key_docs:
            self._key_docs[key_id] = await self.keys.find_one({"_id": key_id})
        return self._key_docs[key_id]

    async def tenant_for_key(self, key: str) -> str | None:
        """The tenant an active, well-formed key belongs to, else None."""
        key_id = parse_key(key)
        if key_id is None:
            return None
        # The hash is compared on every request: only the stored record is cached, never the answer.
        doc = await self._key_doc(key_id)
        if doc is None or doc.get("revoked_at") is not None:
            return None
        if not hmac.compare_digest(doc["hash"], hash_key(key)):
            return None
        return str(doc["tenant_id"])
