"""Figures of the metrics page: plain data in (from `core.views.metrics`), a figure or escaped HTML out.

What a chip counts as is said by a symbol and a hover text as well as by its colour.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from app.components.charts import COLORS, bar_marker, style
from app.components.html import escape
from app.components.tokens import STYLE
from app.i18n import t
from core.tokenizers.display import visible
from core.views.metrics import STATUSES, Chip, Comparison

NGRAM_STYLE = {"matched": ("#bbf7d0", "✓"), "clipped": ("#fde68a", "⊘"), "unmatched": ("#fecaca", "✗")}
LCS_STYLE = {True: ("#bbf7d0", "✓"), False: ("#f3f4f6", "")}


def _chip(text: str, background: str, symbol: str, hover: str) -> str:
    shown = f"{symbol} {visible(text)}" if symbol else visible(text)
    return f'<span title="{escape(hover)}" style="{STYLE};background:{background}">{escape(shown)}</span>'


def legend() -> str:
    """The chips' symbols in words."""
    return " · ".join(f"{symbol} {t(STATUSES[status])}" for status, (_, symbol) in NGRAM_STYLE.items())


def ngram_chips(label: str, chips: Sequence[Chip], *, more: int = 0) -> str:
    """One order's n-grams in order, each marked ✓ matched, ⊘ clipped or ✗ unmatched."""
    spans = "".join(_chip(chip.text, NGRAM_STYLE[chip.status][0], NGRAM_STYLE[chip.status][1],
                          t(STATUSES[chip.status])) for chip in chips) or f"<i>{escape(t('none'))}</i>"
    rest = f" <i>{escape(t('... and {count} more', count=more))}</i>" if more > 0 else ""
    return f'<div style="line-height:2"><b>{escape(label)}</b> {spans}{rest}</div>'


def lcs_chips(label: str, tokens: Sequence[tuple[str, bool]], *, more: int = 0) -> str:
    """Tokens of one text, those in the longest common subsequence marked ✓."""
    hovers = {True: t("in the longest common subsequence"), False: t("not in it")}
    spans = "".join(_chip(token, LCS_STYLE[inside][0], LCS_STYLE[inside][1], hovers[inside])
                    for token, inside in tokens)
    rest = f" <i>{escape(t('... and {count} more', count=more))}</i>" if more > 0 else ""
    return f'<div style="line-height:2"><b>{escape(label)}</b> {spans}{rest}</div>'


def chrf_orders(rows: Sequence[dict], *, title: str, height: int = 320) -> go.Figure:
    """Precision and recall of each n-gram order (characters, then words)."""
    labels = [t("{unit} {n}", unit=t(row["unit"]), n=row["n"]) for row in rows]
    fig = go.Figure()
    for i, (key, name) in enumerate((("precision", t("precision")), ("recall", t("recall")))):
        fig.add_bar(x=labels, y=[row[key] for row in rows], name=name, marker=bar_marker(i),
                    hovertemplate="%{x}<br>" + name + " %{y:.1f}%<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=t("n-gram order"))
    fig.update_yaxes(title=t("percent"), range=[0, 105])
    return style(fig, height=height, title=title)


def systems(comparisons: Sequence[Comparison], *, height: int = 320) -> go.Figure:
    """Each system's score with its 95% bootstrap interval, per metric."""
    fig = go.Figure()
    for i, (name, score, ci) in enumerate(((t("system A"), "a_mean", "a_ci"), (t("system B"), "b_mean", "b_ci"))):
        fig.add_bar(x=[t(c.metric) for c in comparisons], y=[getattr(c, score) for c in comparisons], name=name,
                    marker=bar_marker(i), error_y=dict(type="data", array=[getattr(c, ci) for c in comparisons]))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=t("metric"))
    fig.update_yaxes(title=t("score over the resamples (mean ± 95% interval)"))
    return style(fig, height=height, title=t("Two systems on the same segments, resampled"))


def surprisal_bars(tokens: Sequence[str], nats: Sequence[float], *, height: int = 280) -> go.Figure:
    """Each token's surprisal in order (the chips' shading, as numbers)."""
    fig = go.Figure(go.Bar(x=list(range(len(tokens))), y=list(nats), marker_color=COLORS[3],
                           hovertext=[escape(visible(token)) for token in tokens],  # Plotly reads tags in text
                           hovertemplate="%{x}: %{hovertext}<br>%{y:.2f} nats<extra></extra>"))
    fig.update_xaxes(title=t("token position"))
    fig.update_yaxes(title=t("surprisal (nats)"))
    return style(fig, height=height, title=t("Surprisal of each token given the ones before it"))
