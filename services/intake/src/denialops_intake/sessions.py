"""Browser sessions: a tenant's API key exchanged once for a server-side session.

The browser holds only a random session token in an HttpOnly, SameSite=Strict cookie (Secure over
TLS); the server keeps the SHA-256 of the token (so a read of the database yields no usable cookie),
the tenant, a CSRF token and the expiry. Every state-changing request made with the cookie must echo
the CSRF token in `X-CSRF-Token`: SameSite=Strict already keeps other sites' requests from carrying the
cookie, and the token is the second lock when a browser or a sibling subdomain gets that wrong.
Signing out deletes the session, so a copied cookie stops working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo import Document

SESSION_COOKIE = "denialops_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    tenant_id: str
    csrf_token: str
    expires_at: dt.datetime

    def csrf_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.csrf_token.encode())


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, db: AsyncDatabase[Document], ttl_seconds: float) -> None:
        self.sessions: AsyncCollection[Document] = db["sessions"]
        self.ttl = dt.timedelta(seconds=ttl_seconds)

    async def create(self, tenant_id: str) -> Session:
        now = dt.datetime.now(dt.UTC)
        session = Session(secrets.token_urlsafe(32), tenant_id, secrets.token_urlsafe(32), now + self.ttl)
        await self.sessions.insert_one(
            {
                "_id": _session_id(session.token),
                "tenant_id": tenant_id,
                "csrf_token": session.csrf_token,
                "created_at": now,
                "expires_at": session.expires_at,
            }
        )
        return session

    async def find(self, token: str) -> Session | None:
        """The live session of a cookie's token; an expired one is deleted and not found."""
        doc = await self.sessions.find_one({"_id": _session_id(token)})
        if doc is None:
            return None
        expires_at: dt.datetime = doc["expires_at"]
        if expires_at.tzinfo is None:  # the database hands datetimes back naive, in UTC
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= dt.datetime.now(dt.UTC):
            await self.sessions.delete_one({"_id": doc["_id"]})
            return None
        return Session(token, doc["tenant_id"], doc["csrf_token"], expires_at)

    async def end(self, token: str) -> None:
        await self.sessions.delete_one({"_id": _session_id(token)})
