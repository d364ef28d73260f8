"""The corpus registry and the checks on a user's own text."""

from __future__ import annotations

import pytest

from core import settings
from core.corpora import decode_user_text, get_corpus, shipped_corpora, udhr_languages, user_corpus
from core.errors import InvalidText, UnknownName


def test_every_shipped_corpus_streams_lines_and_keeps_its_source():
    corpora = {c.name: c for c in shipped_corpora()}
    assert set(corpora) == {"tinyshakespeare", "gutenberg", "udhr", "chinese"}
    for corpus in corpora.values():
        assert corpus.source.is_file() and "icen" in corpus.source.read_text(encoding="utf-8")
        first = next(iter(corpus.lines()))
        assert isinstance(first, str) and not first.endswith("\n")
    assert len(corpora["gutenberg"].documents) == 263
    assert len(corpora["udhr"].documents) == len(udhr_languages()) == 78
    assert corpora["tinyshakespeare"].text().startswith("First Citizen:")


def test_text_is_cut_at_a_line_end():
    text = get_corpus("tinyshakespeare").text(max_chars=100)
    assert len(text) <= 100 and get_corpus("tinyshakespeare").text().startswith(text)


def test_chinese_and_udhr_are_real_unicode():
    assert "狂人日記" in get_corpus("chinese").document("nahan").text()
    assert get_corpus("udhr").document("cmn_hans").text().strip()


def test_unknown_corpus_names_the_choices():
    with pytest.raises(UnknownName, match="tinyshakespeare"):
        get_corpus("shakespear")


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    ("   \n\t ", "empty"),
    (b"caf\xe9 au lait", "not UTF-8 text \\(byte 0xe9 at position 3\\)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_bad_user_text_gets_a_clear_message(data, message):
    with pytest.raises(InvalidText, match=message):
        decode_user_text(data)


def test_size_cap(monkeypatch):
    monkeypatch.setenv(settings.ENV_MAX_TEXT_MB, "0.001")
    with pytest.raises(InvalidText, match="limit is 0 MB"):
        decode_user_text("x" * 2000)


@pytest.mark.parametrize("text", ["héllo wörld\r\nline two", "👩‍👩‍👧 emoji\u200d", "עברית العربية", "\ufeffBOM first"])
def test_user_text_becomes_a_corpus_with_a_stable_name(text):
    corpus = user_corpus(text.encode("utf-8"))
    assert corpus.name.startswith("upload:") and user_corpus(text).name == corpus.name
    assert get_corpus(corpus.name).text() == decode_user_text(text.encode("utf-8"))
    assert "\r" not in corpus.text()


def test_forgotten_upload_asks_to_upload_again():
    with pytest.raises(UnknownName, match="upload it again"):
        get_corpus("upload:0123456789abcdef")
