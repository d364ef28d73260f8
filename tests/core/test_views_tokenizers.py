"""The tokenizers page's computations: one display convention, the lattice as encoding sees it,
the caps, WordPiece's caveat, the comparison with GPT-4's tokenizers, the localized defaults."""

from __future__ import annotations

import pytest

from core.errors import Refused
from core.tokenizers import ByteLevelBPE, Unigram, pretokenize
from core.tokenizers.analysis import cost_by_language
from core.tokenizers.display import LEGEND
from core.tokenizers.external import from_json_bytes
from core.tokenizers.jobs import ALGORITHMS, train_tokenizer, training_lines
from core.tokenizers.lattice import Lattices
from core.tokenizers.unigram import viterbi, viterbi_all
from core.views import tokenizers as view
from core.views.params import Text


@pytest.fixture(scope="module")
def trained():
    lines = training_lines("tinyshakespeare", {"max_chars": 300_000})
    return {algorithm: train_tokenizer(lines, algorithm, 300) for algorithm in ALGORITHMS}


def shown(split: view.Split) -> list[str]:
    return [chip.shown for chip in split.chips]


def test_unknown_characters_are_unk_edges_in_the_lattice_as_in_encoding(trained):
    unigram: Unigram = trained["unigram"]
    result = view.lattice(unigram, "un日本ly", alpha=0.2)
    unknown = [edge for edge in result.edges if edge.unknown]
    assert [(e.start, e.end, e.label) for e in unknown] == [(3, 4, "<unk>"), (4, 5, "<unk>")]
    assert all(e.best and e.score == pytest.approx(min(unigram.scores[1:]) - 10) for e in unknown)
    best = [edge.label for edge in sorted(result.edges, key=lambda e: e.start) if edge.best]
    merged = [label for i, label in enumerate(best) if not (label == "<unk>" and best[i - 1] == "<unk>")]
    assert best.count("<unk>") == 2 and merged == unigram.tokenize("un日本ly")  # the path encoding takes
    assert result.nbest[0][0] == " | ".join(unigram.tokenize("un日本ly"))  # a run of unknowns: one <unk>
    assert 0 < result.nbest[0][1] < 1 and all("日" not in s for s, _ in result.nbest) and len(result.samples) == 8


def test_one_viterbi_serves_one_word_and_many():
    # "ab": a|b and ab both score -2.0; at node 2 the first edge met, (0, 2), wins (sentencepiece's
    # strict >). "abb": ab|b and a|b|b tie at -3.0 and share that node 2, so ab|b; a|bb is -3.2.
    pieces = {"a": -1.0, "b": -1.0, "ab": -2.0, "bb": -2.2, "abb": -4.0}

    def edges(word):
        return [(i, j, k, pieces[word[i:j]]) for k, (i, j) in enumerate(
            (i, j) for j in range(1, len(word) + 1) for i in range(j)) if word[i:j] in pieces]
    both = viterbi_all([(3, edges("abb")), (2, edges("ab"))])
    assert [[(e[0], e[1]) for e in path] for path in both] == [[(0, 2), (2, 3)], [(0, 2)]]
    assert both == [viterbi(3, edges("abb")), viterbi(2, edges("ab"))]
    import core.tokenizers.unigram as unigram
    assert unigram.Lattices is Lattices  # the batched one, not a second implementation


def test_every_token_is_shown_in_one_convention(trained):
    text = "the king 你好"
    splits = {split.name: split for split in view.split_all(trained, text)}
    byte_level = shown(splits[view.NAMES["byte_bpe"]])
    assert "·k" in "".join(byte_level) and not any("Ġ" in s or "ä" in s for s in byte_level)
    assert any(s.startswith("⟨e4") for s in byte_level)  # part of 你, as hex bytes
    chip = splits[view.NAMES["byte_bpe"]].chips[-1]
    assert chip.text == "好" and chip.bytes  # its character and bytes, for the hover
    assert "·" not in "".join(shown(splits[view.NAMES["bpe"]]))  # BPE has no spaces: </w> ends words
    replay = view.replay(trained["byte_bpe"], "byte_bpe", "tinyshakespeare", 40, "the king")
    assert any(row["new"].startswith("·") for row in replay.rows) and not any("Ġ" in row["new"] for row in replay.rows)
    assert all(mark in LEGEND for mark in ("·", "↵", "⟨e4 bd⟩", "▁", "</w>", "##"))
    compared = view.compare(trained["byte_bpe"], "byte_bpe", "你好 world")
    for split in compared[1:]:  # GPT-4's and GPT-4o's tokens in the same convention
        assert "·world" in shown(split) and not any("Ġ" in s for s in shown(split))


def test_yours_against_gpt4_counts_the_same_text(trained):
    text = "Tokenizers cut text into pieces. 大语言模型"
    compared = view.compare(trained["wordpiece"], "wordpiece", text)
    assert [s.name for s in compared] == [view.NAMES["wordpiece"], "GPT-4 / GPT-3.5 · cl100k_base",
                                          "GPT-4o · o200k_base"]
    assert compared[1].stats.tokens == len(view.reference("cl100k_base").encode(text))
    assert all(s.stats.characters == len(text) for s in compared)
    assert compared[2].stats.chars_per_token == pytest.approx(len(text) / compared[2].stats.tokens)


