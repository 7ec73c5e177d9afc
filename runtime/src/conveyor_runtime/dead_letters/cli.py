"""``python -m conveyor_runtime.dead_letters``: list what is parked, replay it once fixed.

    list     [--topic T ...]
    replay   [--topic T ...] [--reason TEXT] [--key KEY] [--partition N]
             [--from-offset N] [--to-offset N] [--dry-run]
    discard  (the same selection as replay)

``replay`` re-drives each selected message to its original topic, once; ``discard`` marks them
dealt with without re-driving (input that can never succeed). Neither touches the others.

Topics are the registry's names (``checkout.orders.v1``; default: every registry topic whose
dead-letter companion exists), deployed under ``--topic-prefix``. Offsets and partitions are the
dead-letter topic's, as ``list`` prints them (``partition/offset``). Output never includes a
payload: it may hold personal data.

Settings come as a service's do (``conveyor_runtime.settings``), with the prefix
``DEAD_LETTERS_``: ``DEAD_LETTERS_KAFKA_BOOTSTRAP_SERVERS``, ``DEAD_LETTERS_TOPIC_PREFIX``, and on
an authenticated broker ``DEAD_LETTERS_KAFKA_USERNAME`` with ``DEAD_LETTERS_KAFKA_PASSWORD`` (or
``..._PASSWORD_FILE``); the options before the command override them. The tool is an
operator's: it logs in as the admin principal, which reads every dead-letter topic and writes
every original one; ``--credentials FILE`` takes the admin's password from a stack's
credentials file (``make dead-letters`` passes the local stack's). A password is never an
argument: it would show in the process list.
"""

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
)
from pydantic_settings import SettingsConfigDict

from conveyor_contracts.topics import TOPICS
from conveyor_runtime.dead_letters.parked import ParkedMessage
from conveyor_runtime.dead_letters.replay import DeadLetters, Outcome, Selection
from conveyor_runtime.kafka_acl import ADMIN
from conveyor_runtime.kafka_auth import KafkaCredentials, read_credentials
from conveyor_runtime.settings import KafkaClientSettings


