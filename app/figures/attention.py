"""Figures of the language model & attention page: plain data in (from `core.views.attention`), a
figure out. The head, model and neuron views follow BertViz (Vig, 2019)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.components.charts import COLORS, DASHES, heatmap, style
from app.i18n import t
from core.views.attention import HeadLines, Neuron

LEVELS = 20  # the head view draws weights rounded to steps of 1/20, one trace per step
TOKEN_ROOM = 26  # pixels per token in the head view, so neighbouring tokens do not overlap


def _labels(tokens: Sequence[str]) -> list[str]:
    return [f"{i}:{token}" for i, token in enumerate(tokens)]


def attention_heatmap(weights, tokens: Sequence[str], *, title: str, height: int = 420) -> go.Figure:
    """One head: query tokens down, key tokens across."""
    labels = _labels(tokens)
    fig = heatmap(weights, x=labels, y=labels, x_title=t("key"), y_title=t("query"), zmin=0, zmax=1,
                  color_title=t("weight"), height=height, title=title)
    fig.update_xaxes(tickangle=-60)
    return fig


def head_view(view: HeadLines, *, title: str) -> go.Figure:
    """Lines from each query token (left) to the key tokens (right) it attends to, a colour and a dash
    per head (named in the legend); opacity and width grow with the weight. The query token's lines are
    drawn strongly and the token itself is marked (an arrow, bold); the other queries' lines are faint.

    Weights are rounded to steps of 1/20 and each (head, step) is one trace, its lines joined by
    gaps: a trace per line, as many as n^2, made this figure alone cost a third of a page's rerun."""
    n = len(view.tokens)
    fig = go.Figure()
    groups: dict[tuple[int, int, bool], tuple[list, list]] = {}
    for (head, q, k, w), focused in zip(view.lines, view.focused):
        xs, ys = groups.setdefault((head, max(1, round(w * LEVELS)), focused), ([], []))
        xs += [0, 1, None]
        ys += [q, k, None]
    colour = {head: COLORS[i % len(COLORS)] for i, head in enumerate(view.heads)}
    dash = {head: DASHES[i % len(DASHES)] for i, head in enumerate(view.heads)}
    for (head, level, focused), (xs, ys) in sorted(groups.items()):
        w = level / LEVELS
        fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False, legendgroup=str(head),
                        line=dict(color=colour[head], dash=dash[head], width=1 + 4 * w),
                        opacity=min(1.0, w) * (1 if focused else 0.3))
    for head in view.heads:  # the legend: one entry per head, named
        fig.add_scatter(x=[None], y=[None], mode="lines", name=t("head {head}", head=head), legendgroup=str(head),
                        line=dict(color=colour[head], dash=dash[head], width=4))
    for x, anchor in ((0, "left"), (1, "right")):  # queries on the left, keys on the right
        fig.add_scatter(x=[x] * n, y=list(range(n)), mode="text", text=list(view.tokens), showlegend=False,
                        textposition=f"middle {anchor}", hoverinfo="text", hovertext=_labels(view.tokens))
    fig.add_scatter(x=[0], y=[view.query], mode="markers+text", showlegend=False, hoverinfo="skip",  # the query
                    marker=dict(symbol="triangle-right", size=14, color="#111827"), text=[view.tokens[view.query]],
                    textposition="middle left", textfont=dict(weight="bold", size=16))
    fig.update_xaxes(visible=False, range=[-0.8, 1.6])
    fig.update_yaxes(visible=False, autorange="reversed")
    return style(fig, height=max(320, TOKEN_ROOM * n + 120), title=title)


