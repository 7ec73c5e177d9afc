"""Waiting on a condition with a short deadline, never on a production timer."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


async def wait_for(
    check: Callable[[], Awaitable[object]], *, within: float = 30.0, interval: float = 0.2
) -> object:
    """Poll ``check`` until it returns something truthy; fail with a message at the deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {check.__qualname__}")
        await asyncio.sleep(interval)


def wait_until(condition: Callable[[], object], *, within: float = 10.0) -> None:
    """``wait_for`` for code with no event loop: threads and processes of the test itself."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s: {condition.__qualname__}")
        time.sleep(0.01)


async def fetch_trace(
    jaeger: str, trace_id: str, *, expect_services: set[str], within: float = 30.0
) -> dict[str, Any]:
    """Fetch a trace from Jaeger's HTTP API once spans of every expected service have arrived.

    Exporters batch spans, so the trace fills in over a few seconds; flush providers first.
    """
    async with httpx.AsyncClient(base_url=jaeger, timeout=5.0) as client:

        async def complete() -> dict[str, Any] | None:
            response = await client.get(f"/api/traces/{trace_id}")
            if response.status_code != 200 or not response.json().get("data"):
                return None
            trace: dict[str, Any] = response.json()["data"][0]
            services = {process["serviceName"] for process in trace["processes"].values()}
            return trace if expect_services <= services else None

        return await wait_for(complete, within=within)  # type: ignore[return-value]
