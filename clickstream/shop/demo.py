"""Demo traffic: realistic shop sessions sent through the real ingest API, back-dated.

Visitors browse with a daily rhythm, arrive from search engines and their ads, social sites
and their ads, e-mail campaigns (UTM parameters on the landing page), blogs, affiliates or
directly, drop off along the funnel
(view → product → cart → checkout → purchase), some come back on other days, a share signs in
(their events carry a real access token when a token source is given), and a few bots crawl.
Requests are paced under the ingest's own per-IP rate limit, as many real visitors would be.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from clickstream import jsonio, utc
from clickstream.shop.catalogue import ItemSpec, catalogue_items

BROWSER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
SEARCHES = ("runner", "jacket", "watch", "backpack", "headphones", "lamp", "kestrel", "gift")
# Where sessions come from: (share, referrers, landing query). Search and social visitors
# arrive with the site's URL as referrer; e-mail clients send none, the campaign's UTM tags say.
# Ads add their click id (`{click}`) or UTM tags; `{campaign}` is one of CAMPAIGNS. The ETL's
# channel rules make these Direct, Organic Search, Paid Search, Organic Social, Paid Social,
# Email, Referral and Affiliates.
SOURCES = (
    (0.30, (None,), ""),
    (0.25, ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/"), ""),
    (0.07, ("https://www.google.com/",), "?gclid={click}"),
    (0.10, ("https://www.facebook.com/", "https://t.co/", "https://www.instagram.com/"), ""),
    (
        0.05,
        ("https://www.facebook.com/", "https://www.instagram.com/"),
        "?utm_source=facebook&utm_medium=paid_social&utm_campaign={campaign}&fbclid={click}",
    ),
    (0.13, (None,), "?utm_source=newsletter&utm_medium=email&utm_campaign={campaign}"),
    (0.06, ("https://blog.example.org/best-gear-2026", "https://news.example.com/"), ""),
    (
        0.04,
        ("https://deals.example.net/",),
        "?utm_source=dealsite&utm_medium=affiliate&utm_campaign={campaign}",
    ),
)
CAMPAIGNS = ("winter-sale", "new-arrivals", "weekly-picks")
BOT_SHARE = 0.05
RETURNING_SHARE = 0.3
SIGNED_IN_SHARE = 0.25
TokenSource = Callable[[int], str | None]


MAX_ATTEMPTS = 30
MAX_WAIT_SECONDS = 5.0


class DemoFailed(RuntimeError):
    """The ingest API refused or could not be reached."""


@dataclass
class DemoReport:
    """What a demo run sent."""

    visitors: int = 0
    sessions: int = 0
    events: int = 0
    bots: int = 0
    requests: int = 0
    throttled: int = 0  # answers 429 or 503 that had to be waited out and sent again


@dataclass
class Batch:
    """Events of one session sent in one request, with or without a token."""

    events: list[dict[str, Any]]
    user_agent: str
    token: str | None = None


@dataclass
class _Visit:
    rng: random.Random
    client_id: str
    session_id: str
    at: datetime
    base_url: str
    first: bool
    referrer: str | None = None  # where the landing page was reached from
    events: list[dict[str, Any]] = field(default_factory=list)
    page: str | None = None

    def add(self, name: str, path: str, **fields: Any) -> None:
        self.at += timedelta(seconds=self.rng.randint(4, 90))
        url = self.base_url + path
        if name == "page_view" and self.page not in (None, url):
            self.referrer = self.page  # inside the shop, the page before (a reload keeps it)
        if name == "page_view":
            self.page = url
        event = {
            "event_name": name,
            "event_id": str(uuid.uuid4()),
            "event_timestamp": utc.isoformat(self.at),
            "client_id": self.client_id,
            "session_id": self.session_id,
            "is_first_visit": self.first,
            "page_url": url,
            "referrer": self.referrer,
            **fields,
        }
        self.first = False
        self.events.append(event)


def _source(rng: random.Random) -> tuple[str | None, str]:
    """A session's referrer and the query string of its landing page."""
    _share, referrers, query = rng.choices(SOURCES, weights=[s[0] for s in SOURCES])[0]
    click = "%016x" % rng.getrandbits(64)  # noqa: UP031 - a click id's look
    return rng.choice(referrers), query.format(campaign=rng.choice(CAMPAIGNS), click=click)


def _product(item: ItemSpec, quantity: int | None = None) -> dict[str, Any]:
    product: dict[str, Any] = {
        "id": item.slug,
        "name": item.name,
        "category": item.category,
        "brand": item.brand,
        "price": float(item.price),
        "url_path": item.url_path,
    }
    if item.discount_price is not None:
        product["discount_price"] = float(item.discount_price)
    if quantity:
        product["quantity"] = quantity
    return product


