"""Figures of the tokenizers page: plain data from `core.views.tokenizers` in, a figure out."""

from __future__ import annotations

import plotly.graph_objects as go

from app.components.charts import COLORS, style
from app.components.html import escape
from core.views.tokenizers import LanguageCosts, LatticeView

ARC_POINTS = 20  # segments per arc


def _arc(start: int, end: int) -> tuple[list[float], list[float]]:
    span = end - start
    xs = [start + span * k / ARC_POINTS for k in range(ARC_POINTS + 1)]
    ys = [span * 4 * (k / ARC_POINTS) * (1 - k / ARC_POINTS) for k in range(ARC_POINTS + 1)]
    return xs, ys


def lattice(view: LatticeView, *, title: str, hover: str, height: int = 420) -> go.Figure:
    """A segmentation lattice: characters along x, each piece an arc from its start to its end,
    higher for longer pieces. The Viterbi path is thick, coloured and labelled; unknown characters'
    `<unk>` edges are dashed (on the path too); the rest thin and grey. `hover` is a template with {piece} and {score}.
    Edges of one kind share a trace (separated by gaps), so a long text stays one quick figure.
    Text is escaped: Plotly reads tags in it, and `<unk>` is one."""
    fig = go.Figure()
    for best in (False, True):
        for unknown in (False, True):
            line = dict(color=COLORS[0] if best else "rgba(120,120,120,0.35)" if not unknown else COLORS[3],
                        width=4 if best else 1, dash="dash" if unknown else "solid")
            _edges(fig, [e for e in view.edges if e.best == best and e.unknown == unknown], line, hover)
    for edge in view.edges:
        if edge.best:
            fig.add_annotation(x=(edge.start + edge.end) / 2, y=edge.end - edge.start, text=escape(edge.label),
                               showarrow=False, yshift=10, font=dict(color=COLORS[0]))
    fig.add_scatter(x=[i + 0.5 for i in range(len(view.characters))], y=[-0.25] * len(view.characters), mode="text",
                    text=[escape(ch) for ch in view.characters], textfont=dict(size=18), hoverinfo="skip",
                    showlegend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height=height, title=title)


def _edges(fig: go.Figure, edges: list, line: dict, hover: str) -> None:
    """Arcs of one kind in one trace, separated by gaps."""
    xs, ys, text = [], [], []
    for edge in edges:
        arc_x, arc_y = _arc(edge.start, edge.end)
        xs += arc_x + [None]
        ys += arc_y + [None]
        text += [escape(hover.format(piece=edge.label, score=edge.score))] * (len(arc_x) + 1)
    if xs:
        fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="text", text=text, showlegend=False, line=line)


PATTERNS = ("", "/")  # the second tokenizer's bars are hatched: told apart without colour


def language_costs(costs: LanguageCosts, *, names: list[str], title: str, x_title: str, y_title: str,
                   legend_title: str, hover: str, height: int = 460) -> go.Figure:
    """Tokens per character of each language, one bar per tokenizer (`names`, translated), grouped.
    `hover` is a template with {script} and {bytes}."""
    fig = go.Figure()
    text = [hover.format(script=s, bytes=b) for s, b in zip(costs.scripts, costs.bytes_per_char)]
    for i, (series, name) in enumerate(zip(costs.series, names)):
        fig.add_bar(x=series.x, y=series.y, name=name, marker=dict(color=COLORS[i], pattern_shape=PATTERNS[i % 2]),
                    hovertext=text)
    fig.update_layout(barmode="group", legend_title_text=legend_title)
    fig.update_xaxes(title=x_title, tickangle=-60)
    fig.update_yaxes(title=y_title)
    return style(fig, height=height, title=title)
