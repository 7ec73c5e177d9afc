"""``python -m conveyor_simulators checkout|erasure|carriers|receipts``: see the README."""

import argparse
import asyncio
import functools
import os
import uuid
from pathlib import Path

from conveyor_contracts.topics import CARRIER_CODES
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.catalogue import DEFAULT_WAREHOUSES
from conveyor_simulators.checkout import CheckoutSettings
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout, publish_erasure, publish_receipts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conveyor_simulators")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", default="127.0.0.1:9092")
    common.add_argument("--topic-prefix", default="")
    common.add_argument(
        "--kafka-credentials",
        type=Path,
        default=os.environ.get("CONVEYOR_KAFKA_CREDENTIALS") or None,
        help="the stack's kafka/credentials.json on an authenticated broker "
        "(env CONVEYOR_KAFKA_CREDENTIALS); each simulator logs in as its own principal",
    )
    common.add_argument("--seed", type=int, default=7)
    common.add_argument("--otlp", default="http://127.0.0.1:4318", help="'' disables tracing")
    checkout = commands.add_parser("checkout", parents=[common], help="publish orders")
    checkout.add_argument("--orders", type=int, default=100)
    checkout.add_argument("--rate", type=float, default=20.0, help="orders per second")
    checkout.add_argument("--flash-sale", action="store_true")
    checkout.add_argument("--cancel-ratio", type=float, default=0.05)
    checkout.add_argument("--invalid-ratio", type=float, default=0.02)
    erasure = commands.add_parser(
        "erasure", parents=[common], help="ask for a buyer's personal data to be erased"
    )
    erasure.add_argument("--orders", required=True, help="the buyer's order ids, comma-separated")
    erasure.add_argument("--erasure-id", default=None, help="default: a new era_... id")
    carriers = commands.add_parser("carriers", parents=[common], help="run carriers")
    carriers.add_argument("--codes", default="all", help="comma-separated, or 'all'")
    carriers.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second")
    carriers.add_argument("--decline-rate", type=float, default=0.05)
    carriers.add_argument("--failed-rate", type=float, default=0.05)
    carriers.add_argument("--lost-rate", type=float, default=0.01)
    carriers.add_argument("--duplicate-rate", type=float, default=0.05)
    carriers.add_argument("--out-of-order-rate", type=float, default=0.05)
    carriers.add_argument(
        "--late",
        default="libertyparcel=0.3",
        help="carriers that hold parcels at a hub for days: code=share,... ('' for none)",
    )
    receipts = commands.add_parser("receipts", parents=[common], help="seed warehouse stock")
    receipts.add_argument("--warehouses", default=",".join(DEFAULT_WAREHOUSES))
    receipts.add_argument("--quantity", type=int, default=500)
    return parser


def late_rates(text: str) -> dict[str, float]:
    """``code=share,...`` as a mapping; each code must be an onboarded carrier."""
    rates: dict[str, float] = {}
    for item in filter(None, text.split(",")):
        code, _, share = item.partition("=")
        if code not in CARRIER_CODES:
            raise SystemExit(f"--late: {code!r} is not an onboarded carrier")
        rates[code] = float(share)
    return rates


async def _carriers(args: argparse.Namespace) -> None:
    codes = CARRIER_CODES if args.codes == "all" else tuple(args.codes.split(","))
    settings = CarrierSettings(
        seed=args.seed,
        decline_rate=args.decline_rate,
        failed_delivery_rate=args.failed_rate,
        lost_rate=args.lost_rate,
        duplicate_rate=args.duplicate_rate,
        out_of_order_rate=args.out_of_order_rate,
        late_rates=late_rates(args.late),
    )
    built = build_carriers(
        codes,
        bootstrap=args.bootstrap,
        provider_for=functools.partial(tracer_provider, otlp_endpoint=args.otlp or None),
        settings=settings,
        speed=args.speed,
        prefix=args.topic_prefix,
        kafka_credentials=args.kafka_credentials,
    )
    for kafka, _, _ in built:
        await kafka.start()
    try:
        await asyncio.Event().wait()  # until interrupted
    finally:
        for kafka, provider, carrier in built:
            carrier.close()
            await kafka.stop()
            provider.shutdown()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "checkout":
        settings = CheckoutSettings(
            orders=args.orders,
            seed=args.seed,
            flash_sale=args.flash_sale,
            cancel_ratio=args.cancel_ratio,
            invalid_ratio=args.invalid_ratio,
        )
        count = asyncio.run(
            publish_checkout(
                settings,
                rate=args.rate,
                bootstrap=args.bootstrap,
                prefix=args.topic_prefix,
                otlp=args.otlp or None,
                kafka_credentials=args.kafka_credentials,
            )
        )
    elif args.command == "erasure":
        erasure_id = args.erasure_id or f"era_{uuid.uuid4().hex[:20]}"
        count = asyncio.run(
            publish_erasure(
                tuple(args.orders.split(",")),
                erasure_id,
                bootstrap=args.bootstrap,
                prefix=args.topic_prefix,
                kafka_credentials=args.kafka_credentials,
            )
        )
    elif args.command == "receipts":
        count = asyncio.run(
            publish_receipts(
                seed=args.seed,
                warehouses=tuple(args.warehouses.split(",")),
                quantity=args.quantity,
                bootstrap=args.bootstrap,
                prefix=args.topic_prefix,
                kafka_credentials=args.kafka_credentials,
            )
        )
    else:
        try:
            asyncio.run(_carriers(args))
        except KeyboardInterrupt:
            return
        return
    print(f"published {count} messages")  # noqa: T201 - the CLI's one line of output


if __name__ == "__main__":
    main()
