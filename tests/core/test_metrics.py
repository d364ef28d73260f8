"""BLEU, chrF, their signatures and paired test, and ROUGE equal sacrebleu and rouge-score on many real
sentence pairs and on edge cases."""

from __future__ import annotations

import random
import tracemalloc

import pytest
import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.significance import PairedTest

from core.corpora import get_corpus
from core.errors import InvalidSetting, InvalidText
from core.metrics import (CHRF_PLUS_PLUS, MAX_TOKENS, CHRFConfig, bleu_signature, chrf_signature, corpus_bleu,
                          corpus_chrf, has_cjk, lcs_alignment, lcs_length, ngram_matches, paired_bootstrap_bleu,
                          paired_bootstrap_chrf, rouge, sentence_bleu, sentence_chrf, suggest_bleu_tokenizer)
from core.metrics.bleu_tokenize import TOKENIZERS
from core.metrics.rouge import tokenize
from core.metrics.significance import paired_bootstrap

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


# chrF -------------------------------------------------------------------------------------------

CHRF_CONFIGS = [CHRFConfig(), CHRF_PLUS_PLUS, CHRFConfig(eps_smoothing=True),
                CHRFConfig(word_order=2, eps_smoothing=True, lowercase=True), CHRFConfig(char_order=4, beta=1)]
EDGE_TEXTS = ["", "a", "   ", "The cat sat on the mat.", "the cat sat on the mat", "(hi) there, you!", "Hello,world...",
              "don't stop -- it's 5.3% off!", "café crème brûlée", "我喜欢猫。", "我 喜欢 狗", "emoji 🙂🙃 ok",
              "Ünïcödé WÖRDS", "a a a a a a a a"]


def sacrebleu_chrf(config: CHRFConfig) -> sacrebleu.CHRF:
    return sacrebleu.CHRF(char_order=config.char_order, word_order=config.word_order, beta=config.beta,
                          lowercase=config.lowercase, eps_smoothing=config.eps_smoothing)


@pytest.mark.parametrize("config", CHRF_CONFIGS, ids=str)
def test_corpus_chrf_equals_sacrebleu(pairs, config):
    refs, hyps, second = pairs
    holes = [None if i % 3 else s for i, s in enumerate(second)]
    for streams in ([refs], [refs, second], [refs, holes]):
        ours, theirs = corpus_chrf(hyps, streams, config), sacrebleu_chrf(config).corpus_score(hyps, streams)
        assert ours.score == pytest.approx(theirs.score, abs=1e-9)


@pytest.mark.parametrize("config", CHRF_CONFIGS, ids=str)
def test_sentence_chrf_equals_sacrebleu(pairs, config):
    refs, hyps, second = pairs
    metric = sacrebleu_chrf(config)
    cases = [(h, [r]) for h, r in zip(hyps[:200], refs)] + [(h, [r, o]) for h, r, o in zip(hyps[:200], refs, second)]
    cases += [(h, [r]) for h in EDGE_TEXTS for r in EDGE_TEXTS] + [(h, EDGE_TEXTS[3:7]) for h in EDGE_TEXTS]
    for hyp, references in cases:
        assert sentence_chrf(hyp, references, config).score == pytest.approx(
            metric.sentence_score(hyp, references).score, abs=1e-9), (hyp, references)


def test_hand_worked_chrf():
    # "ab" against "abc", orders 1-2: unigrams 2 of 2 found, 2 of 3 recalled; bigrams 1 of 1, 1 of 2.
    # Averaged P = 1, R = (2/3 + 1/2) / 2 = 7/12, so F2 = 5 * 7/12 / (4 + 7/12) = 7/11.
    result = sentence_chrf("a b", ["abc"], CHRFConfig(char_order=2))
    assert result.score == pytest.approx(100 * 7 / 11)
    assert [(o.unit, o.n, o.hyp, o.ref, o.matches) for o in result.orders] == [("char", 1, 2, 3, 2),
                                                                               ("char", 2, 1, 2, 1)]
    assert result.orders[0].recall == pytest.approx(200 / 3) and result.config.name == "chrF2"
    # eps smoothing averages the per-order F2 instead: (5/7 + 5/9) / 2 = 40/63.
    assert sentence_chrf("ab", ["abc"], CHRFConfig(char_order=2, eps_smoothing=True)).score == pytest.approx(4000 / 63)
    # chrF++ words cut one punctuation mark off a word's end (or start): "(hi)" is "(hi" and ")".
    words = [o for o in sentence_chrf("(hi)", ["(hi)"], CHRF_PLUS_PLUS).orders if o.unit == "word"]
    assert [(o.n, o.hyp, o.matches) for o in words] == [(1, 2, 2), (2, 1, 1)]


