"""The query string as a statement's parameters, without a server: the period and its limits,
and a site-limited token on a statement that filters by site (the statements gain
`%(sites)s` with migration 0094; the API needs no change then)."""

from __future__ import annotations

from datetime import date

import pytest

from clickstream.dashboard.api.arguments import Limits, RequestRefused, statement_params
from clickstream.dashboard.api.catalogue import EXTRAS, Endpoint
from clickstream.dashboard.api.tokens import ApiToken, digest, new_token

TODAY = date(2026, 12, 3)
LIMITS = Limits(default_days=7, max_days=31)
SITED = Endpoint("overview", "kpis", (), site_aware=True, description="")
TOP = Endpoint("behaviour", "top_pages", (EXTRAS["limit"],), site_aware=True, description="")
SHOP = ApiToken("shop-only", ("shop",))
EVERY = ApiToken("every", None)


def _params(
    query: dict[str, str], token: ApiToken = EVERY, endpoint: Endpoint = SITED
) -> dict[str, object]:
    return statement_params(endpoint, list(query.items()), token, LIMITS, TODAY)


def test_no_period_is_the_default_days_to_today_and_the_previous_period_precedes_it() -> None:
    params = _params({})
    assert (params["start"], params["end"]) == (date(2026, 11, 27), TODAY)
    assert (params["prev_start"], params["prev_end"]) == (date(2026, 11, 20), date(2026, 11, 26))
    assert params["login"] is None and params["bots"] is False and params["sites"] is None


def test_a_site_token_reads_its_sites_only_on_statements_that_filter_by_site() -> None:
    assert _params({}, SHOP)["sites"] == ["shop"]
    assert _params({"site": "shop"}, SHOP)["sites"] == ["shop"]
    with pytest.raises(RequestRefused) as refused:
        _params({"site": "shop,blog"}, SHOP)
    assert refused.value.status == 403
    assert refused.value.message == "token 'shop-only' may not read site 'blog' (it may read: shop)"
    unsited = Endpoint("pipeline", "runs", (), site_aware=False, description="")
    with pytest.raises(RequestRefused, match="pipeline/runs does not filter by site"):
        _params({}, SHOP, unsited)
    assert _params({}, EVERY, unsited)["sites"] is None
    assert _params({"site": "a,b,a"})["sites"] == ["a", "b"]


def test_limits_and_extras_are_checked() -> None:
    assert _params({"start": "2026-11-03", "end": "2026-12-03"})["start"] == date(2026, 11, 3)
    with pytest.raises(RequestRefused, match="covers 32 days: at most 31"):
        _params({"start": "2026-11-02", "end": "2026-12-03"})
    assert _params({}, endpoint=TOP)["limit"] == 100
    assert _params({"limit": "15"}, endpoint=TOP)["limit"] == 15
    for bad in ("1001", "-1", "²", "1.5"):
        with pytest.raises(RequestRefused, match="not a whole number from 1 to 1000"):
            _params({"limit": bad}, endpoint=TOP)
    with pytest.raises(RequestRefused, match="parameter 'start' is given more than once"):
        statement_params(SITED, [("start", "2026-12-01")] * 2, EVERY, LIMITS, TODAY)


def test_funnel_steps_repeat_in_order_and_the_window_is_the_clis() -> None:
    walk = Endpoint(
        "funnels", "walk", (EXTRAS["step"], EXTRAS["window"]), site_aware=True, description=""
    )
    steps = [("step", "page:/cart"), ("step", "goal:Pro sign-up"), ("step", "event:purchase")]
    params = statement_params(walk, steps, EVERY, LIMITS, TODAY)
    assert params["step_kinds"] == ["page", "goal", "event"]
    assert params["step_values"] == ["/cart", "Pro sign-up", "purchase"]
    assert (params["window"], params["window_days"]) == ("session", 0)
    query = [*steps, ("window", "7d")]
    week = statement_params(walk, query, EVERY, LIMITS, TODAY)
    assert (week["window"], week["window_days"]) == ("days", 7)
    with pytest.raises(RequestRefused, match="step: 21 steps given, at most 20"):
        statement_params(walk, [("step", "event:purchase")] * 21, EVERY, LIMITS, TODAY)
    with pytest.raises(RequestRefused, match="window: 400 days, give 1 to 366 days"):
        statement_params(walk, [*steps, ("window", "400d")], EVERY, LIMITS, TODAY)
    with pytest.raises(RequestRefused, match="parameter 'window' is given more than once"):
        statement_params(walk, [*query, ("window", "none")], EVERY, LIMITS, TODAY)


def test_tokens_are_random_and_stored_as_their_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second and first.startswith("csk_") and len(first) >= 4 + 43
    assert len(digest(first)) == 64 and first not in digest(first)