def _line(item: ItemSpec, quantity: int) -> dict[str, Any]:
    """One line of an event's `items`."""
    line: dict[str, Any] = {
        "id": item.slug,
        "name": item.name,
        "category": item.category,
        "brand": item.brand,
        "price": float(item.price),
        "quantity": quantity,
    }
    if item.discount_price is not None:
        line["discount_price"] = float(item.discount_price)
    return line


def _unit(item: ItemSpec) -> Any:
    """What one costs: the discount price when there is one (as a line's revenue counts it)."""
    return item.price if item.discount_price is None else item.discount_price


def _hour(rng: random.Random) -> int:
    """An hour of the day, busiest in the evening and quiet at night."""
    weights = [0.6 + math.sin(math.pi * (h - 6) / 18) ** 2 * (2 if 18 <= h <= 22 else 1)
               if 6 <= h <= 23 else 0.15 for h in range(24)]  # fmt: skip
    return rng.choices(range(24), weights=weights)[0]


def _start(rng: random.Random, now: datetime, days: int) -> datetime:
    day = now - timedelta(days=rng.randrange(days))
    start = day.replace(hour=_hour(rng), minute=rng.randrange(60), second=rng.randrange(60))
    earliest = now - timedelta(days=days) + timedelta(hours=1)
    latest = now - timedelta(minutes=30)
    return min(max(start, earliest), latest)


def _shopper_session(visit: _Visit, items: list[ItemSpec], landing: str = "") -> list[int]:
    """Add a session's events; returns the indexes where signing in happens (at most one)."""
    rng = visit.rng
    visit.add("page_view", "/" + landing)
    if rng.random() < 0.3:
        term = rng.choice(SEARCHES)
        visit.add("page_view", f"/search?q={term}")
        visit.add("search", f"/search?q={term}", properties={"query": term})
    if rng.random() > 0.75:
        return []
    item = rng.choice(items)
    visit.add("page_view", f"/category/{item.category_slug}")
    visit.add("category_view", f"/category/{item.category_slug}",
              properties={"category": item.category})  # fmt: skip
    if rng.random() > 0.65:
        return []
    viewed = [rng.choice([i for i in items if i.category_slug == item.category_slug])
              for _ in range(rng.randint(1, 4))]  # fmt: skip
    for product in viewed:
        visit.add("page_view", product.url_path)
        visit.add("product_view", product.url_path, product=_product(product))
    if rng.random() > 0.3:
        return []
    # The cart's lines by product, most with one unit, some with more; orders often hold
    # several lines.
    lines: dict[str, tuple[ItemSpec, int]] = {}
    for product in viewed[: rng.randint(1, len(viewed))]:
        quantity = 1 if rng.random() < 0.75 else rng.randint(2, 3)
        visit.add("add_to_cart", product.url_path, product=_product(product, quantity),
                  items=[_line(product, quantity)])  # fmt: skip
        lines[product.slug] = (product, lines.get(product.slug, (product, 0))[1] + quantity)
    if rng.random() < 0.8:
        visit.add("page_view", "/cart")
        if rng.random() < 0.15:
            product, quantity = lines.pop(list(lines)[-1])
            visit.add("remove_from_cart", "/cart", product=_product(product, quantity),
                      items=[_line(product, quantity)])  # fmt: skip
    if not lines or rng.random() > 0.55:
        return []
    visit.add("page_view", "/account/signin")
    sign_in_at = len(visit.events)
    visit.add("login", "/account/signin")
    ordered = [_line(product, quantity) for product, quantity in lines.values()]
    # The total is the sum of the lines, as the shop's is: products' revenue adds up to it.
    total = sum(
        (Decimal(str(_unit(p))) * quantity for p, quantity in lines.values()),
        Decimal("0.00"),
    )
    count = sum(quantity for _, quantity in lines.values())
    order: dict[str, Any] = {"total": float(total), "currency": "EUR", "item_count": count}
    visit.add("page_view", "/checkout")
    visit.add("begin_checkout", "/checkout", order=order, items=ordered)
    if rng.random() < 0.7:
        number = f"DEMO-{uuid.UUID(int=rng.getrandbits(128)).hex[:10].upper()}"
        order = {**order, "id": number, "number": number}
        visit.add("purchase", f"/orders/{number}", order=order, items=ordered)
    return [sign_in_at]


