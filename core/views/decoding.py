"""What the decoding page shows: one trained model continuing a prompt by greedy search, beam search
or sampling, with the beam tree or the sampling steps; the next-token distribution under a
temperature; and the methods compared on the same prompt.

Every length goes through one rule (`core.decoding.fit_to_context`), entropies come from
`core.decoding.entropy`, and every number leaves here rounded so that a page never shows "-0.000".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from core.corpora import shipped_corpora
from core.decoding import (ContextFit, DecodeResult, SamplingSettings, StepTrace, beam_search, entropy, fit_to_context,
                           greedy, sample, stages)
from core.decoding.compare import SAMPLES, MethodRow, compare_methods
from core.decoding.stepper import Stepper
from core.errors import UnknownName
from core.i18n import N_
from core.jobs import JobSpec
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec
from core.views.params import Choice, Number, Params, Text

MAX_NEW_TOKENS = 256  # new tokens per request, whatever the model's context allows
MAX_BEAMS = 8
TREE_FIRST_STEPS = 3  # the beam tree opens on steps 0..3: a readable tree, not every step at once
DRAWS = 500  # seeded draws in the temperature picture
DRAWN_SHOWN = 20  # the most frequent drawn tokens shown
SHOWN_TOKENS = 30  # tokens in a next-token distribution picture (as many as a sampling trace keeps)
DIGITS = 3  # decimals every number is rounded to

DEFAULT_LMS = (lm_spec(), lm_spec("chinese"))  # the first models, in English and in Chinese (the attention page's)
METHODS = {"greedy": N_("greedy"), "beam": N_("beam search"), "sampling": N_("sampling")}
STAGES = {"model": N_("the model's distribution"), "repetition penalty": N_("after the repetition penalty"),
          "temperature": N_("after temperature"), "top-k": N_("after top-k"), "top-p": N_("after top-p")}
STATUSES = {"prompt": N_("prompt"), "running": N_("kept"), "finished": N_("finished"), "pruned": N_("pruned")}

TAB = Choice("dec_tab", "generate", N_("Section"), options=("generate", "temperature", "compare"),
             names={"generate": N_("Generate"), "temperature": N_("Temperature"), "compare": N_("Compare methods")})
MODEL = Choice("dec_model", DEFAULT_LMS[0].key, N_("Model"), help=N_("Train more on the Language model page."),
               localized={"zh": DEFAULT_LMS[1].key})
PROMPT = Text("dec_prompt", "ROMEO:\n", N_("Prompt"), max_chars=200, localized={"zh": "我在年青時候"})
NEW = Number("dec_new", 40, N_("New tokens"), low=1, high=MAX_NEW_TOKENS,
             help=N_("At most the model's context minus one."))
METHOD = Choice("dec_method", "greedy", N_("Method"), options=tuple(METHODS), names=METHODS)
BEAMS = Number("dec_beams", 4, N_("Beams"), low=1, high=MAX_BEAMS)
LENGTH_PENALTY = Number("dec_lp", 1.0, N_("Length penalty"), low=-1.0, high=3.0, step=0.1, integer=False,
                       help=N_("A finished beam scores sum log p / length^penalty: above 0 favours longer ones."))
NO_REPEAT = Number("dec_ngram", 0, N_("No repeated n-gram (0: off)"), low=0, high=6)
TEMPERATURE = Number("dec_temp", 0.8, N_("Sampling temperature"), low=0.0, high=2.0, step=0.05, integer=False)
TOP_K = Number("dec_topk", 0, N_("Top-k (0: off)"), low=0, high=500)
TOP_P = Number("dec_topp", 1.0, N_("Top-p"), low=0.05, high=1.0, step=0.05, integer=False)
REPETITION = Number("dec_rep", 1.0, N_("Repetition penalty"), low=1.0, high=2.0, step=0.05, integer=False)
SEED = Number("dec_seed", 0, N_("Seed"), low=0, high=10_000)
TREE_STEP = Number("dec_tree_step", TREE_FIRST_STEPS, N_("Show steps up to"), low=0, high=MAX_NEW_TOKENS - 1)
STEP = Number("dec_step", 0, N_("Step"), low=0, high=MAX_NEW_TOKENS - 1)
LIVE_TEMPERATURE = Number("dec_live_temp", 1.0, N_("Temperature for this picture"), low=0.05, high=3.0, step=0.05,
                          integer=False, help=N_("Only this picture: the sampling settings are on the Generate tab."))
# In the order the session-vs-link check changes them: a setting that hides others (one new token: no
# steps to pick; another method: other settings; a model not trained yet: only the training panel) after them.
PARAMS = Params("dec_", [TAB, BEAMS, LENGTH_PENALTY, NO_REPEAT, TEMPERATURE, TOP_K, TOP_P, REPETITION, SEED, TREE_STEP,
                         STEP, LIVE_TEMPERATURE, PROMPT, NEW, METHOD, MODEL])


def first_models() -> list[JobSpec]:
    return list(DEFAULT_LMS)


def rounded(value: float, digits: int = DIGITS) -> float:
    """`value` rounded, a negative zero made positive: -0.0001 nats reads 0.000, not -0.000."""
    return round(float(value), digits) + 0.0


# ---- the model ----------------------------------------------------------------------------------
DEFAULT_NAME = N_("Default: {corpus}, characters, {steps} steps")
CHAR_NAME = N_("{corpus}, characters, {steps} steps, {layers} layers of width {width}, context {context}")
SUBWORD_NAME = N_("{corpus}, {algorithm} {vocab} tokens, {steps} steps, {layers} layers of width {width}, "
                  "context {context}")


def lm_options(trained: Sequence[JobSpec]) -> list[JobSpec]:
    """The models a page offers: the defaults first (trained on demand), then every trained one."""
    return [*DEFAULT_LMS, *(spec for spec in trained if spec not in DEFAULT_LMS)]


CORPUS_TITLES = {corpus.name: corpus.title for corpus in shipped_corpora()}


def lm_name(spec: JobSpec) -> tuple[str, dict[str, Any]]:
    """How a model is named in a picker: an English template (N_-marked) and its fields; a shipped
    corpus by its title (itself a phrase of ours, translated where it is shown)."""
    settings, config = spec.settings, LMConfig(**spec.settings["config"])
    fields = {"corpus": CORPUS_TITLES.get(spec.corpus, spec.corpus), "steps": settings["steps"],
              "layers": config.n_layer, "width": config.n_embd, "context": config.block_size}
    if spec in DEFAULT_LMS:
        return DEFAULT_NAME, fields
    tokenizer = settings["tokenizer"]
    if tokenizer == "char":
        return CHAR_NAME, fields
    return SUBWORD_NAME, {**fields, "algorithm": tokenizer["settings"].get("algorithm", ""),
                          "vocab": tokenizer["settings"].get("vocab_size", "")}


def lm_names(options: Sequence[JobSpec]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each option's key and its name (template, fields), for a picker whose options are keys."""
    return {spec.key: lm_name(spec) for spec in options}


