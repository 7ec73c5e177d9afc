"""`python -m support`: serve until SIGTERM; `python -m support rebuild-timeline`: rebuild
every order's timeline from the topics' history into an empty database."""

import argparse
import asyncio
import json

from conveyor_runtime.logs import configure_logging
from conveyor_runtime.service import serve
from support.app import create_app, rebuild_timelines
from support.settings import SupportSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m support", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (the default)")
    rebuild = commands.add_parser(
        "rebuild-timeline", help="replay the timeline topics from the beginning"
    )
    rebuild.add_argument(
        "--into",
        metavar="DATABASE",
        help="empty database to build into (default: <SUPPORT_MONGO_DATABASE>_rebuild)",
    )
    arguments = parser.parse_args(argv)
    settings = SupportSettings()
    if arguments.command == "rebuild-timeline":
        configure_logging(settings.log_level)
        database = arguments.into or f"{settings.mongo_database}_rebuild"
        report = asyncio.run(rebuild_timelines(settings, database=database))
        print(json.dumps(report.__dict__))  # noqa: T201 - the command's output
        return
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
