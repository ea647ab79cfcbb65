"""The seeded catalogue: ~60 products in 6 categories and 15 brands, with generated images."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clickstream.shop.media import MediaStore, fingerprinted_key
from clickstream.shop.models import Brand, Category, Product

CATEGORIES = {
    "shoes": ("Shoes", ["Runner", "Trail Shoe", "Sneaker", "Loafer", "Boot"]),
    "jackets": ("Jackets", ["Rain Jacket", "Down Jacket", "Fleece", "Windbreaker", "Parka"]),
    "bags": ("Bags", ["Backpack", "Tote", "Duffel", "Messenger", "Hip Pack"]),
    "watches": ("Watches", ["Field Watch", "Diver", "Chronograph", "Smartwatch", "Dress Watch"]),
    "audio": ("Audio", ["Headphones", "Earbuds", "Speaker", "Turntable", "Soundbar"]),
    "home": ("Home", ["Mug", "Lamp", "Throw", "Kettle", "Planter"]),
}
BRANDS = [
    "Northwind", "Alder", "Kestrel", "Lumen", "Fjord", "Oakridge", "Pico", "Quarry", "Rivet",
    "Solace", "Tundra", "Umber", "Vela", "Wren", "Zephyr",
]  # fmt: skip
COLOURS = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6d597a", "#457b9d"]
PRODUCTS_PER_CATEGORY = 10
SEED = 20261125


def slugify(text: str) -> str:
    """Lower-case words joined by dashes."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def product_svg(name: str, brand: str, colour: str) -> bytes:
    """A simple, distinct product picture as SVG."""
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">'
        f'<rect width="400" height="300" fill="{colour}"/>'
        '<circle cx="200" cy="130" r="70" fill="#ffffff" fill-opacity="0.25"/>'
        '<text x="200" y="150" font-family="sans-serif" font-size="56" text-anchor="middle" '
        f'fill="#ffffff">{escape(initials)}</text>'
        '<text x="200" y="260" font-family="sans-serif" font-size="20" text-anchor="middle" '
        f'fill="#ffffff">{escape(brand)} · {escape(name)}</text></svg>'
    ).encode()


@dataclass(frozen=True)
class ItemSpec:
    """One product of the seeded catalogue, before it is stored."""

    slug: str
    name: str
    kind: str
    category_slug: str
    category: str
    brand: str
    price: Decimal
    discount_price: Decimal | None
    stock: int
    colour: str

    @property
    def url_path(self) -> str:
        """The product page's path."""
        return f"/product/{self.slug}"


def catalogue_items() -> list[ItemSpec]:
    """The seeded catalogue's products, the same on every machine."""
    rng = random.Random(SEED)
    items: list[ItemSpec] = []
    for category_slug, (title, kinds) in CATEGORIES.items():
        for n in range(PRODUCTS_PER_CATEGORY):
            index = len(items)
            brand = BRANDS[(index * 7 + n) % len(BRANDS)]
            kind = kinds[n % len(kinds)]
            name = f"{brand} {kind}" + (" II" if n >= len(kinds) else "")
            price = Decimal(rng.randrange(1500, 40000)) / 100
            discount = (price * Decimal("0.8")).quantize(Decimal("0.01")) if n % 4 == 0 else None
            items.append(
                ItemSpec(
                    slug=slugify(name),
                    name=name,
                    kind=kind,
                    category_slug=category_slug,
                    category=title,
                    brand=brand,
                    price=price,
                    discount_price=discount,
                    stock=rng.randrange(5, 60),
                    colour=COLOURS[(index + n) % len(COLOURS)],
                )
            )
    return items


def seed_catalogue(session: Session, media: MediaStore) -> int:
    """Fill an empty catalogue and store its images; returns products added (0 if seeded)."""
    if session.scalar(select(func.count()).select_from(Product)):
        return 0
    brands = {name: Brand(slug=slugify(name), name=name) for name in BRANDS}
    categories = {slug: Category(slug=slug, name=title) for slug, (title, _) in CATEGORIES.items()}
    session.add_all([*brands.values(), *categories.values()])
    items = catalogue_items()
    for item in items:
        svg = product_svg(item.name, item.brand, item.colour)
        key = fingerprinted_key("products", item.slug, svg, "svg")
        if not media.exists(key):
            media.put(key, svg)
        session.add(
            Product(
                slug=item.slug,
                name=item.name,
                description=f"The {item.name}: a {item.kind.lower()} by {item.brand}, "
                "built to last.",
                category=categories[item.category_slug],
                brand=brands[item.brand],
                price=item.price,
                discount_price=item.discount_price,
                stock=item.stock,
                image_key=key,
            )
        )
    session.commit()
    return len(items)
