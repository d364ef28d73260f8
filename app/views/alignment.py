"""Fine-tuning & alignment: SFT, a reward model, RLHF with PPO, DPO and LoRA, trained here on a tiny
language model towards a preference that a visible rule stands in for.

Each tab is one step of the chain: it draws its own settings (declared in `core.views.alignment`),
builds its job from the steps before it (`view.chain`), trains it through the training panel (what
it builds on trains first, as part of the same job) and draws what the step's artifact holds.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import user_errors
from app.components.messages import literal
from app.components.training import duration, trained, trained_all
from app.figures import alignment as figures
from app.i18n import enumeration, language, t
from app.memo import alignment as memo
from app.models import manager, model_names, trained_specs
from core.i18n import N_
from core.views import alignment as view
from core.views.decoding import lm_options

st.title(t("Fine-tuning & alignment"))
st.caption(t("What happens after pre-training, run on the playground's own tiny language model: supervised "
             "fine-tuning, a reward model learned from rankings, RLHF with PPO, DPO and LoRA. A visible rule plays "
             "the human labeller, so every step can be checked against the preference it was meant to teach."))

LMS = lm_options(trained_specs("lm"))


def _chain() -> view.Chain:
    """Every step's job for the settings now in the session (and notes on values fitted to the base model)."""
    chain = view.chain(st.session_state, LMS, language())
    for template, fields in chain.notes:
        messages.info(t(template, **fields))
    return chain


def _controls(*drawn: tuple) -> None:
    """A step's settings side by side: (control, param) pairs."""
    for column, (draw, param) in zip(st.columns(len(drawn)), drawn):
        draw(param, where=column)


PARAMETER_WORDS = {"shorter": N_("shorter"), "longer": N_("longer")}  # a rule's parameters that are words of ours


def _rule_words(chain: view.Chain) -> str:
    """The rule in words, as plain text (its parameter is what a user typed)."""
    params = {name: t(PARAMETER_WORDS.get(value, value)) if isinstance(value, str) else value
              for name, value in dict(chain.rule.params).items()}
    return t(chain.rule.kind.description, **params)


def _rule(chain: view.Chain) -> str:
    """The rule in words, as Markdown that shows its parameter literally."""
    return literal(_rule_words(chain))


def _step(chain: view.Chain, step: str, label: str):
    """The step's artifact, or None after the training panel; first, what it builds on that is not trained."""
    needs = view.needs(manager(), chain, step)
    if needs.steps:
        messages.info(t("This step builds on {steps}, not trained yet: they train first, as part of this job, "
                        "{time} more.", steps=enumeration(t(view.STEP_NAMES[s]) for s in needs.steps),
                        time=duration(needs.seconds)))
    return trained(chain.specs[step], key=f"al_train_{step}", label=label)


def _built(step: str, label: str):
    """The chain for the session's settings and the step's artifact, or None after the training panel."""
    chain = _chain()
    artifact = _step(chain, step, label)
    return None if artifact is None else (chain, artifact)


def _cached(chain: view.Chain, step: str):
    """A step's artifact when it is trained already (never trains)."""
    return _cached_spec(chain.specs[step])


def _cached_spec(spec):
    job = manager().lookup(spec) if manager().store.has(spec) else None
    return job.result if job is not None and job.result is not None else None


def _papers(tab: str) -> None:
    for paper in view.papers(tab):
        st.caption(t("{step}: [{title}]({url})", step=t(paper.step), title=paper.title, url=paper.url))


def _samples(rows: list[dict], step_name: str) -> None:
    st.dataframe(pd.DataFrame([{**({"β": r["beta"]} if "beta" in r else {}), step_name: r["step"],
                                t("sample"): r["text"], t("rule score"): r["rule_score"]} for r in rows]),
                 hide_index=True, width="stretch",
                 column_config={t("rule score"): st.column_config.NumberColumn(format="%.2f")})


def _ranked(groups: list[view.RankedGroup]) -> None:
    for group in groups:
        st.caption(t("Prompt: {prompt}", prompt=literal(group.prompt)))
        rows = [{t("rank"): rank + 1, t("rule score"): score, **({t("reward"): group.rewards[rank]}
                                                                 if group.rewards is not None else {}),
                 t("response"): text} for rank, (text, score) in enumerate(zip(group.responses, group.scores))]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={t("rule score"): st.column_config.NumberColumn(format="%.2f"),
                                    t("reward"): st.column_config.NumberColumn(format="%.2f")})


