"""Plotly figures shared by pages: plain data in, a figure out (no model objects)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from app.components.presenter import chart_font_size, chart_text_color

# Every figure starts from this template as plotly's default. Passing it per figure instead
# (`update_layout(template=...)`) re-validates the whole template each time: 36 ms a figure, a fifth
# of a page's rerun, the cost that limits how many students one server keeps responsive.
pio.templates.default = "plotly_white"
COLORS = ("#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#f97316", "#84cc16")
EXPORT_FORMATS = ("png", "svg")
EXPORT_FORMAT_KEY = "chart_export_format"  # the sidebar's choice
# Named so that charts (and their PNG/SVG downloads, drawn by the browser) find CJK glyphs on an
# offline machine: Noto Sans CJK (Debian's fonts-noto-cjk), then the Mac's and Windows' own.
FONT_FAMILY = ('"Source Sans Pro", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
               '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"


def export_config(name: str = "chart", settings: Sequence[Any] = ()) -> dict[str, Any]:
    """Plotly's own download button, rendered in the browser (offline): PNG at 3x for crisp slides,
    or SVG, as chosen in the sidebar, named after the chart and the settings it shows."""
    fmt = st.session_state.get(EXPORT_FORMAT_KEY, "png")
    filename = "-".join(_slug(str(part)) for part in ("nlp-playground", name, *settings) if str(part))
    return {"displaylogo": False, "toImageButtonOptions": {"format": fmt, "scale": 3 if fmt == "png" else 1,
                                                           "filename": filename}}


def show(fig: go.Figure, *, key: str, name: str, settings: Sequence[Any] = (), where=st, **kwargs: Any) -> Any:
    """Draw a figure with its download named after it (`name`, untranslated, and `settings`)."""
    return where.plotly_chart(fig, key=key, config=export_config(name, settings), **kwargs)


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    """Fonts for the room (presenter mode: larger, black), a title at the top left and the legend
    below it, never over it."""
    has_legend = any(trace.showlegend is not False for trace in fig.data) and len(fig.data) > 1
    top = (44 if title else 12) + (30 if has_legend else 0)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10),
                      title=dict(text=title, x=0, xanchor="left", y=1, yanchor="top", yref="container", pad=dict(t=8))
                      if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, xanchor="left"),
                      font=dict(size=chart_font_size(), color=chart_text_color(), family=FONT_FAMILY))
    return fig


def readable_log(axis: dict) -> dict:
    """A log axis with a tick per power of ten, written 1k, 10k, 1M (not 1e+03)."""
    return {**axis, "type": "log", "dtick": 1, "tickformat": "~s"}


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
    fig.update_xaxes(**(readable_log({"title": x_title}) if log_x else {"title": x_title}))
    fig.update_yaxes(**(readable_log({"title": y_title}) if log_y else {"title": y_title}))
    return style(fig, height=height, title=title)


def bars(x: Sequence[Any], y: Sequence[float], *, x_title: str, y_title: str, title: str | None = None,
         height: int = 340, color: str = COLORS[0], hover: Sequence[str] | None = None) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(x), y=list(y), marker_color=color, hovertext=hover))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
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
