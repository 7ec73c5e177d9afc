"""The carriers' scorecards: counted from the database by a worker, every
``scorecard_refresh_seconds``; booking and ``GET /carriers/scorecards`` read the last count."""

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor_runtime.auth import AUTH_RESPONSES, require
from shipping.domain.scorecards import CarrierScorecards, Figure, Scorecard, WindowName
from shipping.ports import FulfilmentRepository
from shipping.usecases.score_carriers import score_carriers

log = logging.getLogger(__name__)


class CarrierScoreboard:
    """A worker keeping the carriers' scorecards as last counted."""

    def __init__(
        self,
        fulfilments: FulfilmentRepository,
        carriers: tuple[str, ...],
        clock: Callable[[], datetime],
        *,
        interval_seconds: float = 60.0,
    ) -> None:
        self.fulfilments = fulfilments
        self.carriers = carriers
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.latest = CarrierScorecards()

    async def refresh(self) -> CarrierScorecards:
        self.latest = await score_carriers(self.fulfilments, self.carriers, self.clock())
        return self.latest

    async def current(self) -> CarrierScorecards:
        """The last count, or a first one when there is none yet."""
        return self.latest if self.latest.as_of is not None else await self.refresh()

    def on_time(self) -> Mapping[str, Figure]:
        """Each carrier's 30-day on-time figure, as last counted (none before the first)."""
        return self.latest.on_time("30d")

    async def run(self) -> None:
        """Refresh until cancelled; failures are logged and retried at the next pass."""
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("counting the carriers' scorecards failed; retrying at the next pass")
            await asyncio.sleep(self.interval_seconds)


class FigureView(BaseModel):
    numerator: int
    denominator: int
    rate: float | None  # null when the denominator is 0

    @classmethod
    def of(cls, figure: Figure) -> "FigureView":
        return cls(numerator=figure.numerator, denominator=figure.denominator, rate=figure.rate)


class WindowView(BaseModel):
    since: datetime
    until: datetime
    on_time: FigureView
    first_attempt: FigureView
    loss: FigureView
    decline: FigureView


class CarrierScorecardView(BaseModel):
    carrier_code: str
    last_7_days: WindowView
    last_30_days: WindowView


class ScorecardsView(BaseModel):
    as_of: datetime
    carriers: list[CarrierScorecardView]

    @classmethod
    def of(cls, cards: CarrierScorecards) -> "ScorecardsView":
        assert cards.as_of is not None  # counted
        codes = sorted(cards.cards.get("30d", {}))
        return cls(
            as_of=cards.as_of,
            carriers=[
                CarrierScorecardView(
                    carrier_code=code,
                    last_7_days=_window(cards, "7d", code),
                    last_30_days=_window(cards, "30d", code),
                )
                for code in codes
            ],
        )


def _window(cards: CarrierScorecards, name: WindowName, code: str) -> WindowView:
    window = cards.windows[name]
    card = cards.cards[name].get(code, Scorecard())
    return WindowView(
        since=window.since,
        until=window.until,
        on_time=FigureView.of(card.on_time),
        first_attempt=FigureView.of(card.first_attempt),
        loss=FigureView.of(card.loss),
        decline=FigureView.of(card.decline),
    )


def carriers_router(scoreboard: CarrierScoreboard) -> APIRouter:
    router = APIRouter(
        tags=["carriers"], dependencies=[require("operator")], responses=AUTH_RESPONSES
    )

    @router.get("/carriers/scorecards")
    async def get_scorecards() -> ScorecardsView:
        """Per carrier, rolling 7 and 30 days: on-time, first-attempt, loss and decline figures,
        as last counted (``as_of``)."""
        return ScorecardsView.of(await scoreboard.current())

    return router
