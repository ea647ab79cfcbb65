from __future__ import annotations

import pytest

from clickstream.ops.iam import PARTS, UnknownPart, policy_for


def _actions(policy: dict[str, object]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}  # type: ignore[attr-defined]


def _resources(policy: dict[str, object]) -> set[str]:
    return {r for s in policy["Statement"] for r in s["Resource"]}  # type: ignore[attr-defined]


def test_ingest_may_only_put_events_and_quarantine() -> None:
    policy = policy_for("ingest", "lake-bucket", "prod")
    assert _actions(policy) == {"s3:PutObject"}
    assert _resources(policy) == {
        "arn:aws:s3:::lake-bucket/prod/events/*",
        "arn:aws:s3:::lake-bucket/prod/quarantine/*",
    }


def test_etl_may_only_get_and_list_events() -> None:
    policy = policy_for("etl", "lake-bucket")
    assert _actions(policy) == {"s3:GetObject", "s3:ListBucket"}
    assert "arn:aws:s3:::lake-bucket/events/*" in _resources(policy)
    [listing] = [s for s in policy["Statement"] if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["events/*"]}}


@pytest.mark.parametrize("part", PARTS)
def test_no_policy_grants_wildcard_actions_or_whole_buckets_for_objects(part: str) -> None:
    policy = policy_for(part, "b", "p")
    assert not any(a.endswith("*") for a in _actions(policy))
    object_resources = [r for r in _resources(policy) if "/" in r.removeprefix("arn:aws:s3:::")]
    assert all(r.startswith("arn:aws:s3:::b/p/") for r in object_resources)


def test_unknown_part_is_refused() -> None:
    with pytest.raises(UnknownPart, match="dashboard"):
        policy_for("dashboard", "b")


def test_iam_policy_command_prints_the_policy_as_json() -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    shown = subprocess.run(
        [sys.executable, "-m", "clickstream", "ops", "iam-policy", "ingest",
         "--bucket", "lake-bucket", "--prefix", "prod"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    policy = json.loads(shown.stdout)
    assert _actions(policy) == {"s3:PutObject"}
    assert _resources(policy) == {
        "arn:aws:s3:::lake-bucket/prod/events/*",
        "arn:aws:s3:::lake-bucket/prod/quarantine/*",
    }
