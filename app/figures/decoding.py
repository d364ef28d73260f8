"""Figures of the decoding page: plain data in (from `core.views.decoding`), a figure out."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from app.components.charts import COLORS, style
from app.components.html import escape
from app.i18n import t
from core.tokenizers.display import visible
from core.views.decoding import STATUSES, BeamTree

# each status has a colour and a marker of its own, and its name in the legend (never colour alone)
TREE_STYLE = {"prompt": ("#111827", "square"), "running": (COLORS[0], "circle"),
              "finished": (COLORS[2], "star"), "pruned": ("rgba(130,130,130,0.7)", "x")}


def _plain(token: str) -> str:
    """A token as Plotly text: whitespace made visible, and escaped (Plotly reads tags such as <a> in
    text; a prompt or a generated token is not markup)."""
    return escape(visible(token))


def _ranked(tokens: Sequence[str]) -> list[str]:
    """Axis labels that stay distinct when two tokens read the same: rank, then the token."""
    return [f"{i + 1}. {_plain(token)}" for i, token in enumerate(tokens)]


def beam_tree(tree: BeamTree, *, height: int = 520) -> go.Figure:
    """Beam search as a tree: x is the step, each beam's candidates grouped below it; kept, finished
    and pruned candidates differ in colour, marker and legend entry."""
    fig = go.Figure()
    nodes = tree.nodes
    for status, (color, symbol) in TREE_STYLE.items():
        edges_x, edges_y = [], []
        chosen = [n for n in nodes if n.status == status]
        for node in chosen:
            if node.parent >= 0:
                parent = nodes[node.parent]
                edges_x += [parent.x, node.x, None]
                edges_y += [parent.y, node.y, None]
        if edges_x:
            fig.add_scatter(x=edges_x, y=edges_y, mode="lines", line=dict(color=color, width=1), hoverinfo="skip",
                            showlegend=False, legendgroup=status)
        if chosen:
            fig.add_scatter(
                x=[n.x for n in chosen], y=[n.y for n in chosen], mode="markers+text", name=t(STATUSES[status]),
                legendgroup=status, marker=dict(color=color, symbol=symbol, size=10 if status != "prompt" else 12),
                text=[_plain(n.token[-12:]) for n in chosen], textposition="middle right",
                hovertext=[t("{token} · log p {logprob:.3f} · total {score:.3f} · {status}", token=_plain(n.token),
                             logprob=n.logprob, score=n.score, status=t(STATUSES[status])) for n in chosen],
                hoverinfo="text")
    fig.update_xaxes(title=t("step"), dtick=1, range=[-0.3, tree.upto + 1.8])
    fig.update_yaxes(title=t("candidates, grouped under the beam they extend"), showticklabels=False,
                     autorange="reversed")
    return style(fig, height=height, title=t("Beam search, steps 0 to {upto} of {steps}", upto=tree.upto,
                                             steps=tree.steps - 1))


def distribution_bars(tokens: Sequence[str], probabilities: Sequence[float], *, title: str,
                      chosen: int | None = None, height: int = 320) -> go.Figure:
    """Next-token probabilities, most likely first; the chosen token marked by colour and by a label."""
    colors = [COLORS[3] if i == chosen else COLORS[0] for i in range(len(tokens))]
    labels = [t("▼ sampled") if i == chosen else "" for i in range(len(tokens))]
    fig = go.Figure(go.Bar(x=_ranked(tokens), y=list(probabilities), marker_color=colors, text=labels,
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}<br>p = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=t("next token, likeliest first"), tickangle=-60, showticklabels=len(tokens) <= 40)
    fig.update_yaxes(title=t("probability"), range=[0, max(probabilities) * 1.15 if len(probabilities) else 1])
    return style(fig, height=height, title=title)


def token_probabilities(tokens: Sequence[str], probabilities: Sequence[float], *, height: int = 260) -> go.Figure:
    """The probability the model gave each generated token, in order (the chips' shading, as numbers)."""
    fig = go.Figure(go.Bar(x=list(range(1, len(tokens) + 1)), y=list(probabilities), marker_color=COLORS[0],
                           hovertext=[_plain(token) for token in tokens],
                           hovertemplate="%{x}: %{hovertext}<br>p = %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title=t("generated token"))
    fig.update_yaxes(title=t("probability"), range=[0, 1])
    return style(fig, height=height, title=t("How sure the model was of each token it generated"))


def drawn_counts(drawn: Sequence[tuple[str, int]], draws: int, *, height: int = 260) -> go.Figure:
    """How often each token came out of the seeded draws."""
    fig = go.Figure(go.Bar(x=_ranked([token for token, _ in drawn]), y=[count for _, count in drawn],
                           marker_color=COLORS[1]))
    fig.update_xaxes(title=t("drawn token, most frequent first"), tickangle=-60)
    fig.update_yaxes(title=t("times drawn"))
    return style(fig, height=height, title=t("{draws} seeded draws at this temperature", draws=draws))
