"""Jaeger: its pinned version, built from its Go module, run with jaeger.yaml beside it."""

import os
import urllib.error
import urllib.request
from pathlib import Path

from conveyor_local.stack.go_build import GoServer
from conveyor_local.stack.jaeger_fixes import JAEGER_FIXES

JAEGER_VERSION = "v1.75.0"  # the Go module's tag (v1.76.0 is served but not an approved release)
JAEGER_RELEASE = "2.12.0"  # what the program calls itself, and the tag of its official image


class Jaeger(GoServer):
    """Jaeger v2: OTLP receivers, in-memory trace storage, query UI/API (jaeger.yaml).

    The built binary has no UI assets (they come from a separate npm build, which no package
    registry serves): the page at the query port is a placeholder, while the HTTP API
    (/api/traces/...) works as usual. Built with only the components jaeger.yaml uses
    (jaeger_fixes): the same program, a third of the packages to compile.
    """

    name = "jaeger"
    module = "github.com/jaegertracing/jaeger"
    program = "cmd/jaeger"
    pinned = JAEGER_VERSION
    source_fixes = JAEGER_FIXES
    config = Path(__file__).resolve().parent / "jaeger.yaml"
    stop_grace = 10.0
    builds_in_background = True  # minutes of compiling; nothing needs traces to start

    def ports(self) -> dict[str, int]:
        settings = self.settings
        return {
            "otlp-grpc": settings.otlp_grpc_port,
            "otlp-http": settings.otlp_http_port,
            "query": settings.jaeger_query_port,
            "query-grpc": settings.jaeger_query_grpc_port,
            "health": settings.jaeger_health_port,
        }

    def command(self) -> list[str]:
        return [str(self.binary), "--config", str(self.config)]

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.settings.port_variables()}

    def probe(self) -> str | None:
        url = f"http://{self.settings.host}:{self.settings.jaeger_health_port}/status"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                status: int = response.status
        except (urllib.error.URLError, OSError) as error:
            return f"GET {url}: {error}"
        return None if status == 200 else f"GET {url} answered {status}"
