"""What the language model & attention page shows: a tiny transformer trained on demand, read
layer by layer and head by head.

The page's settings are declared here (`PARAMS`); each tab is one function returning plain data.
The pictures follow BertViz (Vig, 2019): the head view (lines from each query token to the keys it
attends to, a colour per head), the model view (every layer and head as a thumbnail) and the neuron
view (one query's dot products with every key, and their softmax).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.corpora import shipped_corpora
from core.errors import InvalidText, UnknownName
from core.i18n import N_
from core.jobs import JobSpec
from core.lm.attention import NeuronView, neuron_view
from core.lm.config import LMConfig
from core.lm.heads import ablation_losses, describe_heads
from core.lm.jobs import DEFAULT_STEPS, MLM_STEPS, lm_spec, mlm_spec, toy_spec
from core.lm.masked import MaskedLM, unigram_loss
from core.lm.toy import TASKS, ToyResult
from core.lm.train import training_text
from core.lm.trained import TrainedLM
from core.views.params import Choice, Flag, Many, Number, Params, Text

MAX_SCORED_TOKENS = 4_000  # surprisal: a 200,000-character request took 69 s and sent back 55 MB
LINE_THRESHOLD = 0.02  # the head view leaves out weights below this (invisible lines, many traces)
EN_TEXT, ZH_TEXT = "ROMEO:\nBut soft, what light", "我在年青時候也曾經做過許多夢，後來大半忘卻了"
CORPORA = {c.name: c.title for c in shipped_corpora() if c.name != "udhr"}
TABS = {"training": N_("Training"), "attention": N_("Attention"), "neuron": N_("Neuron view"),
        "stats": N_("Head statistics"), "forming": N_("Heads forming"), "bidirectional": N_("Causal vs bidirectional"),
        "toy": N_("Toy tasks"), "surprise": N_("Surprise")}
COLUMNS = {"layer": N_("layer"), "head": N_("head"), "pattern": N_("pattern"), "induction": N_("induction score"),
           "previous_token": N_("weight on the previous token"), "first_token": N_("weight on the first token"),
           "mean_distance": N_("mean distance back (tokens)"), "entropy": N_("entropy (nats)")}

TAB = Choice("lm_tab", "training", N_("Section"), options=tuple(TABS), names=TABS)
CORPUS = Choice("lm_corpus", "tinyshakespeare", N_("Corpus"), options=tuple(CORPORA), names=CORPORA,
                localized={"zh": "chinese"})
TOKENIZER = Choice("lm_tokenizer", "char", N_("Tokenizer"), names={"char": N_("characters")},
                   help=N_("Characters, or a tokenizer trained on the Tokenizers page."))
ARCH = Choice("lm_arch", "llama", N_("Architecture"), options=("llama", "gpt2"),
              names={"llama": "Llama", "gpt2": "GPT-2"},
              help=N_("Llama: RoPE, RMSNorm, SwiGLU, grouped KV heads. GPT-2: learned positions, LayerNorm, GELU."))
LAYERS = Number("lm_layers", 4, N_("Layers"), low=1, high=8)
HEADS = Choice("lm_heads", 4, N_("Heads"), options=(1, 2, 4, 8))
WIDTH = Choice("lm_width", 128, N_("Width"), options=(32, 64, 128, 192, 256))
CONTEXT = Choice("lm_context", 64, N_("Context"), options=(32, 64, 128, 256))
KV = Choice("lm_kv", 4, N_("Key/value heads (Llama)"),
            help=N_("Fewer KV heads than query heads is grouped-query attention; one is MQA."))
STEPS = Number("lm_steps", DEFAULT_STEPS, N_("Steps"), low=20, high=5000, step=50)
SAVED = Text("lm_saved", "", N_("Or open a saved model (a save_pretrained folder with tokenizer.json, or a Hub name)"),
             max_chars=200, help=N_("Folders must be inside the server's model folders."))
TEXT = Text("lm_text", EN_TEXT, N_("Text"), max_chars=2_000, localized={"zh": ZH_TEXT})
LAYER = Number("lm_layer", 0, N_("Layer"), low=0, high=63)  # the model's own count bounds it when drawn
HEAD = Number("lm_head", 0, N_("Head"), low=0, high=63)
QUERY = Number("lm_query", 5, N_("Query token"), low=0, high=2047)
VIEW_HEADS = Many("lm_view_heads", [], N_("Heads in the head view (none chosen: all)"))
ISOLATE = Flag("lm_isolate", False, N_("Only the query token's lines"))
STATS_TEXT = Text("lm_stats_text", EN_TEXT, N_("Measured on"), max_chars=500, localized={"zh": ZH_TEXT})
ABLATE = Flag("lm_ablate", False, N_("Switch each head off and measure the loss"))
SNAPSHOT = Number("lm_snapshot", 0, N_("Snapshot"), low=0, high=1000)
MASKED_STEPS = Number("lm_mlm_steps", MLM_STEPS, N_("Masked model: training steps"), low=20, high=5000, step=100,
                         help=N_("It scores only the hidden 15% of characters, so it needs more steps than the "
                                 "causal model to leave the letter-frequency plateau."))
MLM_TEXT = Text("lm_mlm_sentence", "To be or not to be", N_("Sentence"), max_chars=200,
                localized={"zh": "我在年青時候也曾經做過許多夢"})
FILL = Text("lm_fill", "To be or not to b_", N_("Fill in the blanks (_)"), max_chars=200,
            localized={"zh": "我在年青時候也曾經做過許多_"})
TASK = Choice("lm_task", "copy", N_("Task"), options=TASKS,
              names={"copy": N_("copy"), "reverse": N_("reverse"), "sort": N_("sort"), "induction": N_("induction")},
              help=N_("copy: 4721|4721 · reverse: 4721|1274 · sort: 4721|1247 · induction: 47214721"))
SURPRISE = Text("lm_surprise", "ROMEO:\nBut soft, what light through yonder window breaks?", N_("Text"),
                max_chars=20_000, localized={"zh": ZH_TEXT + "，但自己也並不以為可惜。"})
MODEL_PARAMS = (CORPUS, TOKENIZER, ARCH, LAYERS, HEADS, WIDTH, CONTEXT, KV, STEPS, SAVED)  # drawn on every tab
PARAMS = Params("lm_", [TAB, *MODEL_PARAMS, TEXT, LAYER, HEAD, QUERY, VIEW_HEADS, ISOLATE, STATS_TEXT, ABLATE, SNAPSHOT,
                        MASKED_STEPS, MLM_TEXT, FILL, TASK, SURPRISE])


def first_models() -> list[JobSpec]:
    """The model the page opens on, in English and in Chinese."""
    return [lm_spec(), lm_spec("chinese")]


# ---- the model -------------------------------------------------------------------------------------
def tokenizer_names(specs: list[JobSpec]) -> dict[str, str]:
    """Option id -> name: "char", then each trained tokenizer by its job's key."""
    names = {"char": N_("characters")}
    for spec in specs:
        s = spec.settings
        names[spec.key] = f"{s['algorithm']} {s['vocab_size']:,} · {spec.corpus}"
    return names


