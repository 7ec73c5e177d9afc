"""Bearer tokens and problem details on an app built as the services build theirs."""

from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, HTTPException

from conveyor_runtime.auth import Caller, TokenError, TokenVerifier, require
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.settings import ServiceSettings
from conveyor_runtime.tokens import Issuer, main
from conveyor_testkit import refused_bearers


def app_of(issuer: Issuer) -> httpx.AsyncClient:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def read(
        thing_id: str, caller: Annotated[Caller, require("operator", "agent")]
    ) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404, "not found")
        return {"role": caller.role}

    @router.get("/limited")
    async def limited(limit: int) -> dict[str, int]:
        return {"limit": limit}

    settings = ServiceSettings(
        service_name="test", mongo_database="test", jwks_path=issuer.jwks_path
    )
    # In-process, as FastAPI's test client does; httpx's own transport, as the other tests use.
    transport = httpx.ASGITransport(app=build_api(settings, [router]))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer.at(tmp_path / "tokens")


async def test_a_token_signed_by_either_key_of_the_set_verifies(issuer: Issuer) -> None:
    client = app_of(issuer)
    older, newer = issuer.key_ids()
    for kid in (older, newer):
        response = await client.get("/things/a", headers=issuer.bearer("agent", "agt_1", kid=kid))
        assert response.status_code == 200
        assert response.json() == {"role": "agent"}


async def test_expired_forged_unknown_key_wrong_audience_and_missing_tokens_get_a_401_problem(
    issuer: Issuer,
) -> None:
    client = app_of(issuer)
    for name, headers in refused_bearers(issuer).items():
        response = await client.get("/things/a", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM_JSON, name
        assert response.headers["www-authenticate"].startswith("Bearer"), name
        problem = response.json()
        assert (problem["type"], problem["title"], problem["status"]) == (
            "about:blank",
            "Unauthorized",
            401,
        ), name
    expired = await client.get("/things/a", headers=refused_bearers(issuer)["expired"])
    assert expired.json()["detail"] == "the token has expired"


async def test_a_role_the_route_does_not_take_gets_a_403_problem(issuer: Issuer) -> None:
    response = await app_of(issuer).get("/things/a", headers=issuer.bearer("buyer", "byr_ada001"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "the buyer role may not do this",
    }


def test_a_rotation_is_read_without_a_restart_and_the_dropped_key_stops_verifying(
    issuer: Issuer,
) -> None:
    verifier = TokenVerifier(issuer.jwks_path, issuer=issuer.issuer, audience=issuer.audience)
    oldest = issuer.mint("operator", "opr_1", kid=issuer.key_ids()[0])
    assert verifier.verify(oldest).role == "operator"
    newest = issuer.rotate()
    assert verifier.verify(issuer.mint("agent", "agt_1")).role == "agent"
    assert issuer.key_ids()[-1] == newest
    assert len(issuer.key_ids()) == 2
    with pytest.raises(TokenError, match="not in the key set"):
        verifier.verify(oldest)


def test_a_token_without_a_role_or_with_an_unknown_one_is_refused(issuer: Issuer) -> None:
    verifier = TokenVerifier(issuer.jwks_path, issuer=issuer.issuer, audience=issuer.audience)
    with pytest.raises(TokenError, match="role"):
        verifier.verify(issuer.mint("admin", "x"))  # type: ignore[arg-type]


def test_without_a_key_set_every_token_is_refused(tmp_path: Path, issuer: Issuer) -> None:
    verifier = TokenVerifier(tmp_path / "none.json", issuer=issuer.issuer, audience="conveyor")
    with pytest.raises(TokenError, match="no key set"):
        verifier.verify(issuer.mint("operator", "opr_1"))


async def test_errors_are_problems_and_the_openapi_document_says_so(issuer: Issuer) -> None:
    client = app_of(issuer)
    missing = await client.get("/things/missing", headers=issuer.bearer("operator", "opr_1"))
    assert missing.headers["content-type"] == PROBLEM_JSON
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "not found",
    }
    invalid = await client.get("/limited?limit=many")
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM_JSON
    assert invalid.json()["invalid-params"] == [
        {"name": "query.limit", "reason": invalid.json()["invalid-params"][0]["reason"]}
    ]
    assert "many" not in invalid.text  # the value sent is never echoed: it may be personal
    unrouted = await client.get("/nowhere")
    assert (unrouted.status_code, unrouted.headers["content-type"]) == (404, PROBLEM_JSON)

    document = (await client.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    read = document["paths"]["/things/{thing_id}"]["get"]
    assert read["security"] == [{"HTTPBearer": []}]
    assert read["responses"]["422"]["content"] == {
        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_development_issuer_command_makes_its_keys_at_first_use_and_mints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "dev"
    arguments = ["--directory", str(directory), "mint", "--role", "agent", "--subject", "agt_7"]
    assert main(arguments) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(directory / "jwks.json", issuer="conveyor-dev", audience="conveyor")
    caller = verifier.verify(token)
    assert (caller.role, caller.subject) == ("agent", "agt_7")
    assert (directory / "signing-keys.json").stat().st_mode & 0o077 == 0  # owner-only
    assert '"d"' not in (directory / "jwks.json").read_text()  # no private part published
