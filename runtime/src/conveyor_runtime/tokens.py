"""The development issuer: signing keys, the key set the services read, and tokens to call them.

    python -m conveyor_runtime.tokens mint --role agent --subject agt_0001 [--ttl-seconds N]
    python -m conveyor_runtime.tokens jwks      # the key set's path (made at first use)
    python -m conveyor_runtime.tokens rotate    # a new signing key; the oldest leaves the set

Keys live in a directory (default ``.cache/tokens``, git-ignored): ``signing-keys.json`` holds
the private keys (owner-only), ``jwks.json`` their public halves, the file services point
``*_JWKS_PATH`` at. The set keeps two keys: the newest signs, the previous one still verifies
the tokens it signed until the next rotation. A real deployment's identity provider takes
this module's place; the services only ever read a key set.
"""

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from conveyor_runtime.auth import ALGORITHM, ROLES, Role
from conveyor_runtime.settings import DEV_JWKS_PATH, DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER

KEPT_KEYS = 2  # the signing key and the one before it
DEFAULT_TTL_SECONDS = 3600


class Issuer:
    """Mints tokens with the newest of its keys and publishes all of them as a key set."""

    def __init__(
        self,
        directory: Path,
        *,
        issuer: str = DEV_TOKEN_ISSUER,
        audience: str = DEV_TOKEN_AUDIENCE,
    ) -> None:
        self.directory = directory
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def at(cls, directory: Path, **claims: str) -> "Issuer":
        """The issuer of ``directory``, with its keys made there if it has none yet."""
        issuer = cls(directory, **claims)
        if not issuer._signing_path.exists():
            for _ in range(KEPT_KEYS):
                issuer.rotate()
        return issuer

    @property
    def jwks_path(self) -> Path:
        return self.directory / "jwks.json"

    @property
    def _signing_path(self) -> Path:
        return self.directory / "signing-keys.json"

    def key_ids(self) -> list[str]:
        """The kids of the set, oldest first: the last one signs."""
        return [key["kid"] for key in self._private_keys()]

    def rotate(self) -> str:
        """Add a new signing key and drop the oldest beyond ``KEPT_KEYS``; returns its kid."""
        kid = f"{time.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
        private = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()), as_dict=True)
        keys = [*self._private_keys(), {**private, "kid": kid, "alg": ALGORITHM, "use": "sig"}]
        keys = keys[-KEPT_KEYS:]
        self.directory.mkdir(parents=True, exist_ok=True)
        _write(self._signing_path, {"keys": keys}, mode=0o600)
        public = [{k: v for k, v in key.items() if k != "d"} for key in keys]
        _write(self.jwks_path, {"keys": public}, mode=0o644)
        return kid

    def mint(
        self,
        role: Role,
        subject: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        audience: str | None = None,
        kid: str | None = None,
        now: float | None = None,
    ) -> str:
        """A token for ``subject`` in ``role``, signed by key ``kid`` (default: the newest)."""
        keys = {key["kid"]: key for key in self._private_keys()}
        key = keys[kid] if kid else keys[self.key_ids()[-1]]
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject,
            "role": role,
            "iat": issued,
            "exp": issued + ttl_seconds,
        }
        signing_key = ECAlgorithm.from_jwk(key)
        if not isinstance(signing_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"key {key['kid']} of {self._signing_path} has no private part")
        return jwt.encode(claims, signing_key, algorithm=ALGORITHM, headers={"kid": key["kid"]})

    def bearer(self, role: Role, subject: str, **options: Any) -> dict[str, str]:
        """The ``Authorization`` header of a fresh token (``options`` as ``mint``'s)."""
        return {"Authorization": f"Bearer {self.mint(role, subject, **options)}"}

    def _private_keys(self) -> list[dict[str, Any]]:
        if not self._signing_path.exists():
            return []
        keys: list[dict[str, Any]] = json.loads(self._signing_path.read_text())["keys"]
        return keys


def _write(path: Path, document: dict[str, Any], *, mode: int) -> None:
    # Written aside then renamed: a service reading the set never sees half a file.
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as out:
        json.dump(document, out, indent=2)
    partial.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_runtime.tokens",
        description="The development token issuer: keys, key set and bearer tokens.",
    )
    parser.add_argument(
        "--directory",
        type=Path,
        default=DEV_JWKS_PATH.parent,
        help=f"where the keys live (default {DEV_JWKS_PATH.parent})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a bearer token")
    mint.add_argument("--role", required=True, choices=ROLES)
    mint.add_argument("--subject", required=True, help="the agent's, operator's or buyer's id")
    mint.add_argument("--ttl-seconds", type=int, default=DEFAULT_TTL_SECONDS)
    mint.add_argument("--audience", default=DEV_TOKEN_AUDIENCE)
    commands.add_parser("jwks", help="print the key set's path")
    commands.add_parser("rotate", help="add a signing key; the oldest leaves the set")
    args = parser.parse_args(argv)

    issuer = Issuer.at(args.directory)
    if args.command == "mint":
        token = issuer.mint(
            args.role, args.subject, ttl_seconds=args.ttl_seconds, audience=args.audience
        )
        sys.stdout.write(token + "\n")
    elif args.command == "jwks":
        sys.stdout.write(f"{issuer.jwks_path}\n")
    else:
        sys.stdout.write(f"signing with {issuer.rotate()}; the set: {issuer.key_ids()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
