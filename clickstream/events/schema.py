"""The canonical event as the tracker sends it (docs/contracts.md), as msgspec types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
EventName = Annotated[str, msgspec.Meta(pattern=EVENT_NAME_PATTERN)]
ShortText = Annotated[str, msgspec.Meta(max_length=256)]
LongText = Annotated[str, msgspec.Meta(max_length=2048)]
# A registered site's id (docs/tracking.md); AWS Clickstream app ids fit it too.
SiteId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Money = Annotated[float, msgspec.Meta(ge=0, le=1e12)]

STANDARD_EVENT_NAMES = (
    "page_view",
    "product_view",
    "category_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "login",
    "logout",
    "sign_up",
    "click",
)
# The site an event without `site_id` belongs to (the built-in shop, as `clickstream up`
# registers it).
DEFAULT_SITE_ID = "default"


class Product(msgspec.Struct, omit_defaults=True):
    """The product an event is about."""

    id: ShortText | None = None
    name: ShortText | None = None
    category: ShortText | None = None
    brand: ShortText | None = None
    price: Money | None = None
    discount_price: Money | None = None
    url_path: LongText | None = None
    quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class Item(msgspec.Struct, omit_defaults=True):
    """One line of a cart, checkout or order (GA4's and the AWS solution's `items`)."""

    id: ShortText
    name: ShortText | None = None
    category: ShortText | None = None
    brand: ShortText | None = None
    variant: ShortText | None = None
    price: Money | None = None
    discount_price: Money | None = None
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None


class Order(msgspec.Struct, omit_defaults=True):
    """The order a `purchase` (or `begin_checkout`) event completes."""

    id: ShortText | None = None
    number: ShortText | None = None
    total: Money | None = None
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] | None = None
    item_count: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class Event(msgspec.Struct, omit_defaults=True):
    """One behaviour event as a client sends it; only `event_name` is required."""

    event_name: EventName
    event_id: uuid.UUID | None = None
    event_timestamp: datetime | None = None
    client_id: ShortText | None = None
    session_id: ShortText | None = None
    is_first_visit: bool | None = None
    page_url: LongText | None = None
    referrer: LongText | None = None
    product: Product | None = None
    order: Order | None = None
    properties: dict[str, Any] | None = None
    site_id: SiteId | None = None  # None: the default site
    items: list[Item] | None = None