def test_chrf_errors_name_the_fix():
    with pytest.raises(InvalidSetting, match="char_order must be a whole number of at least 1, not 0"):
        CHRFConfig(char_order=0)
    with pytest.raises(InvalidSetting, match="2 hypotheses but reference stream 1 has 1"):
        corpus_chrf(["a", "b"], [["a"]])
    with pytest.raises(InvalidText, match="no reference at all"):
        corpus_chrf(["a"], [[None]])


# Signatures and the paired bootstrap test ------------------------------------------------------

@pytest.mark.parametrize("smooth", SMOOTHING)
@pytest.mark.parametrize("tokenize_name", sorted(TOKENIZERS))
def test_bleu_signature_equals_sacrebleu(smooth, tokenize_name):
    hyps, one, varying = ["a b c", "d e"], [["a b c", "d e f"]], [["a b c", "d e f"], ["a b", None]]
    for references, nrefs, lowercase, effective, value, n_bootstrap in [(one, 1, False, False, None, 1),
                                                                        (varying, None, True, True, 0.5, 20)]:
        metric = sacrebleu.BLEU(smooth_method=smooth, smooth_value=value, tokenize=tokenize_name,
                                lowercase=lowercase, effective_order=effective)
        metric.corpus_score(hyps, references, n_bootstrap=n_bootstrap)
        assert bleu_signature(nrefs, smooth=smooth, smooth_value=value, tokenize=tokenize_name, lowercase=lowercase,
                              effective_order=effective, n_bootstrap=n_bootstrap) == str(metric.get_signature())


@pytest.mark.parametrize("config", CHRF_CONFIGS, ids=str)
def test_chrf_signature_equals_sacrebleu(config):
    for references, nrefs, n_bootstrap in [([["a b"]], 1, 1), ([["a b"], ["a c"]], 2, 50)]:
        metric = sacrebleu_chrf(config)
        metric.corpus_score(["a b"], references, n_bootstrap=n_bootstrap)
        assert chrf_signature(nrefs, config, n_bootstrap=n_bootstrap) == str(metric.get_signature())
    assert bleu_signature() == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"


@pytest.mark.parametrize("n_samples", [1000, 101])
@pytest.mark.parametrize("candidate_kind", ["close", "the references"])
def test_paired_bootstrap_equals_sacrebleu(pairs, n_samples, candidate_kind):
    refs, baseline, second = (column[:400] for column in pairs)
    candidate = second if candidate_kind == "close" else refs
    metrics = {"BLEU": sacrebleu.BLEU(smooth_method="floor"), "chrF": sacrebleu.CHRF(),
               "chrF++": sacrebleu.CHRF(word_order=2)}
    signatures, theirs = PairedTest([("baseline", baseline), ("candidate", candidate)], metrics, [refs],
                                    test_type="bs", n_samples=n_samples)()
    ours = {"BLEU": paired_bootstrap_bleu(baseline, candidate, [refs], smooth="floor", n_samples=n_samples),
            "chrF2": paired_bootstrap_chrf(baseline, candidate, [refs], n_samples=n_samples),
            "chrF2++": paired_bootstrap_chrf(baseline, candidate, [refs], CHRF_PLUS_PLUS, n_samples=n_samples)}
    for name, result in ours.items():
        for mine, reference in ((result.baseline, theirs[name][0]), (result.candidate, theirs[name][1])):
            assert (mine.score, mine.mean, mine.ci) == pytest.approx(
                (reference.score, reference.mean, reference.ci), abs=1e-9), name
        assert result.p_value == theirs[name][1].p_value, name
    assert str(signatures["BLEU"]) == bleu_signature(1, smooth="floor", n_bootstrap=n_samples)
    assert str(signatures["chrF2++"]) == chrf_signature(1, CHRF_PLUS_PLUS, n_bootstrap=n_samples)


def test_hand_worked_paired_bootstrap():
    # One segment: every resample is that segment, so each mean is the score and each interval 0;
    # the centred differences are all 0 and none exceeds the real one, so p = 1 / (n + 1).
    result = paired_bootstrap([[1, 4]], [[3, 4]], lambda stats: 100 * stats[0] / stats[1], n_samples=9)
    assert (result.baseline.score, result.baseline.mean, result.baseline.ci) == (25.0, 25.0, 0.0)
    assert (result.candidate.score, result.candidate.mean, result.p_value) == (75.0, 75.0, 0.1)
    with pytest.raises(InvalidSetting, match="1 segments and the candidate 2"):
        paired_bootstrap([[1, 4]], [[1, 4], [1, 4]], lambda stats: stats[0])
    with pytest.raises(InvalidSetting, match="positive whole number"):
        paired_bootstrap_bleu(["a"], ["a"], [["a"]], n_samples=0)


