"""Figures of the language model & attention page."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from app.components.charts import style


def attention_heatmap(weights, tokens: Sequence[str], *, height: int = 420, title: str | None = None) -> go.Figure:
    """One head: query tokens down, key tokens across."""
    labels = [f"{i}:{t}" for i, t in enumerate(tokens)]
    fig = go.Figure(go.Heatmap(z=weights, x=labels, y=labels, colorscale="Blues", zmin=0, zmax=1,
                               hovertemplate="query %{y}<br>key %{x}<br>weight %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="query")
    fig.update_xaxes(title="key", tickangle=-60)
    return style(fig, height=height, title=title)


def head_view(weights, tokens: Sequence[str], *, focus: int | None = None, height: int = 520) -> go.Figure:
    """Lines from each query token (left) to the key tokens (right) it attends to; opacity and width
    grow with the weight. With `focus`, only that query token's lines are drawn.

    Weights are rounded to steps of 0.05 and each step is one trace (its lines joined by gaps): a
    trace per line, as many as n^2, made this figure alone cost a third of a page's rerun."""
    n = len(tokens)
    fig = go.Figure()
    by_level: dict[int, tuple[list, list]] = {}
    for q in range(n) if focus is None else [focus]:
        for k in range(n):
            w = float(weights[q][k])
            if w > 0.02:
                xs, ys = by_level.setdefault(max(1, round(w * 20)), ([], []))
                xs += [0, 1, None]
                ys += [q, k, None]
    for level, (xs, ys) in sorted(by_level.items()):
        w = level / 20
        fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                        line=dict(color=f"rgba(79,70,229,{min(1.0, w):.2f})", width=1 + 4 * w))
    for x, anchor in ((0, "right"), (1, "left")):
        fig.add_scatter(x=[x] * n, y=list(range(n)), mode="text", text=list(tokens), showlegend=False,
                        textposition=f"middle {anchor}", hoverinfo="text",
                        hovertext=[f"{i}: {t!r}" for i, t in enumerate(tokens)])
    fig.update_xaxes(visible=False, range=[-0.6, 1.6])
    fig.update_yaxes(visible=False, autorange="reversed")
    return style(fig, height=height)


def model_view(attention, *, cell: int = 110) -> go.Figure:
    """Every layer (rows) x head (columns) as a thumbnail heatmap; a click on a thumbnail's centre
    selects it (see `model_view_cell`).

    One heatmap holds all the thumbnails, tiled with a blank row and column between them: a subplot
    per head cost 10 ms each to build, so 16 heads took longer than the rest of the page."""
    layers, heads, n = attention.shape[:3]
    size = n + 1
    z = np.full((layers * size - 1, heads * size - 1), np.nan)
    for layer in range(layers):
        for head in range(heads):
            z[layer * size:layer * size + n, head * size:head * size + n] = attention[layer, head]
    rows, cols = np.indices(z.shape)
    where = np.stack([rows // size, cols // size, rows % size, cols % size], axis=-1)
    fig = go.Figure(go.Heatmap(z=z, customdata=where, colorscale="Blues", zmin=0, zmax=1, showscale=False,
                               hoverongaps=False, xgap=0, ygap=0,
                               hovertemplate="layer %{customdata[0]} head %{customdata[1]}<br>"
                                             "q %{customdata[2]} k %{customdata[3]}<br>%{z:.2f}<extra></extra>"))
    # Streamlit reports no selection for a click on a heatmap (streamlit/streamlit#8760), so each
    # thumbnail's centre holds a transparent marker: a click there selects that point
    cells = [(layer, head) for layer in range(layers) for head in range(heads)]
    fig.add_scatter(x=[head * size + (n - 1) / 2 for _, head in cells],
                    y=[layer * size + (n - 1) / 2 for layer, _ in cells],
                    mode="markers", showlegend=False, marker=dict(size=max(12, cell * 0.4), color="rgba(0,0,0,0)"),
                    hovertemplate=[f"layer {layer}, head {head}: click to open<extra></extra>"
                                   for layer, head in cells])
    for layer in range(layers):
        fig.add_annotation(x=-0.5, y=layer * size + (n - 1) / 2, text=f"L{layer}", showarrow=False, xanchor="right")
    for head in range(heads):
        fig.add_annotation(x=head * size + (n - 1) / 2, y=-0.5, text=f"H{head}", showarrow=False, yanchor="bottom")
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    fig = style(fig, height=max(240, cell * layers + 60))
    fig.update_layout(plot_bgcolor="white", margin=dict(t=30))  # room for the head labels above
    return fig


def model_view_cell(point: dict, n_tokens: int) -> tuple[int, int] | None:
    """The (layer, head) of a clicked point in `model_view`, or None for a gap between thumbnails."""
    size = n_tokens + 1
    x, y = point.get("x"), point.get("y")
    if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
        return None
    row, col = int(y), int(x)
    if row % size == n_tokens or col % size == n_tokens:
        return None
    return row // size, col // size
