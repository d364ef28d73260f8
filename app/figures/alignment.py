"""Figures of the fine-tuning & alignment page: plain data in (from `core.views.alignment`), a
figure out. Several runs in one picture differ in colour, dash and marker, and are named in the
legend (never colour alone)."""

from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.components.charts import COLORS, DASHES, PATTERNS, SYMBOLS, style

PANEL_TITLE_PX = 26  # room above the top panels for their titles
Series = dict[str, tuple[Sequence[float], Sequence[float]]]  # name -> (x, y)


def panels(panels: dict[str, Series], *, x_title: str, title: str, columns: int = 2, row_height: int = 210,
           lines: dict[str, float] | None = None) -> go.Figure:
    """Small multiples: one panel per metric (its name above it), the same runs in each.
    `lines` adds a dotted reference line to a panel (metric name -> y)."""
    names = list(dict.fromkeys(name for series in panels.values() for name in series))
    rows = math.ceil(len(panels) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=list(panels), horizontal_spacing=0.08,
                        vertical_spacing=0.5 / rows)
    for index, (panel, series) in enumerate(panels.items()):
        row, col = index // columns + 1, index % columns + 1
        for name, (xs, ys) in series.items():
            i = names.index(name)
            fig.add_scatter(x=list(xs), y=list(ys), name=name, legendgroup=name, row=row, col=col,
                            showlegend=len(names) > 1 and index == next(j for j, s in enumerate(panels.values())
                                                                         if name in s),
                            mode="lines+markers" if len(xs) <= 60 else "lines",
                            line=dict(color=COLORS[i % len(COLORS)], dash=DASHES[i % len(DASHES)]),
                            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=6))
        if lines and panel in lines:
            fig.add_hline(y=lines[panel], line_dash="dot", line_color="gray", row=row, col=col)
        if index + columns >= len(panels):  # the lowest panel of its column
            fig.update_xaxes(title_text=x_title, row=row, col=col)
    style(fig, height=row_height * rows + 60, title=title)
    # the top panels' titles take the room above the plots, where `style` puts the legend: the legend
    # goes to the right, beside the first row (Plotly makes room for it there)
    fig.update_layout(margin_t=fig.layout.margin.t + PANEL_TITLE_PX,
                      legend=dict(orientation="v", x=1.01, xanchor="left", y=1, yanchor="top", yref="paper"))
    return fig


def rule_vs_kl(methods: list[dict], best_of: list[dict], *, best_of_name: str, n_label: str, x_title: str,
               y_title: str, title: str) -> go.Figure:
    """Each method a marker of its own (named beside it), best-of-n a line through its n; the bars
    are one standard deviation across sampling seeds."""
    fig = go.Figure()
    if best_of:
        fig.add_scatter(x=[p["kl"] for p in best_of], y=[p["rule_score"] for p in best_of], name=best_of_name,
                        mode="lines+markers+text", text=[n_label.format(n=p["n"]) for p in best_of],
                        textposition="bottom right", line=dict(color="gray", dash="dot"),
                        marker=dict(symbol="x", size=9, color="gray"),
                        error_y=dict(array=[p["rule_score_std"] for p in best_of], thickness=1))
    for i, point in enumerate(methods):
        fig.add_scatter(x=[point["kl"]], y=[point["rule_score"]], name=point["method"], mode="markers+text",
                        text=[point["method"]], textposition="top center",
                        marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=13, color=COLORS[i % len(COLORS)]),
                        error_x=dict(array=[point["kl_std"]], thickness=1),
                        error_y=dict(array=[point["rule_score_std"]], thickness=1))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return style(fig, height=420, title=title)


def reward_scatter(rule_scores: Sequence[float], rewards: Sequence[float], *, x_title: str, y_title: str,
                   title: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(rule_scores), y=list(rewards), mode="markers",
                               marker=dict(color=COLORS[0], size=6, opacity=0.6)))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return style(fig, height=360, title=title)


def memory_bars(memory: dict[str, dict[str, float]], *, rows: dict[str, str], parts: dict[str, str],
                value_label: str, title: str, x_title: str) -> go.Figure:
    """Training memory (MB) of full fine-tuning and LoRA, stacked by part, each part named in the
    bar and in the legend. `rows`: method id -> its label; `parts`: part id -> its label;
    `value_label`: a translated template with {part} and {megabytes}."""
    fig = go.Figure()
    for i, (part, label) in enumerate(parts.items()):
        values = [memory[method][part] / 1e6 for method in rows]
        fig.add_bar(name=label, y=list(rows.values()), x=values, orientation="h",
                    marker=dict(color=COLORS[i], pattern_shape=PATTERNS[i % len(PATTERNS)]),
                    text=[value_label.format(part=label, megabytes=v) for v in values], textposition="auto")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=x_title)
    return style(fig, height=260, title=title)
