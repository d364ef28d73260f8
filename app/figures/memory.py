"""Figures of the KV cache & memory page: plain data in (from `core.views.memory`), a figure out."""

from __future__ import annotations

import plotly.graph_objects as go

from app.components.charts import COLORS, DASHES, bar_marker, style
from app.i18n import t
from core.views import memory as view


def breakdown(result: view.Calculation, *, title: str, height: int = 280) -> go.Figure:
    """Inference and training memory as stacked bars. Each part keeps one colour and one hatching on
    both bars (weights are weights in both), so a part is never told by colour alone."""
    names = list(dict.fromkeys([*result.inference.parts, *result.training.parts]))
    fig = go.Figure()
    for row, part in ((t("inference"), result.inference), (t("training"), result.training)):
        for name, value in part.parts.items():
            fig.add_bar(name=t(name), y=[row], x=[value / view.GB], orientation="h", legendgroup=name,
                        marker=bar_marker(names.index(name)),
                        text=f"{value / view.GB:,.2f} GB", textposition="inside",
                        hovertemplate=f"{t(name)}: %{{x:,.2f}} GB<extra></extra>",
                        showlegend=row == t("inference") or name not in result.inference.parts)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=t("memory (GB)"))
    return style(fig, height=height, title=title)


def growth(result: view.MeasuredCache, *, title: str, height: int = 320) -> go.Figure:
    """Each model's measured cache as tokens are generated: a colour and a dash per model, the
    prefill a square and each decoded token a circle."""
    fig = go.Figure()
    for i, (label, _) in enumerate(view.MEASURED_MODELS):
        points = [g for g in result.growth if g["model"] == label]
        fig.add_scatter(x=[g["tokens"] for g in points], y=[g["bytes"] for g in points], name=t(label),
                        mode="lines+markers", line=dict(color=COLORS[i % len(COLORS)], dash=DASHES[i % len(DASHES)]),
                        marker=dict(symbol=["square" if g["phase"] == "prefill" else "circle" for g in points]))
    fig.update_xaxes(title=t("cached tokens"))
    fig.update_yaxes(title=t("cache size (bytes)"))
    return style(fig, height=height, title=title)
