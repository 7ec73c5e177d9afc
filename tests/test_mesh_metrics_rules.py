"""The alert rules and the metrics they use, read from the services' registries without a server:
each service declares its business metrics, every rule uses only metrics the services expose and
links the runbook section that says what to do, and the rules cover the failures operators must
hear about."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from conveyor_runtime.service import build_infrastructure
from inventory.app import InventoryDeps
from inventory.app import create_app as create_inventory
from inventory.settings import InventorySettings
from orders.app import OrdersDeps
from orders.app import create_app as create_orders
from orders.settings import OrdersSettings
from shipping.app import ShippingDeps
from shipping.app import create_app as create_shipping
from shipping.settings import ShippingSettings
from support.app import SupportDeps
from support.app import create_app as create_support
from support.settings import SupportSettings

SERVICES = ("orders", "inventory", "shipping", "support")
ALERTS = Path(__file__).parent.parent / "deploy" / "prometheus" / "alerts.yaml"


def registries() -> Iterator[CollectorRegistry]:
    """Every service's registry, as its app declares it (built, never started)."""
    orders = OrdersSettings(otlp_endpoint=None)
    inventory = InventorySettings(otlp_endpoint=None)
    shipping = ShippingSettings(otlp_endpoint=None)
    support = SupportSettings(otlp_endpoint=None)
    built = [build_infrastructure(settings) for settings in (orders, inventory, shipping, support)]
    create_orders(orders, OrdersDeps.on_mongo(built[0]))
    create_inventory(inventory, InventoryDeps.on_mongo(built[1]))
    create_shipping(shipping, ShippingDeps.on_mongo(built[2]))
    create_support(support, SupportDeps.on_mongo(built[3]))
    for infra in built:
        yield infra.metrics.registry


def exposed_names() -> set[str]:
    names: set[str] = set()
    for registry in registries():
        for family in registry.collect():
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
            names.update(family.name + suffix for suffix in ("_total", "_bucket", "_sum", "_count"))
    return names


def test_every_alert_rule_uses_metrics_the_services_expose() -> None:
    rules = [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]
    assert rules
    exposed = exposed_names()
    for rule in rules:
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), rule["alert"]
        used = set(re.findall(r"\b(conveyor_[a-z_]+)", rule["expr"]))
        assert used <= exposed, f"{rule['alert']} uses unknown metrics {used - exposed}"


def test_alert_rules_cover_the_failures_operators_must_hear_about() -> None:
    rules = [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]
    exprs = " ".join(rule["expr"] for rule in rules)
    for metric in (
        "conveyor_messages_dead_lettered_total",
        "conveyor_consumer_lag",
        "conveyor_outbox_pending",
        "conveyor_orders_stuck",
        "conveyor_handler_seconds_bucket",
        "conveyor_sla_breaches_total",
        "up",
    ):
        assert re.search(rf"\b{metric}\b", exprs), metric
    anchors = {rule["annotations"]["runbook_url"].split("#", 1)[1] for rule in rules}
    assert {"dead-letters", "consumer-lag", "stuck-orders", "outbox-backlog"} <= anchors


OPERATIONS = Path(__file__).parent.parent / "docs" / "operations.md"


def test_every_alert_links_the_runbook_section_that_says_what_to_do() -> None:
    rules = [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]
    sections = runbook_sections()
    for rule in rules:
        page, anchor = rule["annotations"]["runbook_url"].split("#", 1)
        assert page == "docs/operations.md", rule["alert"]
        assert anchor in sections, f"{rule['alert']}: no section #{anchor} in {page}"
        # The section for this alert, not a neighbour's: it names the alert.
        assert rule["alert"] in sections[anchor], f"{rule['alert']}: #{anchor} does not name it"


def runbook_sections() -> dict[str, str]:
    """The runbook's second-level sections by the anchor a Markdown renderer gives them."""
    sections: dict[str, str] = {}
    for part in OPERATIONS.read_text().split("\n## ")[1:]:
        heading, _, text = part.partition("\n")
        anchor = re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        sections[anchor] = text
    return sections


def test_the_dead_letter_alert_fires_on_the_first_dead_letter_of_a_kind() -> None:
    [rule] = [
        rule
        for group in yaml.safe_load(ALERTS.read_text())["groups"]
        for rule in group["rules"]
        if rule["alert"] == "ConveyorMessageDeadLettered"
    ]
    # The services start the series of the reasons they expect at 0 (an increase from there is
    # seen); a series of an unexpected reason (a bug's own error class) first appears at 1,
    # which increase() cannot see: the rule also fires on a series that is new.
    expr = " ".join(rule["expr"].split())
    assert "increase(conveyor_messages_dead_lettered_total[5m])" in expr
    assert (
        "conveyor_messages_dead_lettered_total unless conveyor_messages_dead_lettered_total"
        " offset 5m" in expr
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_declares_its_business_metrics(service: str) -> None:
    wanted = {
        "orders": {"conveyor_orders_by_state", "conveyor_orders_stuck"},
        "inventory": {"conveyor_stock_reservations"},
        "shipping": {"conveyor_bookings_declined", "conveyor_sla_breaches"},
        "support": {"conveyor_cases_opened"},
    }[service]
    registry = list(registries())[SERVICES.index(service)]
    assert wanted <= {family.name for family in registry.collect()}
