"""OpenAI's reference tokenizers (cl100k_base, o200k_base) offline, against tiktoken itself.

tiktoken cannot download its vocabularies here, so it is pointed at the files bpe-openai ships,
after checking them against tiktoken's own SHA-256 (`expected_hash`): the comparison is then
tiktoken's real encoder on the real vocabulary, not bpe-openai against itself.
"""

from __future__ import annotations

import gzip
import importlib.resources
import itertools
import random

import pytest

from core.corpora import get_corpus, udhr_languages
from core.errors import InvalidSetting, InvalidText, UnknownName
from core.tokenizers import reference as reference_module
from core.tokenizers.reference import (CHUNK_CHARS, REFERENCES, ReferenceTokenizer, available_references,
                                       reference, resolve)

NAMES = list(REFERENCES)
UNICODE_TEXTS = [
    "你好，世界！这是一个测试。", "人人生而自由，在尊严和权利上一律平等。", "🙂 👩‍👩‍👧 family 🇫🇷 flags 🤌🏽",
    "naïve café e\u0301 combining", "שלום עולם مرحبا بالعالم", "한국어 텍스트", "नमस्ते दुनिया", "ᐊᐃᖓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈",
    "nul\x00and\x07control\x1c", "  spaces   and\ttabs\n\n\r\nlines  \n", "a" * 3000, "1234567890 3.14159 1e-9",
    "I'll we've they're DON'T it's", "<|endoftext|> between <|endofprompt|> specials", "",
]


@pytest.fixture(scope="module")
def backend():
    return pytest.importorskip("bpe_openai")


@pytest.fixture(scope="module", params=NAMES)
def tok(request, backend) -> ReferenceTokenizer:
    return reference(request.param)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    """A few hundred varied lines: every UDHR language (several scripts) and Shakespeare."""
    udhr = get_corpus("udhr")
    chosen = []
    for language in udhr_languages():
        text = udhr.document(language["code"]).text()
        chosen.extend(line for line in text.split("\n")[:6] if line.strip())
    shakespeare = get_corpus("tinyshakespeare").text(max_chars=40_000).split("\n")
    chosen.extend(random.Random(0).sample(shakespeare, 150))
    return chosen


@pytest.fixture(scope="module")
def tiktoken_encodings(backend, tmp_path_factory):
    """tiktoken's own cl100k_base/o200k_base definitions, with the vocabulary read from bpe-openai's files."""
    tiktoken = pytest.importorskip("tiktoken")
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    from tiktoken.load import load_tiktoken_bpe

    folder = tmp_path_factory.mktemp("tiktoken-vocab")
    for name in NAMES:
        packed = importlib.resources.files("bpe_openai.data").joinpath(f"{name}.tiktoken.gz").read_bytes()
        (folder / f"{name}.tiktoken").write_bytes(gzip.decompress(packed))

    def local(url: str, expected_hash: str | None = None):
        assert expected_hash, "tiktoken must check the hash of the vocabulary"
        return load_tiktoken_bpe(str(folder / url.rsplit("/", 1)[-1]), expected_hash=expected_hash)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", "")  # nothing written to the user's temp folder
        patch.setattr(openai_public, "load_tiktoken_bpe", local)
        return {name: tiktoken.Encoding(**getattr(openai_public, name)()) for name in NAMES}


# ---- known ids ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, text, ids", [
    ("cl100k_base", "hello world", [15339, 1917]),
    ("cl100k_base", "tiktoken is great!", [83, 1609, 5963, 374, 2294, 0]),
    ("cl100k_base", "<|endoftext|>", [100257]),
    ("o200k_base", "hello world", [24912, 2375]),
    ("o200k_base", "<|endoftext|>", [199999]),
])
def test_known_ids(backend, name, text, ids):
    assert reference(name).encode(text) == ids


def test_names_models_and_vocab_sizes(tok):
    assert tok.vocab_size == tok.info.vocab_size == {"cl100k_base": 100_277, "o200k_base": 200_019}[tok.name]
    assert reference(tok.models[0]) is tok  # cached, and a model name finds its encoding
    assert reference(tok.name.upper()) is tok
    assert resolve("gpt-4").name == "cl100k_base" and resolve("gpt-4o").name == "o200k_base"
    assert [info.name for info in available_references()] == NAMES


