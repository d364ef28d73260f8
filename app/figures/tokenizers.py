"""Figures of the tokenizers page."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from app.components.charts import COLORS, style


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
