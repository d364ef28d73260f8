"""Plotly figures shared by pages: plain data in, a figure out (no model objects)."""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from app.components.presenter import chart_font_size, chart_height, chart_text_color

# Every figure starts from this template as plotly's default. Passing it per figure instead
# (`update_layout(template=...)`) re-validates the whole template each time: 36 ms a figure, a fifth
# of a page's rerun, the cost that limits how many students one server keeps responsive.
pio.templates.default = "plotly_white"
COLORS = ("#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#f97316", "#84cc16")
# Beside the colour, series differ by dash and marker and stacked parts by hatching, so that a
# chart never tells them apart by colour alone (WCAG 1.4.1), on a grey projector or printed too.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "triangle-down", "cross")
PATTERNS = ("", "/", "x", "\\", ".", "+", "-", "|")
TITLE_SCALE = 1.3  # a chart's title against its other text
EXPORT_FORMATS = ("png", "svg")
EXPORT_FORMAT_KEY = "chart_export_format"  # the sidebar's choice
# Named so that charts (and their PNG/SVG downloads, drawn by the browser) find CJK glyphs on an
# offline machine: Noto Sans CJK (Debian's fonts-noto-cjk), then the Mac's and Windows' own.
FONT_FAMILY = ('"Source Sans Pro", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
               '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')


def bar_marker(i: int) -> dict[str, Any]:
    """The i-th series of bars: its colour and its hatching (the first is solid)."""
    return {"color": COLORS[i % len(COLORS)],
            "pattern": {"shape": PATTERNS[i % len(PATTERNS)], "fgcolor": "#ffffff", "fgopacity": 0.6, "solidity": 0.25}}


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
    """Draw a figure with its download named after it (`name`, untranslated, and `settings`).

    Without Streamlit's chart theme (`theme=None`): it redraws axis text grey (#808495, 3.8:1 on
    white, and never black in presenter mode), shrinks tick labels and sets the title's font without
    the CJK families; `style` already sets all of these for the room."""
    return where.plotly_chart(fig, key=key, config=export_config(name, settings), theme=None, **kwargs)


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    """Fonts for the room (presenter mode: larger, black), a title at the top left and the legend
    below it, never over it.

    Title and legend are placed in the figure's own coordinates (`yref="container"`): the legend
    starts under the title's line, and Plotly reserves the room it takes above the plot, however many
    rows it wraps to (a narrow column, presenter fonts, Chinese names); a margin fixed for one row
    let a wrapped legend run over the title."""
    size, height = chart_font_size(), chart_height(height)
    title_px = round(TITLE_SCALE * size * 1.3) + 14 if title else 0  # the title's line and its padding
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=title_px + 12, b=10),
                      title=dict(text=title, x=0, xanchor="left", y=1, yanchor="top", yref="container", pad=dict(t=8),
                                 font=dict(size=round(TITLE_SCALE * size))) if title else None,
                      legend=dict(orientation="h", x=0, xanchor="left", yref="container", yanchor="top",
                                  y=1 - title_px / height),
                      font=dict(size=size, color=chart_text_color(), family=FONT_FAMILY))
    return fig


SI = {3: "k", 6: "M", 9: "G", 12: "T"}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(exponent: int) -> str:
    """10**exponent as people read it: 1k, 10k, 1M above a thousand, 0.1, 0.01, 0.001 below one
    (Plotly's "~s" wrote 100m and 10µ there: milli, read as million), 10⁻⁴ below that."""
    if 3 <= exponent < 15:
        return f"{10 ** (exponent % 3)}{SI[exponent - exponent % 3]}"
    if -3 <= exponent < 3:
        return f"{10.0 ** exponent:.{max(0, -exponent)}f}"
    return "10" + str(exponent).translate(SUPERSCRIPT)


def readable_log(axis: dict, values: Sequence[float] = ()) -> dict:
    """A log axis with a tick per power of ten over `values`, each written by `power_label`."""
    positive = [float(v) for v in values if v == v and v > 0]  # v == v: not NaN
    if not positive:
        return {**axis, "type": "log", "dtick": 1, "tickformat": "~s"}
    decades = range(math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive))) + 1)
    return {**axis, "type": "log", "tickvals": [10.0 ** e for e in decades],
            "ticktext": [power_label(e) for e in decades]}


def lines(series: dict[str, tuple[Sequence[float], Sequence[float]]], *, x_title: str, y_title: str,
          log_x: bool = False, log_y: bool = False, markers: bool | None = None, height: int = 380,
          title: str | None = None) -> go.Figure:
    """One line per series, each with its own colour, dash and marker. Built from graph objects, not
    plotly.express, which validates a whole template into every figure: 4-5 times the build time
    (14 ms against 70, styling included)."""
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(series.items()):
        with_markers = len(xs) <= 60 if markers is None else markers
        fig.add_scatter(x=list(xs), y=list(ys), name=name, mode="lines+markers" if with_markers else "lines",
                        line=dict(color=COLORS[i % len(COLORS)], dash=DASHES[i % len(DASHES)]),
                        marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)]))
    xs_all = [x for xs, _ in series.values() for x in xs]
    ys_all = [y for _, ys in series.values() for y in ys]
    fig.update_xaxes(**(readable_log({"title": x_title}, xs_all) if log_x else {"title": x_title}))
    fig.update_yaxes(**(readable_log({"title": y_title}, ys_all) if log_y else {"title": y_title}))
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
    fig.update_yaxes(title=y_title, autorange="reversed", scaleanchor="x" if square else None,
                     constrain="domain" if square else None)  # else a narrow plot stretches the rows' range
    return style(fig, height=height, title=title)
