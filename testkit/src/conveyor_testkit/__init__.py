"""Conveyor's test kit: the pytest plugin of the tiers that need real servers
(``conveyor_testkit.plugin``, registered with ``pytest_plugins``) and the helpers tests share.

A test-only package: nothing in a service or the runtime imports it, so production images
carry neither it nor pytest.
"""

from conveyor_testkit.bearers import refused_bearers
from conveyor_testkit.logins import KafkaLogin
from conveyor_testkit.messages import collect, from_example
from conveyor_testkit.plugin import CreateTopics
from conveyor_testkit.servers import Servers, repository_root
from conveyor_testkit.waiting import fetch_trace, wait_for

__all__ = [
    "CreateTopics",
    "KafkaLogin",
    "Servers",
    "collect",
    "fetch_trace",
    "from_example",
    "refused_bearers",
    "repository_root",
    "wait_for",
]
