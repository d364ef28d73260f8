"""Tokenizers against HF `tokenizers` and sentencepiece, hand-worked examples, and edge cases."""

from __future__ import annotations

import io
import itertools
import json
import math
import random

import pytest
import sentencepiece as spm
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from core.corpora import get_corpus, udhr_languages
from core.errors import InvalidSetting, InvalidText
from core.tokenizers import BPE, ByteLevelBPE, Tokenizer, Unigram, WordPiece
from core.tokenizers.analysis import at_step
from core.tokenizers.unigram import forward, kbest, viterbi

CLASSES = [BPE, ByteLevelBPE, WordPiece, Unigram]
EDGE_TEXTS = ["", "a", "한국어 텍스트", "👩‍👩‍👧 family 🙂", "e\u0301 combining", "שלום עולם مرحبا",
              "nul\x00and\x07control", "  spaces   and\ttabs\n\nlines  ", "a" * 300]


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return get_corpus("tinyshakespeare").text(max_chars=150_000).split("\n")


@pytest.fixture(scope="module")
def trained(lines) -> dict[type, Tokenizer]:
    return {cls: cls.train(lines, 600) for cls in CLASSES}


def hf_byte_level(texts: list[str], vocab_size: int) -> HFTokenizer:
    tokenizer = HFTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


@pytest.mark.parametrize("corpus,vocab_size", [("tinyshakespeare", 2000), ("udhr", 1500), ("chinese", 1200)])
def test_byte_level_merges_equal_hf_in_order(corpus, vocab_size):
    texts = get_corpus(corpus).text(max_chars=400_000).split("\n")
    ours = ByteLevelBPE.train(texts, vocab_size)
    reference = hf_byte_level(texts, vocab_size)
    assert [list(m) for m in ours.merges] == json.loads(reference.to_str())["model"]["merges"]
    assert ours.vocab == reference.get_vocab()
    sample = "\n".join(texts[:50])
    assert ours.encode(sample) == reference.encode(sample).ids


def test_byte_level_round_trips_every_udhr_language(trained):
    tokenizer = trained[ByteLevelBPE]
    corpus = get_corpus("udhr")
    for info in udhr_languages():
        text = corpus.document(info["code"]).text()
        assert tokenizer.decode(tokenizer.encode(text)) == text, info["code"]


def test_byte_level_round_trips_random_unicode(trained):
    tokenizer = trained[ByteLevelBPE]
    rng = random.Random(0)
    alphabet = [chr(c) for c in itertools.chain(range(0, 0x250), range(0x590, 0x700), range(0x4E00, 0x4E80),
                                                 range(0x1F600, 0x1F650)) if not 0xD800 <= c < 0xE000]
    alphabet += ["\u200d", "\u0301", "\u202e", "\ufeff", "👩‍👩‍👧", "🏳️‍🌈"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert tokenizer.decode(tokenizer.encode(text)) == text


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_edge_case_texts_encode_and_decode(trained, cls, text):
    tokenizer = trained[cls]
    ids = tokenizer.encode(text)
    assert ids == [p.id for p in tokenizer.pieces(text)]
    decoded = tokenizer.decode(ids)
    if cls is ByteLevelBPE:
        assert decoded == text
    elif text.replace(" ", "").isalnum() and text.isascii() and cls is not WordPiece:
        assert decoded.split() == text.split()  # whitespace is normalised, words kept
    for piece in tokenizer.pieces(text):
        assert 0 <= piece.start <= piece.end <= len(text)


@pytest.mark.parametrize("cls", CLASSES)
def test_hf_json_export_encodes_identically(trained, cls, tmp_path, lines):
    tokenizer = trained[cls]
    tokenizer.to_hf_json(tmp_path / "tokenizer.json")
    reference = HFTokenizer.from_file(str(tmp_path / "tokenizer.json"))
    for text in lines[:300:7] + ["Hello, world!", "unknown ☃ chars", "<|endoftext|> special"]:
        assert reference.encode(text).ids == tokenizer.encode(text), text


@pytest.mark.parametrize("cls", CLASSES)
def test_save_and_load_round_trip(trained, cls, tmp_path, lines):
    tokenizer = trained[cls]
    tokenizer.save(tmp_path / "t.json")
    loaded = Tokenizer.load(tmp_path / "t.json")
    assert type(loaded) is cls and loaded.vocab == tokenizer.vocab
    assert all(loaded.encode(line) == tokenizer.encode(line) for line in lines[:200])


def test_wordpiece_encoding_equals_hf_on_the_same_vocabulary(trained, lines):
    ours = trained[WordPiece]
    reference = HFTokenizer(models.WordPiece(ours.vocab, unk_token="[UNK]"))
    reference.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    reference.decoder = decoders.WordPiece()
    texts = lines[:2000] + ["naïve café", "x" * 150, "déjà-vu!!", "☃ snowman"]
    for text in texts:
        assert reference.encode(text).ids == ours.encode(text), text
        assert reference.decode(ours.encode(text)) == ours.decode(ours.encode(text))


def test_wordpiece_on_a_given_vocabulary_hand_worked():
    tokenizer = WordPiece.from_vocab(["[UNK]", "un", "##aff", "##able", "a", "##b", "##ff"])
    assert tokenizer.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert tokenizer.tokenize("unx") == ["[UNK]"]  # a word that cannot be covered is unknown whole


def hf_unigram_free_sentencepiece(lines: list[str], vocab_size: int) -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, normalization_rule_name="identity", remove_extra_whitespaces=False,
        split_by_unicode_script=False, split_by_number=False, bos_id=-1, eos_id=-1, num_threads=1,
        minloglevel=2)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


