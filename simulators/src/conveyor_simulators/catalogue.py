"""Static data the checkout draws from: SKUs with prices, and valid addresses per market.

Addresses are real-looking places with postal codes valid for their country, so that an order
is rejected only when the simulator means it to be (the invalid-order ratio).
"""

from dataclasses import dataclass

# The sellers whose goods the shop's warehouses hold: an apparel brand, a sneaker label (the
# flash sale's), and a homeware shop.
APPAREL, SNEAKERS, HOMEWARE = "sel_Apparel0001", "sel_Sneakers001", "sel_Homeware001"
SELLERS: tuple[str, ...] = (APPAREL, SNEAKERS, HOMEWARE)


@dataclass(frozen=True)
class Product:
    sku: str
    price_minor: int  # the same number in every market's currency keeps totals easy to check
    weight_grams: int
    seller_id: str


CATALOGUE: tuple[Product, ...] = (
    Product("TEE-BLK-M", 1999, 250, APPAREL),
    Product("TEE-WHT-L", 1999, 260, APPAREL),
    Product("HOOD-GRY-M", 4999, 700, APPAREL),
    Product("CAP-NVY-OS", 1499, 150, APPAREL),
    Product("SNKR-RED-42", 8999, 1100, SNEAKERS),
    Product("SNKR-BLK-44", 8999, 1150, SNEAKERS),
    Product("MUG-LOGO-12", 1299, 400, HOMEWARE),
    Product("BAG-TOTE-01", 2499, 300, HOMEWARE),
    Product("SOCK-MIX-3P", 999, 120, APPAREL),
    Product("JKT-OLV-L", 12999, 1400, APPAREL),
    Product("BOTL-STL-750", 2199, 350, HOMEWARE),
    Product("PHN-CASE-15", 1799, 80, HOMEWARE),
)
SELLER_OF: dict[str, str] = {product.sku: product.seller_id for product in CATALOGUE}

# The few SKUs a live-stream flash sale pushes: the sneaker drop.
HOT_SKUS: tuple[str, ...] = ("SNKR-RED-42", "SNKR-BLK-44")


@dataclass(frozen=True)
class Place:
    street: str
    city: str
    region: str | None
    postal_code: str


PLACES: dict[str, tuple[Place, ...]] = {
    "US": (
        Place("1 Market Street", "San Francisco", "CA", "94105"),
        Place("350 Fifth Avenue", "New York", "NY", "10118"),
        Place("233 S Wacker Drive", "Chicago", "IL", "60606"),
        Place("1600 Pennsylvania Ave NW", "Washington", "DC", "20500"),
        Place("400 Broad Street", "Seattle", "WA", "98109"),
    ),
    "CA": (
        Place("290 Bremner Blvd", "Toronto", "ON", "M5V 3L9"),
        Place("1000 Rue De La Gauchetiere", "Montreal", "QC", "H3B 4W5"),
        Place("1055 Canada Place", "Vancouver", "BC", "V6C 0C3"),
        Place("111 Wellington Street", "Ottawa", "ON", "K1A 0A9"),
    ),
    "GB": (
        Place("10 Downing Street", "London", None, "SW1A 2AA"),
        Place("1 Princes Street", "Edinburgh", None, "EH2 2EQ"),
        Place("Piccadilly Gardens", "Manchester", None, "M1 1RG"),
        Place("Victoria Square", "Birmingham", None, "B1 1BB"),
    ),
}

# Postal codes that are well-formed strings (schema-valid) but wrong for every market.
BAD_POSTAL_CODES: tuple[str, ...] = ("00000X", "ZZ", "12-AB-99")

PHONE_PREFIX = {"US": "+1415555", "CA": "+1416555", "GB": "+4420794"}
NAMES: tuple[str, ...] = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson")

# One default warehouse per market, in the contracts' WH-<country>-<code> form.
DEFAULT_WAREHOUSES: tuple[str, ...] = ("WH-US-NJ1", "WH-CA-ON1", "WH-GB-MAN1")
