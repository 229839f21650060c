"""The links page's picture: documents on a circle, outside sources in a column
beside it, an arrow for each relation that links one to another.

Plain functions and data, no Django: annotations.linking counts the links and
names the ends; this places them. The picture is drawn at its own size (one
unit a CSS pixel), so its labels are as large as the page's text, and its
viewBox is computed from what it holds, labels included, so that nothing is
cut at an edge.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

FONT_SIZE = 14  # labels, in CSS pixels
NODE_RADIUS = 6
LABEL_GAP = 8  # between a node and its label
LABEL_CHARS = 26  # longer titles are cut, whole in the node's <title>
SOURCE_LABEL_CHARS = 28
SOURCE_ROW = 26  # the outside sources' column, one per row
SOURCE_GAP = 70  # between the circle's labels and that column
PADDING = 12
# Colours for the relations, each at least 3:1 against white (WCAG 1.4.11),
# with a dash pattern each too, so that no relation is told by colour alone.
PALETTE = (
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#5c5c5c",  # grey
    "#8e5b00",  # brown
    "#7b3294",  # purple
)
DASHES = ("none", "8 4", "2 3")


@dataclass(frozen=True)
class Relation:
    """A relation as the picture and its legend draw it."""

    pk: int
    name: str
    colour: str
    dash: str


UNKNOWN_RELATION = Relation(0, "other", PALETTE[-1], "none")


def relation_styles(relations: list[tuple[int, str]]) -> dict[int, Relation]:
    """A colour and dash for each relation, by its place in the project's list
    (so that a relation keeps them whatever the filters)."""
    return {
        pk: Relation(pk, name, PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)])
        for i, (pk, name) in enumerate(relations)
    }


@dataclass(eq=False)
class Node:
    key: str
    title: str  # whole, for <title> and the accessible name
    href: str
    external: bool = False  # an outside source
    count: int = 0  # links at this end (an outside source's label shows it)
    x: float = 0.0
    y: float = 0.0
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"
    within: int = 0  # links from the document to itself
    links_out: int = 0
    links_in: int = 0

    @property
    def corner(self) -> tuple[float, float]:
        """The top left corner of its square (an outside source)."""
        return round(self.x - NODE_RADIUS, 1), round(self.y - NODE_RADIUS, 1)


@dataclass
class Edge:
    source: Node
    target: Node
    relation: Relation
    count: int
    path: str = ""  # none for links within a document
    width: float = 0.0

    @property
    def within(self) -> bool:
        return self.source is self.target


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)  # documents
    sources: list[Node] = field(default_factory=list)  # outside sources
    edges: list[Edge] = field(default_factory=list)  # most links first
    relations: list[Relation] = field(default_factory=list)  # the legend
    view_box: str = "0 0 0 0"
    width: int = 0
    height: int = 0
    heading_x: float = 0.0  # "Outside sources", above their column
    heading_y: float = 0.0
    font_size: int = FONT_SIZE
    node_radius: int = NODE_RADIUS


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the width of `text` in a sans-serif font: wide
    (CJK) characters a full em, capitals and m/w most of one, the rest less."""
    units = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in ("W", "F"):
            units += 1.0
        elif char in "MWmw@%":
            units += 0.95
        elif char.isupper() or char.isdigit():
            units += 0.72
        elif char in " .,:;!|'ijlIft()[]":
            units += 0.38
        else:
            units += 0.6
    return units * size


class _Box:
    """The extent of everything drawn, to make the viewBox from."""

    def __init__(self):
        self.left = self.top = math.inf
        self.right = self.bottom = -math.inf

    def add(self, x: float, y: float) -> None:
        self.left, self.right = min(self.left, x), max(self.right, x)
        self.top, self.bottom = min(self.top, y), max(self.bottom, y)

    def add_label(self, x: float, y: float, anchor: str, text: str) -> None:
        width = text_width(text)
        start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        self.add(start, y - FONT_SIZE)  # ascenders
        self.add(start + width, y + FONT_SIZE * 0.35)  # descenders


def _circle(nodes: list[Node], box: _Box) -> None:
    """The documents on a circle large enough for a label's height each."""
    radius = max(150.0, len(nodes) * FONT_SIZE * 2.4 / (2 * math.pi))
    for i, node in enumerate(nodes):
        angle = 2 * math.pi * i / len(nodes) - math.pi / 2
        cos, sin = math.cos(angle), math.sin(angle)
        node.x, node.y = round(radius * cos, 1), round(radius * sin, 1)
        node.label = shorten(node.title, LABEL_CHARS)
        node.anchor = "start" if cos > 0.01 else "end" if cos < -0.01 else "middle"
        out = radius + NODE_RADIUS + LABEL_GAP
        # Below the circle the label hangs from its point; above, it stands on it.
        node.label_x = round(out * cos, 1)
        node.label_y = round(out * sin + FONT_SIZE * (0.35 + 0.45 * sin), 1)
        box.add(node.x - NODE_RADIUS - 4, node.y - NODE_RADIUS - 4)
        box.add(node.x + NODE_RADIUS + 4, node.y + NODE_RADIUS + 4)
        box.add_label(node.label_x, node.label_y, node.anchor, node.label)


