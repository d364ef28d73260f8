"""Token chips: each token a coloured box, whitespace made visible (one convention on every page,
`core.tokenizers.display`), id and bytes on hover. Everything is escaped (`app.components.html`)."""

from __future__ import annotations

from typing import Iterable

from app.components.html import escape, show_html
from core.tokenizers.display import visible

PALETTE = ("#e0e7ff", "#fde68a", "#bbf7d0", "#fecaca", "#bae6fd", "#f5d0fe", "#fed7aa", "#d9f99d")
STYLE = ("display:inline-block;margin:2px 1px;padding:1px 5px;border-radius:5px;"
         "font-family:'Source Code Pro',monospace;font-size:0.9em;line-height:1.6;white-space:pre;"
         "border:1px solid rgba(0,0,0,0.08);color:#111827")


CHIP_CLASS = "npchip"  # the chips' style is one rule (with one per colour), not repeated in every chip
CHIP_CSS = (f".{CHIP_CLASS}{{{STYLE}}}"
            + "".join(f".{CHIP_CLASS}{i}{{background:{color}}}" for i, color in enumerate(PALETTE)))


def chips_html(tokens: Iterable[tuple[str, str]]) -> str:
    """HTML for (shown text, hover text) pairs; everything escaped. The style is written once, in
    a class: inline on each chip it was most of the markup (2,000 chips: 596 kB inline, 176 kB so)."""
    spans = [f'<span class="{CHIP_CLASS} {CHIP_CLASS}{i % len(PALETTE)}" title="{escape(hover)}">'
             f"{escape(visible(shown)) or '&#8203;'}</span>" for i, (shown, hover) in enumerate(tokens)]
    return f'<style>{CHIP_CSS}</style><div style="line-height:2">{"".join(spans)}</div>'


def show_chips(tokens: Iterable[tuple[str, str]]) -> None:
    show_html(chips_html(tokens))


def _indigo(weight: float) -> str:
    """A chip's background for a weight in 0..1: deeper is more. Capped at 0.68 so the dark text
    keeps 5.4:1 contrast on the deepest shade (WCAG asks 4.5:1; at 0.78 it was 4.4:1)."""
    return f"rgba(79,70,229,{0.08 + 0.6 * weight:.2f})"


def faded_html(words: Iterable[str], opacities: Iterable[float], hovers: Iterable[str]) -> str:
    """Words as chips, each chip as deep as its weight (0..1): how likely a word is to be kept. The
    text itself stays opaque: faded text (down to 0.2) could not be read (1.3:1 contrast)."""
    spans = [f'<span class="{CHIP_CLASS}" title="{escape(hover)}" style="background:{_indigo(opacity)}">'
             f"{escape(visible(word))}</span>" for word, opacity, hover in zip(words, opacities, hovers)]
    return f'<style>{CHIP_CSS}</style><div style="line-height:2">{"".join(spans)}</div>'


def surprisal_html(tokens: list[str], surprisal: list[float], *, scale: float = 6.0,
                   first: str = "first token: no prediction", hover: str = "{nats:.2f} nats · p = {p:.3f}") -> str:
    """Tokens shaded by surprisal (nats): white is expected, deep red is a surprise. `first` and
    `hover` (a template with `nats` and `p`) are the hover texts, translated by the page."""
    spans = []
    for token, value in zip(tokens, surprisal):
        shade = 0.0 if value != value else min(1.0, value / scale)  # NaN (first token): no colour
        hover_text = first if value != value else hover.format(nats=value, p=2.718281828 ** -value)
        spans.append(f'<span class="{CHIP_CLASS}" title="{escape(hover_text)}" '
                     f'style="background:rgba(239,68,68,{shade:.2f})">{escape(visible(token))}</span>')
    return f'<style>{CHIP_CSS}</style><div style="line-height:2">{"".join(spans)}</div>'


def probability_html(tokens: list[str], probabilities: list[float]) -> str:
    """Generated tokens shaded by the probability the model gave them (darker: surer)."""
    spans = [f'<span class="{CHIP_CLASS}" title="{escape(f"p = {p:.3f}")}" style="background:{_indigo(p)}">'
             f"{escape(visible(t))}</span>" for t, p in zip(tokens, probabilities)]
    return f'<style>{CHIP_CSS}</style><div style="line-height:2">{"".join(spans)}</div>'
