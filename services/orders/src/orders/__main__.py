"""`python -m orders`: settings from the environment, then serve until SIGTERM."""

from conveyor_runtime.service import serve
from orders.app import create_app
from orders.settings import OrdersSettings


def main() -> None:
    settings = OrdersSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