def _column(sources: list[Node], box: _Box, graph: Graph) -> None:
    """The outside sources in a column right of the circle, under a heading."""
    x = round(box.right + SOURCE_GAP, 1)
    top = -SOURCE_ROW * (len(sources) + 1) / 2
    graph.heading_x, graph.heading_y = x - NODE_RADIUS, round(top + FONT_SIZE / 2, 1)
    box.add_label(graph.heading_x, graph.heading_y, "start", "Outside sources")
    for i, node in enumerate(sources, start=1):
        node.x, node.y = x, round(top + SOURCE_ROW * i, 1)
        node.label = f"{shorten(node.title, SOURCE_LABEL_CHARS)} ({node.count})"
        node.label_x = round(x + NODE_RADIUS + LABEL_GAP, 1)
        node.label_y = round(node.y + FONT_SIZE * 0.35, 1)
        box.add(x - NODE_RADIUS - 2, node.y - NODE_RADIUS - 2)
        box.add_label(node.label_x, node.label_y, "start", node.label)


def _towards(x: float, y: float, to_x: float, to_y: float, by: float):
    """The point `by` units from (x, y) towards (to_x, to_y)."""
    length = math.hypot(to_x - x, to_y - y) or 1.0
    return x + (to_x - x) * by / length, y + (to_y - y) * by / length


def _path(edge: Edge, bend: float, box: _Box) -> str:
    """A curve from node edge to node edge (the arrow's tip at the target's)."""
    a, b = edge.source, edge.target
    if b.external:
        # Into the column from the left, level with the source.
        control = ((a.x + b.x) / 2, b.y + bend * 40)
    else:
        # Bent to its right, so that A → B and B → A do not overlap.
        middle = ((a.x + b.x) / 2, (a.y + b.y) / 2)
        control = (middle[0] + (b.y - a.y) * bend, middle[1] - (b.x - a.x) * bend)
    start = _towards(a.x, a.y, *control, NODE_RADIUS)
    end = _towards(b.x, b.y, *control, NODE_RADIUS + 2)
    for t in (0.25, 0.5, 0.75):  # the curve stays within the picture
        box.add(
            (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * control[0] + t**2 * end[0],
            (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * control[1] + t**2 * end[1],
        )
    points = [start, control, end]
    x0, y0, cx, cy, x1, y1 = (round(v, 1) for point in points for v in point)
    return f"M{x0} {y0} Q{cx} {cy} {x1} {y1}"


def layout(
    nodes: list[Node],
    sources: list[Node],
    links: list[tuple[str, str, Relation, int]],
) -> Graph:
    """Place `nodes` (documents) and `sources`, and draw `links`, given as
    (from key, to key, relation, count): an edge per relation between two ends,
    thicker the more links it stands for."""
    graph = Graph(nodes=sorted(nodes, key=lambda n: (n.title.lower(), n.key)))
    graph.sources = sources
    by_key = {node.key: node for node in [*nodes, *sources]}
    box = _Box()
    if graph.nodes:
        _circle(graph.nodes, box)
    if sources:
        _column(sources, box, graph)
    most = max((count for *_ends, count in links), default=1)
    parallel: dict[tuple[str, str], int] = {}
    for from_key, to_key, relation, count in links:
        edge = Edge(by_key[from_key], by_key[to_key], relation, count)
        edge.source.links_out += count
        edge.target.links_in += count
        if from_key == to_key:
            edge.source.within += count
        else:
            # Edges between the same two ends fan out, one relation each.
            k = parallel[from_key, to_key] = parallel.get((from_key, to_key), -1) + 1
            edge.path = _path(edge, 0.15 + 0.1 * k, box)
            edge.width = round(1.5 + 3.5 * count / most, 1)
        graph.edges.append(edge)
    graph.edges.sort(
        key=lambda e: (-e.count, e.source.title, e.target.title, e.relation.name)
    )
    used = {edge.relation.pk: edge.relation for edge in graph.edges}
    graph.relations = sorted(used.values(), key=lambda r: (r.name.lower(), r.pk))
    if box.left != math.inf:
        left, top = box.left - PADDING, box.top - PADDING
        width, height = box.right - box.left + 2 * PADDING, box.bottom - box.top
        height += 2 * PADDING
        graph.width, graph.height = math.ceil(width), math.ceil(height)
        graph.view_box = f"{left:.1f} {top:.1f} {graph.width} {graph.height}"
    return graph