def test_chips_are_capped_and_counts_cover_every_token(trained):
    text = " a" * 3000
    split = view.split(trained["byte_bpe"], text, "x")
    assert len(split.chips) == view.MAX_CHIPS and split.cut and split.stats.tokens == 3000
    assert all(isinstance(p, Text) and p.max_chars <= 5_000 for p in view.PARAMS if isinstance(p, Text))


def test_wordpiece_merges_come_with_where_berts_vocabulary_came_from(trained):
    replay = view.replay(trained["wordpiece"], "wordpiece", "tinyshakespeare", 5, "EDWARD")
    templates = [template for template, _ in replay.notes]
    assert templates == [view.WORDPIECE_ORIGIN, view.WORDPIECE_SHAKESPEARE]
    fields = replay.notes[0][1]
    assert fields["merges"].split(", ")[:2] == [s.new for s in trained["wordpiece"].trace[:2]]
    assert "Wikipedia" in view.WORDPIECE_ORIGIN and "speakers' names" in view.WORDPIECE_SHAKESPEARE
    assert view.replay(trained["bpe"], "bpe", "tinyshakespeare", 5, "x").notes == []
    assert replay.rows[0]["step"] == 1 and replay.rows[0]["score"] is not None


def test_language_costs_put_languages_on_x_and_tokens_per_character_on_y(trained):
    rows = cost_by_language(trained["byte_bpe"])
    costs = view.language_costs(rows, rows)
    assert [s.name for s in costs.series] == [label for _, label in view.LANGUAGE_MODELS]
    assert costs.series[0].x == costs.languages and costs.series[0].y == sorted(costs.series[0].y)
    assert "English" in costs.languages and "tokens_per_char" not in view.CJK_MEASURED
    chinese = next(r for r in rows if r["code"] == view.CHINESE)
    assert costs.chinese == {"english": chinese["tokens_per_char"], "multilingual": chinese["tokens_per_char"]}
    assert 1 < costs.chinese["english"] <= 3  # an English-only 300-token vocabulary: up to 3 bytes a character


def test_sweep_series_are_one_line_per_algorithm():
    rows = [{"algorithm": a, "vocab_size": n, "chars_per_token": n / 100} for a in ALGORITHMS for n in (300, 600)]
    series = view.sweep_series({"rows": rows[:-1]})
    assert [s.name for s in series] == [view.NAMES[a] for a in ALGORITHMS]
    assert series[0].x == [300, 600] and series[-1].y == [3.0]


def test_the_chinese_page_starts_on_chinese_text_with_a_vocabulary_that_fits():
    assert view.CORPUS.default_in("zh") == "chinese" and view.VOCAB.default_in("zh") in view.vocab_sizes("chinese")
    assert all("\u4e00" <= ch <= "\u9fff" for ch in view.TEXT.default_in("zh")[:5])
    assert view.vocab_sizes("tinyshakespeare") == list(view.SIZES) and min(view.vocab_sizes("chinese")) >= 7000
    lines = training_lines("chinese", {})
    assert train_tokenizer(lines, "wordpiece", view.vocab_sizes("chinese")[0]).vocab_size > 7000
    assert "3 bytes" in view.CJK_WHY and "UTF-8" in view.CJK_WHY
    assert len(view.first_models()) == 8


def test_bytes_table_is_capped_and_names_the_files_form(trained):
    result = view.bytes_view(trained["byte_bpe"], "你" * 150)
    assert len(result.rows) == view.MAX_BYTE_ROWS and result.cut
    assert result.rows[0] == {"character": "你", "code_point": "U+4F60", "utf8": "e4 bd a0", "byte_chars": "ä½ł"}


def test_downloads_are_named_after_their_settings():
    spec = view.specs("tinyshakespeare", 1000, True)[2]
    assert view.export_name(spec) == "wordpiece-1000-tinyshakespeare-nfkc-tokenizer.json"


def test_byte_characters_are_translated_without_a_second_table():
    assert not hasattr(pretokenize, "_latin1_to_byte_chars")
    every_byte = bytes(range(256))
    assert pretokenize.from_byte_chars(pretokenize.to_byte_chars(every_byte.decode("latin-1"))) == \
        every_byte.decode("latin-1").encode("utf-8")


def test_an_uploaded_tokenizer_is_shown_like_ours_and_hub_names_are_refused():
    ours = ByteLevelBPE.train(["to be or not to be, that is the question"] * 20, 300)
    external = from_json_bytes(ours.hf_json().encode(), "mine.json")
    assert view.byte_level(external)
    assert shown(view.external_split(external, "to be")) == shown(view.split(ours, "to be", "x"))
    assert view.load_external(None, "", "  ") is None
    with pytest.raises(Refused, match="turned off"):
        view.load_external(None, "", "gpt2")
    assert view.source_note() == view.HUB_OFF
