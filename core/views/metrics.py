"""What the metrics page shows: BLEU, chrF and ROUGE of one sentence pair down to what they count,
corpus BLEU and chrF with a paired bootstrap test of two systems, and perplexity token by token.

Every table of a tab is computed with the tab's settings (tokeniser, smoothing, case), so the
headline and the tables agree; the numbers are sacrebleu's and rouge-score's (`core.metrics`, tested
equal), with the signature sacrebleu prints for the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import InvalidText
from core.i18n import N_
from core.jobs import JobSpec
from core.metrics import (CHRFConfig, bleu_signature, chrf_signature, corpus_bleu, corpus_chrf, geometric_means,
                          has_cjk, lcs_alignment, ngram_matches, paired_bootstrap_bleu, paired_bootstrap_chrf, rouge,
                          sentence_bleu, sentence_chrf, suggest_bleu_tokenizer, surprisal)
from core.metrics.bleu import SMOOTH_DEFAULTS, corpus_stats
from core.metrics.bleu_tokenize import TOKENIZERS
from core.metrics.perplexity import Surprisal
from core.metrics.rouge import tokenize as rouge_tokens
from core.metrics.significance import N_SAMPLES
from core.views.decoding import DEFAULT_LMS
from core.views.params import Choice, Flag, Params, Text

MAX_REFERENCES = 10  # references of one sentence
MAX_CHIPS = 200  # n-gram (or token) chips drawn per row; the counts are over all of them
MAX_SEGMENTS = 500  # lines of the corpus tab
BOOTSTRAP = N_SAMPLES  # resamples of the interval and of the paired test (sacrebleu's 1000)
SEPARATOR = "|||"

EXAMPLES = {  # id -> (name, hypothesis, references one per line)
    "cat": (N_("Cat on the mat"), "the cat sat on the mat", "the cat is sitting on the mat\nthere is a cat on the mat"),
    "short": (N_("Short output"), "the cat", "the cat is sitting on the mat"),
    "order": (N_("Word order"), "mat the on sat cat the", "the cat sat on the mat"),
    "chinese": (N_("Chinese"), "那只猫坐在席子上。", "猫坐在垫子上。\n一只猫坐在垫子上面。"),
}
TOKENIZER_NAMES = {"13a": N_("13a (WMT's default)"), "intl": N_("intl (Unicode punctuation)"),
                   "char": N_("char (every character)"), "zh": N_("zh (each Chinese character a word)"),
                   "none": N_("none (split at spaces only)")}
SMOOTHINGS = {"none": N_("none"), "floor": N_("floor (0.1 of a match)"), "add-k": N_("add-k (1 added)"),
              "exp": N_("exp (halve each time)")}
STATUSES = {"matched": N_("matched in a reference"), "clipped": N_("clipped: the references have fewer copies"),
            "unmatched": N_("unmatched")}
ROUGE_NAMES = {"rouge1": N_("ROUGE-1 (words)"), "rouge2": N_("ROUGE-2 (word pairs)"),
               "rougeL": N_("ROUGE-L (longest common subsequence)"),
               "rougeLsum": N_("ROUGE-Lsum (per line, then united)")}
CHRF_VARIANTS = {0: N_("chrF (characters)"), 2: N_("chrF++ (characters and words)")}
CORPUS = ("the cat sat on the mat ||| the cat sat on the mat ||| the cat sat on the mat\n"
          "hello ||| hello there ||| hello there my friend\n"
          "a dog barked loudly at night ||| the dog barked at night ||| the dog barked at night\n"
          "it is raining today ||| it rains today ||| it is raining today\n"
          "he go to school by bus ||| he goes to school by bus ||| he goes to school by bus\n"
          "the weather is nice ||| the weather is good ||| the weather is nice today\n"
          "I have two apple ||| I have two apples ||| I have two apples\n"
          "she reads book every evening ||| she reads a book every evening ||| she reads a book every evening")
CORPUS_ZH = ("猫坐在垫子上。 ||| 猫坐在垫子上。 ||| 猫坐在垫子上。\n"
             "你好 ||| 你好，朋友 ||| 你好，我的朋友\n"
             "狗在夜里大声叫 ||| 狗在夜里叫 ||| 狗在夜里叫\n"
             "今天下雨 ||| 今天在下雨 ||| 今天在下雨\n"
             "他坐公车上学 ||| 他坐公交车上学 ||| 他坐公交车上学\n"
             "天气很好 ||| 天气不错 ||| 今天天气很好\n"
             "我有两个苹果 ||| 我有两个苹果 ||| 我有两个苹果\n"
             "她每天晚上看书 ||| 她每天晚上读一本书 ||| 她每天晚上读一本书")

LU_XUN = "我在年青時候也曾經做過許多夢，後來大半忘卻了，但自己也並不以為可惜。"  # in the Chinese LM's corpus

TAB = Choice("met_tab", "bleu", N_("Section"), options=("bleu", "chrf", "rouge", "corpus", "perplexity"),
             names={"bleu": N_("BLEU"), "chrf": N_("chrF"), "rouge": N_("ROUGE"), "corpus": N_("Corpus BLEU and chrF"),
                    "perplexity": N_("Perplexity")})
EXAMPLE = Choice("met_example", "cat", N_("Example"), options=tuple(EXAMPLES),
                 names={key: name for key, (name, _, _) in EXAMPLES.items()}, localized={"zh": "chinese"},
                 help=N_("Fills in the hypothesis and the references."))
HYPOTHESIS = Text("met_hyp", EXAMPLES["cat"][1], N_("Hypothesis (system output)"), max_chars=1_000,
                  localized={"zh": EXAMPLES["chinese"][1]})
REFERENCES = Text("met_refs", EXAMPLES["cat"][2], N_("References, one per line"), max_chars=4_000,
                  localized={"zh": EXAMPLES["chinese"][2]})
TOKENIZE = Choice("met_tok", "13a", N_("BLEU tokenisation"), options=tuple(TOKENIZERS), names=TOKENIZER_NAMES,
                  localized={"zh": "zh"})
SMOOTH = Choice("met_smooth", "exp", N_("Smoothing"), options=tuple(SMOOTH_DEFAULTS), names=SMOOTHINGS,
                help=N_("What a precision of zero contributes (Chen & Cherry 2014)."))
LOWERCASE = Flag("met_lower", False, N_("Lowercase"))
CHRF_WORDS = Choice("met_chrf", 0, N_("Variant"), options=tuple(CHRF_VARIANTS), names=CHRF_VARIANTS)
STEMMER = Flag("met_stem", True, N_("Porter stemmer"), help=N_("English only: 'sitting' and 'sits' both become 'sit'."))
UNICODE = Flag("met_unicode", False, N_("Unicode-aware tokens (rouge-score keeps ASCII only)"),
               localized={"zh": True})
CORPUS_TEXT = Text("met_corpus", CORPUS, N_("One segment per line: system A ||| reference, or system A ||| system B "
                                            "||| reference"), max_chars=40_000, localized={"zh": CORPUS_ZH})
MODEL = Choice("met_model", DEFAULT_LMS[0].key, N_("Model"), localized={"zh": DEFAULT_LMS[1].key})
PERPLEXITY_TEXT = Text("met_ppl_text", "ROMEO:\nBut soft, what light through yonder window breaks?", N_("Text"),
                       max_chars=1_500, localized={"zh": LU_XUN})
PARAMS = Params("met_", [TAB, EXAMPLE, HYPOTHESIS, REFERENCES, TOKENIZE, SMOOTH, LOWERCASE, CHRF_WORDS, STEMMER,
                         UNICODE, CORPUS_TEXT, PERPLEXITY_TEXT, MODEL])  # the model last (see core.views.decoding)


def first_models() -> list[JobSpec]:
    return list(DEFAULT_LMS)


def example_texts(example: str) -> dict[str, str]:
    """The hypothesis and references an example fills in (the settings that depend on it)."""
    _, hypothesis, references = EXAMPLES.get(example, EXAMPLES[EXAMPLE.default])
    return {HYPOTHESIS.key: hypothesis, REFERENCES.key: references}


def references_of(text: str) -> list[str]:
    """The references typed one per line (blank lines left out)."""
    references = [line for line in text.split("\n") if line.strip()]
    if not references:
        raise InvalidText("Give at least one reference.")
    if len(references) > MAX_REFERENCES:
        raise InvalidText("There are {count} references; at most {limit} are scored: remove some.",
                          count=len(references), limit=MAX_REFERENCES)
    return references


Note = tuple[str, dict[str, Any]]  # an English template (N_-marked) and its fields


def tokenizer_notes(hypothesis: str, references: list[str], tokenize: str) -> list[Note]:
    """What to say about the tokeniser: zh is suggested when the text is Chinese (sacrebleu picks it
    only when told the target language, and 13a sees an unsegmented sentence as one word)."""
    suggested = suggest_bleu_tokenizer(hypothesis, references)
    if suggested == "zh" and tokenize != "zh":
        return [(N_("This text is Chinese, written without spaces: to the {tokenize} tokeniser a whole sentence is "
                    "one word, so BLEU is near 0. Choose zh, which makes each Chinese character a word (sacrebleu's "
                    "-tok zh)."), {"tokenize": tokenize})]
    if suggested == "zh":
        return [(N_("Chinese text, zh tokeniser: each Chinese character counts as a word, as sacrebleu counts it "
                    "for Chinese."), {})]
    return []


# ---- BLEU ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderRow:
    n: int
    matches: int  # hypothesis n-grams found in a reference, clipped at the reference's count
    total: int  # hypothesis n-grams
    raw_precision: float | None  # matches / total, %, as counted (None: no n-grams of this order)
    precision: float | None  # the precision BLEU uses, % (after smoothing); None beyond the orders it uses
    smoothed: bool  # the precision BLEU uses differs from the raw one
    geometric_mean: float | None  # of the precisions used for orders 1..n, %


@dataclass(frozen=True)
class Chip:
    text: str
    status: str  # matched, clipped, unmatched


@dataclass(frozen=True)
class BleuBreakdown:
    score: float
    bp: float
    geometric_mean: float  # of the precisions used, %: score = bp x geometric_mean
    sys_len: int
    ref_len: int
    ratio: float  # hypothesis length / closest reference length
    orders: list[OrderRow]
    chips: dict[int, list[Chip]]  # n -> the hypothesis n-grams in order (at most MAX_CHIPS)
    chip_totals: dict[int, int]  # n -> how many there are
    by_smoothing: list[dict]  # smooth, score: the same pair and settings under each smoothing
    by_tokenizer: list[dict]  # tokenize, score: under each tokeniser
    signature: str
    notes: list[Note] = field(default_factory=list)


def bleu(hypothesis: str, references_text: str, *, tokenize: str, smooth: str, lowercase: bool) -> BleuBreakdown:
    """Sentence BLEU (effective order, as sacrebleu's sentence_bleu) down to its counts; the smoothing
    and tokenisation tables with the same settings as the headline."""
    references = references_of(references_text)
    stats = corpus_stats([hypothesis], [[r] for r in references], tokenize=tokenize, lowercase=lowercase)[0]
    result = sentence_bleu(hypothesis, references, smooth=smooth, tokenize=tokenize, lowercase=lowercase)
    used = [n for n in range(1, 5) if result.totals[n - 1] > 0]  # effective order: orders with n-grams
    means = geometric_means(result.precisions[:len(used)])
    orders = []
    for n in range(1, 5):
        matches, total = int(stats[1 + n]), int(stats[5 + n])
        raw = 100.0 * matches / total if total else None
        precision = result.precisions[n - 1] if n <= len(used) else None
        orders.append(OrderRow(n, matches, total, raw, precision, precision is not None and precision != raw,
                               means[n - 1] if n <= len(used) else None))
    matches = ngram_matches(hypothesis, references, tokenize=tokenize, lowercase=lowercase)
    return BleuBreakdown(
        result.score, result.bp, means[-1] if means else 0.0, result.sys_len, result.ref_len, result.ratio, orders,
        {n: [Chip(" ".join(m.ngram), m.status) for m in marks[:MAX_CHIPS]] for n, marks in matches.items()},
        {n: len(marks) for n, marks in matches.items()},
        [{"smooth": s, "score": sentence_bleu(hypothesis, references, smooth=s, tokenize=tokenize,
                                              lowercase=lowercase).score} for s in SMOOTH_DEFAULTS],
        [{"tokenize": t, "score": sentence_bleu(hypothesis, references, smooth=smooth, tokenize=t,
                                                lowercase=lowercase).score} for t in TOKENIZERS],
        bleu_signature(len(references), smooth=smooth, tokenize=tokenize, lowercase=lowercase, effective_order=True),
        tokenizer_notes(hypothesis, references, tokenize))


# ---- chrF ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChrfBreakdown:
    score: float
    name: str  # chrF2 or chrF2++, as sacrebleu names it
    orders: list[dict]  # unit (N_-marked), n, hypothesis, reference, matches, precision %, recall %
    signature: str


def chrf(hypothesis: str, references_text: str, *, word_order: int, lowercase: bool) -> ChrfBreakdown:
    """Sentence chrF (chrF++ with word_order 2) and its counts per n-gram order."""
    references = references_of(references_text)
    config = CHRFConfig(word_order=word_order, lowercase=lowercase)
    result = sentence_chrf(hypothesis, references, config)
    units = {"char": N_("characters"), "word": N_("words")}
    rows = [{"unit": units[o.unit], "n": o.n, "hypothesis": o.hyp, "reference": o.ref, "matches": o.matches,
             "precision": o.precision, "recall": o.recall} for o in result.orders]
    return ChrfBreakdown(result.score, config.name, rows, chrf_signature(len(references), config))


# ---- ROUGE --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RougeBreakdown:
    rows: list[dict]  # type (N_-marked name), precision, recall, F1
    reference_tokens: list[tuple[str, bool]]  # the first reference's tokens, and whether in the LCS
    hypothesis_tokens: list[tuple[str, bool]]
    token_totals: tuple[int, int]  # reference and hypothesis tokens (chips are at most MAX_CHIPS)
    notes: list[Note] = field(default_factory=list)


def rouge_notes(hypothesis: str, reference: str, unicode: bool) -> list[Note]:
    """Why Chinese is (or is not) counted in characters."""
    if not (has_cjk(hypothesis) or has_cjk(reference)):
        return []
    if unicode:
        return [(N_("Chinese is written without spaces between words, so ROUGE on Chinese is commonly counted in "
                    "characters: each Chinese character is a token here."), {})]
    return [(N_("rouge-score keeps only the letters a-z and the digits: the Chinese characters here are deleted "
                "before counting and score nothing. Turn on Unicode-aware tokens to count each character."), {})]


def rouge_scores(hypothesis: str, references_text: str, *, stemmer: bool, unicode: bool) -> RougeBreakdown:
    """ROUGE against the first reference (rouge-score scores one reference at a time), and the LCS
    behind ROUGE-L. Texts are capped (`core.metrics.rouge.MAX_TOKENS`: the LCS grows with the product
    of the lengths), with a message naming the cap."""
    reference = references_of(references_text)[0]
    scores = rouge(hypothesis, reference, stemmer=stemmer, unicode=unicode)
    rows = [{"type": ROUGE_NAMES[kind], "precision": s.precision, "recall": s.recall, "f1": s.fmeasure}
            for kind, s in scores.items()]
    hyp = rouge_tokens(hypothesis, stemmer=stemmer, unicode=unicode)
    ref = rouge_tokens(reference, stemmer=stemmer, unicode=unicode)
    pairs = lcs_alignment(ref, hyp)
    in_ref, in_hyp = {i for i, _ in pairs}, {j for _, j in pairs}
    return RougeBreakdown(rows, [(t, i in in_ref) for i, t in enumerate(ref[:MAX_CHIPS])],
                          [(t, j in in_hyp) for j, t in enumerate(hyp[:MAX_CHIPS])], (len(ref), len(hyp)),
                          rouge_notes(hypothesis, reference, unicode))


# ---- corpus -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """The paired bootstrap test of system B against system A, for one metric."""

    metric: str
    a: float  # system A's score on the whole corpus
    b: float
    a_mean: float  # mean over the resamples
    a_ci: float  # half-width of the 95% interval
    b_mean: float
    b_ci: float
    p_value: float
    significant: bool  # p < 0.05
    signature: str


@dataclass(frozen=True)
class CorpusScores:
    bleu: float
    bleu_ci: float  # half-width of the 95% bootstrap interval
    mean_sentence_bleu: float
    chrf: float
    segments: list[dict]  # a, b (or None), reference, bleu_a, bleu_b (or None)
    signature: str
    comparisons: list[Comparison]  # empty with one system
    notes: list[Note] = field(default_factory=list)


def parse_corpus(text: str) -> tuple[list[str], list[str] | None, list[str]]:
    """System A, system B (None when the lines have two parts) and the references."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise InvalidText("Write at least one line: hypothesis ||| reference.")
    if len(lines) > MAX_SEGMENTS:
        raise InvalidText("There are {count:,} lines; at most {limit:,} are scored: remove some.", count=len(lines),
                          limit=MAX_SEGMENTS)
    parts = [[part.strip() for part in line.split(SEPARATOR)] for line in lines]
    width = len(parts[0])
    for number, line in enumerate(parts, 1):
        if len(line) not in (2, 3) or len(line) != width:
            raise InvalidText("Line {line} has {count} part(s): write every line as hypothesis ||| reference, or "
                              "every line as system A ||| system B ||| reference.", line=number, count=len(line))
    columns = list(zip(*parts))
    return list(columns[0]), list(columns[1]) if width == 3 else None, list(columns[-1])


def corpus(text: str, *, tokenize: str, smooth: str, lowercase: bool) -> CorpusScores:
    """Corpus BLEU (statistics summed before dividing) with its bootstrap interval, against the mean of
    sentence BLEUs; corpus chrF; with a second system, sacrebleu's paired bootstrap test for both."""
    a, b, references = parse_corpus(text)
    streams = [references]
    settings = {"smooth": smooth, "tokenize": tokenize, "lowercase": lowercase}
    whole = corpus_bleu(a, streams, n_bootstrap=BOOTSTRAP, **settings)
    sentences = [[sentence_bleu(h, [r], **settings).score for h, r in zip(system, references)] if system else None
                 for system in (a, b)]
    segments = [{"a": a[i], "b": b[i] if b else None, "reference": references[i], "bleu_a": sentences[0][i],
                 "bleu_b": sentences[1][i] if b else None} for i in range(len(a))]
    config = CHRFConfig(lowercase=lowercase)
    comparisons = []
    if b is not None:
        tests = ((N_("BLEU"), paired_bootstrap_bleu(a, b, streams, **settings),
                  bleu_signature(1, n_bootstrap=BOOTSTRAP, **settings)),
                 (N_("chrF"), paired_bootstrap_chrf(a, b, streams, config), chrf_signature(1, config,
                                                                                        n_bootstrap=BOOTSTRAP)))
        comparisons = [Comparison(metric, test.baseline.score, test.candidate.score, test.baseline.mean,
                                  test.baseline.ci, test.candidate.mean, test.candidate.ci, test.p_value,
                                  test.p_value < 0.05, signature) for metric, test, signature in tests]
    return CorpusScores(whole.score, whole.ci, float(np.mean(sentences[0])), corpus_chrf(a, streams, config).score,
                        segments, bleu_signature(1, n_bootstrap=BOOTSTRAP, **settings), comparisons,
                        tokenizer_notes(" ".join(a), references, tokenize))


# ---- perplexity ---------------------------------------------------------------------------------
def perplexity(lm, text: str) -> Surprisal:
    """Tokens, surprisal, mean and perplexity from one pass of the model (`core.metrics.surprisal`)."""
    return surprisal(lm, text)
