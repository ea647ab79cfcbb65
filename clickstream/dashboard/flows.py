"""Journeys around one step: the steps before and after it, level by level, and a
Sankey-style picture of them drawn with what plotly's partial "cartesian" build can draw
(rectangles and filled Bézier bands as layout shapes, labels and hovers as scatter traces).

A level is a distance from the anchor (-3..3). `journey_daily`'s depth-d rows are the links
between level d-1 and d after the anchor, and between -d and -d+1 before it; each level keeps
its `TOP` busiest steps and folds the rest into one node, so the picture stays readable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from clickstream.dashboard import charts
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.warehouse import Row

TOP: Final = 6
OTHER: Final = "(other steps)"
LEVELS: Final = range(-3, 4)
NODE_WIDTH = 0.14
GAP = 0.02  # between nodes of a level, as a share of the height
HEIGHT = 460
NODE_COLOUR = "#2c7be5"
ANCHOR_COLOUR = "#f5803e"
LINK_COLOUR = "rgba(44, 123, 229, 0.22)"


@dataclass(frozen=True)
class Link:
    """A flow between a step at `level` and one at `level + 1`."""

    level: int
    source: str
    target: str
    value: int


def short(step: str) -> str:
    """A step as shown on a node: a page's path (its URL without scheme and host)."""
    if "://" in step:
        return urlsplit(step).path or "/"
    return step


def links(rows: Sequence[Row], anchor: str, top: int = TOP) -> list[Link]:
    """The links between levels, each level's quieter steps folded into `OTHER`."""
    kept: dict[int, set[str]] = {0: {anchor}}
    by_level: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        depth, value = int(row["depth"]), int(row["transitions"])
        # A level's steps: where the links after the anchor arrive, and before it leave.
        if depth > 0:
            by_level[depth][row["step_to"]] += value
        else:
            by_level[depth][row["step_from"]] += value
    for level, values in by_level.items():
        ranked = sorted(values, key=lambda s: (-values[s], s))
        kept[level] = set(ranked[:top])

    def node(level: int, step: str) -> str:
        return step if step in kept.get(level, set()) else OTHER

    merged: dict[tuple[int, str, str], int] = defaultdict(int)
    for row in rows:
        depth = int(row["depth"])
        level = depth - 1 if depth > 0 else depth
        key = (level, node(level, row["step_from"]), node(level + 1, row["step_to"]))
        merged[key] += int(row["transitions"])
    return [Link(level, s, t, v) for (level, s, t), v in sorted(merged.items())]


def next_and_previous(rows: Sequence[Row], per_depth: int = 5) -> tuple[list[Row], list[Row]]:
    """The commonest steps 1..3 after and before the anchor, with their share of the anchor's
    occurrences (each occurrence has exactly one depth-1 row)."""
    occurrences = sum(int(r["transitions"]) for r in rows if int(r["depth"]) == 1)
    after: list[Row] = []
    before: list[Row] = []
    for depth in (1, 2, 3):
        for sign, out in ((1, after), (-1, before)):
            totals: dict[str, int] = defaultdict(int)
            for row in rows:
                if int(row["depth"]) == sign * depth:
                    totals[row["step_to"] if sign > 0 else row["step_from"]] += int(
                        row["transitions"]
                    )
            ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:per_depth]
            out.extend(
                {
                    "depth": depth,
                    "step": step,
                    "count": count,
                    "share": count / occurrences if occurrences else None,
                }
                for step, count in ranked
            )
    return after, before


def _levels(found: Sequence[Link]) -> dict[int, dict[str, int]]:
    # A node's size: the larger of what flows in and out (the anchor: all of its occurrences).
    inflow: dict[tuple[int, str], int] = defaultdict(int)
    outflow: dict[tuple[int, str], int] = defaultdict(int)
    for link in found:
        outflow[(link.level, link.source)] += link.value
        inflow[(link.level + 1, link.target)] += link.value
    sizes: dict[int, dict[str, int]] = defaultdict(dict)
    for level, step in set(inflow) | set(outflow):
        sizes[level][step] = max(inflow[(level, step)], outflow[(level, step)])
    return sizes


