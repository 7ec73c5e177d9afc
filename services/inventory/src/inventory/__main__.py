"""`python -m inventory`: settings from the environment, then serve until SIGTERM."""

from conveyor_runtime.service import serve
from inventory.app import create_app
from inventory.settings import InventorySettings


def main() -> None:
    settings = InventorySettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