def spec_of(key: str, options: Sequence[JobSpec]) -> JobSpec:
    for spec in options:
        if spec.key == key:
            return spec
    raise UnknownName("No model {key!r} is trained here.", key=key)


# ---- lengths ------------------------------------------------------------------------------------
def fitted(lm, prompt: str, max_new_tokens: int) -> tuple[ContextFit, list[tuple[str, dict]]]:
    """The prompt and new tokens fitted to the model's context, and a note for each change."""
    fit = fit_to_context(lm.encode(prompt), min(max_new_tokens, MAX_NEW_TOKENS), lm.config.block_size)
    notes = []
    if max_new_tokens > MAX_NEW_TOKENS:
        notes.append((N_("At most {limit:,} new tokens are generated per request: generating {limit:,} instead of "
                         "{requested:,}."), {"limit": MAX_NEW_TOKENS, "requested": max_new_tokens}))
    if fit.dropped:
        notes.append((N_("The prompt has {tokens:,} tokens and the model reads at most {block:,}: only its last "
                         "{kept:,} tokens are used, leaving room for one new token."),
                      {"tokens": fit.kept + fit.dropped, "block": lm.config.block_size, "kept": fit.kept}))
    if fit.max_new_tokens < fit.requested:
        notes.append((N_("{kept:,} prompt tokens leave room for {room:,} new token(s) in the model's context of "
                         "{block:,}: generating {room:,} instead of {requested:,}."),
                      {"kept": fit.kept, "room": fit.max_new_tokens, "block": lm.config.block_size,
                       "requested": fit.requested}))
    return fit, notes


def max_new_tokens(lm) -> int:
    """The largest number of new tokens worth offering for this model (a one-token prompt)."""
    return max(1, min(MAX_NEW_TOKENS, lm.config.block_size - 1))