# ---- overview & comparison -----------------------------------------------------------------------
def overview_tab() -> None:
    st.markdown(t("InstructGPT's recipe in three steps, then two later ones: **SFT** (fine-tune on demonstrations), "
                  "a **reward model** (learn the labellers' rankings), **RLHF with PPO** (optimise against the reward "
                  "model, held near the SFT model by a KL penalty); **DPO** learns from the same rankings without a "
                  "reward model, and **LoRA** fine-tunes through small adapters. Each tab is one step; its job trains "
                  "what it needs first."))
    st.markdown(t("**What a tiny character model can show**: behaviour moving towards a preference, the reward model "
                  "agreeing with the rule or not, the KL cost of each method, reward hacking when nothing holds the "
                  "policy back, and what LoRA saves. **What it cannot**: following instructions or answering "
                  "questions in the ChatGPT sense. It continues text like its corpus, one character at a time, and the "
                  "'preference' is a rule about characters, words and lines, not helpfulness or honesty."))
    with user_errors():
        chain = _chain()
        st.caption(t("The preference: {rule}.", rule=_rule(chain)))
        rows = view.status(manager(), chain, list(view.STEP_NAMES))
        st.dataframe(pd.DataFrame([{t("stage"): t(view.STEP_NAMES[r.step]),
                                    t("state"): t("trained") if r.trained else t("not trained: {time}",
                                                                                 time=duration(r.seconds))}
                                   for r in rows]), hide_index=True, width="stretch")
        st.subheader(t("The true rule score against the distance from SFT"))
        evaluated = _step(chain, "evaluation", t("Train the chain and compare"))
        if evaluated is not None:
            _comparison(view.comparison(evaluated), chain)
    _papers("overview")


def _comparison(result: view.Comparison, chain: view.Chain) -> None:
    fig = figures.rule_vs_kl(result.methods, result.best_of, best_of_name=t("best-of-n from SFT"),
                             n_label=t("n = {n}"), x_title=t("KL from the SFT model (nats per response)"),
                             y_title=t("true rule score"), title=t("Rule score bought with KL: PPO, DPO and best-of-n"))
    charts.show(fig, key="al_compare", name="rule-score-vs-kl", settings=(chain.rule.name,))
    st.caption(t("The same {prompts} held-out prompts for every method; bars: one standard deviation across {seeds} "
                 "sampling seeds. Best-of-n keeps the reward model's favourite of n samples of the SFT model; its KL "
                 "is log n − (n − 1)/n.", prompts=result.prompts, seeds=result.seeds))
    table = pd.DataFrame([{t("method"): r["method"] or t("best-of-{n}", n=r["n"]),
                           t("rule score"): r["rule_score"], t("± (seeds)"): r["rule_score_std"],
                           t("KL from SFT"): r["kl"], t("reward"): r["reward"],
                           t("SFT's surprise (nats/token)"): r["surprise"], t("repeated 4-grams"): r["repetition"],
                           t("a sample"): r["example"]} for r in result.table])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={**{c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[1:-1]},
                                table.columns[-1]: st.column_config.TextColumn(width="large")})


# ---- 1 · base model ------------------------------------------------------------------------------
def base_tab() -> None:
    controls.select(view.BASE, options=[spec.key for spec in LMS], names=model_names(LMS))
    st.caption(t("The language model of the attention page, trained from scratch on a corpus. Any model trained there "
                 "can be the base here; every later step starts from it."))
    with user_errors():
        lm = trained(view.base_of(st.session_state, LMS, language()), key="al_train_base",
                     label=t("Train the base model"))
        if lm is None:
            return
        base = view.base_model(lm)
        a, b, c = st.columns(3)
        a.metric(t("Parameters"), f"{base.parameters:,}")
        b.metric(t("Validation loss"), "-" if base.val_loss is None else t("{loss:.3f} nats", loss=base.val_loss))
        c.metric(t("Context"), t("{tokens} tokens", tokens=base.context))
        if base.sample is not None:
            st.markdown(t("**Its last sample while training**: it continues text; it does not follow instructions."))
            st.text(base.sample)


