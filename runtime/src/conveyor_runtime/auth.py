"""Bearer JWTs on the HTTP APIs: who calls, in which role, checked against a JWKS file.

A token is an ES256 JWT whose header names its key (``kid``) in the key set at
``settings.jwks_path``, carrying ``iss``, ``aud``, ``exp``, ``sub`` and ``role``. The set holds
more than one key so that the issuer can rotate: it signs with a new key while tokens signed
with the previous one still verify until it leaves the set. The file is read again when it
changes, so a rotation needs no restart.

Roles: ``buyer`` (``sub`` is the ``buyer_id`` of ``OrderPlaced``: their own orders and cases),
``seller`` (``sub`` is a ``seller_id``: their own stock, orders and figures, never another
seller's), ``agent`` (support's actions) and ``operator`` (the read APIs of orders, inventory
and shipping). Routes say which roles they take with ``require``; health, readiness and metrics
take no token at all, for probes and Prometheus.
"""

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor_runtime.settings import ServiceSettings

Role = Literal["buyer", "seller", "agent", "operator"]
ROLES: tuple[Role, ...] = get_args(Role)
ALGORITHM = "ES256"  # the only one accepted: a token never chooses how it is checked
CLAIMS = ("exp", "iss", "aud", "sub", "role")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """The verified bearer of a token."""

    role: Role
    subject: str  # the agent's or operator's id, or the buyer's id (personal: never logged)

    def __repr__(self) -> str:  # keep the subject out of tracebacks and debug output
        return f"Caller(role={self.role!r})"


class TokenError(Exception):
    """Why a token does not authenticate anyone (said in the 401's detail)."""


class TokenVerifier:
    """Checks tokens against the key set in one file, read again whenever the file changes."""

    def __init__(self, jwks_path: Path, *, issuer: str, audience: str) -> None:
        self._path = jwks_path
        self._issuer = issuer
        self._audience = audience
        self._version: tuple[int, int, int] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}

    @classmethod
    def of(cls, settings: ServiceSettings) -> "TokenVerifier":
        return cls(
            settings.jwks_path, issuer=settings.token_issuer, audience=settings.token_audience
        )

    def verify(self, token: str) -> Caller:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._current_keys().get(kid) if isinstance(kid, str) else None
            if key is None:
                raise TokenError("the token's key is not in the key set")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": list(CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.InvalidTokenError as error:
            raise TokenError(f"the token is not valid: {error}") from None
        role, subject = claims["role"], claims["sub"]
        if role not in ROLES or not isinstance(subject, str) or not subject:
            raise TokenError("the token has no known role or no subject")
        return Caller(role, subject)

    def _current_keys(self) -> dict[str, jwt.PyJWK]:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            raise TokenError("no key set is installed") from None
        # A rotation renames a new file in: another inode, even within the same tick.
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if version != self._version:
            self._keys = _read_key_set(self._path)
            self._version = version
            log.info("key set read", extra={"keys": sorted(self._keys)})
        return self._keys


def _read_key_set(path: Path) -> dict[str, jwt.PyJWK]:
    document: dict[str, Any] = json.loads(path.read_text())
    keys = jwt.PyJWKSet.from_dict(document)
    return {key.key_id: key for key in keys if key.key_id and key.public_key_use in (None, "sig")}


bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An ES256 JWT with `iss`, `aud`, `exp`, `sub` and `role` (buyer, seller, "
    "agent, operator), signed by a key of the deployment's key set.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token, or one expired, forged or for another audience"},
    403: {"description": "The token's role may not do this"},
}


def install_verifier(app: Any, verifier: TokenVerifier) -> None:
    """Make ``verifier`` the one ``require`` uses for the routes of ``app``."""
    app.state.tokens = verifier


def require(*roles: Role) -> Any:
    """A dependency answering the verified ``Caller`` when its role is one of ``roles``: 401
    without a valid token, 403 with a valid one of another role."""

    async def caller(request: Request, credentials: Credentials) -> Caller:
        verifier: TokenVerifier = request.app.state.tokens
        if credentials is None:
            raise _unauthorised("a bearer token is required", challenge="Bearer")
        try:
            found = verifier.verify(credentials.credentials)
        except TokenError as error:
            log.info("bearer token refused", extra={"reason": str(error)})
            raise _unauthorised(str(error), challenge='Bearer error="invalid_token"') from None
        if found.role not in roles:
            raise HTTPException(403, f"the {found.role} role may not do this")
        return found

    return Depends(caller)


def _unauthorised(detail: str, *, challenge: str) -> HTTPException:
    # RFC 6750: the challenge tells a client it needs a bearer token, or a new one.
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})