@pytest.fixture(scope="module")
def sentencepiece_model(lines):
    return hf_unigram_free_sentencepiece([l for l in lines if l.strip()], 800)


def test_unigram_viterbi_reproduces_sentencepiece_segmentation(sentencepiece_model, lines):
    sp = sentencepiece_model
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    scores = [sp.get_score(i) for i in range(sp.get_piece_size())]
    ours = Unigram(pieces, scores, special_tokens=["<unk>"])
    checked = 0
    for line in lines[:3000]:
        if line.strip() and "  " not in line:
            assert ours.tokenize(line) == sp.encode(line, out_type=str), line
            checked += 1
    assert checked > 1000


def test_unigram_compression_within_5_percent_of_sentencepiece(sentencepiece_model, lines):
    train = [l for l in lines if l.strip()]
    ours = Unigram.train(train, 800)
    held_out = get_corpus("tinyshakespeare").text()[-60_000:].split("\n")
    ours_tokens = sum(len(ours.encode(l)) for l in held_out if l.strip())
    their_tokens = sum(len(sentencepiece_model.encode(l)) for l in held_out if l.strip())
    assert ours_tokens <= 1.05 * their_tokens


def test_bpe_hand_worked_sennrich_example():
    corpus = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
    # [UNK], 10 characters, 3 word-final characters, then exactly five merges:
    tokenizer = BPE.train([" ".join(corpus)], 1 + 10 + 3 + 5)
    # (e, s) and (s, t</w>) both occur 9 times; the smaller pair of ids, (e, s), goes first.
    assert [s.new for s in tokenizer.trace] == ["es", "est</w>", "lo", "ew", "new"]
    assert [s.count for s in tokenizer.trace] == [9, 9, 7, 6, 6]
    assert tokenizer.tokenize("lowest newer") == ["lo", "w", "est</w>", "new", "e", "r</w>"]


def test_wordpiece_hand_worked_likelihood_score():
    # count(a ##b) / (count(a) count(##b)) = 2 / (3 * 2) ties with 1 / (3 * 1) for (a, ##a): the more
    # frequent pair wins the tie; then "a ##a" has the highest score of what is left.
    tokenizer = WordPiece.train(["aa ab ab"], 12)
    assert [(s.new, s.count, round(s.score, 4)) for s in tokenizer.trace] == [("ab", 2, 0.3333), ("aa", 1, 1.0)]


def test_unigram_lattice_algorithms_hand_worked():
    pieces = {"a": -1.0, "b": -1.5, "ab": -2.0, "abb": -4.0, "bb": -2.2}
    word = "abb"
    edges = [(i, j, k, pieces[word[i:j]]) for k, (i, j) in enumerate(
        (i, j) for i in range(3) for j in range(i + 1, 4)) if word[i:j] in pieces]
    # Every segmentation: a|b|b -4.0, ab|b -3.5, a|bb -3.2, abb -4.0. The best is a|bb.
    assert [(e[0], e[1]) for e in viterbi(3, edges)] == [(0, 1), (1, 3)]
    log_z = forward(3, edges)
    assert log_z == pytest.approx(math.log(sum(math.exp(s) for s in (-4.0, -3.5, -3.2, -4.0))))
    best = kbest(3, edges, 4)
    assert [round(score, 2) for score, _ in best] == [-3.2, -3.5, -4.0, -4.0]


def test_unigram_nbest_probabilities_and_sampling(trained):
    tokenizer = trained[Unigram]
    best = tokenizer.nbest("unhappiness", 5)
    probabilities = [p for _, p in best]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-9
    assert best[0][0] == tokenizer.tokenize("unhappiness")
    samples = {tuple(tokenizer.sample("unhappiness", alpha=0.1, seed=s)) for s in range(30)}
    assert len(samples) > 1 and all("".join(s) == "\u2581unhappiness" for s in samples)


def test_replay_reproduces_partial_training(trained):
    tokenizer = trained[ByteLevelBPE]
    assert at_step(tokenizer, 0).tokenize("the") == ["t", "h", "e"]
    full = at_step(tokenizer, len(tokenizer.trace))
    assert full.encode("the king's men") == tokenizer.encode("the king's men")
    with pytest.raises(InvalidSetting, match="step must be between"):
        at_step(tokenizer, len(tokenizer.trace) + 1)


@pytest.mark.parametrize("cls", CLASSES)
def test_bad_input_gets_clear_messages(cls, trained):
    with pytest.raises(InvalidText, match="no text"):
        cls.train(["", "   "], 500)
    with pytest.raises(InvalidSetting, match="smaller than"):
        cls.train(["hello world"], 3)
    with pytest.raises(InvalidSetting, match="whole number"):
        cls.train(["hello world"], "many")
    with pytest.raises(InvalidSetting, match="outside this vocabulary"):
        trained[cls].decode([10**6])


@pytest.mark.parametrize("cls", CLASSES)
def test_vocabulary_larger_than_the_corpus_can_fill_stops_early(cls):
    tokenizer = cls.train(["tiny text"], 5000)
    assert tokenizer.vocab_size < 5000 and tokenizer.decode(tokenizer.encode("tiny")).strip() == "tiny"
