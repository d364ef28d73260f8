"""Transformer anatomy: FlashAttention computed tile by tile; positional encodings, norms, activations
and attention variants, each drawn and then trained side by side.

Each tab reads its widgets (drawn from the settings `core.views.anatomy` declares), makes one call
into that module (through `app.memo.anatomy` where it costs time), and draws what comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import user_errors
from app.components.training import trained_all
from app.figures import anatomy as figures
from app.i18n import t
from app.memo import anatomy as memo
from core.anatomy.experiments import EXPERIMENTS, VariantResult
from core.views import anatomy as view

st.title(t("Transformer anatomy"))
st.caption(t("The parts inside a transformer block, each computed here and then swapped one at a time in a tiny "
             "model trained on the same data, budget and seed: what the part changes is measured, not asserted."))


def _table(rows: list[dict]) -> None:
    st.dataframe(pd.DataFrame([{t(column): value for column, value in row.items()} for row in rows]),
                 hide_index=True, width="stretch")


def _experiment(name: str) -> list[VariantResult] | None:
    """The experiment's question, budget, warnings and Train button (with its expected time); its
    results once trained."""
    experiment = EXPERIMENTS[name]
    st.markdown(t("**{title}: trained.** {question}", title=t(experiment.title), question=t(experiment.question)))
    a, b = st.columns(2)
    steps = controls.steps(view.BUDGETS[name], where=a)
    seed = controls.number(view.SEEDS[name], where=b)
    plan = view.plan(name, int(steps), int(seed))
    for template, fields in plan.notes:
        messages.warning(t(template, **fields))
    results = trained_all(plan.specs, key=f"an_{name}", labels=plan.labels,
                          label=t("Train the {count} variants", count=len(plan.specs)),
                          help=t("Each variant trains on Tiny Shakespeare (characters) with the same data, budget and "
                                 "seed; results are cached for everyone."))
    if results:
        _table(view.summary(name, results))
    return results


def _validation(results: list[VariantResult], key: str, name: str, where=st) -> None:
    charts.show(charts.lines(view.validation_curves(results), x_title=t("step"),
                             y_title=t("validation loss (nats / character)"), height=340,
                             title=t("Validation loss while training")), key=key, name=name, where=where)


def flash_tab() -> None:
    a, b, c = st.columns(3)
    n = int(controls.slider(view.LENGTH, where=a))
    block = int(controls.steps(view.BLOCK, where=b))
    causal = controls.toggle(view.CAUSAL, where=c)
    tile = int(controls.slider(view.TILE, high=view.tile_count(n, block) - 1))
    with user_errors():
        result = memo.flash(n, block, causal, tile)
        left, right = st.columns(2)
        right.metric(t("Largest difference from standard attention"), f"{result.error:.2e}")  # the grid starts higher
        charts.show(figures.tiles(result, title=t("Tile {tile}: what has been computed", tile=tile)), key="an_tiles",
                    name="flash-tiles", settings=(n, block, causal, tile), where=left)
        left.caption(t("Grey: not computed yet. Light blue (✓): computed earlier. Dark blue (●): computed now. "
                       "Red (×): above the causal diagonal, every score masked, so never computed."))
        with right:
            if result.step.skipped:
                messages.info(t("Above the causal diagonal: every score is masked, so the tile is never computed."))
            else:
                st.dataframe(pd.DataFrame({t("running max m"): result.step.running_max,
                                           t("running sum l"): result.step.running_sum}), width="stretch")
                st.caption(t("Each new tile rescales the accumulated output by exp(m_old - m_new)."))
    traffic = memo.traffic()
    charts.show(charts.lines({t(k): (traffic.lengths, v) for k, v in traffic.extra_memory.items()},
                             x_title=t("sequence length"), y_title=t("bytes (fp16, one head)"), log_x=True, log_y=True,
                             height=320, title=t("Extra memory: the n x n score matrix vs two numbers per row")),
                key="an_memory", name="flash-extra-memory")
    charts.show(charts.lines({t(k): (traffic.lengths, v) for k, v in traffic.moved.items()},
                             x_title=t("sequence length"), y_title=t("bytes moved to and from HBM"), log_x=True,
                             log_y=True, height=320,
                             title=t("Memory traffic (FlashAttention paper, Theorem 2; head size 64, 100 KB SRAM)")),
                key="an_traffic", name="flash-memory-traffic")


def positions_tab() -> None:
    a, b = st.columns(2)
    n = int(controls.slider(view.POSITIONS, where=a))
    d = int(controls.steps(view.DIMS, where=b))
    pictures = memo.encodings(n, d)
    left, right = st.columns(2)
    charts.show(charts.heatmap(pictures.table, x_title=t("dimension"), y_title=t("position"), colorscale="RdBu",
                               square=False, height=360, title=t("Sinusoidal encodings")),
                key="an_sin", name="sinusoidal-encodings", settings=(n, d), where=left)
    charts.show(charts.heatmap(pictures.similarity, x_title=t("position j"), y_title=t("position i"),
                               colorscale="Viridis", height=360,
                               title=t("Similarity of position i to j: a function of i - j")),
                key="an_sin_sim", name="sinusoidal-similarity", settings=(n, d), where=right)
    charts.show(charts.lines({"q · k": (pictures.offsets, pictures.rope_scores)}, x_title=t("distance"),
                             y_title="q · k", markers=False, height=320,
                             title=t("RoPE: a score depends only on the distance")),
                key="an_rope", name="rope-scores", settings=(n, d), where=left)
    charts.show(charts.heatmap(pictures.alibi, x_title=t("key"), y_title=t("query"), colorscale="Reds_r", height=320,
                               color_title=t("bias"), title=t("ALiBi: a bias that grows with distance (head 1 of 4)")),
                key="an_alibi", name="alibi-bias", where=right)
    st.divider()
    results = _experiment("positions")
    if results:
        data = view.extrapolation(results)
        left, right = st.columns(2)
        charts.show(charts.lines(data.by_context, x_title=t("evaluated context / trained context"),
                                 y_title=t("validation loss"), height=340,
                                 title=t("Extrapolation: trained on {context} characters",
                                         context=data.trained_context)),
                    key="an_extrapolation", name="positions-extrapolation", where=left)
        charts.show(figures.extrapolation_by_position(data, title=t("Loss by position, windows 4x the trained length")),
                    key="an_per_position", name="positions-loss-by-position", where=right)
        _validation(results, "an_positions_curves", "positions-validation")
        st.caption(t("A learned table has nothing trained beyond the training context (its rows there are still "
                     "random); sinusoids and rotations were never seen at those angles; ALiBi only ever sees "
                     "distances, and a longer window just adds more distant keys it already discounts."))


def norms_tab() -> None:
    st.markdown(t("Pre-Norm: `x + f(norm(x))`, then one norm before the output head. Post-Norm (the original "
                  "transformer): `norm(x + f(x))`. RMSNorm drops LayerNorm's mean subtraction and bias: "
                  "`x / rms(x) * g`."))
    results = _experiment("norms")
    if results:
        left, right = st.columns(2)
        charts.show(charts.lines(view.gradient_norms(results), x_title=t("layer (1 = nearest the input)"),
                                 y_title=t("gradient norm"), height=340,
                                 title=t("Gradient norm per layer at initialisation")),
                    key="an_norm_grads", name="norms-gradients", where=left)
        charts.show(charts.lines(view.training_curves(results), x_title=t("step"),
                                 y_title=t("training loss (10-step mean)"), height=340, title=t("Training loss")),
                    key="an_norm_curves", name="norms-training-loss", where=right)
        st.caption(t("At initialisation Post-Norm's gradients grow toward the output layers, so one learning rate fits "
                     "no layer and, without a warm-up, training stalls; Pre-Norm keeps an identity path from the loss "
                     "to every layer."))


def activations_tab() -> None:
    curves = memo.activations()
    left, right = st.columns(2)
    charts.show(charts.lines({t(k): (curves.x, v) for k, v in curves.values.items()}, x_title="x", y_title="f(x)",
                             height=340, title=t("Activations")), key="an_act_values", name="activations", where=left)
    charts.show(charts.lines({t(k): (curves.x, v) for k, v in curves.slopes.items()}, x_title="x", y_title="f'(x)",
                             height=340, title=t("Derivatives (by autograd)")), key="an_act_slopes",
                name="activation-derivatives", where=right)
    st.caption(t("ReLU's gradient is 0 or 1; GELU and Swish are smooth and let a little negative signal through; a "
                 "gated unit multiplies two projections, so its output can grow quadratically. Gated MLPs here are "
                 "8/3 wide instead of 4x, so every variant has the same number of parameters."))
    results = _experiment("activations")
    if results:
        _validation(results, "an_act_curves", "activations-validation")


def attention_tab() -> None:
    a, b, c = st.columns(3)
    heads = int(controls.steps(view.QUERY_HEADS, where=a))
    width = int(controls.steps(view.WIDTH, where=b))
    context = int(controls.steps(view.CONTEXT, where=c))
    with user_errors():
        _table(view.attention_variants(heads, width, context))
    st.caption(t("Sharing key/value heads shrinks the cache (and the K/V projections) in proportion."))
    results = _experiment("attention")
    if results:
        _validation(results, "an_variant_curves", "attention-variants-validation")


controls.tabs(view.TAB, {"flash": flash_tab, "positions": positions_tab, "norms": norms_tab,
                         "activations": activations_tab, "attention": attention_tab})