def flow_chart(found: Sequence[Link], anchor: str) -> Chart:
    """The Sankey-style figure of `links`: nodes per level, bands as wide as their flow."""
    if not found:
        return charts.empty(HEIGHT)
    sizes = _levels(found)
    busiest = max(sum(nodes.values()) for nodes in sizes.values())
    most = max(len(nodes) for nodes in sizes.values())
    scale = (1 - GAP * (most - 1)) / busiest
    place: dict[tuple[int, str], float] = {}  # each node's top
    order: dict[tuple[int, str], int] = {}
    shapes: list[dict[str, Any]] = []
    labels: dict[str, list[Any]] = defaultdict(list)
    for level, nodes in sizes.items():
        top = 1.0
        ranked = sorted(nodes, key=lambda s: (s == OTHER, s in ("(exit)", "(entrance)"), -nodes[s]))
        for rank, step in enumerate(ranked):
            height = nodes[step] * scale
            place[(level, step)], order[(level, step)] = top, rank
            colour = ANCHOR_COLOUR if level == 0 else NODE_COLOUR
            shapes.append(_rect(level, top, top - height, colour))
            labels["x"].append(level + NODE_WIDTH / 2 + 0.02)
            labels["y"].append(top - height / 2)
            labels["text"].append(short(step))
            labels["hovertext"].append(f"{step}: {nodes[step]:,}")
            top -= height + GAP
    out_at = dict(place)
    in_at = dict(place)
    hovers: dict[str, list[Any]] = defaultdict(list)
    by_source = sorted(
        found, key=lambda k: (order[(k.level, k.source)], order[(k.level + 1, k.target)])
    )
    starts = {}
    for link in by_source:
        starts[link] = out_at[(link.level, link.source)]
        out_at[(link.level, link.source)] -= link.value * scale
    by_target = sorted(
        found, key=lambda k: (order[(k.level + 1, k.target)], order[(k.level, k.source)])
    )
    for link in by_target:
        end = in_at[(link.level + 1, link.target)]
        in_at[(link.level + 1, link.target)] -= link.value * scale
        width = link.value * scale
        shapes.append(_band(link.level, starts[link], end, width))
        hovers["x"].append(link.level + 0.5)
        hovers["y"].append((starts[link] + end - width) / 2)
        hovers["text"].append(f"{link.source} → {link.target}: {link.value:,}")
    traces = [
        {
            "type": "scatter",
            "mode": "text",
            "x": labels["x"],
            "y": labels["y"],
            "text": labels["text"],
            "hovertext": labels["hovertext"],
            "hoverinfo": "text",
            "textposition": "middle right",
            "textfont": {"size": 11},
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": hovers["x"],
            "y": hovers["y"],
            "hovertext": hovers["text"],
            "hoverinfo": "text",
            "marker": {"size": 10, "opacity": 0},
            "showlegend": False,
        },
    ]
    ticks = [f"{-level} before" if level < 0 else f"{level} after" for level in LEVELS]
    ticks[3] = short(anchor)
    return charts.Chart(
        traces,
        {
            **charts.LAYOUT,
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "height": HEIGHT,
            "shapes": shapes,
            "hovermode": "closest",
            "xaxis": {
                **charts.AXIS,
                "range": [-3.4, 3.9],
                "tickvals": list(LEVELS),
                "ticktext": ticks,
                "showgrid": False,
                "zeroline": False,
                "fixedrange": True,
            },
            "yaxis": {"visible": False, "range": [-0.02, 1.02], "fixedrange": True},
        },
    )


def _rect(level: int, top: float, bottom: float, colour: str) -> dict[str, Any]:
    return {
        "type": "rect",
        "x0": level - NODE_WIDTH / 2,
        "x1": level + NODE_WIDTH / 2,
        "y0": bottom,
        "y1": top,
        "fillcolor": colour,
        "line": {"width": 0},
        "layer": "above",
    }


def _band(level: int, start: float, end: float, width: float) -> dict[str, Any]:
    # From the right edge of a node at `level` to the left edge of one at `level + 1`.
    x0, x1 = level + NODE_WIDTH / 2, level + 1 - NODE_WIDTH / 2
    mid = (x0 + x1) / 2
    path = (
        f"M {x0:.4f},{start:.5f} C {mid:.4f},{start:.5f} {mid:.4f},{end:.5f} {x1:.4f},{end:.5f} "
        f"L {x1:.4f},{end - width:.5f} C {mid:.4f},{end - width:.5f} {mid:.4f},"
        f"{start - width:.5f} {x0:.4f},{start - width:.5f} Z"
    )
    return {
        "type": "path",
        "path": path,
        "fillcolor": LINK_COLOUR,
        "line": {"width": 0},
        "layer": "below",
    }
