"""The metrics page's computations: BLEU down to its counts with one set of settings for every table,
chrF, ROUGE on Chinese, corpus scores with a paired bootstrap test, perplexity from one pass."""

from __future__ import annotations

import math

import pytest
import sacrebleu
import torch

from core.errors import InvalidText
from core.jobs import JobSpec
from core.lm import LMConfig, train_lm
from core.lm.jobs import lm_spec
from core.metrics import paired_bootstrap_bleu, paired_bootstrap_chrf
from core.metrics.bleu_tokenize import TOKENIZERS
from core.views import metrics as view
from core.views.decoding import lm_names, lm_options


def bleu(hypothesis: str, references: str, **settings):
    return view.bleu(hypothesis, references, **{"tokenize": "13a", "smooth": "exp", "lowercase": False, **settings})


@pytest.mark.parametrize("smooth", ["none", "floor", "add-k", "exp"])
@pytest.mark.parametrize("tokenize", ["13a", "char"])
def test_every_table_uses_the_headline_settings(smooth, tokenize):
    """Lowercase was left out of the smoothing and tokenisation tables (headline 36.79, table 10.12)."""
    result = bleu("The Cat sat on THE mat", "the cat is sitting on the mat", smooth=smooth, tokenize=tokenize,
                  lowercase=True)
    assert {r["smooth"]: r["score"] for r in result.by_smoothing}[smooth] == result.score
    assert {r["tokenize"]: r["score"] for r in result.by_tokenizer}[tokenize] == result.score
    assert [r["tokenize"] for r in result.by_tokenizer] == list(TOKENIZERS)
    reference = sacrebleu.sentence_bleu("The Cat sat on THE mat", ["the cat is sitting on the mat"],
                                        smooth_method=smooth, tokenize=tokenize, lowercase=True)
    assert result.score == pytest.approx(reference.score, abs=1e-9)
    assert result.signature.startswith("nrefs:1|case:lc|eff:yes|tok:" + tokenize)


def test_raw_and_smoothed_precisions_are_both_given():
    result = bleu("the cat sat", "the cat is here")  # 3-grams: 0 of 1 matched; exp smoothing makes it 50%
    third = result.orders[2]
    assert (third.matches, third.total, third.raw_precision) == (0, 1, 0.0)
    assert third.precision == pytest.approx(50.0) and third.smoothed
    assert result.orders[0].precision == result.orders[0].raw_precision and not result.orders[0].smoothed
    assert result.orders[3].precision is None and result.orders[3].total == 0  # beyond the effective order
    assert bleu("the cat sat", "the cat is here", smooth="none").orders[2].precision == 0.0


def test_the_geometric_mean_is_computed_in_core_and_makes_the_score():
    result = bleu("the cat sat on the mat", "the cat is sitting on the mat\nthere is a cat on the mat")
    means = [row.geometric_mean for row in result.orders]
    assert means[0] == pytest.approx(result.orders[0].precision)
    assert means[1] == pytest.approx(math.sqrt(result.orders[0].precision * result.orders[1].precision))
    assert result.bp * result.geometric_mean == pytest.approx(result.score) and result.geometric_mean == means[-1]


def test_ngram_chips_mark_matched_clipped_and_unmatched_and_are_capped():
    result = bleu("the the the cat", "the cat")
    assert [c.status for c in result.chips[1]] == ["matched", "clipped", "clipped", "matched"]
    assert result.chips[2][0].text == "the the" and result.chips[2][0].status == "unmatched"
    long = bleu(" ".join(["word"] * (view.MAX_CHIPS + 50)), "word")
    assert len(long.chips[1]) == view.MAX_CHIPS and long.chip_totals[1] == view.MAX_CHIPS + 50


def test_chinese_text_suggests_the_zh_tokenizer():
    hypothesis, references = view.EXAMPLES["chinese"][1:]
    with_13a = bleu(hypothesis, references)
    assert with_13a.score == 0.0 and "Choose zh" in with_13a.notes[0][0]
    with_zh = bleu(hypothesis, references, tokenize="zh")
    assert with_zh.score > 20 and "each Chinese character counts as a word" in with_zh.notes[0][0]
    assert bleu("the cat", "the cat").notes == []


def test_references_are_required_and_capped():
    with pytest.raises(InvalidText, match="at least one reference"):
        bleu("the cat", " \n\n")
    with pytest.raises(InvalidText, match="at most 10"):
        bleu("the cat", "\n".join(["the cat"] * 11))


@pytest.mark.parametrize("word_order", [0, 2])
def test_chrf_breakdown_equals_sacrebleu(word_order):
    hypothesis, references = "the cat sat on the mat.", "the cat is sitting on the mat.\nthere is a cat"
    result = view.chrf(hypothesis, references, word_order=word_order, lowercase=False)
    reference = sacrebleu.metrics.CHRF(word_order=word_order).sentence_score(hypothesis, references.split("\n"))
    assert result.score == pytest.approx(reference.score, abs=1e-9)
    assert len(result.orders) == 6 + word_order and result.name == ("chrF2++" if word_order else "chrF2")
    assert result.orders[-1]["unit"] == ("words" if word_order else "characters")
    assert result.signature.startswith("nrefs:2|case:mixed|eff:yes|nc:6|nw:" + str(word_order))


