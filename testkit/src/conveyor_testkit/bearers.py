"""The bearer tokens every HTTP API must refuse (401), by name."""

from datetime import UTC, datetime

from conveyor_runtime.tokens import Issuer


def refused_bearers(issuer: Issuer) -> dict[str, dict[str, str]]:
    """What every API answers 401 to, by name: no token, an expired one, one forged (signed by
    a stranger's key under the name of one of ``issuer``'s), one of a key the set does not
    hold, one for another audience and one from another issuer."""
    stranger = Issuer.at(issuer.directory / "stranger", audience=issuer.audience)
    now = datetime.now(UTC).timestamp()
    forged = stranger.mint("operator", "opr_1").split(".")
    honest = issuer.mint("operator", "opr_1").split(".")
    other_issuer = Issuer(issuer.directory, issuer="someone-else", audience=issuer.audience)
    return {
        "missing": {},
        "expired": issuer.bearer("operator", "opr_1", now=now - 7200, ttl_seconds=3600),
        # The honest header (its kid) and claims, with the stranger's signature.
        "forged": {"Authorization": f"Bearer {honest[0]}.{honest[1]}.{forged[2]}"},
        "unknown key": {"Authorization": f"Bearer {'.'.join(forged)}"},
        "wrong audience": issuer.bearer("operator", "opr_1", audience="another-api"),
        "wrong issuer": other_issuer.bearer("operator", "opr_1"),
        "not a token": {"Authorization": "Bearer not-a-token"},
    }
