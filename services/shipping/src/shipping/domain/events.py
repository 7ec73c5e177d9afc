"""What happens to an order's shipments, as the shipping domain says it: plain facts, no topic,
no envelope.

``adapters/wire.py`` tells which contract event each becomes (a shipment event, or a command on
the carrier's own topic); the runtime's ``Outlet`` adds the envelope (ids derived from the cause,
the order's correlation, the producer) and the topic. A fact about a shipment carries the
shipment as the change left it: what the carrier and the mesh are told is read from it.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from conveyor_contracts.address import Site
from conveyor_contracts.carriers.requests import Parcel
from shipping.domain.catalogue import ServiceLevel
from shipping.domain.shipment import ErasureRequest, Fulfilment, OrderDetails, Scan, Shipment

APPLIED_MEMORY = 500  # event ids remembered per order: far more than one order ever receives


# What a carrier is asked.


@dataclass(frozen=True)
class CarrierAsked:
    """The shipment's carrier is asked to collect it: at the warehouse (``site``) for the buyer,
    or, a return, at the buyer's for the warehouse."""

    order_id: str
    shipment: Shipment  # as booked
    details: OrderDetails
    site: Site
    parcels: tuple[Parcel, ...]


@dataclass(frozen=True)
class CarrierLetGo:
    """``carrier_code`` is told not to come: the order was cancelled, or the shipment went (or
    goes) to another carrier."""

    order_id: str
    shipment: Shipment
    carrier_code: str
    reason: str


@dataclass(frozen=True)
class RecallAsked:
    """The shipment's carrier is asked to bring the parcel back."""

    order_id: str
    shipment: Shipment


# What the mesh is told.


@dataclass(frozen=True)
class Booked:
    """A first carrier was asked (``service_level``: the order's)."""

    order_id: str
    shipment: Shipment
    service_level: ServiceLevel


@dataclass(frozen=True)
class Rebooked:
    """Another carrier was asked, after ``previous_carrier_code`` was let go for ``reason``."""

    order_id: str
    shipment: Shipment
    previous_carrier_code: str
    reason: str


@dataclass(frozen=True)
class BookingFailed:
    order_id: str
    shipment: Shipment
    reason: str


@dataclass(frozen=True)
class Confirmed:
    """The carrier accepted the booking."""

    order_id: str
    shipment: Shipment
    estimated_delivery: date | None  # the carrier's, when it gives one


@dataclass(frozen=True)
class Cancelled:
    """Cancelled before pickup: the goods never left."""

    order_id: str
    shipment: Shipment
    reason: str


@dataclass(frozen=True)
class RecallRequested:
    order_id: str
    shipment: Shipment


@dataclass(frozen=True)
class Collected:
    """The parcel left with the carrier (``at``: the first scan at or past pickup)."""

    order_id: str
    shipment: Shipment
    at: datetime


@dataclass(frozen=True)
class ScanReported:
    """The scan that now says where the parcel is, or a problem on its way; ``will_retry``
    whether the carrier tries again after a failed delivery."""

    order_id: str
    shipment: Shipment
    scan: Scan
    will_retry: bool


@dataclass(frozen=True)
class PromiseMissed:
    """Delivered, or still on its way, after ``deliver_by``, the date promised to the buyer."""

    order_id: str
    shipment: Shipment
    deliver_by: datetime | None


@dataclass(frozen=True)
class Delayed:
    """The arrival forecast first passed the promised window's last day (told once)."""

    order_id: str
    shipment: Shipment
    promised_latest: date
    forecast_delivery: date


@dataclass(frozen=True)
class CarrierSilent:
    """No scan for ``allowance``, noticed ``at``."""

    order_id: str
    shipment: Shipment
    allowance: timedelta
    at: datetime


# About the whole order.


@dataclass(frozen=True)
class PersonalDataErased:
    """The order's personal data is gone: the confirmation ``request`` waited for, caused by
    that request, whatever change erased it."""

    order_id: str
    request: ErasureRequest
    deferred: bool


DeadlineEvent = CarrierLetGo | PromiseMissed | CarrierSilent


@dataclass(frozen=True)
class DeadlinePassed:
    """What a shipment tells because one of its deadlines passed: caused by that passing
    (``passing``, see ``deadlines.deadline_cause``: the same whenever the timer notices it),
    not by whichever change noticed it."""

    passing: uuid.UUID
    event: DeadlineEvent


ShippingEvent = (
    CarrierAsked
    | CarrierLetGo
    | RecallAsked
    | Booked
    | Rebooked
    | BookingFailed
    | Confirmed
    | Cancelled
    | RecallRequested
    | Collected
    | ScanReported
    | PromiseMissed
    | Delayed
    | CarrierSilent
    | PersonalDataErased
    | DeadlinePassed
)


def already_applied(fulfilment: Fulfilment, cause: uuid.UUID) -> bool:
    return str(cause) in fulfilment.applied


def remembered(fulfilment: Fulfilment, cause: uuid.UUID) -> Fulfilment:
    """``fulfilment`` noting that the cause is applied, so its redelivery changes nothing."""
    return replace(fulfilment, applied=(*fulfilment.applied, str(cause))[-APPLIED_MEMORY:])
