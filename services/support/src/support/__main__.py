"""`python -m support`: settings from the environment, then serve until SIGTERM."""

from conveyor_runtime.service import serve
from support.app import create_app
from support.settings import SupportSettings


def main() -> None:
    settings = SupportSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
