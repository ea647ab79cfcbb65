"""Channel rules and landing parsing: the shipped defaults, rule order, a user's rules file and
the errors a bad one gets. Landings are classified by the transform's own SQL
(`sql/acquisition.sql`) in DuckDB, as the ETL runs it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import duckdb
import pytest

from clickstream.etl.channels import ChannelRules, ChannelRulesInvalid, load_rules, parse_rules
from clickstream.etl.transform import SQL_PACKAGE, connect
from clickstream.sqlfiles import script

SHOP = "https://shop.example"


@functools.cache
def _default_engine() -> duckdb.DuckDBPyConnection:
    # One connection with the default rules for the module: connecting loads the parsers.
    return connect(1, "256MB")


def landing(
    page_url: str | None, referrer: str | None = None, rules: ChannelRules | None = None
) -> dict[str, Any]:
    """The `landings` row the transform makes of one valid record."""
    con = _default_engine() if rules is None else connect(1, "256MB", rules)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE records (page_url VARCHAR, referrer VARCHAR, reason VARCHAR)"
    )
    con.execute("INSERT INTO records VALUES (?, ?, NULL)", [page_url, referrer])
    con.execute(script(SQL_PACKAGE, "acquisition.sql"))
    cursor = con.execute("SELECT * FROM landings")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


@pytest.mark.parametrize(
    ("path", "referrer", "channel"),
    [
        ("/", None, "Direct"),
        ("/p/1", f"{SHOP}/", "Direct"),  # the shop's own page is no referrer
        ("/?utm_source=google&utm_medium=cpc&utm_campaign=cross-network-q4", None, "Cross-network"),
        ("/?utm_source=amazon&utm_medium=cpc", None, "Paid Shopping"),
        ("/?utm_source=google&utm_medium=cpc", None, "Paid Search"),
        ("/?gclid=Cj0KCQ", "https://www.google.com/", "Paid Search"),
        ("/?msclkid=abc", None, "Paid Search"),
        ("/?utm_source=facebook&utm_medium=paid_social", None, "Paid Social"),
        ("/?ttclid=E.C.P", None, "Paid Social"),
        ("/?utm_source=youtube&utm_medium=cpv-paid", None, "Paid Video"),
        ("/?utm_source=adnet&utm_medium=display", None, "Display"),
        ("/?dclid=x1", None, "Display"),
        ("/?utm_source=someone&utm_medium=ppc", None, "Paid Other"),
        ("/", "https://www.ebay.com/itm/1", "Organic Shopping"),
        ("/", "https://t.co/xyz", "Organic Social"),
        ("/?fbclid=IwAR", "https://m.facebook.com/", "Organic Social"),
        ("/", "https://www.youtube.com/watch?v=1", "Organic Video"),
        ("/", "https://www.google.com/", "Organic Search"),
        ("/", "https://duckduckgo.com/", "Organic Search"),
        ("/?utm_source=newsletter&utm_medium=email", None, "Email"),
        ("/?utm_source=dealsite&utm_medium=affiliate", None, "Affiliates"),
        ("/?utm_source=sms", None, "SMS"),
        ("/?utm_source=show&utm_medium=podcast", None, "Audio"),
        ("/?utm_source=app&utm_medium=push", None, "Mobile Push Notifications"),
        ("/", "https://blog.example.org/best", "Referral"),
        ("/?utm_source=foo&utm_medium=bar", None, "Unassigned"),
    ],
)
def test_default_rules_give_each_channel(path: str, referrer: str | None, channel: str) -> None:
    assert landing(SHOP + path, referrer)["channel"] == channel


def test_utm_parameters_click_id_and_referrer_host_are_parsed_and_decoded() -> None:
    found = landing(
        f"{SHOP}/p/1?a=1&utm_source=News+Letter&utm_medium=e%2Dmail&utm_campaign=spring%20sale%21"
        "&utm_term=red+shoes&utm_content=hero&fbclid=Cj0K-x_1#top",
        "https://WWW.Example.org:8443/post?id=3",
    )
    assert {k: found[k] for k in found if k not in ("page_url", "referrer")} == {
        "utm_source": "News Letter",
        "utm_medium": "e-mail",
        "utm_campaign": "spring sale!",
        "utm_term": "red shoes",
        "utm_content": "hero",
        "click_id_name": "fbclid",
        "click_id": "Cj0K-x_1",
        "referrer_host": "example.org",
        "traffic_source": "news letter",
        "traffic_medium": "e-mail",
        "channel": "Email",
        "is_plain": False,
    }


def test_a_landing_without_query_or_referrer_is_direct_with_nothing_parsed() -> None:
    found = landing(f"{SHOP}/category/shoes")
    assert found["utm_source"] is found["click_id"] is found["referrer_host"] is None
    assert (found["traffic_source"], found["traffic_medium"]) == ("(direct)", "(none)")
    assert found["is_plain"]
    # No page URL at all (an event sent by a server) is direct too.
    assert landing(None)["channel"] == "Direct"


def test_a_click_id_implies_source_and_medium_unless_utm_tags_say_otherwise() -> None:
    found = landing(f"{SHOP}/?gclid=abc")
    assert (found["traffic_source"], found["traffic_medium"]) == ("google", "cpc")
    tagged = landing(f"{SHOP}/?gclid=abc&utm_source=spring&utm_medium=email")
    assert (tagged["traffic_source"], tagged["traffic_medium"]) == ("spring", "email")
    assert landing(f"{SHOP}/?utm_source=only")["traffic_medium"] == "(not set)"


def test_long_and_broken_values_are_cut_or_kept_not_refused() -> None:
    found = landing(f"{SHOP}/?utm_source={'x' * 500}&utm_campaign=100%zz")
    assert found["utm_source"] == "x" * 200
    assert found["utm_campaign"] is not None


def test_the_first_matching_rule_wins_and_a_user_file_replaces_the_defaults(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'fallback = "Elsewhere"\n'
        '[[rules]]\nchannel = "Google"\nsource = "google.*"\n'
        '[[rules]]\nchannel = "Search ads"\nmedium = "cpc"\n'
        '[[rules]]\nchannel = "Newsletter"\nsource = "newsletter"\nmedium = "email"\n'
    )
    rules = load_rules(path)
    assert rules.channels == ["Google", "Search ads", "Newsletter", "Elsewhere"]
    # Both the first and the second rule match a Google ad: the first wins.
    assert landing(f"{SHOP}/?gclid=1", rules=rules)["channel"] == "Google"
    assert landing(f"{SHOP}/?utm_source=bing&utm_medium=CPC", rules=rules)["channel"] == (
        "Search ads"
    )
    email = f"{SHOP}/?utm_source=newsletter&utm_medium=email"
    assert landing(email, rules=rules)["channel"] == "Newsletter"
    assert landing(f"{SHOP}/", rules=rules)["channel"] == "Elsewhere"


def test_the_shipped_rules_load_and_name_every_default_channel() -> None:
    channels = load_rules().channels
    for name in ("Direct", "Organic Search", "Paid Search", "Organic Social", "Paid Social",
                 "Email", "Referral", "Display", "Affiliates", "Paid Other", "SMS", "Audio",
                 "Cross-network", "Organic Video", "Paid Video", "Unassigned"):  # fmt: skip
        assert name in channels


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules = [", "is not valid TOML"),
        ('fallback = "x"', "no `[[rules]]` tables"),
        ('[[rules]]\nsource = "a"', "rule 1: `channel` must name a channel"),
        (
            '[[rules]]\nchannel = "A"\nsource = "a"\n[[rules]]\nchannel = "B"',
            "rule 2 (B): tests no",
        ),
        ('[[rules]]\nchannel = "A"\nsorce = "a"', "rule 1 (A): unknown fields ['sorce']"),
        (
            '[[rules]]\nchannel = "A"\nmedium = "(cpc"',
            "rule 1 (A): `medium` is not a valid regular",
        ),
        ('[[rules]]\nchannel = "A"\nmedium = 3', "`medium` must be a regular expression string"),
        ('colour = 1\n[[rules]]\nchannel = "A"\nmedium = "x"', "unknown top-level keys ['colour']"),
    ],
)
def test_a_bad_rules_file_is_refused_saying_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ChannelRulesInvalid) as caught:
        load_rules(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_missing_rules_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ChannelRulesInvalid, match="cannot be read"):
        load_rules(tmp_path / "absent.toml")
    assert parse_rules('[[rules]]\nchannel = "A"\nclick_id = "gclid"').fallback == "Unassigned"