# ---- generate -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Method:
    """A decoding method and its settings (the ones the method does not use are ignored)."""

    name: str = "greedy"  # greedy, beam or sampling
    beams: int = 4
    length_penalty: float = 1.0
    no_repeat: int = 0
    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 1.0
    repetition: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class Continuation:
    method: str
    prompt: str  # the prompt as the model read it (its end, when it was cut)
    tokens: list[str]  # the generated tokens, as text
    probabilities: list[float]  # the probability the model gave each generated token
    score: float  # sum of log-probabilities (beam search: divided by length^penalty)
    ranked: list[dict]  # beam search: rank, text, score of each returned sequence
    trace: list[StepTrace]
    token_text: dict[int, str]  # every token id in the trace, as text
    notes: list[tuple[str, dict]] = field(default_factory=list)


def _run(lm, fit: ContextFit, method: Method) -> DecodeResult:
    if method.name == "greedy":
        return greedy(lm.model, fit.ids, fit.max_new_tokens)
    if method.name == "beam":
        return beam_search(lm.model, fit.ids, num_beams=method.beams, max_new_tokens=fit.max_new_tokens,
                           length_penalty=method.length_penalty, no_repeat_ngram_size=method.no_repeat,
                           num_return_sequences=min(3, method.beams))
    if method.name == "sampling":
        return sample(lm.model, fit.ids, max_new_tokens=fit.max_new_tokens, temperature=method.temperature,
                      top_k=method.top_k, top_p=method.top_p, repetition_penalty=method.repetition, seed=method.seed)
    raise UnknownName("No decoding method {name!r}: use greedy, beam or sampling.", name=method.name)


def decode(lm, prompt: str, max_new: int, method: Method) -> Continuation:
    """The prompt continued by `method`, with its trace and what was changed to fit the context."""
    fit, notes = fitted(lm, prompt, max_new)
    if method.name == "sampling" and method.temperature == 0:
        notes.append((N_("Temperature 0 means always the likeliest token: that is greedy decoding."), {}))
    result = _run(lm, fit, method)
    start = fit.kept
    ids = {c["token"] for step in result.trace for c in step.candidates} | set(result.sequences[0][start:])
    ranked = [{"rank": i + 1, "text": lm.tokenizer.decode(seq[start:]), "score": rounded(score)}
              for i, (seq, score) in enumerate(zip(result.sequences, result.scores))]
    return Continuation(method.name, lm.tokenizer.decode(fit.ids[0].tolist()),
                        lm.tokens(torch.tensor(result.sequences[0][start:])),
                        [rounded(np.exp(lp)) for lp in result.token_logprobs[0]], rounded(result.scores[0]),
                        ranked if method.name == "beam" else [], result.trace,
                        dict(zip(sorted(ids), lm.tokens(torch.tensor(sorted(ids))))), notes)


# ---- the beam tree ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeNode:
    x: int  # 0 for the prompt, step + 1 for a candidate
    y: float  # leaves one apart in depth-first order; a parent midway between its first and last child
    parent: int  # index of the parent node (-1: the prompt)
    token: str
    status: str  # prompt, running (kept), finished, pruned
    logprob: float
    score: float  # cumulative log-probability


@dataclass(frozen=True)
class BeamTree:
    nodes: list[TreeNode]
    upto: int  # the last step drawn
    steps: int  # steps in the search


def beam_tree(continuation: Continuation, upto: int) -> BeamTree:
    """Every candidate of steps 0..upto laid out as a tree: x is the step, and each beam's
    descendants are drawn together below it (a depth-first order), best-scoring first."""
    trace = continuation.trace
    upto = max(0, min(upto, len(trace) - 1))
    raw: list[dict] = [{"x": 0, "parent": -1, "token": continuation.prompt, "status": "prompt", "logprob": 0.0,
                        "score": 0.0}]
    previous: list[int] | None = None  # the node of each beam going into this step (None: every beam is the prompt)
    for step in trace[:upto + 1]:
        first = len(raw)
        for candidate in step.candidates:
            raw.append({"x": step.step + 1, "parent": 0 if previous is None else previous[candidate["parent"]],
                        "token": continuation.token_text.get(candidate["token"], ""), "status": candidate["status"],
                        "logprob": rounded(candidate["logprob"]), "score": rounded(candidate["score"])})
        previous = [first + rank for rank in step.beams]
    children: dict[int, list[int]] = {}
    for index, node in enumerate(raw[1:], 1):
        children.setdefault(node["parent"], []).append(index)
    y = _depth_first_y(children, len(raw))
    return BeamTree([TreeNode(node["x"], y[i], node["parent"], node["token"], node["status"], node["logprob"],
                              node["score"]) for i, node in enumerate(raw)], upto, len(trace))


