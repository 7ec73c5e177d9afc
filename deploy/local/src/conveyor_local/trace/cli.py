"""``python -m conveyor_local.trace ORDER_ID``: print an order's trace from Jaeger as a waterfall.

    python -m conveyor_local.trace ord_01J9Z...                 # the local stack's Jaeger
    python -m conveyor_local.trace ord_01J9Z... --linked        # and the traces it links to
    python -m conveyor_local.trace ord_01J9Z... --jaeger http://jaeger:16686 --hours 72

The services' Kafka spans carry the order id as the tag ``conveyor.order_id``; Jaeger's search
API (``/api/traces?service=...&tags=...``) finds the traces holding such a span, on ``orders``
first (every order passes it), then on the other services. Of those, the order's trace is the
one that began first, at the checkout's publish; the others (a carrier event that came without
trace headers, which links to the order's) are named after it. ``--linked`` also prints the traces
the order's spans link to (the HTTP request behind each support action, fetched by id from
``/api/traces/<trace id>``). Jaeger's address defaults to the local stack's query port
(``CONVEYOR_JAEGER_QUERY_PORT``).

Exit status: 0 printed, 1 no trace of that order in the time searched, 2 Jaeger not reachable.
"""

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from conveyor_local.stack.settings import Endpoints, Settings
from conveyor_local.trace.waterfall import linked_traces, render

ORDER_ID_TAG = "conveyor.order_id"  # conveyor_runtime.tracing.ORDER_ID
SERVICES = ("orders", "inventory", "shipping", "support")
SEARCH_LIMIT = 20  # traces per service: the order's, and the few linked to it


class JaegerUnreachableError(RuntimeError):
    """Jaeger's query API did not answer, or answered with an error."""


@dataclass
class Found:
    """The order's trace, and the ids of the other traces holding a span of the order."""

    trace: Mapping[str, Any]
    others: list[str] = field(default_factory=list)


def _start_us(trace: Mapping[str, Any]) -> int:
    return min((int(span.get("startTime", 0)) for span in trace.get("spans") or []), default=0)


class Jaeger:
    """The few calls of Jaeger's HTTP query API this tool makes."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,  # a recorded Jaeger, in tests
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as error:
            raise JaegerUnreachableError(f"{type(error).__name__}: {error}") from error
        if response.status_code == 404:
            return None
        if response.is_error:
            raise JaegerUnreachableError(f"{path} answered {response.status_code}: {response.text}")
        return response.json()

    def search(self, service: str, order_id: str, *, hours: float) -> list[dict[str, Any]]:
        """The traces holding a span of ``service`` tagged with the order id."""
        now_us = int(time.time() * 1_000_000)
        params = {
            "service": service,
            "tags": json.dumps({ORDER_ID_TAG: order_id}),
            "start": str(now_us - int(hours * 3600 * 1_000_000)),
            "end": str(now_us),
            "limit": str(SEARCH_LIMIT),
        }
        answer = self._get("/api/traces", params)
        return list((answer or {}).get("data") or [])

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        answer = self._get(f"/api/traces/{trace_id}")
        data = (answer or {}).get("data") or []
        return data[0] if data else None


def find_order_trace(
    jaeger: Jaeger, order_id: str, *, hours: float = 48, services: Sequence[str] = SERVICES
) -> Found | None:
    """The order's trace (the earliest of those holding a span of the order), or None."""
    for service in services:
        traces = {
            trace["traceID"]: trace for trace in jaeger.search(service, order_id, hours=hours)
        }
        if traces:
            ordered = sorted(traces.values(), key=_start_us)
            return Found(ordered[0], [trace["traceID"] for trace in ordered[1:]])
    return None


def report(jaeger: Jaeger, found: Found, *, linked: bool) -> list[str]:
    """The lines to print: the order's waterfall, the other traces, and with ``linked`` the
    waterfalls of the traces the order's spans link to."""
    lines = render(found.trace)
    trace_id = found.trace.get("traceID", "")
    lines.append(f"In Jaeger's API: {jaeger.base_url}/api/traces/{trace_id}")
    for other in found.others:
        lines.append(f"Another trace holding spans of this order: {other}")
    if linked:
        for other in linked_traces(found.trace):
            trace = jaeger.trace(other)
            lines.append("")
            lines.extend(render(trace) if trace else [f"trace {other}: not in Jaeger"])
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_local.trace", description="Print an order's trace from Jaeger."
    )
    parser.add_argument("order_id")
    parser.add_argument("--jaeger", help="Jaeger's query address (default: the local stack's)")
    parser.add_argument("--hours", type=float, default=48, help="how far back to search (48)")
    parser.add_argument(
        "--linked", action="store_true", help="also print the traces the order's spans link to"
    )
    args = parser.parse_args(argv)
    base_url = args.jaeger or Endpoints.of(Settings.from_env()).jaeger
    jaeger = Jaeger(base_url)
    try:
        found = find_order_trace(jaeger, args.order_id, hours=args.hours)
        if found is None:
            sys.stderr.write(
                f"No trace of order {args.order_id} in Jaeger at {base_url} in the last "
                f"{args.hours:g} hours (searched the tag {ORDER_ID_TAG} on "
                f"{', '.join(SERVICES)}). Spans reach Jaeger a few seconds after the work.\n"
            )
            return 1
        lines = report(jaeger, found, linked=args.linked)
    except JaegerUnreachableError as error:
        sys.stderr.write(
            f"Jaeger is not reachable at {base_url} ({error}). Is the stack up (`make status`)? "
            "Elsewhere, pass --jaeger with its query address.\n"
        )
        return 2
    finally:
        jaeger.close()
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0
