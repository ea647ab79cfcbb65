"""Funnel definitions: refused with errors naming what is wrong; `clickstream funnels
add|list|remove` on a real warehouse."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner, Result

from clickstream.cli.main import cli
from clickstream.warehouse.funnels import (
    Funnel,
    FunnelInvalid,
    Step,
    list_funnels,
    make_funnel,
    parse_step,
    parse_window,
)


@pytest.mark.parametrize(
    ("name", "steps", "window", "named"),
    [
        ("", ["event:a"], "session", "funnel name is empty"),
        ("x" * 65, ["event:a"], "session", "funnel name"),
        ("Empty", [], "session", "'Empty' has no steps"),
        ("Long", [f"event:e{n}" for n in range(21)], "session", "21 steps: at most 20"),
        ("Kind", ["click:buy"], "session", "step kind 'click' is unknown"),
        ("Bare", ["purchase"], "session", "write it as kind:value"),
        ("Event", ["event:Add To Cart"], "session", "event step 'Add To Cart'"),
        ("Page", ["page:cart"], "session", "page step 'cart'"),
        ("Page", ["page:/cart?x=1"], "session", "without query"),
        ("Goal", ["goal:"], "session", "goal step: the goal is empty"),
        ("Window", ["event:a"], "week", "window 'week'"),
        ("Days", ["event:a"], "0d", "window of 0 days"),
        ("Days", ["event:a"], "400d", "window of 400 days"),
    ],
)
def test_a_bad_funnel_is_refused_naming_what_is_wrong(
    name: str, steps: list[str], window: str, named: str
) -> None:
    with pytest.raises(FunnelInvalid, match=named.replace("?", r"\?")):
        kind, days = parse_window(window)
        make_funnel(name, [parse_step(s) for s in steps], kind, days)


def test_twenty_steps_and_each_window_are_accepted() -> None:
    steps = [parse_step(f"event:e{n}") for n in range(20)]
    assert len(make_funnel("Twenty", steps).steps) == 20
    assert parse_window("7d") == ("days", 7)
    assert parse_window("session") == ("session", None)
    funnel = make_funnel("Mixed", [parse_step("page:/cart"), parse_step("goal:Pro plan")], "none")
    assert funnel.steps == (Step("page", "/cart"), Step("goal", "Pro plan"))
    assert funnel.describe_window() == "within the period"


def _run(warehouse_url: str, *args: str) -> Result:
    env = {"CLICKSTREAM_WAREHOUSE_URL": warehouse_url, "CLICKSTREAM_LOG_LEVEL": "warning"}
    return CliRunner().invoke(cli, ["funnels", *args], env=env)


@pytest.fixture(autouse=True)
def _keep_logging_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in test_goals.py: the command's logging set-up would outlive the test.
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *a, **k: None)


@pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
def test_funnels_are_added_listed_and_removed_and_bad_ones_refused(warehouse_url: str) -> None:
    steps = ["--step", "page:/cart", "--step", "event:begin_checkout", "--step", "event:purchase"]
    added = _run(warehouse_url, "add", "Checkout", *steps, "--window", "7d")
    assert added.exit_code == 0, added.output
    assert "page:/cart > event:begin_checkout > event:purchase (within 7 days)" in added.output
    pro = _run(warehouse_url, "add", "Pro", "--step", "goal:Pro plan", "--site", "shop")
    assert pro.exit_code == 0, pro.output
    again = _run(warehouse_url, "add", "Pro", "--step", "event:sign_up")
    assert again.exit_code == 1 and "'Pro' is saved already" in again.output
    replaced = _run(warehouse_url, "add", "Pro", "--step", "event:sign_up", "--replace")
    assert replaced.exit_code == 0, replaced.output
    for args, named in (
        (("add", "Bad", "--step", "button:buy"), "step kind 'button' is unknown"),
        (("add", "Bad"), "'Bad' has no steps"),
        (("add", " ", "--step", "event:a"), "funnel name is empty"),
        (("add", "Bad", *[f"--step=event:e{n}" for n in range(21)]), "at most 20"),
        (("add", "Bad", "--step", "event:a", "--window", "soon"), "window 'soon'"),
    ):
        refused = _run(warehouse_url, *args)
        assert refused.exit_code == 2 and named in refused.output, refused.output

    listed = _run(warehouse_url, "list")
    assert listed.output.splitlines() == [
        "name\twindow\tsite\tsteps",
        "Checkout\twithin 7 days\tany\tpage:/cart > event:begin_checkout > event:purchase",
        "Pro\twithin a session\tany\tevent:sign_up",
    ]
    assert _run(warehouse_url, "remove", "Checkout").exit_code == 0
    missing = _run(warehouse_url, "remove", "Checkout")
    assert missing.exit_code == 1 and "'Checkout' is not saved" in missing.output
    with psycopg.connect(warehouse_url) as conn:
        assert list_funnels(conn) == [Funnel("Pro", (Step("event", "sign_up"),), "session")]
