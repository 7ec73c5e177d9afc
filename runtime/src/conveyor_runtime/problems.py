"""RFC 9457 problem details: the one shape of every error every service's HTTP API answers.

Routes raise ``fastapi.HTTPException`` as usual; the handlers installed here turn it (and
FastAPI's validation errors, routing's 404/405 and anything unhandled) into
``application/problem+json``, and the OpenAPI document says so for every 4xx/5xx response.
"""

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


class InvalidParam(BaseModel):
    """One part of the request that failed validation (never its value: it may be personal)."""

    name: str = Field(description="Where, dotted: `body.lines.0.quantity`, `query.limit`.")
    reason: str


class Problem(BaseModel):
    """An error, as RFC 9457 shapes it. ``type`` is always ``about:blank``: the status says
    what kind of problem it is, ``title`` is its phrase and ``detail`` this occurrence's. No
    ``instance``: a "not yours" must read exactly like a "no such thing", whatever the path."""

    model_config = ConfigDict(populate_by_name=True)

    type: str = "about:blank"
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["not found"])
    invalid_params: list[InvalidParam] | None = Field(
        default=None, alias="invalid-params", description="Only on 422."
    )


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    invalid: list[InvalidParam] | None = None,
) -> JSONResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        invalid_params=invalid,
    )
    return JSONResponse(
        problem.model_dump(mode="json", by_alias=True, exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else None
    return problem_response(error.status_code, detail, headers=error.headers)


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    invalid = [
        InvalidParam(name=".".join(str(part) for part in e["loc"]), reason=e["msg"])
        for e in error.errors()
    ]
    return problem_response(422, "the request is not valid", invalid=invalid)


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    # Starlette logs the exception and re-raises it after this answer: nothing more here.
    return problem_response(500)


def install_problems(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem, and document it so."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = _documented_as_problems(app, app.openapi)  # type: ignore[method-assign]


def _documented_as_problems(
    app: FastAPI, generate: Callable[[], dict[str, Any]]
) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()  # cached by FastAPI on the app: rewritten once, here
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem = Problem.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        reference = {"$ref": "#/components/schemas/Problem"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    if code[:1] in ("4", "5"):
                        response["content"] = {PROBLEM_JSON: {"schema": reference}}
        return schema

    return openapi