class DeadLetterToolSettings(KafkaClientSettings):
    """The tool's Kafka: ``DEAD_LETTERS_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="DEAD_LETTERS_", frozen=True, extra="ignore")


def _parser(settings: DeadLetterToolSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_runtime.dead_letters",
        description="List parked messages, and re-drive them to their original topic once.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=settings.kafka_bootstrap_servers,
        help="Kafka bootstrap servers (env DEAD_LETTERS_KAFKA_BOOTSTRAP_SERVERS; default "
        "127.0.0.1:9092)",
    )
    parser.add_argument(
        "--topic-prefix",
        default=settings.topic_prefix,
        help="the deployment's topic prefix, as the services' *_TOPIC_PREFIX "
        "(env DEAD_LETTERS_TOPIC_PREFIX)",
    )
    parser.add_argument(
        "--credentials",
        type=Path,
        help="log in as the admin, whose password is in this credentials file (JSON: user -> "
        "password); otherwise env DEAD_LETTERS_KAFKA_USERNAME with DEAD_LETTERS_KAFKA_PASSWORD "
        "or DEAD_LETTERS_KAFKA_PASSWORD_FILE",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="what is parked, per dead-letter topic")
    replay = commands.add_parser("replay", help="re-drive parked messages, each at most once")
    discard = commands.add_parser("discard", help="mark parked messages dealt with, unreplayed")
    for command in (listing, replay, discard):
        command.add_argument(
            "--topic",
            action="append",
            choices=[spec.name for spec in TOPICS],
            metavar="TOPIC",
            help="a registry topic (repeatable); default: all",
        )
    for command in (replay, discard):
        command.add_argument("--reason", help="only reasons containing this text (any case)")
        command.add_argument("--key", help="only this message key (an order id or a SKU)")
        command.add_argument("--partition", type=int, help="only this dead-letter partition")
        command.add_argument("--from-offset", type=int, help="only dead-letter offsets from this")
        command.add_argument("--to-offset", type=int, help="only dead-letter offsets up to this")
        command.add_argument("--dry-run", action="store_true", help="publish and commit nothing")
    return parser


async def run(argv: list[str], out: TextIO = sys.stdout) -> int:
    """Run the command line ``argv``; the exit status (1: a replay had to stop early)."""
    settings = DeadLetterToolSettings()
    arguments = _parser(settings).parse_args(argv)
    prefix: str = arguments.topic_prefix
    wanted = [prefix + spec.dead_letter for spec in TOPICS if spec.name in (arguments.topic or [])]
    login = _login(arguments.credentials, settings)
    async with DeadLetters(arguments.bootstrap_servers, prefix, login) as dead_letters:
        if arguments.topic:
            missing = set(wanted) - set(await dead_letters.existing(wanted))
            if missing:
                out.write(f"no such topic on the broker: {', '.join(sorted(missing))}\n")
                return 1
        else:
            every = [prefix + spec.dead_letter for spec in TOPICS]
            wanted = await dead_letters.existing(every)
        if arguments.command == "list":
            outcomes = [await dead_letters.parked(topic) for topic in wanted]
            _print_listing(outcomes, out, every_topic=bool(arguments.topic))
            return 0
        selection = Selection(
            reason=arguments.reason,
            key=arguments.key,
            partition=arguments.partition,
            from_offset=arguments.from_offset,
            to_offset=arguments.to_offset,
        )
        act = dead_letters.replay if arguments.command == "replay" else dead_letters.discard
        outcomes = [await act(topic, selection, dry_run=arguments.dry_run) for topic in wanted]
        verb = {"replay": "replayed", "discard": "discarded"}[arguments.command]
        _print_outcomes(
            outcomes, out, verb=f"would {arguments.command}" if arguments.dry_run else verb
        )
        return 1 if any(outcome.stopped for outcome in outcomes) else 0


def _login(
    credentials_file: Path | None, settings: DeadLetterToolSettings
) -> KafkaCredentials | None:
    """Who the tool is to the broker; None on an unauthenticated one."""
    if credentials_file is not None:
        return read_credentials(credentials_file, ADMIN)
    return settings.kafka_credentials()


def _print_listing(outcomes: list[Outcome], out: TextIO, *, every_topic: bool) -> None:
    for outcome in outcomes:
        if outcome.still_parked or every_topic:
            out.write(f"{outcome.dead_letter_topic}: {len(outcome.still_parked)} parked\n")
            for message in outcome.still_parked:
                out.write(f"  {_line(message)}\n")
    total = sum(len(outcome.still_parked) for outcome in outcomes)
    out.write(f"{total} parked in {len(outcomes)} dead-letter topic(s)\n")


def _print_outcomes(outcomes: list[Outcome], out: TextIO, *, verb: str) -> None:
    for outcome in outcomes:
        if outcome.replayed or outcome.stopped:
            out.write(
                f"{outcome.dead_letter_topic}: {verb} {len(outcome.replayed)}, "
                f"left parked {len(outcome.still_parked)}\n"
            )
            for message in outcome.replayed:
                out.write(f"  {verb} {_line(message)}\n")
            for stop in outcome.stopped:
                out.write(f"  stopped: {stop}\n")
    total = sum(len(outcome.replayed) for outcome in outcomes)
    out.write(f"{verb} {total} message(s)\n")


def _line(message: ParkedMessage) -> str:
    summary = message.summary()
    reason = summary.pop("reason")
    fields = " ".join(f"{name}={value}" for name, value in summary.items())
    return f"{fields} reason={reason!r}"


def main() -> None:
    """The console entry point."""
    try:
        status = asyncio.run(run(sys.argv[1:]))
    except KafkaConnectionError as error:
        sys.stderr.write(f"cannot reach Kafka: {error}\n")
        status = 2
    except (AuthenticationFailedError, SaslAuthenticationFailed) as error:
        sys.stderr.write(f"Kafka refused the login: {error}\n")
        status = 2
    except (FileNotFoundError, KeyError) as error:
        sys.stderr.write(f"no operator credentials: {error}\n")
        status = 2
    sys.exit(status)
