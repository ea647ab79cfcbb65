"""Goal definitions: checked with errors naming the part, matched on event name, URL path
(exact or prefix) and one property; `clickstream goals add|list|remove` on a real warehouse."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner, Result

from clickstream.cli.main import cli
from clickstream.warehouse.goals import Goal, GoalInvalid, list_goals, make_goal, url_path

SHOP = "https://shop.example"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("", "sign_up"), "goal name"),
        (("x" * 65, "sign_up"), "goal name"),
        (("Sign up", "Sign Up"), "event name 'Sign Up'"),
        (("Sign up", "sign-up"), "event name"),
        (("Thanks", "page_view", "thanks"), "path 'thanks'"),
        (("Thanks", "page_view", "/thanks?x=1"), "without query"),
        (("Thanks", "page_view", None, True), "--prefix needs --path"),
        (("Pro", "sign_up", None, False, "plan"), "key=value"),
        (("Pro", "sign_up", None, False, "=pro"), "key=value"),
        (("Pro", "sign_up", None, False, "plan="), "key=value"),
        (("Pro", "sign_up", None, False, "k" * 65 + "=v"), "at most 64"),
    ],
)
def test_a_bad_definition_raises_naming_what_is_wrong(args: tuple, named: str) -> None:
    with pytest.raises(GoalInvalid, match=named.replace("?", r"\?")):
        make_goal(*args)


def test_a_definition_parses_path_match_and_property() -> None:
    goal = make_goal("Docs", "page_view", "/docs/", True, "plan=a=b")
    assert goal == Goal("Docs", "page_view", "/docs/", "prefix", "plan", "a=b")
    assert goal.describe() == "event page_view, path prefix /docs/, property plan=a=b"


def test_url_path_leaves_off_scheme_host_query_and_fragment() -> None:
    assert url_path(f"{SHOP}/a/b?x=1#top") == "/a/b"
    assert url_path(SHOP) is None
    assert url_path("/relative/p?q") == "/relative/p"
    assert url_path(None) is None


def test_matching_by_event_path_and_property() -> None:
    thanks = make_goal("Thanks", "page_view", "/thanks")
    docs = make_goal("Docs", "page_view", "/docs/", prefix=True)
    pro = make_goal("Pro", "sign_up", prop="plan=pro")
    seats = make_goal("Seats", "sign_up", prop="seats=3")
    trial = make_goal("Trial", "sign_up", prop="trial=true")
    assert thanks.matches("page_view", f"{SHOP}/thanks?from=mail", None)
    assert not thanks.matches("page_view", f"{SHOP}/thanks/more", None)
    assert not thanks.matches("sign_up", f"{SHOP}/thanks", None)
    assert not thanks.matches("page_view", None, None)
    assert docs.matches("page_view", f"{SHOP}/docs/intro", None)
    assert not docs.matches("page_view", f"{SHOP}/documents", None)
    assert pro.matches("sign_up", None, {"plan": "pro"})
    assert not pro.matches("sign_up", None, {"plan": "free"})
    assert not pro.matches("sign_up", None, {"plan": {"name": "pro"}})
    assert not pro.matches("sign_up", None, None)
    assert seats.matches("sign_up", None, {"seats": 3})
    assert trial.matches("sign_up", None, {"trial": True})
    assert not trial.matches("sign_up", None, {"trial": "yes"})


def _run(warehouse_url: str, *args: str) -> Result:
    env = {"CLICKSTREAM_WAREHOUSE_URL": warehouse_url, "CLICKSTREAM_LOG_LEVEL": "warning"}
    return CliRunner().invoke(cli, ["goals", *args], env=env)


@pytest.fixture(autouse=True)
def _keep_logging_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in test_sites.py: the command's logging set-up would outlive the test.
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *a, **k: None)


@pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
def test_goals_are_added_listed_and_removed_and_bad_ones_refused(warehouse_url: str) -> None:
    added = _run(
        warehouse_url, "add", "Pro sign-up", "--event", "sign_up", "--property", "plan=pro"
    )
    assert added.exit_code == 0, added.output
    assert "etl rebuild" in added.output
    docs = _run(
        warehouse_url, "add", "Docs", "--event", "page_view", "--path", "/docs/", "--prefix"
    )
    assert docs.exit_code == 0, docs.output
    again = _run(warehouse_url, "add", "Docs", "--event", "page_view")
    assert again.exit_code == 1 and "'Docs' is defined already" in again.output
    bad = _run(warehouse_url, "add", "Bad", "--event", "page_view", "--path", "docs")
    assert bad.exit_code == 2 and "path 'docs'" in bad.output

    listed = _run(warehouse_url, "list")
    assert listed.output.splitlines() == [
        "name\tdefinition",
        "Docs\tevent page_view, path prefix /docs/",
        "Pro sign-up\tevent sign_up, property plan=pro",
    ]
    assert _run(warehouse_url, "remove", "Docs").exit_code == 0
    missing = _run(warehouse_url, "remove", "Docs")
    assert missing.exit_code == 1 and "'Docs' is not defined" in missing.output
    with psycopg.connect(warehouse_url) as conn:
        assert list_goals(conn) == [Goal("Pro sign-up", "sign_up", None, None, "plan", "pro")]