def kv_options(heads: int) -> list[int]:
    """Key/value head counts that divide the query heads."""
    return [h for h in range(1, heads + 1) if heads % h == 0]


def model_spec(corpus: str, steps: int, tokenizer: str, tokenizers: list[JobSpec], *, arch: str, layers: int,
               heads: int, width: int, context: int, kv: int) -> JobSpec:
    """The causal-LM job the settings describe; `tokenizer` is "char" or a tokenizer job's key."""
    token = "char" if tokenizer == "char" else next((s for s in tokenizers if s.key == tokenizer), None)
    if token is None:
        raise UnknownName("No trained tokenizer {name!r} here: choose another one.", name=tokenizer[:40])
    config = LMConfig(arch=arch, n_layer=layers, n_head=heads, n_embd=width, block_size=context,
                      n_kv_head=kv if arch == "llama" and kv != heads else None)
    return lm_spec(corpus, steps, tokenizer=token, config=config.validate())


# ---- training --------------------------------------------------------------------------------------
def loss_curves(history: list[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """English series name -> (steps, loss): training loss at every step, validation where measured."""
    validation = [r for r in history if "val_loss" in r]
    return {N_("training"): ([r["step"] for r in history], [r["train_loss"] for r in history]),
            N_("validation"): ([r["step"] for r in validation], [r["val_loss"] for r in validation])}


@dataclass(frozen=True)
class TrainingRecord:
    parameters: int
    trained_here: bool  # False: a loaded model, with no record
    val_loss: float | None
    val_perplexity: float | None
    tokens_per_s: float | None
    curves: dict[str, tuple[list[int], list[float]]]
    samples: list[dict]  # step, text


def training_record(lm: TrainedLM) -> TrainingRecord:
    """What training measured: the last validation loss, speed, the loss curves and samples."""
    validated = [r for r in lm.history if "val_loss" in r]
    last = validated[-1] if validated else {}
    speed = lm.history[-1].get("tokens_per_s") if lm.history else None
    return TrainingRecord(lm.model.num_parameters(), bool(lm.history), last.get("val_loss"),
                          last.get("val_perplexity"), speed, loss_curves(lm.history), list(lm.samples))


# ---- attention -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Maps:
    tokens: list[str]
    attention: np.ndarray  # (layers, heads, query, key)
    clipped: bool  # the text was longer than the context: only its first `context` tokens are shown
    context: int


def attention_maps(lm: TrainedLM, text: str) -> Maps:
    """Every layer's and head's attention on the text's first `block_size` tokens."""
    _, clipped = lm.clip(lm.encode(text))
    tokens, attention = lm.attention(text)
    return Maps(tokens, attention, clipped, lm.config.block_size)


@dataclass(frozen=True)
class HeadLines:
    """The head view's lines for one layer: (head, query, key, weight), weights above the threshold."""

    tokens: list[str]
    heads: list[int]
    query: int  # the highlighted query token
    lines: list[tuple[int, int, int, float]]
    focused: list[bool] = field(default_factory=list)  # per line: does it leave the query token


def head_lines(maps: Maps, layer: int, heads: list[int], query: int, isolate: bool) -> HeadLines:
    """Lines of the chosen heads (all when none is chosen); only the query's lines when `isolate`."""
    shown = sorted(heads) or list(range(maps.attention.shape[1]))
    lines = []
    for h in shown:
        weights = maps.attention[layer, h]
        for q, k in zip(*np.nonzero(weights > LINE_THRESHOLD)):
            if q == query or not isolate:
                lines.append((h, int(q), int(k), float(weights[q, k])))
    return HeadLines(maps.tokens, shown, query, lines, [q == query for _, q, _, _ in lines])


@dataclass(frozen=True)
class Neuron:
    tokens: list[str]
    query: int
    view: NeuronView


def neuron(lm: TrainedLM, text: str, layer: int, head: int, query: int) -> Neuron:
    """One head's computation for one query token of the text (clipped to the context)."""
    ids, _ = lm.clip(lm.encode(text))
    return Neuron(lm.tokens(ids), query, neuron_view(lm.model, ids, layer, head, query))


# ---- head statistics, ablation -----------------------------------------------------------------------
def head_statistics(lm: TrainedLM, text: str) -> list[dict]:
    """One row per head (keys of `COLUMNS`), the likeliest induction heads first."""
    rows = describe_heads(lm, text)
    return sorted(({key: row[key] for key in COLUMNS} for row in rows), key=lambda r: -r["induction"])


def ablation(lm: TrainedLM, text: str, start: int = 1) -> np.ndarray:
    """(layers, heads): the loss increase (nats) of the tokens from `start` on, each head switched off."""
    return ablation_losses(lm, text, start)


def snapshot(lm: TrainedLM, index: int) -> tuple[int, np.ndarray]:
    """The training step and attention (float32) of a snapshot on the held-out probe text."""
    shot = lm.snapshots[index]
    return shot["step"], shot["attention"].astype(np.float32)


# ---- causal vs bidirectional -----------------------------------------------------------------------
@dataclass(frozen=True)
class Directions:
    causal_tokens: list[str]
    causal: np.ndarray  # (T, T) last layer, mean over heads
    masked_tokens: list[str]
    bidirectional: np.ndarray


def directions(lm: TrainedLM, masked: MaskedLM, text: str) -> Directions:
    """The last layer's attention (mean of the heads) of the causal and of the masked model."""
    if not text:
        raise InvalidText("The text is empty: type something first.")
    causal_tokens, causal = lm.attention(text)
    masked_tokens, bidirectional = masked.attention(text)
    return Directions(causal_tokens, causal[-1].mean(0), masked_tokens, bidirectional[-1].mean(0))


@dataclass(frozen=True)
class MaskedRecord:
    curves: dict[str, tuple[list[int], list[float]]]
    unigram: float  # the loss of guessing from letter frequencies: the plateau to leave


def masked_record(masked: MaskedLM, corpus: str) -> MaskedRecord:
    text, _ = training_text(corpus=corpus)
    return MaskedRecord(loss_curves(masked.history), unigram_loss(text))


def fill(masked: MaskedLM, text: str) -> list[list[tuple[str, float]]]:
    """For each blank (_), the five likeliest characters and their probabilities."""
    return masked.fill(text)


# ---- toy tasks -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Toy:
    accuracy: float
    tokens: list[str]
    attention: np.ndarray  # (layers, heads, query, key) on the solved example
    answer_start: int
    ablation: np.ndarray  # (layers, heads) loss increase on the answer tokens only


def toy(result: ToyResult) -> Toy:
    """The toy model's attention on its example and, per head, what switching it off costs on the
    answer (the random part before it carries no signal a head could use)."""
    tokens, attention = result.lm.attention(result.example)
    return Toy(result.accuracy, tokens, attention, result.answer_start,
               ablation_losses(result.lm, result.example, result.answer_start))


def toy_model(task: str) -> JobSpec:
    return toy_spec(task)


# ---- surprise --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Surprisal:
    tokens: list[str]
    losses: list[float]  # nats per token (NaN for the first: no prediction)
    mean: float
    perplexity: float
    total: int  # tokens in the text; only the first MAX_SCORED_TOKENS are scored

    @property
    def capped(self) -> bool:
        return self.total > len(self.tokens)


def surprisal(lm: TrainedLM, text: str) -> Surprisal:
    """Each token's surprisal, for at most `MAX_SCORED_TOKENS` tokens, and the perplexity."""
    total = len(lm.encode(text))
    tokens, losses = lm.token_losses(text, max_tokens=MAX_SCORED_TOKENS)
    mean = float(np.nanmean(losses))
    return Surprisal(tokens, losses.tolist(), mean, math.exp(mean), total)


def masked_spec(corpus: str, steps: int) -> JobSpec:
    return mlm_spec(corpus, steps)