# ---- round trip and offsets -------------------------------------------------------------
@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_round_trip_and_spans(tok, text):
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    pieces = tok.pieces(text)
    assert [p.id for p in pieces] == ids
    assert b"".join(tok.token_bytes_of(i) for i in ids) == text.encode("utf-8")
    if not text:
        assert pieces == []
        return
    assert pieces[0].start == 0 and pieces[-1].end == len(text)
    for before, after in itertools.pairwise(pieces):
        assert before.start <= after.start <= before.end <= after.end  # contiguous; a cut character is shared
    for piece in pieces:
        raw = text[piece.start:piece.end].encode("utf-8")
        own = piece.token.encode("utf-8") if piece.token in tok.special_tokens else tok.token_bytes(piece.token)
        assert own == tok.token_bytes_of(piece.id) and own in raw


def test_cut_characters_span_the_whole_character(backend):
    tok = reference("cl100k_base")
    pieces = tok.pieces("𝔘")  # a 4-byte character cl100k_base has no single token for
    assert len(pieces) > 1 and all((p.start, p.end) == (0, 1) for p in pieces)
    assert "".join(tok.decode([p.id]) for p in pieces) != "𝔘"  # alone, a cut piece decodes to �
    assert tok.decode([p.id for p in pieces]) == "𝔘"
    assert tok.tokenize(" hello") == ["Ġhello"]


def test_lone_surrogates_become_replacement_characters(tok):
    text = "a\ud800b"
    assert tok.decode(tok.encode(text)) == "a\ufffdb"
    assert tok.pieces(text)[-1].end == len(text)


# ---- against tiktoken --------------------------------------------------------------------
def test_equals_tiktoken_on_varied_lines(tok, tiktoken_encodings, lines):
    expected = tiktoken_encodings[tok.name]
    assert len(lines) >= 300
    mismatches = [line for line in lines if tok.encode(line) != expected.encode_ordinary(line)]
    assert mismatches == []


def test_equals_tiktoken_with_special_tokens(tok, tiktoken_encodings):
    expected = tiktoken_encodings[tok.name]
    text = "Hello<|endoftext|>world <|endofprompt|>\n\n<|endoftext|>"
    assert tok.encode(text) == expected.encode(text, allowed_special="all")
    assert tok.decode(tok.encode(text)) == text


def test_equals_tiktoken_on_long_texts_cut_into_chunks(tok, tiktoken_encodings):
    """Whole Tiny Shakespeare (1.1M characters, over bpe-openai's 1M limit for one call) and one
    long line with no break: the cuts between chunks must not change a single id."""
    expected = tiktoken_encodings[tok.name]
    shakespeare = get_corpus("tinyshakespeare").text()
    assert len(shakespeare) > 1_000_000 and len(reference_module._cuts(shakespeare)) > 20
    assert tok.encode(shakespeare) == expected.encode_ordinary(shakespeare)
    long_line = "word, 你好 🙂 " * (CHUNK_CHARS // 5)
    assert tok.encode(long_line) == expected.encode_ordinary(long_line)


def test_cuts_rejoin_to_the_text():
    text = ("line of text\n  indented\n\nNext 42\n" * 5000) + "x" * (CHUNK_CHARS + 10)
    parts = reference_module._cuts(text)
    assert "".join(parts) == text and len(parts) > 2
    assert all(part[:1].isalnum() for part in parts[1:])  # every cut falls before a letter or digit


# ---- errors ------------------------------------------------------------------------------
def test_errors_are_typed_and_templated(backend):
    tok = reference("cl100k_base")
    with pytest.raises(UnknownName) as unknown:
        reference("gpt-2000")
    assert "gpt-2000" in str(unknown.value) and unknown.value.fields["name"] == "gpt-2000"
    with pytest.raises(InvalidSetting) as outside:
        tok.decode([100_277])
    assert outside.value.fields == {"id": 100_277, "name": "cl100k_base", "last": 100_276}
    assert "{id}" in outside.value.template
    with pytest.raises(InvalidSetting, match="not used"):
        tok.decode([100_261])  # cl100k_base leaves 100261..100275 unused
    with pytest.raises(InvalidSetting):
        tok.decode([-1])
    with pytest.raises(InvalidSetting):
        tok.decode(["15339"])
    with pytest.raises(InvalidText):
        tok.encode(b"bytes")


def test_missing_package_is_reported_not_raised_on_listing(monkeypatch):
    monkeypatch.setattr(reference_module, "backend_installed", lambda: False)
    monkeypatch.setattr(reference_module, "_cache", {})
    assert available_references() == []
    with pytest.raises(InvalidSetting, match="pip install bpe-openai") as error:
        reference("gpt-4o")
    assert error.value.fields == {"name": "o200k_base", "title": "GPT-4o"}
