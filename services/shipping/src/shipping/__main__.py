"""`python -m shipping`: settings from the environment, then serve until SIGTERM."""

from conveyor_runtime.service import serve
from shipping.app import create_app
from shipping.settings import ShippingSettings


def main() -> None:
    settings = ShippingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
