"""Plotly figures shared by pages: plain data in, a figure out (no model objects)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from app.components.presenter import chart_font_size

# Every figure starts from this template as plotly's default. Passing it per figure instead
# (`update_layout(template=...)`) re-validates the whole template each time: 36 ms a figure, a fifth
# of a page's rerun, the cost that limits how many students one server keeps responsive.
pio.templates.default = "plotly_white"
COLORS = ("#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#f97316", "#84cc16")
EXPORT_FORMATS = ("png", "svg")
EXPORT_FORMAT_KEY = "chart_export_format"  # the sidebar's choice


def export_config() -> dict[str, Any]:
    """Plotly's own download button, rendered in the browser (offline): PNG at 3x for crisp slides,
    or SVG, as chosen in the sidebar."""
    fmt = st.session_state.get(EXPORT_FORMAT_KEY, "png")
    return {"displaylogo": False, "toImageButtonOptions": {"format": fmt, "scale": 3 if fmt == "png" else 1,
                                                           "filename": "nlp-playground-chart"}}


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      title=title, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                      font=dict(size=chart_font_size()))
    return fig


def lines(series: dict[str, tuple[Sequence[float], Sequence[float]]], *, x_title: str, y_title: str,
          log_x: bool = False, log_y: bool = False, markers: bool | None = None, height: int = 380,
          title: str | None = None) -> go.Figure:
    """One line per series. Built from graph objects, not plotly.express, which validates a whole
    template into every figure: 4-5 times the build time (14 ms against 70, styling included)."""
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(series.items()):
        with_markers = len(xs) <= 60 if markers is None else markers
        fig.add_scatter(x=list(xs), y=list(ys), name=name, mode="lines+markers" if with_markers else "lines",
                        line=dict(color=COLORS[i % len(COLORS)]))
    fig.update_xaxes(title=x_title, type="log" if log_x else "linear")
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear")
    return style(fig, height=height, title=title)


def heatmap(z, *, x_title: str, y_title: str, x: Sequence | None = None, y: Sequence | None = None,
            colorscale: str = "Blues", zmin: float | None = None, zmax: float | None = None,
            color_title: str | None = None, square: bool = True, height: int = 380,
            title: str | None = None) -> go.Figure:
    """A matrix drawn as `px.imshow` draws it (first row at the top), from graph objects (see `lines`)."""
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale=colorscale, zmin=zmin, zmax=zmax,
                               colorbar=dict(title=color_title) if color_title else None,
                               hovertemplate=f"{x_title} %{{x}}<br>{y_title} %{{y}}<br>%{{z:.3g}}<extra></extra>"))
    fig.update_xaxes(title=x_title, constrain="domain" if square else None)
    fig.update_yaxes(title=y_title, autorange="reversed", scaleanchor="x" if square else None)
    return style(fig, height=height, title=title)


def lattice(marked: str, edges: Sequence[tuple[int, int, str, float]], best: set[tuple[int, int]],
            height: int = 420) -> go.Figure:
    """A segmentation lattice: characters along x, each piece an arc from its start to its end;
    the Viterbi path in colour, other pieces grey, arc height growing with piece length."""
    fig = go.Figure()
    for start, end, piece, score in sorted(edges, key=lambda e: ((e[0], e[1]) in best, e[1] - e[0])):
        on_path = (start, end) in best
        span = end - start
        xs = [start + span * t / 20 for t in range(21)]
        ys = [span * 4 * (t / 20) * (1 - t / 20) for t in range(21)]
        fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="text", showlegend=False,
                        text=f"{piece}  (log p = {score:.2f})",
                        line=dict(color=COLORS[0] if on_path else "rgba(120,120,120,0.35)", width=4 if on_path else 1))
        if on_path:
            fig.add_annotation(x=start + span / 2, y=span, text=piece, showarrow=False, yshift=10,
                               font=dict(color=COLORS[0]))
    fig.add_scatter(x=[i + 0.5 for i in range(len(marked))], y=[-0.25] * len(marked), mode="text",
                    text=list(marked), textfont=dict(size=18), hoverinfo="skip", showlegend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height=height)


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


STATUS_COLORS = {"running": "#4f46e5", "pruned": "rgba(160,160,160,0.6)", "finished": "#10b981"}


def beam_tree(trace, token_text, *, upto: int, height: int = 520) -> go.Figure:
    """Every candidate beam search considered: x is the step, y the cumulative log-probability;
    an edge joins each candidate to the beam it extends. Kept beams blue, finished green, pruned grey."""
    fig = go.Figure()
    previous_running: list[tuple[float, float]] = [(-1, 0.0)]  # (x, y) of the beams alive before step 0
    for step in trace[:upto + 1]:
        running_now = []
        for candidate in step.candidates:
            px_, py_ = previous_running[min(candidate["parent"], len(previous_running) - 1)]
            x, y = step.step, candidate["score"]
            color = STATUS_COLORS[candidate["status"]]
            fig.add_scatter(x=[px_, x], y=[py_, y], mode="lines", line=dict(color=color, width=1), hoverinfo="skip",
                            showlegend=False)
            fig.add_scatter(x=[x], y=[y], mode="markers+text", marker=dict(color=color, size=9),
                            text=[token_text(candidate["token"])], textposition="middle right", showlegend=False,
                            hovertext=f"{token_text(candidate['token'])!r}  log p {candidate['logprob']:.2f}  "
                                      f"score {y:.2f}  ({candidate['status']})", hoverinfo="text")
            if candidate["status"] == "running":
                running_now.append((x, y))
        previous_running = running_now or previous_running
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="cumulative log-probability")
    return style(fig, height=height)


def distribution_bars(tokens: Sequence[str], probs: Sequence[float], *, chosen: int | None = None,
                      cutoffs: dict[str, int] | None = None, height: int = 320, title: str | None = None) -> go.Figure:
    """Next-token probabilities, most likely first; the chosen token highlighted, cut-offs drawn."""
    colors = [COLORS[3] if i == chosen else COLORS[0] for i in range(len(tokens))]
    fig = go.Figure(go.Bar(x=[f"{i}:{t!r}" for i, t in enumerate(tokens)], y=list(probs), marker_color=colors,
                           hovertemplate="%{x}<br>p = %{y:.4f}<extra></extra>"))
    for name, position in (cutoffs or {}).items():
        fig.add_vline(x=position - 0.5, line_dash="dash", line_color=COLORS[1], annotation_text=name)
    fig.update_xaxes(tickangle=-60, showticklabels=len(tokens) <= 40)
    fig.update_yaxes(title="probability", range=[0, max(probs) * 1.1 if len(probs) else 1])
    return style(fig, height=height, title=title)