def test_rouge_on_chinese_counts_characters_or_says_why_not():
    hypothesis, references = view.EXAMPLES["chinese"][1:]
    characters = view.rouge_scores(hypothesis, references, stemmer=True, unicode=True)
    assert [token for token, _ in characters.hypothesis_tokens] == list("那只猫坐在席子上")
    assert characters.rows[0]["f1"] > 0.5 and "counted in characters" in characters.notes[0][0]
    ascii_only = view.rouge_scores(hypothesis, references, stemmer=True, unicode=False)
    assert ascii_only.rows[0]["f1"] == 0.0 and "deleted" in ascii_only.notes[0][0]
    assert view.rouge_scores("the cat", "the cat", stemmer=True, unicode=False).notes == []


def test_rouge_marks_the_lcs_and_refuses_texts_over_the_cap():
    result = view.rouge_scores("the cat was on a mat", "the cat sat on the mat", stemmer=False, unicode=False)
    assert [inside for _, inside in result.reference_tokens] == [True, True, False, True, False, True]
    with pytest.raises(InvalidText, match="at most 20,000"):
        view.rouge_scores("a " * 20_001, "a", stemmer=False, unicode=False)


def test_corpus_scores_and_the_paired_test_of_two_systems():
    a, b, references = view.parse_corpus(view.CORPUS)
    result = view.corpus(view.CORPUS, tokenize="13a", smooth="exp", lowercase=False)
    reference = sacrebleu.corpus_bleu(a, [references])
    assert result.bleu == pytest.approx(reference.score, abs=1e-9) and result.bleu_ci > 0
    assert result.mean_sentence_bleu != pytest.approx(result.bleu)
    bleu_test, chrf_test = result.comparisons
    expected = paired_bootstrap_bleu(a, b, [references])
    assert bleu_test.p_value == expected.p_value and bleu_test.b == expected.candidate.score
    assert chrf_test.p_value == paired_bootstrap_chrf(a, b, [references]).p_value
    assert bleu_test.significant == (bleu_test.p_value < 0.05) and "bs:1000|seed:12345" in bleu_test.signature
    one_system = view.corpus("the cat ||| the cat\nhello ||| hello there", tokenize="13a", smooth="exp",
                             lowercase=False)
    assert one_system.comparisons == [] and one_system.segments[0]["b"] is None


@pytest.mark.parametrize(("text", "message"), [("only one side", "Line 1 has 1 part"),
                                               ("a ||| b\na ||| b ||| c", "Line 2 has 3 part"),
                                               ("", "at least one line"),
                                               ("a ||| b\n" * (view.MAX_SEGMENTS + 1), "at most 500")])
def test_corpus_lines_that_cannot_be_read_get_a_sentence(text, message):
    with pytest.raises(InvalidText, match=message):
        view.corpus(text, tokenize="13a", smooth="exp", lowercase=False)


def test_examples_fill_their_texts_and_chinese_starts_in_chinese():
    assert view.example_texts("short") == {"met_hyp": "the cat", "met_refs": "the cat is sitting on the mat"}
    assert view.example_texts("no such example") == view.example_texts("cat")
    for param in (view.EXAMPLE, view.HYPOTHESIS, view.REFERENCES, view.TOKENIZE, view.UNICODE, view.CORPUS_TEXT):
        assert param.default_in("zh") != param.default, param.key
    hypothesis, references = view.example_texts(view.EXAMPLE.default_in("zh")).values()
    assert view.bleu(hypothesis, references, tokenize=view.TOKENIZE.default_in("zh"), smooth="exp",
                     lowercase=False).score > 0
    texts = [p for p in view.PARAMS if hasattr(p, "max_chars")]
    assert {p.key for p in texts} == {"met_hyp", "met_refs", "met_corpus", "met_ppl_text"}


@pytest.fixture(scope="module")
def lm():
    return train_lm(LMConfig(n_layer=1, n_embd=32, eval_interval=100), text="to be, or not to be, that is it. " * 40,
                    steps=10)


def test_perplexity_is_one_pass_with_tokens_surprisal_mean_and_perplexity(lm):
    calls = []
    hook = lm.model.register_forward_hook(lambda *_: calls.append(1))
    try:
        result = view.perplexity(lm, "to be or not to be")
    finally:
        hook.remove()
    assert len(calls) == 1  # the page ran two passes: perplexity() and token_surprisal()
    assert result.tokens == list("to be or not to be") and math.isnan(result.nats[0])
    assert result.mean == pytest.approx(sum(result.nats[1:]) / (len(result.nats) - 1))
    assert result.perplexity == pytest.approx(math.exp(result.mean)) and result.mean_bits == pytest.approx(
        result.mean / math.log(2))
    with torch.no_grad():
        ids = lm.encode("to be or not to be").view(1, -1)
        loss = lm.model(input_ids=ids, labels=ids).loss
    assert result.perplexity == pytest.approx(float(torch.exp(loss)), rel=1e-5)
    with pytest.raises(InvalidText, match="at least two tokens"):
        view.perplexity(lm, "t")
    with pytest.raises(InvalidText, match="at most 2,000"):
        view.perplexity(lm, "to be " * 400)


def test_the_model_picker_offers_the_default_first_then_trained_models():
    small = lm_spec(steps=20, config=LMConfig(n_layer=2))
    options = lm_options([small, lm_spec()])
    assert options == [lm_spec(), lm_spec("chinese"), small] and view.MODEL.default == lm_spec().key
    assert view.MODEL.default_in("zh") == lm_spec("chinese").key and view.PERPLEXITY_TEXT.default_in("zh")[0] == "我"
    names = lm_names(options)
    assert names[lm_spec().key][0].startswith("Default") and names[small.key][1]["layers"] == 2
    assert view.first_models() == [lm_spec(), lm_spec("chinese")] and isinstance(view.first_models()[0], JobSpec)