# ---- 2 · preference ------------------------------------------------------------------------------
def rule_tab() -> None:
    a, b = st.columns(2)
    name = controls.select(view.RULE, where=a)
    parameter = view.RULE_PARAMS[name]
    if parameter is view.PREFER:
        controls.radio(parameter, where=b)
    else:
        controls.text(parameter, where=b)
    st.markdown(t("The **labeller** is this rule: it scores each response from 0 to 1, ranks the K responses to a "
                  "prompt by score and breaks ties by a coin flip, as a person who cannot tell two answers apart "
                  "would. Because the rule is known exactly, every later step can be checked against it."))
    with user_errors():
        chain = _chain()
        st.markdown(t("**Preference to teach**: {rule}.", rule=_rule(chain)))
        lm = _step(chain, "base", t("Train the base model"))
        if lm is None:
            return
        k = chain.k
        groups = memo.ranked_examples(lm, lm.key, chain.specs["base"].corpus, chain.rule, k, chain.specs["sft"])
        st.markdown(t("**Ranked by the rule**: {k} samples of the base model for each of {prompts} prompts, best "
                      "first (K is set in step 4; the reward model learns from the SFT model's samples ranked the same "
                      "way).", k=k, prompts=len(groups)))
        _ranked(groups)
    _papers("rule")


