"""Figures of the word-embeddings page: plain data from `core.views.embeddings` in, a figure out.

Groups are told apart by marker symbol as well as colour; words are written only where
`core.views.embeddings.label_mask` says (the rest on hover), so labels do not pile up.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.components.charts import COLORS, style
from app.components.html import escape
from core.views.embeddings import Analogy, Facet, Projection

SYMBOLS = ("circle", "square", "diamond", "cross", "x", "circle-open", "square-open", "diamond-open")  # 2-D and 3-D


def parallelogram(analogy: Analogy, *, title: str, offset_ab: str, offset_ac: str, height: int = 380) -> go.Figure:
    """The four words of a : b :: c : answer by PCA, with arrows a→b and c→answer (labelled
    `offset_ab`) and a→c and b→answer (`offset_ac`): equal offsets when the analogy holds. The words
    are escaped: fastText composes a vector for anything typed, and Plotly reads tags in text."""
    points = analogy.points
    fig = go.Figure()
    for (i, j), color, label in (((0, 1), COLORS[0], offset_ab), ((2, 3), COLORS[0], offset_ab),
                                 ((0, 2), COLORS[1], offset_ac), ((1, 3), COLORS[1], offset_ac)):
        fig.add_annotation(x=points[j][0], y=points[j][1], ax=points[i][0], ay=points[i][1], xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=3, arrowcolor=color)
        fig.add_annotation(x=(points[i][0] + points[j][0]) / 2, y=(points[i][1] + points[j][1]) / 2, text=label,
                           showarrow=False, font=dict(color=color))
    fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers+text",
                    text=[escape(w) for w in analogy.words],
                    textposition="top center", marker=dict(size=12, color=COLORS[2]), showlegend=False)
    fig.update_xaxes(title="PC 1")
    fig.update_yaxes(title="PC 2", scaleanchor="x")
    return style(fig, height=height, title=title)


def projection(result: Projection, *, names: dict[str, str], title: str, height: int = 560) -> go.Figure:
    """Words by group (`names`: group id -> its name), each group its own colour and symbol."""
    fig = go.Figure()
    axes = "xyz"[:result.dims]
    for k, group in enumerate(dict.fromkeys(result.groups)):
        rows = [i for i, g in enumerate(result.groups) if g == group]
        coords = {axis: [result.points[i][d] for i in rows] for d, axis in enumerate(axes)}
        text = [result.words[i] if result.labelled[i] else "" for i in rows]
        marker = dict(color=COLORS[k % len(COLORS)], symbol=SYMBOLS[k % len(SYMBOLS)],
                      size=6 if result.dims == 3 else 9)
        common = dict(**coords, mode="markers+text", text=text, hovertext=[result.words[i] for i in rows],
                      hoverinfo="text", name=names.get(group, group), marker=marker, textposition="top center")
        fig.add_trace(go.Scatter3d(**common) if result.dims == 3 else go.Scatter(**common))
    return style(fig, height=height, title=title)


def side_by_side(facets: Sequence[Facet], *, names: Sequence[str], title: str, height: int = 420) -> go.Figure:
    """One panel per model (titled with its name), the same words in each."""
    fig = make_subplots(rows=1, cols=len(facets), subplot_titles=list(names))
    for col, facet in enumerate(facets, start=1):
        fig.add_scatter(x=[p[0] for p in facet.points], y=[p[1] for p in facet.points], mode="markers+text",
                        text=[w if shown else "" for w, shown in zip(facet.words, facet.labelled)],
                        hovertext=facet.words, hoverinfo="text", textposition="top center", showlegend=False,
                        marker=dict(color=COLORS[0]), row=1, col=col)
    fig.update_annotations(yshift=4)
    return style(fig, height=height, title=title)


def similarity(pairs: Sequence[tuple[str, str, float, float]], *, x_title: str, y_title: str, title: str,
               height: int = 300) -> go.Figure:
    """Human ratings against the model's cosines, one point per pair of words (named on hover)."""
    fig = go.Figure(go.Scatter(x=[p[2] for p in pairs], y=[p[3] for p in pairs], mode="markers",
                               hovertext=[f"{p[0]} · {p[1]}" for p in pairs], hoverinfo="text+x+y",
                               marker=dict(color=COLORS[0], size=6)))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return style(fig, height=height, title=title)
