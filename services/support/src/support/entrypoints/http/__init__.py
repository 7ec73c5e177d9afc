"""The support HTTP API: timelines, where-is-my-order, cases, returns and settlements, for
bearer tokens of the agent and buyer roles, and sellers' cases about their inbound shipments for
the seller and agent roles (``conveyor_runtime.auth``; operators get 403).

Agents see every order; a buyer sees only the orders placed with their buyer id. An order (or
case) a buyer may not see answers exactly like one that does not exist, so the API never tells
a buyer which order ids exist.

One module per resource (``timelines``, ``cases``, ``aftersales``, ``inbound_cases``), each its
own router; ``dependencies`` holds what they share: the role checks and the one not-found answer.
"""

from fastapi import APIRouter

from conveyor_runtime.auth import AUTH_RESPONSES
from support.entrypoints.http.aftersales import aftersales_routes
from support.entrypoints.http.cases import case_routes
from support.entrypoints.http.inbound_cases import inbound_case_routes
from support.entrypoints.http.timelines import timeline_routes
from support.settings import SupportSettings
from support.usecases.context import Support


def support_router(support: Support, settings: SupportSettings) -> APIRouter:
    router = APIRouter(tags=["support"], responses={401: AUTH_RESPONSES[401]})
    for routes in (timeline_routes, case_routes, aftersales_routes, inbound_case_routes):
        router.include_router(routes(support))
    return router