def model_view(attention, *, title: str, cell: int = 110) -> go.Figure:
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
    hover = t("layer {layer} head {head}", layer="%{customdata[0]}", head="%{customdata[1]}")
    fig = go.Figure(go.Heatmap(z=z, customdata=where, colorscale="Blues", zmin=0, zmax=1, showscale=False,
                               hoverongaps=False, xgap=0, ygap=0,
                               hovertemplate=hover + "<br>q %{customdata[2]} k %{customdata[3]}<br>%{z:.2f}"
                                                     "<extra></extra>"))
    # Streamlit reports no selection for a click on a heatmap (streamlit/streamlit#8760), so each
    # thumbnail's centre holds a transparent marker: a click there selects that point
    cells = [(layer, head) for layer in range(layers) for head in range(heads)]
    fig.add_scatter(x=[head * size + (n - 1) / 2 for _, head in cells],
                    y=[layer * size + (n - 1) / 2 for layer, _ in cells],
                    mode="markers", showlegend=False, marker=dict(size=max(12, cell * 0.4), color="rgba(0,0,0,0)"),
                    hovertemplate=[t("layer {layer}, head {head}: click to open", layer=layer, head=head)
                                   + "<extra></extra>" for layer, head in cells])
    for layer in range(layers):
        fig.add_annotation(x=-0.5, y=layer * size + (n - 1) / 2, text=f"L{layer}", showarrow=False, xanchor="right")
    for head in range(heads):
        fig.add_annotation(x=head * size + (n - 1) / 2, y=-0.5, text=f"H{head}", showarrow=False, yanchor="bottom")
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    fig = style(fig, height=max(240, cell * layers + 90), title=title)
    fig.update_layout(plot_bgcolor="white")
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


def neuron_view(neuron: Neuron, *, title: str) -> go.Figure:
    """BertViz's neuron view for one query token: the query vector q, each key k, q x k (each
    dimension's share of the score), the scaled dot product q . k / sqrt(d) and its softmax."""
    v = neuron.view
    labels = _labels(neuron.tokens)
    dims = list(range(v.query.shape[0]))
    fig = make_subplots(rows=2, cols=4, row_heights=[0.12, 0.88], column_widths=[0.3, 0.3, 0.2, 0.2],
                        shared_yaxes=True, vertical_spacing=0.06, horizontal_spacing=0.03,
                        specs=[[{"colspan": 2}, None, None, None], [{}, {}, {}, {}]],
                        subplot_titles=(t("query q ({token})", token=labels[neuron.query]), t("keys k"),
                                        t("q × k"), t("q · k / √d"), t("softmax")))
    limit = float(np.abs(v.keys).max() or 1)
    product_limit = float(np.abs(v.products).max() or 1)
    fig.add_trace(go.Heatmap(z=[v.query], x=dims, y=[labels[neuron.query]], colorscale="RdBu", zmid=0,
                             showscale=False, hovertemplate="d %{x}: %{z:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=v.keys, x=dims, y=labels, colorscale="RdBu", zmin=-limit, zmax=limit, showscale=False,
                             hovertemplate="%{y} d %{x}: %{z:.3f}<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Heatmap(z=v.products, x=dims, y=labels, colorscale="RdBu", zmin=-product_limit,
                             zmax=product_limit, showscale=False,
                             hovertemplate="%{y} d %{x}: %{z:.3f}<extra></extra>"), row=2, col=2)
    finite = np.where(np.isfinite(v.scores), v.scores, np.nan)
    fig.add_trace(go.Bar(x=finite, y=labels, orientation="h", marker_color=COLORS[1], showlegend=False,
                         text=[f"{s:.2f}" if np.isfinite(s) else t("masked") for s in v.scores],
                         textposition="auto"), row=2, col=3)
    fig.add_trace(go.Bar(x=v.weights, y=labels, orientation="h", marker_color=COLORS[0], showlegend=False,
                         text=[f"{w:.2f}" for w in v.weights], textposition="auto"), row=2, col=4)
    fig.update_yaxes(autorange="reversed", row=2)
    fig.update_xaxes(title_text=t("dimension"), row=2, col=1)
    fig.update_xaxes(title_text=t("dimension"), row=2, col=2)
    fig.update_xaxes(title_text=t("score"), row=2, col=3)
    fig.update_xaxes(title_text=t("weight"), range=[0, 1], row=2, col=4)
    return style(fig, height=max(360, 22 * len(labels) + 200), title=title)


def ablation_heatmap(delta: np.ndarray, *, title: str, height: int = 320) -> go.Figure:
    """Loss increase per layer (rows) and head (columns), the value written in each cell."""
    layers, heads = delta.shape
    limit = float(np.abs(delta).max() or 1)
    fig = heatmap(delta, x=[t("head {head}", head=h) for h in range(heads)],
                  y=[t("layer {layer}", layer=layer) for layer in range(layers)], x_title=t("head"),
                  y_title=t("layer"), colorscale="RdBu_r", zmin=-limit, zmax=limit,
                  color_title=t("loss increase (nats)"), square=False, height=height, title=title)
    fig.update_traces(text=np.round(delta, 3), texttemplate="%{text}")
    return fig
