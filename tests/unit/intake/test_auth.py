"""Credentials: API keys by header, OAuth2 JWTs checked for signature, algorithm, issuer, audience, expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from denialops_intake.auth import Authenticator, JwtVerifier, Unauthenticated, credential
from denialops_intake.settings import IntakeSettings
from denialops_intake.tenants import hash_key, parse_key
from denialops_shared.settings import InsecureConfiguration

KEY = "dop_0123456789abcdef_" + "s" * 43
CLAIMS = {"iss": "https://idp", "aud": "denialops", "tenant_id": "acme"}
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    PRIVATE.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


class FakeTenants:
    def __init__(self, keys: dict[str, str], tenants: set[str]) -> None:
        self.keys, self.tenants = keys, tenants

    async def tenant_for_key(self, key: str) -> str | None:
        return self.keys.get(key)

    async def exists(self, tenant_id: str) -> bool:
        return tenant_id in self.tenants


def verifier(**overrides: Any) -> JwtVerifier:
    settings = IntakeSettings(jwt_key=PUBLIC_PEM, jwt_issuer="https://idp", jwt_audience="denialops", **overrides)
    found = JwtVerifier.from_settings(settings)
    assert found is not None
    return found


def token(claims: dict[str, Any] | None = None, key: Any = PRIVATE, algorithm: str = "RS256") -> str:
    base = {"iss": "https://idp", "aud": "denialops", "exp": int(time.time()) + 60, "tenant_id": "acme"}
    return jwt.encode({**base, **(claims or {})}, key, algorithm=algorithm)


def confused_token() -> str:
    """Algorithm confusion: HS256 signed with the RSA public key as the HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"iss": "https://idp", "aud": "denialops", "exp": int(time.time()) + 60, "tenant_id": "acme"}
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"authorization": f"Bearer {KEY}"}, KEY),
        ({"authorization": f"bearer   {KEY} "}, KEY),
        ({"x-api-key": KEY}, KEY),
    ],
)
def test_a_credential_comes_from_bearer_or_x_api_key(headers: dict[str, str], expected: str) -> None:
    assert credential(headers) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Basic abc"},
        {"authorization": "Bearer"},
        {"authorization": f"Bearer {KEY}", "x-api-key": KEY},
    ],
)
def test_missing_or_ambiguous_credentials_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        credential(headers)


def test_key_format_and_hash() -> None:
    assert parse_key(KEY) == "0123456789abcdef"
    for bad in ("", "dop_xyz_abc", KEY + "x", KEY.replace("dop", "pod"), "dop_0123456789abcdef_" + "s" * 42):
        assert parse_key(bad) is None
    assert hash_key(KEY) != KEY
    assert len(hash_key(KEY)) == 64


async def test_an_api_key_names_its_tenant() -> None:
    auth = Authenticator(FakeTenants({KEY: "acme"}, {"acme"}))
    assert await auth.tenant({"x-api-key": KEY}) == "acme"
    with pytest.raises(Unauthenticated):
        await auth.tenant({"x-api-key": KEY[:-1] + "t"})


async def test_a_valid_jwt_names_a_registered_tenant() -> None:
    auth = Authenticator(FakeTenants({}, {"acme"}), verifier())
    assert await auth.tenant({"authorization": f"Bearer {token()}"}) == "acme"
    with pytest.raises(Unauthenticated, match="not registered"):
        await auth.tenant({"authorization": f"Bearer {token({'tenant_id': 'ghost'})}"})


@pytest.mark.parametrize(
    "bad_token",
    [
        token({"exp": int(time.time()) - 3600}),
        token({"iss": "https://evil"}),
        token({"aud": "someone-else"}),
        token({"tenant_id": ""}),
        token({"tenant_id": 42}),
        jwt.encode(CLAIMS, PRIVATE, algorithm="RS256"),
        jwt.encode({**CLAIMS, "exp": 2**31}, "", algorithm="none"),
        confused_token(),
        token(key="x" * 32, algorithm="HS256"),
        token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        token()[:-4] + "AAAA",
    ],
    ids=[
        "expired",
        "issuer",
        "audience",
        "empty-tenant",
        "numeric-tenant",
        "no-exp",
        "alg-none",
        "public-key-as-hmac-secret",
        "hs256-not-allowed",
        "other-key",
        "bad-signature",
    ],
)
def test_invalid_jwts_are_refused(bad_token: str) -> None:
    with pytest.raises(Unauthenticated):
        verifier().tenant(bad_token)


def test_jwt_settings_are_checked() -> None:
    with pytest.raises(InsecureConfiguration):
        IntakeSettings(jwt_key="secret")
    with pytest.raises(ValueError, match="JWT_ALGORITHMS"):
        IntakeSettings(jwt_algorithms=["none"])
    assert JwtVerifier.from_settings(IntakeSettings()) is None
