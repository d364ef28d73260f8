"""Figures of the transformer anatomy page: plain data in (from `core.views.anatomy`), a figure out."""

from __future__ import annotations

import plotly.graph_objects as go

from app.components.charts import heatmap, lines
from app.i18n import t
from core.views import anatomy as view

# one colour per tile state, in the order of the states' numbers (view.NOT_YET ... view.SKIPPED)
TILE_COLOURS = ("#f3f4f6", "#93c5fd", "#1d4ed8", "#fca5a5")


def tiles(flash: view.Flash, *, title: str, height: int = 360) -> go.Figure:
    """The tile grid: each state a colour and a symbol in the cell, both named in the legend (a colour
    bar's long labels left the grid a sliver of its half of the page)."""
    states = len(TILE_COLOURS)
    scale = [[edge / states, TILE_COLOURS[i]] for edge in range(states + 1)
             for i in (edge - 1, edge) if 0 <= i < states]
    fig = heatmap(flash.grid, x_title=t("key block"), y_title=t("query block"), colorscale=scale, zmin=-0.5,
                  zmax=states - 0.5, height=height, title=title)
    fig.update_traces(text=flash.marks, texttemplate="%{text}", textfont=dict(size=16), showscale=False,
                      hovertemplate=t("query block {query}, key block {key}", query="%{y}", key="%{x}")
                      + "<extra></extra>")
    for state, name in view.TILE_STATES.items():  # legend entries only: no points
        fig.add_scatter(x=[None], y=[None], mode="markers", name=f"{view.TILE_MARKS[state]} {t(name)}".strip(),
                        marker=dict(symbol="square", size=14, color=TILE_COLOURS[state],
                                    line=dict(color="#6b7280", width=1)), hoverinfo="skip")
    return fig


def extrapolation_by_position(data: view.Extrapolation, *, title: str) -> go.Figure:
    """Loss at each position of windows 4x the trained context, the trained context marked."""
    fig = lines(data.by_position, x_title=t("position in the window"),
                y_title=t("loss at that position"), height=340, title=title)
    fig.add_vline(x=data.trained_context - 0.5, line_dash="dot", annotation_text=t("trained context"))
    return fig