# ---- 3 · SFT -------------------------------------------------------------------------------------
def sft_tab() -> None:
    controls.number(view.SFT_STEPS)
    st.markdown(t("Supervised fine-tuning on demonstrations: the corpus's own continuations that the rule scores "
                  "highest stand in for answers written by labellers. The loss is the next-token loss on the "
                  "**response tokens only**: the prompt conditions the model but is not learned."))
    with user_errors():
        built = _built("sft", t("Train SFT"))
        if built is None:
            return
        chain, tuned = built
        result = view.sft_view(tuned)
        a, b, c = st.columns(3)
        a.metric(t("Demonstrations"), f"{result.demonstrations:,}",
                 help=t("Their mean rule score: {score:.2f}", score=result.demonstration_score))
        b.metric(t("Rule score before"), f"{result.before:.3f}")
        c.metric(t("Rule score after"), f"{result.after:.3f}", f"{result.gain:+.3f}")
        left, right = st.columns(2)
        charts.show(charts.lines({t("training loss"): result.loss}, x_title=t("step"),
                                 y_title=t("loss on response tokens (nats)"), markers=False, height=386,
                                 title=t("SFT loss")), key="al_sft_loss", name="sft-loss",
                    settings=(chain.rule.name,), where=left)
        charts.show(figures.panels({t("true rule score"): {t("SFT"): result.rule_score},
                                    t("KL from the base (nats)"): {t("SFT"): result.kl}}, x_title=t("step"),
                                   columns=1, row_height=150, title=t("Held-out samples while fine-tuning")),
                    key="al_sft_rule", name="sft-rule-score", settings=(chain.rule.name,), where=right)
        st.markdown(t("**Before and after**: the same held-out prompts and sampling seed."))
        before, after = t("score before"), t("score after")
        st.dataframe(pd.DataFrame([{before: r["before_score"], after: r["after_score"], t("prompt"): r["prompt"],
                                    t("base model"): r["before"], t("after SFT"): r["after"]} for r in result.samples]),
                     hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.2f") for c in (before, after)})
    _papers("sft")


# ---- 4 · reward model ----------------------------------------------------------------------------
def reward_tab() -> None:
    _controls((controls.slider, view.K), (controls.steps, view.PROMPTS), (controls.number, view.RM_STEPS))
    st.markdown(t("The SFT model answers each prompt K times; the rule ranks the answers. The reward model (the SFT "
                  "model with its output layer replaced by one number) learns the rankings with InstructGPT's loss: "
                  "−log σ(r_better − r_worse), averaged over the K·(K−1)/2 pairs of a prompt. Its rewards are then "
                  "shifted and scaled to mean 0 and standard deviation 1 on the SFT model's samples."))
    with user_errors():
        built = _built("reward", t("Train the reward model"))
        if built is None:
            return
        chain, result = built
        found = trained_all([chain.specs["preferences"], chain.specs["sft"]], key="al_train_rankings")
        if found is None:  # evicted from the cache since the reward model trained
            return
        preferences, sft = found
        shown = memo.reward_view(result, preferences, sft.tokenizer, chain.specs["reward"].key)
        a, b, c = st.columns(3)
        a.metric(t("Held-out pair accuracy"), f"{shown.pair_accuracy:.1%}",
                 help=t("On {pairs:,} held-out pairs the rule really ordered (ties decided by the coin left out).",
                        pairs=shown.pairs_held_out))
        b.metric(t("Agreement with the rule (Spearman)"), f"{shown.spearman:.2f}",
                 help=t("Rank correlation of reward and rule score over every held-out response."))
        c.metric(t("Pairs trained on"), f"{shown.pairs_trained:,}",
                 help=t("{k} responses per prompt: {pairs} pairs each.", k=shown.k, pairs=shown.pairs_per_prompt))
        model = t("reward model")
        fig = figures.panels({t("ranking loss (nats)"): {model: shown.loss},
                              t("held-out pair accuracy"): {model: shown.accuracy},
                              t("Spearman with the rule"): {model: shown.agreement}},
                             x_title=t("step"), columns=3, row_height=240, title=t("Reward model while training"))
        charts.show(fig, key="al_rm_curves", name="reward-model-training", settings=(chain.rule.name, shown.k))
        charts.show(figures.reward_scatter(*shown.scatter, x_title=t("true rule score"),
                                           y_title=t("reward (standard deviations)"),
                                           title=t("Held-out responses: the reward model against the rule")),
                    key="al_rm_scatter", name="reward-vs-rule", settings=(chain.rule.name, shown.k))
        st.markdown(t("**Ranked groups the reward model trained on**, with its rewards beside the rule's scores:"))
        _ranked(shown.examples)
        _try_it(chain, result, preferences, sft)
    _papers("reward")


def _try_it(chain: view.Chain, result, preferences, sft) -> None:
    text = controls.text(view.TRY, placeholder=t("e.g. a response that would {rule}", rule=_rule_words(chain)))
    if not text:
        return
    scored = memo.score_text(result, preferences, sft.tokenizer, chain.specs["reward"].key, chain.rule, text,
                             sft.lm.config.block_size)
    st.caption(t("After the prompt: {prompt}", prompt=literal(scored.prompt)))
    a, b = st.columns(2)
    a.metric(t("Reward"), f"{scored.reward:+.2f}", help=t("In standard deviations of the SFT model's own samples."))
    b.metric(t("Rule score"), f"{scored.rule_score:.2f}")


# ---- 5 · PPO -------------------------------------------------------------------------------------
def _show_hacking() -> None:
    st.session_state.update(view.HACKING)


def ppo_tab() -> None:
    _controls((controls.slider, view.BETA), (controls.number, view.ROLLOUTS), (controls.toggle, view.PTX))
    st.button(t("Show reward hacking: set β = 0"), key="al_hacking", on_click=_show_hacking,
              icon=":material/warning:")
    st.markdown(t("Each rollout: the policy (a copy of the SFT model with a value head) answers 64 prompts; the reward "
                  "model scores each answer; every token pays β × (log π − log π_SFT); GAE turns that into advantages "
                  "and PPO takes clipped steps. With β = 0 nothing holds the policy near the SFT model: the reward "
                  "model's score climbs while the text falls apart, which the SFT model's surprise shows even where "
                  "the rule still scores high (gibberish can still avoid a letter or include a word)."))
    with user_errors():
        built = _built("ppo", t("Train PPO"))
        if built is None:
            return
        chain, tuned = built
        result = view.ppo_view(tuned, _cached_spec(view.partner(chain)))
        columns = st.columns(4)
        for column, metric in zip(columns, ("reward", "rule_score", "kl", "surprise")):
            places = 3 if metric == "rule_score" else 2  # as the other tabs show scores and nats
            column.metric(t(view.METRICS[metric]), f"{result.end[metric]:.{places}f}",
                          f"{result.change[metric]:+.{places}f}",
                          delta_color="off", help=t("Mean of the last rollouts; the change is from the first rollout "
                                                    "(the SFT model's own samples)."))
        if len(result.curves["kl"]) == 1:
            messages.info(t("Train the same run with β = 0 (or, at β = 0, with the default β) to see both runs here."))
        fig = figures.panels({t(view.METRICS[metric]): {t("β = {beta}", beta=beta): series
                                                        for beta, series in runs.items()}
                              for metric, runs in result.curves.items()},
                             x_title=t("rollout"), title=t("PPO rollout by rollout"))
        charts.show(fig, key="al_ppo_curves", name="ppo-curves", settings=(chain.rule.name, result.beta, result.ptx))
        st.markdown(t("**Samples as training goes** (training prompts):"))
        _samples(result.samples, t("rollout"))
    _papers("ppo")


# ---- 6 · DPO -------------------------------------------------------------------------------------
def dpo_tab() -> None:
    _controls((controls.slider, view.DPO_BETA), (controls.number, view.DPO_STEPS))
    st.markdown(t("DPO trains on the same ranked pairs, with the SFT model as the reference and no reward model: the "
                  "loss −log σ(β[(log π − log π_SFT)(better) − (log π − log π_SFT)(worse)]) raises the better "
                  "answer's likelihood against the worse one's. No sampling while training; the curves below sample "
                  "held-out prompts every few steps."))
    with user_errors():
        built = _built("dpo", t("Train DPO"))
        if built is None:
            return
        chain, tuned = built
        result = view.dpo_view(tuned, _cached(chain, "ppo"))
        a, b, c, d = st.columns(4)
        a.metric(t("Pairs"), f"{result.pairs:,}")
        b.metric(t("True rule score"), f"{result.final['rule_score']:.3f}")
        c.metric(t("KL from SFT"), f"{result.final['kl']:.2f}")
        d.metric(t("Implicit reward accuracy"), f"{result.final['reward_accuracy']:.0%}",
                 help=t("Share of the last batch's pairs where β(log π − log π_SFT) ranks the better answer higher."))
        fig = figures.panels({t("DPO loss (nats)"): {"DPO": result.loss},
                              t("implicit reward accuracy (training batch)"): {"DPO": result.accuracy}},
                             x_title=t("step"), row_height=260, lines={t("DPO loss (nats)"): view.DPO_START_LOSS},
                             title=t("DPO while training (dotted: log 2, where it starts)"))
        charts.show(fig, key="al_dpo_loss", name="dpo-training", settings=(chain.rule.name, result.beta))
        if "PPO" not in result.beside["kl"]:
            messages.info(t("Train PPO (step 5) to see its curves beside DPO's."))
        fig = figures.panels({t(view.METRICS[m]): series for m, series in result.beside.items()},
                             x_title=t("share of training done"), title=t("DPO beside PPO, on held-out prompts for "
                                                                          "DPO and training prompts for PPO"))
        charts.show(fig, key="al_dpo_beside", name="dpo-beside-ppo", settings=(chain.rule.name, result.beta))
        st.markdown(t("**Samples as training goes** (held-out prompts):"))
        _samples(result.samples, t("step"))
    _papers("dpo")


# ---- 7 · LoRA ------------------------------------------------------------------------------------
def lora_tab() -> None:
    _controls((controls.radio, view.LORA_OF), (controls.steps, view.RANK))
    with user_errors():
        controls.many(view.TARGETS, options=view.lora_options(view.base_of(st.session_state, LMS, language())))
        st.markdown(t("LoRA freezes every weight W and learns a low-rank update: W x + (α/r)·B A x, with A (r × in) "
                      "starting random and B (out × r) at zero, so the update starts at zero. After training, B A is "
                      "merged into W: a plain model again, with no extra cost at inference."))
        built = _built("lora", t("Train with LoRA"))
        if built is None:
            return
        chain, tuned = built
        result = view.lora_view(tuned, _cached(chain, chain.lora_of))
        a, b, c = st.columns(3)
        a.metric(t("Trainable parameters"), f"{result.trainable:,}",
                 t("{share:.2%} of {parameters:,}", share=result.share, parameters=result.parameters),
                 delta_color="off", delta_arrow="off")
        b.metric(t("Training memory"), f"{result.totals_mb['lora']:,.2f} MB",
                 t("full fine-tuning: {full:,.2f} MB", full=result.totals_mb["full"]), delta_color="off",
                 delta_arrow="off")
        c.metric(t("Merged vs adapted: max |logit difference|"), f"{result.merge_difference:.1e}",
                 help=t("B A added to W once instead of applied at every call: float rounding only."))
        fig = figures.memory_bars(result.memory, rows={"full": t("full fine-tuning"), "lora": t("LoRA")},
                                  parts={part: t(name) for part, name in view.MEMORY_PARTS.items()},
                                  value_label=t("{part}: {megabytes:,.2f} MB"),
                                  x_title=t("memory (MB)"), title=t("Training memory (mixed precision, AdamW)"))
        charts.show(fig, key="al_lora_memory", name="lora-memory", settings=(result.of, chain.config("lora")["r"]))
        st.caption(t("The memory page's accounting: 2 bytes per weight, and for what trains 2 bytes of gradient and 12 "
                     "of optimizer state (fp32 master weights and Adam's two moments). Activations are left out."))
        full = (t("full fine-tuning: {score:.3f}", score=result.full_rule_score) if result.full_rule_score is not None
                else t("full fine-tuning not trained yet"))
        st.markdown(t("**True rule score** with adapters: {score:.3f} ({full}).", score=result.rule_score, full=full))
    _papers("lora")


controls.tabs(view.TAB, {"overview": overview_tab, "base": base_tab, "rule": rule_tab, "sft": sft_tab,
                         "reward": reward_tab, "ppo": ppo_tab, "dpo": dpo_tab, "lora": lora_tab})
