"""cdk-nag suppressions, each with the reason it is acceptable here (docs/aws.md)."""

from __future__ import annotations

from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct


def suppress(
    construct: IConstruct,
    reasons: dict[str, str],
    applies_to: list[str] | None = None,
    children: bool = True,
) -> None:
    """Suppress each AwsSolutions rule in `reasons` on `construct`, with its justification."""
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(id=f"AwsSolutions-{rule}", reason=reason, applies_to=applies_to)
            for rule, reason in reasons.items()
        ],
        apply_to_children=children,
    )
