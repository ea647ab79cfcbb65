"""The seeded catalogue: ~60 products in 6 categories and 15 brands, with generated images."""

from __future__ import annotations

import random
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


def seed_catalogue(session: Session, media: MediaStore) -> int:
    """Fill an empty catalogue and store its images; returns products added (0 if seeded)."""
    if session.scalar(select(func.count()).select_from(Product)):
        return 0
    rng = random.Random(SEED)
    brands = [Brand(slug=slugify(name), name=name) for name in BRANDS]
    session.add_all(brands)
    added = 0
    for slug, (title, kinds) in CATEGORIES.items():
        category = Category(slug=slug, name=title)
        session.add(category)
        for n in range(PRODUCTS_PER_CATEGORY):
            brand = brands[(added * 7 + n) % len(brands)]
            kind = kinds[n % len(kinds)]
            name = f"{brand.name} {kind}" + (" II" if n >= len(kinds) else "")
            price = Decimal(rng.randrange(1500, 40000)) / 100
            discount = (price * Decimal("0.8")).quantize(Decimal("0.01")) if n % 4 == 0 else None
            svg = product_svg(name, brand.name, COLOURS[(added + n) % len(COLOURS)])
            key = fingerprinted_key("products", slugify(name), svg, "svg")
            if not media.exists(key):
                media.put(key, svg)
            session.add(
                Product(
                    slug=slugify(name),
                    name=name,
                    description=f"The {name}: a {kind.lower()} by {brand.name}, built to last.",
                    category=category,
                    brand=brand,
                    price=price,
                    discount_price=discount,
                    stock=rng.randrange(5, 60),
                    image_key=key,
                )
            )
            added += 1
    session.commit()
    return added
