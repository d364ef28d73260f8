"""BLEU and ROUGE equal sacrebleu and rouge-score on many real sentence pairs."""

from __future__ import annotations

import random

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from core.corpora import get_corpus
from core.errors import InvalidSetting, InvalidText
from core.metrics import corpus_bleu, ngram_matches, rouge, sentence_bleu
from core.metrics.bleu_tokenize import TOKENIZERS

SMOOTHING = ["none", "floor", "add-k", "exp"]
FIELDS = ["score", "counts", "totals", "precisions", "bp", "sys_len", "ref_len"]


def perturb(sentence: str, rng: random.Random) -> str:
    """Drop, swap or replace a few words: a hypothesis that is close to, not equal to, the reference."""
    words = sentence.split()
    for _ in range(rng.randint(0, 4)):
        action = rng.random()
        if action < 0.3 and len(words) > 1:
            del words[rng.randrange(len(words))]
        elif action < 0.6 and len(words) > 1:
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif words:
            words[rng.randrange(len(words))] = rng.choice(["the", "a", "walked", "kings", ".", "running", "café"])
    return " ".join(words)


@pytest.fixture(scope="module")
def pairs():
    rng = random.Random(0)
    lines = [l for l in get_corpus("gutenberg").text(max_chars=1_500_000).split("\n") if len(l.split()) > 2]
    sample = rng.sample(lines, 1200)
    return sample, [perturb(s, rng) for s in sample], [perturb(s, rng) for s in sample]


def same(ours, theirs):
    for name in FIELDS:
        mine, ref = getattr(ours, name), getattr(theirs, name)
        assert mine == pytest.approx(ref, abs=1e-9), name


@pytest.mark.parametrize("smooth", SMOOTHING)
def test_corpus_bleu_equals_sacrebleu(pairs, smooth):
    refs, hyps, second = pairs
    same(corpus_bleu(hyps, [refs], smooth=smooth), sacrebleu.corpus_bleu(hyps, [refs], smooth_method=smooth))
    same(corpus_bleu(hyps, [refs, second], smooth=smooth),
         sacrebleu.corpus_bleu(hyps, [refs, second], smooth_method=smooth))


@pytest.mark.parametrize("smooth", SMOOTHING)
def test_sentence_bleu_equals_sacrebleu(pairs, smooth):
    refs, hyps, second = pairs
    for hyp, ref, other in list(zip(hyps, refs, second))[:300]:
        same(sentence_bleu(hyp, [ref], smooth=smooth), sacrebleu.sentence_bleu(hyp, [ref], smooth_method=smooth))
        same(sentence_bleu(hyp, [ref, other], smooth=smooth),
             sacrebleu.sentence_bleu(hyp, [ref, other], smooth_method=smooth))


@pytest.mark.parametrize("tokenize", sorted(TOKENIZERS))
def test_every_tokenisation_equals_sacrebleu(pairs, tokenize):
    refs, hyps, _ = pairs
    chinese = get_corpus("chinese").text(max_chars=20_000).split("\n")[:100]
    rng = random.Random(1)
    zh_hyps = ["".join(rng.sample(line, len(line))) if line else line for line in chinese]
    for h, r in ((hyps[:200], refs[:200]), (zh_hyps, chinese)):
        same(corpus_bleu(h, [r], tokenize=tokenize), sacrebleu.corpus_bleu(h, [r], tokenize=tokenize))


def test_lowercase_and_variable_references_and_bootstrap(pairs):
    refs, hyps, second = pairs
    holes = [None if i % 3 else s for i, s in enumerate(second)]
    same(corpus_bleu(hyps, [refs, holes], lowercase=True),
         sacrebleu.corpus_bleu(hyps, [refs, holes], lowercase=True))
    ours = corpus_bleu(hyps[:400], [refs[:400]], n_bootstrap=100)
    theirs = sacrebleu.BLEU().corpus_score(hyps[:400], [refs[:400]], n_bootstrap=100)
    assert ours.ci == pytest.approx(theirs._ci, abs=1e-9)


def test_hand_worked_bleu():
    # hypothesis "the the the the", reference "the cat is on the mat": unigram matches clip at 2.
    result = sentence_bleu("the the the the", ["the cat is on the mat"], smooth="none", effective_order=False)
    assert result.counts[0] == 2 and result.totals[0] == 4 and result.score == pytest.approx(0.0, abs=1e-6)
    marks = ngram_matches("the the the the", ["the cat is on the mat"])
    assert [m.status for m in marks[1]] == ["matched", "matched", "clipped", "clipped"]
    perfect = sentence_bleu("the cat is on the mat", ["the cat is on the mat"])
    assert perfect.score == pytest.approx(100.0) and perfect.bp == 1.0


def test_bad_input_gets_messages_or_defined_scores():
    with pytest.raises(InvalidSetting, match="2 hypotheses but reference stream 1 has 1"):
        corpus_bleu(["a", "b"], [["a"]])
    with pytest.raises(InvalidText, match="no hypotheses"):
        corpus_bleu([], [[]])
    with pytest.raises(InvalidText, match="reference streams"):
        corpus_bleu(["a"], ["a"])
    with pytest.raises(InvalidSetting, match="smooth must be"):
        sentence_bleu("a", ["a"], smooth="magic")
    empty = sentence_bleu("", ["a reference"])
    assert empty.score == sacrebleu.sentence_bleu("", ["a reference"]).score == 0.0
    odd = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b\u202e ok"
    assert sentence_bleu(odd, [odd]).score == pytest.approx(sacrebleu.sentence_bleu(odd, [odd]).score)


@pytest.mark.parametrize("stemmer", [True, False])
def test_rouge_equals_rouge_score(pairs, stemmer):
    refs, hyps, _ = pairs
    types = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=stemmer)
    for hyp, ref in list(zip(hyps, refs))[:600]:
        ours, theirs = rouge(hyp, ref, types=types, stemmer=stemmer), scorer.score(ref, hyp)
        for kind in types:
            assert (ours[kind].precision, ours[kind].recall, ours[kind].fmeasure) == pytest.approx(
                (theirs[kind].precision, theirs[kind].recall, theirs[kind].fmeasure), abs=1e-12)


def test_rouge_lsum_splits_sentences_at_newlines(pairs):
    refs, hyps, _ = pairs
    scorer = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True)
    for i in range(0, 300, 3):
        hyp, ref = "\n".join(hyps[i:i + 3]), "\n".join(refs[i:i + 3])
        assert rouge(hyp, ref, types=["rougeLsum"])["rougeLsum"].fmeasure == pytest.approx(
            scorer.score(ref, hyp)["rougeLsum"].fmeasure, abs=1e-12)


def test_rouge_matched_units_and_unicode_option():
    result = rouge("the cat sat on the mat", "the cat lay on the mat", types=["rouge2", "rougeL"])
    assert ("the", "cat") in result["rouge2"].matched and len(result["rougeL"].matched) == 5
    assert rouge("你好 世界", "你好 世界")["rouge1"].fmeasure == 0.0  # rouge-score drops non-ASCII text
    assert rouge("你好 世界", "你好 世界", unicode=True)["rouge1"].fmeasure == 1.0
    with pytest.raises(InvalidSetting, match="Unknown ROUGE type"):
        rouge("a", "a", types=["rougeX"])
