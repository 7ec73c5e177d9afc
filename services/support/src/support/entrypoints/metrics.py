"""Support's business metrics, counted from the case events it publishes."""

from conveyor_runtime.metrics import MessagingMetrics


def count_cases_opened(metrics: MessagingMetrics) -> None:
    """``conveyor_cases_opened_total{kind}``, kind as in ``CaseOpened`` (``sla_breach``...)."""
    metrics.count_published(
        "conveyor_cases_opened",
        "Support cases opened, by what they are about.",
        ("kind",),
        {"CaseOpened": lambda event: (event["kind"],)},
    )
