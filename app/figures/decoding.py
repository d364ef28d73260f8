"""Figures of the decoding page."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from app.components.charts import COLORS, style


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
