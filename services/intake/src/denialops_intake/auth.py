"""Who is calling: the tenant comes from the credential only, never from the request's body or path.

Credentials: an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`, or, when configured, an
OAuth2 access token (a JWT) as `Authorization: Bearer <jwt>`, checked for signature, algorithm (an
allow-list; `none` never), issuer, audience and expiry. Either way the tenant must be registered.
Without either header, the web page's session cookie (`sessions.py`): a state-changing request must
then carry the session's CSRF token, and a WebSocket must come from the same origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import jwt

from denialops_intake.sessions import CSRF_HEADER, SAFE_METHODS, Session
from denialops_intake.settings import IntakeSettings


class Forbidden(Exception):
    """A valid session, but the request lacks what a cookie-borne request must carry (CSRF token, origin)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthenticated(Exception):
    """No valid credential. The reason is for the caller and never says which check failed inside."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JwtVerifier:
    key: str
    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    tenant_claim: str
    leeway_seconds: float

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> JwtVerifier | None:
        if not settings.jwt_enabled or settings.jwt_key is None:
            return None
        return cls(
            key=settings.jwt_key.get_secret_value(),
            issuer=settings.jwt_issuer or "",
            audience=settings.jwt_audience or "",
            algorithms=tuple(a for a in settings.jwt_algorithms if a.lower() != "none"),
            tenant_claim=settings.jwt_tenant_claim,
            leeway_seconds=settings.jwt_leeway_seconds,
        )

    def tenant(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the access token is not valid") from exc
        tenant = claims.get(self.tenant_claim)
        if not isinstance(tenant, str) or not tenant:
            raise Unauthenticated("the access token names no tenant")
        return tenant


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


def credential(headers: Mapping[str, str]) -> str:
    """The bearer token or API key the request carries."""
    api_key = headers.get("x-api-key")
    authorization = headers.get("authorization")
    if api_key and authorization:
        raise Unauthenticated("send one credential, not both Authorization and X-API-Key")
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        return token.strip()
    raise Unauthenticated("missing credentials: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")


class Tenants(Protocol):
    """What authentication needs of the tenant store (denialops_intake.tenants.TenantStore)."""

    async def tenant_for_key(self, key: str) -> str | None: ...

    async def exists(self, tenant_id: str) -> bool: ...


class Sessions(Protocol):
    """What authentication needs of the session store (denialops_intake.sessions.SessionStore)."""

    async def find(self, token: str) -> Session | None: ...


@dataclass(frozen=True, slots=True)
class Identity:
    tenant_id: str
    # Set when the request came with the web page's session cookie rather than a key or token.
    session: Session | None = None


def _same_origin(headers: Mapping[str, str]) -> bool:
    origin, host = headers.get("origin"), headers.get("host")
    return origin is not None and host is not None and urlsplit(origin).netloc == host


@dataclass(frozen=True)
class Authenticator:
    tenants: Tenants
    jwt_verifier: JwtVerifier | None = None
    sessions: Sessions | None = None

    async def identify(
        self, headers: Mapping[str, str], session_token: str | None, method: str, websocket: bool = False
    ) -> Identity:
        """Who the request acts for: its key or token, else its session cookie. Raises Unauthenticated,
        or Forbidden for a session request without its CSRF token (or a WebSocket from another origin)."""
        if "authorization" in headers or "x-api-key" in headers or not session_token or self.sessions is None:
            return Identity(await self.tenant(headers))
        session = await self.sessions.find(session_token)
        if session is None:
            raise Unauthenticated("the session has ended; sign in again")
        if websocket and not _same_origin(headers):
            raise Forbidden("a WebSocket with the session cookie must come from this origin")
        if not websocket and method.upper() not in SAFE_METHODS and not session.csrf_matches(headers.get(CSRF_HEADER)):
            raise Forbidden("the request lacks the session's CSRF token (X-CSRF-Token)")
        return Identity(session.tenant_id, session)

    async def tenant(self, headers: Mapping[str, str]) -> str:
        """The tenant the credential in `headers` acts for; raises Unauthenticated."""
        token = credential(headers)
        if self.jwt_verifier is not None and looks_like_jwt(token):
            tenant = self.jwt_verifier.tenant(token)
            if not await self.tenants.exists(tenant):
                raise Unauthenticated("the access token's tenant is not registered")
            return tenant
        tenant_id = await self.tenants.tenant_for_key(token)
        if tenant_id is None:
            raise Unauthenticated("the API key is not valid or was revoked")
        return tenant_id