def _depth_first_y(children: dict[int, list[int]], count: int) -> list[float]:
    """Leaves at 0, 1, 2, ... in depth-first order; each parent midway between its first and last child."""
    y, leaves, stack, order = [0.0] * count, 0, [0], []
    while stack:  # pre-order, children in rank order
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children.get(node, [])))
    for node in order:
        if node not in children:
            y[node], leaves = float(leaves), leaves + 1
    for node in reversed(order):
        if node in children:
            y[node] = (y[children[node][0]] + y[children[node][-1]]) / 2
    return y


# ---- sampling, step by step ---------------------------------------------------------------------
@dataclass(frozen=True)
class SamplingStep:
    step: int
    steps: int
    tokens: list[str]  # the model's likeliest tokens at this step, most likely first
    stages: list[tuple[str, list[float]]]  # (English stage name, N_-marked; their probabilities)
    chosen: int | None  # index of the sampled token among `tokens` (None: beyond them)
    chosen_token: str
    entropy: float  # of the final distribution, nats


def sampling_step(continuation: Continuation, step: int) -> SamplingStep:
    """One sampling step: the distribution after each processor, and the token drawn from the last."""
    trace = continuation.trace[max(0, min(step, len(continuation.trace) - 1))]
    ids = [c["token"] for c in trace.candidates]
    return SamplingStep(trace.step, len(continuation.trace), [continuation.token_text[i] for i in ids],
                        [(STAGES.get(name, name), [rounded(p, 4) for p in probs]) for name, probs in
                         trace.distributions], ids.index(trace.chosen) if trace.chosen in ids else None,
                        continuation.token_text.get(trace.chosen, ""), rounded(trace.entropy))


# ---- temperature --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemperaturePicture:
    tokens: list[str]  # the likeliest next tokens at this temperature
    probabilities: list[float]
    entropy: float  # nats, of the whole distribution
    drawn: list[tuple[str, int]]  # the most frequent tokens among the seeded draws, with their counts
    draws: int
    notes: list[tuple[str, dict]] = field(default_factory=list)


def temperature_picture(lm, prompt: str, temperature: float, *, draws: int = DRAWS,
                        seed: int = 0) -> TemperaturePicture:
    """The next-token distribution after `prompt` divided by a temperature, and `draws` seeded draws from it."""
    fit, notes = fitted(lm, prompt, 1)
    logits = Stepper(lm.model).prefill(fit.ids)[0].cpu()  # (V,)
    scores = stages(logits, fit.ids[0], SamplingSettings(temperature=temperature).validate())[-1][1]
    probs = scores.softmax(-1).double().numpy()
    order = np.argsort(-probs, kind="stable")[:SHOWN_TOKENS]
    drawn = np.random.default_rng(seed).choice(len(probs), size=draws, p=probs / probs.sum())
    ids, counts = np.unique(drawn, return_counts=True)
    top = sorted(zip(counts.tolist(), ids.tolist()), key=lambda pair: (-pair[0], pair[1]))[:DRAWN_SHOWN]
    names = lm.tokens(torch.tensor([int(i) for i in order] + [i for _, i in top]))
    return TemperaturePicture(names[:len(order)], [rounded(p, 4) for p in probs[order]], rounded(entropy(scores)),
                              [(names[len(order) + k], count) for k, (count, _) in enumerate(top)], draws, notes)


# ---- methods compared ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    rows: list[MethodRow]
    samples: int
    notes: list[tuple[str, dict]] = field(default_factory=list)


def comparison(lm, prompt: str, max_new: int) -> Comparison:
    """Every method of `core.decoding.compare` on this prompt, `SAMPLES` outputs each, measured on words."""
    fit, notes = fitted(lm, prompt, max_new)
    rows = compare_methods(lm.model, fit.ids, max_new_tokens=fit.max_new_tokens, decode=lm.tokenizer.decode)
    return Comparison([MethodRow(r.method, r.outputs, r.deterministic, rounded(r.distinct_1), rounded(r.distinct_2),
                                 rounded(r.self_bleu, 1), rounded(r.repeated_4grams), rounded(r.mean_logprob))
                       for r in rows], SAMPLES, notes)
