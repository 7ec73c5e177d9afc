"""One Jaeger trace (the JSON of ``/api/traces``) as lines of text, one per span.

Each line: the span's start (ms after the trace's first span), its duration (ms), then, indented
one step per ancestor, its service and operation. A span in error (OpenTelemetry status ERROR,
Jaeger's ``error`` tag) ends with ``!! ERROR`` and the status description; a span linked to
another trace (an HTTP request behind a support action, a carrier event without trace headers)
names that trace and why, so it can be printed next. Children follow their parent in start
order; a span whose parent is not in the trace (not exported yet, or lost) starts a tree of its
own, marked.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INDENT = "  "
HEADER = f"{'start ms':>10} {'duration ms':>11}  service  operation"


@dataclass(frozen=True)
class Span:
    span_id: str
    parent_id: str | None  # within the same trace
    service: str
    operation: str
    start_us: int
    duration_us: int
    error: str | None  # the status description, "" when none; None: no error
    links: tuple[tuple[str, str], ...]  # (trace id, reason) of references to other traces


def spans_of(trace: Mapping[str, Any]) -> list[Span]:
    """The spans of one trace of Jaeger's JSON (``data[i]`` of ``/api/traces``)."""
    processes = trace.get("processes") or {}
    spans = []
    for raw in trace.get("spans") or []:
        tags = {tag["key"]: tag.get("value") for tag in raw.get("tags") or []}
        references = raw.get("references") or []
        parent = next(
            (
                ref["spanID"]
                for ref in references
                if ref.get("refType") == "CHILD_OF" and ref.get("traceID") == raw["traceID"]
            ),
            None,
        )
        links = tuple(
            (ref["traceID"], _link_reason(ref))
            for ref in references
            if ref.get("traceID") != raw["traceID"]
        )
        process = processes.get(raw.get("processID"), {})
        spans.append(
            Span(
                span_id=raw["spanID"],
                parent_id=parent,
                service=process.get("serviceName", "?"),
                operation=raw.get("operationName", "?"),
                start_us=int(raw.get("startTime", 0)),
                duration_us=int(raw.get("duration", 0)),
                error=_error(tags),
                links=links,
            )
        )
    return spans


def _error(tags: Mapping[str, Any]) -> str | None:
    if tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR":
        return str(tags.get("otel.status_description") or "")
    return None


def _link_reason(reference: Mapping[str, Any]) -> str:
    # Jaeger's references carry no attributes; the conveyor.link.reason of a link is lost on the
    # way, so the kind of reference is what can be told.
    return "follows from" if reference.get("refType") == "FOLLOWS_FROM" else "child of"


def render(trace: Mapping[str, Any]) -> list[str]:
    """The waterfall of one trace, a summary line first."""
    spans = spans_of(trace)
    if not spans:
        return [f"trace {trace.get('traceID', '?')}: no spans"]
    start = min(span.start_us for span in spans)
    end = max(span.start_us + span.duration_us for span in spans)
    services = {span.service for span in spans}
    errors = sum(span.error is not None for span in spans)
    summary = (
        f"trace {trace.get('traceID', spans[0].span_id)}: {len(spans)} spans, "
        f"{len(services)} services, {_ms(end - start)} ms"
        + (f", {errors} in error" if errors else "")
    )
    return [summary, HEADER, *(_line(span, depth, start) for span, depth in _walk(spans))]


def linked_traces(trace: Mapping[str, Any]) -> list[str]:
    """The other traces the spans of ``trace`` reference, first reference first."""
    seen: dict[str, None] = {}
    for span in sorted(spans_of(trace), key=lambda span: span.start_us):
        for trace_id, _ in span.links:
            seen.setdefault(trace_id, None)
    return list(seen)


def _walk(spans: Sequence[Span]) -> Iterator[tuple[Span, int]]:
    by_id = {span.span_id: span for span in spans}
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in by_id else None
        children.setdefault(parent, []).append(span)
    for family in children.values():
        family.sort(key=lambda span: (span.start_us, span.span_id))

    def below(span: Span, depth: int) -> Iterator[tuple[Span, int]]:
        yield span, depth
        for child in children.get(span.span_id, []):
            yield from below(child, depth + 1)

    for root in children.get(None, []):
        yield from below(root, 0)


def _line(span: Span, depth: int, trace_start_us: int) -> str:
    text = (
        f"{_ms(span.start_us - trace_start_us):>10} {_ms(span.duration_us):>11}  "
        f"{INDENT * depth}{span.service}  {span.operation}"
    )
    if span.parent_id is not None and depth == 0:
        text += "  (parent not in the trace)"
    for trace_id, reason in span.links:
        text += f"  -> {reason} trace {trace_id}"
    if span.error is not None:
        text += "  !! ERROR" + (f": {span.error}" if span.error else "")
    return text


def _ms(microseconds: int) -> str:
    return f"{microseconds / 1000:.1f}"
