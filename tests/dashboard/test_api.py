"""The JSON API over real HTTP on the running dashboard (sign-in on): every served statement
answers the rows `Warehouse.rows` gives for the same filters; tokens are checked (401, 403
naming the site); refusals name the parameter; the OpenAPI document lists every statement;
tokens made by `clickstream api-tokens` work and stop working when removed; the `analytics`
views agree with the roll-ups and are read-only for the dashboard role.

One populated warehouse on the embedded server and one dashboard for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import structlog.testing
from click.testing import CliRunner, Result

from clickstream import jsonio
from clickstream.cli.main import cli
from clickstream.dashboard.api.catalogue import EXCLUDED, endpoints, undeclared
from clickstream.dashboard.api.tokens import add_token, digest, find_token
from clickstream.dashboard.app import create_app
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.queries import panels
from clickstream.dashboard.warehouse import Warehouse
from clickstream.warehouse.funnels import make_funnel, parse_step, parse_window
from tests.conftest import ServerThread
from tests.dashboard.conftest import as_dashboard, signed_in_settings

# The values each extra parameter takes in the comparison (the pages' own kinds of values).
EXTRA_VALUES = {
    "limit": "15",
    "rank": "revenue",
    "dimension": "channel",
    "event": "page_view",
    "property": "plan",
    "grain": "week",
    "periods": "12",
    "anchor": "https://shop.example/",
    # funnels/walk: repeated `step`, as the CLI's `--step`, and its `--window`.
    "step": ["event:page_view", "event:product_view", "event:purchase"],
    "window": "2d",
}
# Columns holding the moment the statement ran, which two runs cannot share.
MOMENTS = {"checked_at"}
KPIS = "/api/v1/overview/kpis"


@pytest.fixture(scope="module")
def server(populated_url: str) -> Iterator[ServerThread]:
    with ServerThread(create_app(as_dashboard(populated_url), signed_in_settings())) as running:
        yield running


@dataclass(frozen=True)
class Api:
    """The module's dashboard and one HTTP client (a client per request costs ~0.1 s)."""

    base: str
    client: httpx.Client

    def get(self, path: str, token: str | None, **query: str | list[str]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(self.base + path, params=query, headers=headers)


@pytest.fixture(scope="module")
def api(server: ServerThread) -> Iterator[Api]:
    with httpx.Client(timeout=30) as client:
        yield Api(server.url, client)


@pytest.fixture(scope="module")
def tokens(populated_url: str) -> dict[str, str]:
    """A token for every site and one for the `shop` site only, by name."""
    with psycopg.connect(populated_url, autocommit=True) as conn:
        return {"all": add_token(conn, "all", None), "shop": add_token(conn, "shop", ("shop",))}


@pytest.fixture(scope="module")
def warehouse(populated_url: str) -> Iterator[Warehouse]:
    found = Warehouse(as_dashboard(populated_url))
    yield found
    found.close()


def _json_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` as JSON gives them back, without the columns of the moment."""
    found: list[dict[str, Any]] = jsonio.loads(jsonio.dumps(rows))
    return [{k: v for k, v in row.items() if k not in MOMENTS} for row in found]


def test_every_statement_answers_the_rows_of_warehouse_rows_for_the_same_filters(
    api: Api, tokens: dict[str, str], warehouse: Warehouse, today: date
) -> None:
    filters = Filters(today - timedelta(days=6), today, None, True)
    common = {"start": str(filters.start), "end": str(filters.end), "bots": "true"}
    answered: set[tuple[str, str]] = set()
    for (page, name), endpoint in endpoints().items():
        extras = _extras(endpoint)
        response = api.get(endpoint.path, tokens["all"], **common, **extras)
        assert response.status_code == 200, (page, name, response.text)
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        want = warehouse.rows(page, name, filters.params(**_statement_extras(extras)))
        assert _json_safe(body["rows"]) == _json_safe(want), (page, name)
        assert body["filters"]["start"] == str(filters.start)
        assert body["filters"]["prev_end"] == str(filters.start - timedelta(days=1))
        assert body["filters"]["login"] is None and body["filters"]["bots"] is True
        if want:
            answered.add((page, name))
    # Most statements must have rows, or the comparison would prove little; the funnel walk's
    # steps are ones the fortnight has.
    assert len(answered) >= len(endpoints()) // 2
    assert ("funnels", "walk") in answered


def test_values_are_json_safe_dates_iso_and_decimals_strings_and_no_token_is_logged(
    api: Api, tokens: dict[str, str], today: date
) -> None:
    with structlog.testing.capture_logs() as logs:
        timeline = api.get("/api/v1/overview/timeline", tokens["all"]).json()["rows"]
    answered = [e for e in logs if e["event"] == "dashboard_api_answered"]
    assert answered and answered[0]["token"] == "all"
    assert tokens["all"] not in repr(logs)
    assert timeline[-1]["day"] == str(today)
    kpis = api.get("/api/v1/overview/kpis", tokens["all"]).json()["rows"]
    current = next(row for row in kpis if row["period"] == "current")
    assert isinstance(current["revenue"], str) and float(current["revenue"]) > 0
    assert isinstance(current["sessions"], int)
    guests = api.get("/api/v1/overview/login_split", tokens["all"], login="guest").json()
    assert [row["login_state"] for row in guests["rows"]] == ["guest"]


def test_the_dimension_filters_narrow_traffic_statements(api: Api, tokens: dict[str, str]) -> None:
    every = api.get("/api/v1/traffic/kpis", tokens["all"]).json()["rows"]
    countries = api.get("/api/v1/traffic/breakdown", tokens["all"], dimension="country").json()[
        "rows"
    ]
    first = countries[0]
    narrowed = api.get("/api/v1/traffic/kpis", tokens["all"], country=first["label"])
    current = next(row for row in narrowed.json()["rows"] if row["period"] == "current")
    assert current["sessions"] == first["sessions"]
    assert current["sessions"] < next(r for r in every if r["period"] == "current")["sessions"]


def test_no_token_or_an_unknown_one_is_401_and_the_pages_stay_behind_the_gate(
    api: Api,
) -> None:
    missing = api.get("/api/v1/overview/kpis", None)
    assert missing.status_code == 401
    assert "no bearer token" in missing.json()["error"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    unknown = api.get("/api/v1/overview/kpis", "csk_not-a-real-token")
    assert unknown.status_code == 401 and "not known" in unknown.json()["error"]
    page = api.client.get(api.base + "/", follow_redirects=False)
    assert page.status_code == 303 and "/auth/sign-in" in page.headers["location"]


def test_a_site_token_cannot_read_another_site_nor_unsited_statements(
    api: Api, tokens: dict[str, str]
) -> None:
    other = api.get("/api/v1/overview/kpis", tokens["shop"], site="blog")
    assert other.status_code == 403
    assert "may not read site 'blog'" in other.json()["error"]
    assert "it may read: shop" in other.json()["error"]
    # Statements that do not apply %(sites)s could leak every site's numbers: all-sites only.
    unsited = [e for e in endpoints().values() if not e.site_aware]
    sited = [e for e in endpoints().values() if e.site_aware]
    assert unsited and sited
    refused = api.get(unsited[0].path, tokens["shop"], site="shop", **_extras(unsited[0]))
    assert refused.status_code == 403
    assert "does not filter by site" in refused.json()["error"]
    allowed = api.get(sited[0].path, tokens["shop"], **_extras(sited[0]))
    assert allowed.status_code == 200 and allowed.json()["filters"]["sites"] == ["shop"]
    chosen = api.get("/api/v1/overview/kpis", tokens["all"], site="shop,blog")
    assert chosen.status_code == 200 and chosen.json()["filters"]["sites"] == ["shop", "blog"]


def _extras(endpoint: Any) -> dict[str, Any]:
    return {extra.name: EXTRA_VALUES[extra.name] for extra in endpoint.extras}


def _statement_extras(extras: dict[str, Any]) -> dict[str, object]:
    """The statement parameters the page would pass for the API's extra values: a funnel's
    steps and window as the Custom funnels page's `Funnel.params()`."""
    typed: dict[str, object] = {
        k: int(v) if k in ("limit", "periods") else v for k, v in extras.items()
    }
    if "step" in extras:
        window, days = parse_window(extras["window"])
        funnel = make_funnel("api", [parse_step(t) for t in extras["step"]], window, days)
        del typed["step"], typed["window"]
        typed.update(funnel.params())
    return typed


@pytest.mark.parametrize(
    ("path", "query", "status", "needle"),
    [
        (
            KPIS,
            {"start": "2026-02-30"},
            400,
            "start: '2026-02-30' is not a date",
        ),
        (
            KPIS,
            {"start": "2026-03-02", "end": "2026-03-01"},
            400,
            "is after end",
        ),
        (KPIS, {"start": "2020-01-01", "end": "2026-01-01"}, 400, "at most 366"),
        (KPIS, {"login": "robot"}, 400, "login: 'robot' is not one of"),
        (KPIS, {"bots": "maybe"}, 400, "bots: 'maybe' is not true or false"),
        (KPIS, {"sql": "1"}, 400, "unknown parameter 'sql'"),
        (KPIS, {"site": "a b"}, 400, "site: 'a b' is not a site id"),
        ("/api/v1/traffic/breakdown", {}, 400, "parameter 'dimension' is required"),
        ("/api/v1/traffic/breakdown", {"dimension": "x"}, 400, "dimension: 'x' is not one of"),
        ("/api/v1/behaviour/top_pages", {"limit": "0"}, 400, "limit: '0' is not a whole number"),
        ("/api/v1/funnels/walk", {}, 400, "parameter 'step' is required"),
        ("/api/v1/funnels/walk", {"step": "click:x"}, 400, "step: step kind 'click' is unknown"),
        (
            "/api/v1/funnels/walk",
            {"step": "event:purchase", "window": "week"},
            400,
            "window: window 'week': write session, none, or a number of days like 7d",
        ),
        ("/api/v1/nowhere/kpis", {}, 404, "unknown page 'nowhere'"),
        ("/api/v1/overview/nothing", {}, 404, "unknown statement 'nothing' of page 'overview'"),
        ("/api/v1/pipeline/purchases", {}, 404, "is not served by the API"),
        ("/api/v2/overview", {}, 404, "no API route /api/v2/overview"),
    ],
)
def test_refusals_name_what_was_wrong(
    api: Api,
    tokens: dict[str, str],
    path: str,
    query: dict[str, str],
    status: int,
    needle: str,
) -> None:
    response = api.get(path, tokens["all"], **query)
    assert response.status_code == status
    assert needle in response.json()["error"]


def test_openapi_lists_every_served_statement_and_every_statement_is_served_or_excluded(
    api: Api,
) -> None:
    response = api.get("/api/v1/openapi.json", None)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {e.path for e in endpoints().values()}
    # A statement with a parameter the API does not declare is not served: declare it.
    assert undeclared() == {}
    assert {(p, n) for p, n in panels()} == set(endpoints()) | set(EXCLUDED)
    breakdown = document["paths"]["/api/v1/traffic/breakdown"]["get"]
    dimension = next(p for p in breakdown["parameters"] if p["name"] == "dimension")
    assert dimension["required"] is True and "country" in dimension["schema"]["enum"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["api-tokens", *args], env={"CLICKSTREAM_WAREHOUSE_URL": url})


def test_cli_tokens_are_added_once_listed_work_and_are_removed(
    api: Api,
    tokens: dict[str, str],
    populated_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process for speed: keep the command from reconfiguring this process's logging.
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *_a, **_k: None)
    added = _cli(populated_url, "add", "grafana", "--sites", "default,shop")
    assert added.exit_code == 0, added.output
    assert "added API token grafana (default, shop)" in added.output
    token = added.output.split("token (shown once, keep it secret): ")[1].split()[0]
    with psycopg.connect(populated_url) as conn:
        stored = conn.execute(
            "SELECT token_sha256 FROM api_tokens WHERE name = 'grafana'"
        ).fetchone()
        assert stored == (digest(token),) and token not in str(stored)
    sited = [e for e in endpoints().values() if e.site_aware]
    probe = sited[0] if sited else endpoints()[("overview", "kpis")]
    answer = api.get(probe.path, token, site="blog", **_extras(probe))
    assert answer.status_code == 403 and "site 'blog'" in answer.json()["error"]

    again = _cli(populated_url, "add", "grafana", "--sites", "all")
    assert again.exit_code == 2 and "already exists" in again.output
    assert _cli(populated_url, "add", "Bad Name", "--sites", "all").exit_code == 2
    bad_sites = _cli(populated_url, "add", "x", "--sites", "a b")
    assert bad_sites.exit_code == 2 and "site id 'a b'" in bad_sites.output

    listed = _cli(populated_url, "list").output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [
        ["all", "all sites"],
        ["grafana", "default, shop"],
        ["shop", "shop"],
    ]
    assert token not in "\n".join(listed)

    assert _cli(populated_url, "remove", "grafana").exit_code == 0
    gone = _cli(populated_url, "remove", "grafana")
    assert gone.exit_code == 1 and "no API token named 'grafana'" in gone.output
    with psycopg.connect(populated_url) as conn:
        assert find_token(conn, token) is None


def test_analytics_views_agree_with_the_roll_ups_and_are_read_only_for_the_dashboard_role(
    populated_url: str, warehouse: Warehouse, today: date
) -> None:
    filters = Filters(today - timedelta(days=6), today)
    kpis = warehouse.rows("overview", "kpis", filters.params())
    current = next(row for row in kpis if row["period"] == "current")
    with psycopg.connect(as_dashboard(populated_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT sum(sessions), sum(revenue) FROM analytics.daily_kpis "
            "WHERE day BETWEEN %s AND %s AND NOT is_bot",
            (filters.start, filters.end),
        ).fetchone()
        assert row == (current["sessions"], current["revenue"])
        events = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE site_id = 'default') FROM analytics.events"
        ).fetchone()
        assert events is not None and events[0] > 0 and events[0] == events[1]
        for view in ("events", "items", "sessions", "daily_kpis", "product_daily", "traffic_daily"):
            conn.execute(f"SELECT * FROM analytics.{view} LIMIT 1")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM analytics.{view}")


COMMENTS_SQL = """
SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'analytics' AND c.relkind = 'v'
ORDER BY c.relname, a.attnum
"""


def test_every_analytics_column_has_a_comment_and_docs_list_it(populated_url: str) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    sections = {part.split("`", 1)[0]: part for part in docs.split("### `analytics.")[1:]}
    with psycopg.connect(populated_url) as conn:
        columns = conn.execute(COMMENTS_SQL).fetchall()
    assert {view for view, _, _ in columns} == set(sections)
    undocumented = [
        f"{view}.{column}"
        for view, column, comment in columns
        if not comment or f"| `{column}` | {comment} |" not in sections[view]
    ]
    assert undocumented == []
