"""Who is calling: the tenant comes from the credential only, never from the request's body or path.

Credentials: an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`, or, when configured, an
OAuth2 access token (a JWT) as `Authorization: Bearer <jwt>`, checked for signature, algorithm (an
allow-list; `none` never), issuer, audience and expiry. Either way the tenant must be registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import jwt

from denialops_intake.settings import IntakeSettings


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


@dataclass(frozen=True)
class Authenticator:
    tenants: Tenants
    jwt_verifier: JwtVerifier | None = None

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