# ROUGE: the LCS in little memory, its cap, CJK --------------------------------------------------

def rouge_score_backtrack(ref: list[str], hyp: list[str]) -> tuple[list[tuple[int, int]], int]:
    """rouge-score's `_backtrack_norec` over its own table, keeping the hypothesis index as well."""
    table = rouge_scorer._lcs_table(ref, hyp)
    i, j, pairs = len(ref), len(hyp), []
    while i > 0 and j > 0:
        if ref[i - 1] == hyp[j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    assert [i for i, _ in pairs[::-1]] == rouge_scorer._backtrack_norec(table, ref, hyp)
    return pairs[::-1], table[-1][-1]


@pytest.mark.parametrize("vocabulary", [1, 2, 3, 5, 30])
def test_lcs_equals_rouge_score_backtrack_with_ties(vocabulary):
    rng = random.Random(vocabulary)
    for _ in range(600):
        ref, hyp = ([f"w{rng.randrange(vocabulary)}" for _ in range(rng.randint(0, 70))] for _ in range(2))
        pairs, length = rouge_score_backtrack(ref, hyp)
        assert lcs_alignment(ref, hyp) == pairs and lcs_length(ref, hyp) == length, (ref, hyp)


@pytest.mark.parametrize("vocabulary", [2, 4, 12])
def test_rouge_lsum_union_equals_rouge_score_with_ties(vocabulary):
    rng = random.Random(vocabulary)
    scorer = rouge_scorer.RougeScorer(["rougeL", "rougeLsum"], use_stemmer=False)
    words = [chr(ord("a") + k) for k in range(vocabulary)] + ["!!", "\n"]
    for _ in range(300):
        hyp, ref = (" ".join(rng.choice(words) for _ in range(rng.randint(0, 60))) for _ in range(2))
        ours, theirs = rouge(hyp, ref, types=["rougeL", "rougeLsum"], stemmer=False), scorer.score(ref, hyp)
        for kind in ("rougeL", "rougeLsum"):
            assert (ours[kind].precision, ours[kind].recall) == pytest.approx(
                (theirs[kind].precision, theirs[kind].recall), abs=1e-12), (hyp, ref, kind)


def test_lcs_memory_is_far_below_the_table():
    rng = random.Random(0)
    ref, hyp = ([f"w{rng.randrange(50)}" for _ in range(5000)] for _ in range(2))
    tracemalloc.start()
    try:
        lcs_alignment(ref, hyp)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # rouge-score's 5,001 x 5,001 table of Python ints takes ~200 MB


def test_rouge_refuses_texts_over_the_cap():
    long = "word " * (MAX_TOKENS + 1)
    with pytest.raises(InvalidText, match="The reference has 20,001 tokens; ROUGE scores at most 20,000"):
        rouge("a word", long)
    with pytest.raises(InvalidText, match="The hypothesis has 20,001 tokens"):
        lcs_alignment(["word"], long.split())


def test_cjk_tokens_and_hand_worked_chinese_rouge(pairs):
    assert tokenize("我喜欢猫。I like cafés, カタカナ!", unicode=True, stemmer=False) == [
        "我", "喜", "欢", "猫", "i", "like", "cafés", "カ", "タ", "カ", "ナ"]
    # 我喜欢猫 vs 我喜欢狗: 3 of 4 characters, 2 of 3 character bigrams, an LCS of 3.
    scores = rouge("我喜欢猫。", "我喜欢狗。", unicode=True)
    assert scores["rouge1"].fmeasure == pytest.approx(3 / 4) and scores["rouge2"].fmeasure == pytest.approx(2 / 3)
    assert scores["rougeL"].matched == ((0, 0), (1, 1), (2, 2))
    refs, hyps, _ = pairs
    for text in refs[:300] + hyps[:300]:  # ASCII text tokenises as before
        if text.isascii():
            assert tokenize(text, unicode=True) == tokenize(text)


def test_suggested_tokenizer_for_chinese():
    assert has_cjk("我喜欢猫") and has_cjk("カタカナ") and not has_cjk("café — “quoted”")
    assert suggest_bleu_tokenizer("我喜欢猫。", ["我喜欢狗。"]) == "zh"
    assert suggest_bleu_tokenizer("the cat", ["the dog", "猫"]) == "zh"
    assert suggest_bleu_tokenizer("the cat", ["the dog"]) == "13a"
    chinese = ("我非常喜欢这只小猫。", ["我非常喜欢那只小猫。"])
    assert sentence_bleu(*chinese).score == 0.0  # 13a: one word each, and different
    assert sentence_bleu(*chinese, tokenize=suggest_bleu_tokenizer(*chinese)).score > 40
