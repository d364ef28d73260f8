"""Plotly figures shared by pages: plain data in, a figure out (no model objects)."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

TEMPLATE = "plotly_white"
COLORS = ("#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#f97316", "#84cc16")


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      title=title, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig


def lines(series: dict[str, tuple[Sequence[float], Sequence[float]]], *, x_title: str, y_title: str,
          log_x: bool = False, height: int = 380) -> go.Figure:
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(series.items()):
        fig.add_scatter(x=list(xs), y=list(ys), name=name, mode="lines+markers",
                        line=dict(color=COLORS[i % len(COLORS)]))
    fig.update_xaxes(title=x_title, type="log" if log_x else "linear")
    fig.update_yaxes(title=y_title)
    return style(fig, height=height)


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