def plan_traffic(
    visitors: int, days: int, seed: int | None = None, tokens: TokenSource | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> tuple[list[Batch], DemoReport]:  # fmt: skip
    """Every request a demo run sends, in time order, and its totals."""
    rng = random.Random(seed)
    items = catalogue_items()
    now = utc.now()
    batches: list[Batch] = []
    report = DemoReport(visitors=visitors)
    for visitor in range(visitors):
        client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        is_bot = rng.random() < BOT_SHARE
        agent = rng.choice(BOT_AGENTS if is_bot else BROWSER_AGENTS)
        sessions = 1 + (rng.randint(1, 3) if rng.random() < RETURNING_SHARE else 0)
        signs_in = not is_bot and rng.random() < SIGNED_IN_SHARE
        starts = sorted(_start(rng, now, days) for _ in range(sessions))
        report.bots += is_bot
        has_account = False
        for number, start in enumerate(starts):
            session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            visit = _Visit(rng, client_id, session_id, start, base_url, first=number == 0)
            if is_bot:
                for product in rng.sample(items, rng.randint(5, 15)):
                    visit.add("page_view", product.url_path)
                split: list[int] = []
            else:
                visit.referrer, landing = _source(rng)
                split = _shopper_session(visit, items, landing)
                if signs_in and has_account and not split:
                    split = [0]  # still signed in from an earlier visit
            if split and not has_account:
                has_account = True
                signed_up = dict(visit.events[split[0]], event_name="sign_up")
                signed_up["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                # sent signed in, as the shop sends it: on the first page after sign-up
                visit.events.insert(split[0], signed_up)
            token = tokens(visitor) if (split and tokens) else None
            cut = split[0] if split and token else len(visit.events)
            if cut:
                batches.append(Batch(visit.events[:cut], agent))
            if cut < len(visit.events):
                batches.append(Batch(visit.events[cut:], agent, token))
            report.sessions += 1
            signs_in = signs_in or has_account
            report.events += len(visit.events)
    batches.sort(key=lambda b: str(b.events[0]["event_timestamp"]))
    return batches, report


class Pacer:
    """A token bucket shared by the sending threads: at most `burst` at once, then `per_second`."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, max(1, burst)
        self.tokens, self.stamp = float(self.burst), time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may go."""
        if self.per_second <= 0:
            return
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
            self.stamp = now
            self.tokens -= 1
            delay = -self.tokens / self.per_second if self.tokens < 0 else 0.0
        if delay:
            time.sleep(delay)


def under_limit(per_second: float, burst: int) -> Pacer:
    """A pace safely under an ingest rate limit of `per_second` with `burst` (0: no limit)."""
    return Pacer(per_second * 0.8, burst // 2)


def send_traffic(
    url: str, visitors: int, days: int, seed: int | None = None,
    tokens: TokenSource | None = None, workers: int = 4,
    base_url: str = "http://127.0.0.1:8000", pace: Pacer | None = None,
) -> DemoReport:  # fmt: skip
    """Plan the demo traffic for the shop at `base_url` and POST it to the ingest API at `url`,
    at most as fast as `pace` allows."""
    batches, report = plan_traffic(visitors, days, seed, tokens, base_url=base_url)
    pacer = pace or Pacer(0, 1)
    counted = threading.Lock()

    def post(client: httpx.Client, batch: Batch) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": batch.user_agent}
        if batch.token:
            headers["Authorization"] = f"Bearer {batch.token}"
        body = jsonio.dumps(batch.events)
        for _attempt in range(MAX_ATTEMPTS):
            pacer.wait()
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise DemoFailed(f"cannot reach the ingest API at {url}: {exc}") from None
            with counted:
                report.requests += 1
                report.throttled += response.status_code in (429, 503)
            if response.status_code not in (429, 503):
                break
            # Throttled or busy: wait as told, then send the same events (same ids) again.
            time.sleep(min(float(response.headers.get("retry-after", "1")), MAX_WAIT_SECONDS))
        if response.status_code != 202:
            raise DemoFailed(f"the ingest API answered {response.status_code}: {response.text}")

    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(post, client, batch) for batch in batches]:
            future.result()
    return report


def shop_tokens(sessions: Any, policy: Any) -> TokenSource:
    """Access tokens from the shop's own key for demo accounts (which cannot sign in)."""
    from clickstream.auth.models import User
    from clickstream.auth.passwords import UNUSABLE_HASH
    from clickstream.auth.tokens import issue_tokens

    issued: dict[int, str] = {}

    def token_for(visitor: int) -> str | None:
        if visitor not in issued:
            with sessions() as db:
                email = f"demo-{visitor}@demo.invalid"
                user = db.query(User).filter_by(email=email).one_or_none()
                if user is None:
                    user = User(id=str(uuid.uuid4()), email=email, password_hash=UNUSABLE_HASH,
                                created_at=utc.now(), failed_logins=0)  # fmt: skip
                    db.add(user)
                    db.commit()
                issued[visitor] = issue_tokens(db, user, policy).access_token
        return issued[visitor]

    return token_for
