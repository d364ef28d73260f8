"""What the tokenizers page shows: the four tokenizers' splits, GPT-4's beside yours, the training
replay, efficiency across vocabulary sizes and languages, the Unigram lattice, bytes, import/export.

The page's settings are declared here (`PARAMS`); each tab is one function returning plain data
that the page draws. Every token is written in one convention (`core.tokenizers.display`), and
the work per request is bounded: chips drawn (`MAX_CHIPS`), rows of the byte table
(`MAX_BYTE_ROWS`), characters of each text (the `Text` params' `max_chars`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Protocol

from core import hub
from core.i18n import N_
from core.jobs import JobSpec
from core.tokenizers import ByteLevelBPE, Tokenizer, Unigram, WordPiece
from core.tokenizers.analysis import TextStats, at_step, merge_count, text_stats
from core.tokenizers.base import Piece
from core.tokenizers.display import token_text, visible
from core.tokenizers.external import ExternalTokenizer, from_json_bytes, from_pretrained
from core.tokenizers.jobs import ALGORITHMS, default_spec, training_lines
from core.tokenizers.pretokenize import from_byte_chars, to_byte_chars
from core.tokenizers.reference import (
    ReferenceTokenizer,
    available_references,
    reference,
)
from core.tokenizers.unigram import viterbi
from core.views.params import Choice, Flag, Number, Params, Text

NAMES = {"bpe": N_("BPE (characters)"), "byte_bpe": N_("Byte-level BPE (GPT-2)"),
         "wordpiece": N_("WordPiece (BERT)"), "unigram": N_("Unigram (sentencepiece)")}
REPLAYED = ("bpe", "byte_bpe", "wordpiece")  # the algorithms that learn merges (Unigram prunes instead)
CORPORA = {"tinyshakespeare": N_("Tiny Shakespeare"), "gutenberg": N_("English Gutenberg books"),
           "udhr": N_("Universal Declaration of Human Rights (every language)"),
           "chinese": N_("Chinese classics (Lu Xun, Hong Lou Meng)")}
SIZES = (300, 500, 1000, 2000, 4000, 8000, 16000)
MAX_CHIPS = 2_000  # tokens drawn per tokenizer: 20,000 characters of chips were 12 MB of HTML a rerun
MAX_BYTE_ROWS = 100  # characters in the byte table
N_BEST = 8  # segmentations listed in the lattice tab
N_SAMPLES = 8  # segmentations sampled there
LANGUAGE_VOCAB = 4000  # the two byte-level tokenizers compared across languages
SAMPLE = "The quick brown fox can't jump over lazy dogs: unhappiness, 1984 ... 你好，世界！ 🙂 naïve café"
SAMPLE_ZH = "大语言模型读到的不是字，而是词元（token）。同一句话，换一个分词器，词元数就不一样：你好，世界！🙂 GPT-4"

TAB = Choice("tok_tab", "split", N_("Section"),
             options=("split", "compare", "replay", "efficiency", "lattice", "bytes", "io"),
             names={"split": N_("Split text"), "compare": N_("Yours vs GPT-4"), "replay": N_("Training replay"),
                    "efficiency": N_("Efficiency"), "lattice": N_("Unigram lattice"), "bytes": N_("Bytes"),
                    "io": N_("Import / export")})
CORPUS = Choice("tok_corpus", "tinyshakespeare", N_("Train on"), options=tuple(CORPORA), names=CORPORA,
                help=N_("The text the four tokenizers learn their vocabularies from."), localized={"zh": "chinese"})
VOCAB = Choice("tok_vocab", 1000, N_("Vocabulary size"), options=SIZES, localized={"zh": 8000},
               help=N_("Bigger vocabularies hold longer pieces: fewer tokens per text. A corpus with many "
                       "different characters needs a vocabulary that holds them all."))
NFKC = Flag("tok_nfkc", False, N_("NFKC"), help=N_("Unicode normalisation first (ﬁ → fi, full-width → ASCII)."))
TEXT = Text("tok_text", SAMPLE, N_("Text"), max_chars=5_000, localized={"zh": SAMPLE_ZH})
YOURS = Choice("tok_yours", "byte_bpe", N_("Your tokenizer"), options=ALGORITHMS, names=NAMES)
REPLAY_ALGORITHM = Choice("tok_replay_algo", "bpe", N_("Algorithm"), options=REPLAYED, names=NAMES)
REPLAY_STEP = Number("tok_replay_step", 20, N_("Merges learned so far"), low=0, high=max(SIZES))
REPLAY_TEXT = Text("tok_replay_text", "unhappiness is the lowest of the low", N_("Sentence"), max_chars=200,
                   localized={"zh": "我们今天不去上学了，因为下雨了"})
LATTICE_TEXT = Text("tok_lattice_text", "unhappiness", N_("Text (short)"), max_chars=40,
                    localized={"zh": "不高兴的人"})
ALPHA = Number("tok_alpha", 0.2, N_("Sampling temperature α (smaller: more varied)"), low=0.05, high=1.0, step=0.05,
               integer=False)
BYTES_TEXT = Text("tok_bytes_text", "naïve 你好 🙂", N_("Text"), max_chars=200, localized={"zh": "你好，世界 🙂"})
SOURCE = Text("tok_hub_name", "", N_("Folder or Hub name"), max_chars=200,
              help=N_("A folder inside the server's model folders (starting with ./ or /), or a Hub name."))
# the tabs' own settings first, the training settings last: a check that changes each in turn
# (tests/app/session_vs_link.py) reaches every tab's before a new corpus leaves nothing trained
PARAMS = Params("tok_", [TAB, TEXT, YOURS, REPLAY_ALGORITHM, REPLAY_STEP, REPLAY_TEXT, LATTICE_TEXT, ALPHA, BYTES_TEXT,
                         SOURCE, NFKC, VOCAB, CORPUS])


class Splitter(Protocol):
    """What the page splits with: a trained tokenizer, a reference (GPT-4's) or an uploaded one."""

    vocab_size: int

    def pieces(self, text: str) -> list[Piece]: ...


# ---- the tokenizers the page trains ---------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def vocab_sizes(corpus: str) -> list[int]:
    """The sizes every algorithm can train on `corpus`: at least its characters twice over (a
    character and its word-final or `##` form) plus the special tokens. Chinese (3,500 characters)
    and the UDHR (3,200) need 8,000; Tiny Shakespeare (64) any size."""
    characters = len(set("".join(training_lines(corpus, {}))))
    return [size for size in SIZES if size >= 2 * characters + 5] or [max(SIZES)]


def specs(corpus: str, vocab_size: int, nfkc: bool) -> list[JobSpec]:
    """The four tokenizers' training jobs, in `ALGORITHMS` order."""
    return [default_spec(algorithm, corpus, vocab_size, normalization="nfkc" if nfkc else None)
            for algorithm in ALGORITHMS]


def first_models() -> list[JobSpec]:
    """What the page opens on, in English (Tiny Shakespeare) and in Chinese (the Chinese corpus)."""
    return [*specs(CORPUS.default, VOCAB.default, False),
            *specs(CORPUS.default_in("zh"), VOCAB.default_in("zh"), False)]


# ---- splitting a text -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Chip:
    """One token as the page draws it."""

    shown: str  # the token in the one display convention (`core.tokenizers.display`)
    id: int
    text: str  # the characters of the text it covers, whitespace visible
    bytes: str  # a byte-level token's bytes in hex; "" for the others


@dataclass(frozen=True)
class Split:
    name: str  # English (translated where shown) or a proper name
    vocab_size: int
    chips: list[Chip]  # the first MAX_CHIPS tokens
    stats: TextStats  # over every token

    @property
    def cut(self) -> bool:
        """Whether some tokens are not drawn (see MAX_CHIPS)."""
        return self.stats.tokens > len(self.chips)


def byte_level(tokenizer: Splitter) -> bool:
    """Whether the tokenizer's tokens are GPT-2 byte characters. An uploaded one is asked how it
    writes " ä": a byte-level tokenizer writes its bytes 20 c3 a4 as `ĠÃ¤`."""
    if isinstance(tokenizer, (ByteLevelBPE, ReferenceTokenizer)):
        return True
    if isinstance(tokenizer, ExternalTokenizer):
        return "".join(p.token for p in tokenizer.pieces(" ä")) == to_byte_chars(" ä")
    return False


def split(tokenizer: Splitter, text: str, name: str) -> Split:
    """`text` cut by `tokenizer`: its first MAX_CHIPS tokens as chips, and counts over all of them."""
    pieces = tokenizer.pieces(text)
    source = tokenizer.normalize(text) if isinstance(tokenizer, Tokenizer) else text  # spans index this
    is_bytes = byte_level(tokenizer)
    chips = [Chip(token_text(p.token, byte_level=is_bytes), p.id, visible(source[p.start:p.end]),
                  from_byte_chars(p.token).hex(" ") if is_bytes and _byte_chars(p.token) else "")
             for p in pieces[:MAX_CHIPS]]
    return Split(name, tokenizer.vocab_size, chips, text_stats(text, pieces))


def _byte_chars(token: str) -> bool:
    try:
        from_byte_chars(token)
    except KeyError:
        return False
    return True


def split_all(tokenizers: dict[str, Tokenizer], text: str) -> list[Split]:
    """The text split by each of the four trained tokenizers."""
    return [split(tokenizers[a], text, NAMES[a]) for a in ALGORITHMS]


# ---- yours vs GPT-4 -------------------------------------------------------------------------------
def compare(yours: Tokenizer, algorithm: str, text: str) -> list[Split]:
    """The text split by your tokenizer and by each reference this server has (Tiktokenizer's
    comparison: GPT-4's cl100k_base and GPT-4o's o200k_base, offline through bpe-openai)."""
    return [split(yours, text, NAMES[algorithm]),
            *(split(reference(info.name), text, f"{info.title} · {info.name}") for info in available_references())]


def references_missing() -> bool:
    """Whether the reference tokenizers cannot load here (the bpe-openai package is missing)."""
    return not available_references()


# ---- training replay ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replay:
    vocab_size: int  # after `step` merges
    split: Split  # the sentence as the tokenizer cut it then
    rows: list[dict]  # the merges around `step`: step, left, right, new, count, score (WordPiece only)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # caveats: (English template, fields)


def replay_steps(tokenizer: Tokenizer) -> int:
    """How many merges the replay can show."""
    return merge_count(tokenizer)


WORDPIECE_ORIGIN = N_("BERT's WordPiece vocabulary was built by Google's own tool (never released) on Wikipedia "
                      "and BooksCorpus. Here WordPiece is trained on {corpus}, so its merges are that text's: its "
                      "first are {merges}.")
WORDPIECE_SHAKESPEARE = N_("On Tiny Shakespeare these are the speakers' names in capitals (EDWARD, OXFORD): rare "
                           "letters that occur only together, which is exactly what count(ab) / (count(a)·count(b)) "
                           "rewards.")
MERGE_RULES = N_("BPE merges the most frequent pair; WordPiece the pair with the highest count(ab) / "
                 "(count(a)·count(b)), which favours pieces that belong together.")


def replay(tokenizer: Tokenizer, algorithm: str, corpus: str, step: int, sentence: str) -> Replay:
    """The tokenizer after its first `step` merges: the sentence's split and the merges around
    that step; WordPiece's with where BERT's own vocabulary came from."""
    partial = at_step(tokenizer, step)
    is_bytes = byte_level(tokenizer)
    first = max(0, step - 10)
    rows = [{"step": i, "left": token_text(s.left, byte_level=is_bytes),
             "right": token_text(s.right, byte_level=is_bytes), "new": token_text(s.new, byte_level=is_bytes),
             "count": s.count, "score": s.score}
            for i, s in enumerate(tokenizer.trace[first:step + 10], start=first + 1)]
    notes = []
    if isinstance(tokenizer, WordPiece):
        merges = ", ".join(s.new for s in tokenizer.trace[:6])
        notes.append((WORDPIECE_ORIGIN, {"corpus": CORPORA.get(corpus, corpus), "merges": merges}))
        if corpus == "tinyshakespeare":
            notes.append((WORDPIECE_SHAKESPEARE, {}))
    return Replay(partial.vocab_size, split(partial, sentence, NAMES[algorithm]), rows, notes)


# ---- efficiency -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    name: str  # English, translated where shown
    x: list[float]
    y: list[float]


def sweep_series(result: dict[str, Any]) -> list[Series]:
    """Characters per held-out token against vocabulary size, one line per algorithm (from a
    `tokenizer-sweep` job's rows; sizes below an algorithm's alphabet have no point)."""
    return [Series(NAMES[a], [r["vocab_size"] for r in result["rows"] if r["algorithm"] == a],
                   [r["chars_per_token"] for r in result["rows"] if r["algorithm"] == a]) for a in ALGORITHMS]


LANGUAGE_MODELS = (("gutenberg", N_("English books only")), ("udhr", N_("the UDHR in every language")))
CJK_WHY = N_("Why can one Chinese character cost three tokens? Byte-level BPE, the tokenizer of GPT-2, GPT-4 and "
             "LLaMA 3, works on UTF-8 bytes, and UTF-8 writes almost every Chinese character with 3 bytes (你 is "
             "e4 bd a0). Training starts from the 256 single bytes and merges only the byte sequences that are "
             "frequent in the training text. A vocabulary learned mostly from English has merged few Chinese "
             "characters into a token of their own, so the others stay two or three tokens each (LLaMA 1 and 2 "
             "fall back to the same three bytes for a character missing from their vocabulary). The same "
             "sentence then costs a Chinese reader more tokens: less text fits in the context window, and each "
             "character costs more time and money. A vocabulary trained on more Chinese (GPT-4o's o200k_base) "
             "holds many characters, and common words, as single tokens.")
CJK_MEASURED = N_("Measured here on the declaration in Simplified Chinese: {english:.2f} tokens per character for "
                  "the tokenizer trained on English books, {multilingual:.2f} for the one trained on every language.")
CHINESE = "cmn_hans"  # the UDHR document the measured sentence quotes


def language_specs() -> list[JobSpec]:
    """The two byte-level tokenizers compared across the UDHR's languages."""
    return [default_spec("byte_bpe", corpus, LANGUAGE_VOCAB) for corpus, _ in LANGUAGE_MODELS]


@dataclass(frozen=True)
class LanguageCosts:
    languages: list[str]  # sorted by the English-only tokenizer's cost
    scripts: list[str]
    bytes_per_char: list[float]
    series: list[Series]  # one per tokenizer: x the languages, y tokens per character
    chinese: dict[str, float]  # tokens per character of the Chinese declaration: "english", "multilingual"


def language_costs(english: list[dict], multilingual: list[dict]) -> LanguageCosts:
    """The two tokenizers' `cost_by_language` rows side by side, cheapest language first."""
    other = {row["code"]: row for row in multilingual}
    rows = sorted(english, key=lambda row: row["tokens_per_char"])
    languages = [row["language"] for row in rows]
    series = [Series(label, languages, [by[row["code"]]["tokens_per_char"] for row in rows])
              for (_, label), by in zip(LANGUAGE_MODELS, ({r["code"]: r for r in english}, other))]
    chinese = {"english": next((r["tokens_per_char"] for r in english if r["code"] == CHINESE), float("nan")),
               "multilingual": other.get(CHINESE, {}).get("tokens_per_char", float("nan"))}
    return LanguageCosts(languages, [r["script"] for r in rows], [r["bytes_per_char"] for r in rows], series, chinese)


# ---- the Unigram lattice --------------------------------------------------------------------------
@dataclass(frozen=True)
class LatticeEdge:
    start: int
    end: int
    label: str  # the piece, or <unk> for an unknown character
    score: float  # its log-probability (an unknown character's: the lowest piece's minus 10)
    best: bool  # on the Viterbi path, the one encoding takes
    unknown: bool


@dataclass(frozen=True)
class LatticeView:
    characters: list[str]  # the text as the lattice sees it ('▁' before each word), whitespace visible
    edges: list[LatticeEdge]
    nbest: list[tuple[str, float]]  # segmentation (pieces joined by " | "), probability
    samples: list[str]  # segmentations drawn with probability proportional to P^alpha


def lattice(unigram: Unigram, text: str, alpha: float) -> LatticeView:
    """Every piece that fits the text, the best path (the same as encoding: an unknown character
    is a `<unk>` edge with its score, and a run of them one `<unk>` token), the n best
    segmentations with their probabilities, and samples (subword regularisation)."""
    marked = unigram.marked(text)
    edges = unigram.lattice(marked)
    best = {(i, j) for i, j, _, _ in viterbi(len(marked), edges)}
    unk = unigram.vocab[unigram.unk_token]
    shown = [LatticeEdge(i, j, unigram.unk_token if piece == unk else visible(marked[i:j]), score, (i, j) in best,
                         piece == unk) for i, j, piece, score in edges]
    nbest = [(_joined(pieces), probability) for pieces, probability in unigram.nbest(text, N_BEST)]
    samples = [_joined(unigram.sample(text, alpha=alpha, seed=seed)) for seed in range(N_SAMPLES)]
    return LatticeView([visible(ch) for ch in marked], shown, nbest, samples)


def _joined(pieces: list[str]) -> str:
    return " | ".join(visible(piece) for piece in pieces)


# ---- bytes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BytesView:
    rows: list[dict]  # character, code point, UTF-8 bytes (hex), GPT-2's byte characters; MAX_BYTE_ROWS at most
    cut: bool  # the text had more characters than the table shows
    split: Split  # the text cut by byte-level BPE


def bytes_view(byte_bpe: ByteLevelBPE, text: str) -> BytesView:
    """Each character's UTF-8 bytes, how GPT-2's files write them (`Ġ` for the space byte), and
    the text's byte-level tokens."""
    rows = [{"character": visible(ch), "code_point": f"U+{ord(ch):04X}", "utf8": ch.encode("utf-8").hex(" "),
             "byte_chars": to_byte_chars(ch)} for ch in text[:MAX_BYTE_ROWS]]
    return BytesView(rows, len(text) > MAX_BYTE_ROWS, split(byte_bpe, text, NAMES["byte_bpe"]))


# ---- import / export ------------------------------------------------------------------------------
def export_name(spec: JobSpec) -> str:
    """A download's file name after its content and settings: `wordpiece-1000-tinyshakespeare-tokenizer.json`."""
    s = spec.settings
    parts = [s["algorithm"], str(s["vocab_size"]), spec.corpus.replace(":", "-"), s.get("normalization") or ""]
    return "-".join(part for part in parts if part) + "-tokenizer.json"


HUB_OFF = N_("The Hugging Face Hub is off on this server: a Hub name is refused. Name a folder inside the server's "
             "model folders (starting with ./) or upload a tokenizer.json.")
HUB_ON = N_("Hub names on this server's list are fetched (their size checked first); anything else, upload.")


def source_note() -> str:
    """What the name field accepts on this server (the Hub is off unless the host allows it)."""
    return HUB_ON if hub.enabled() else HUB_OFF


def load_external(data: bytes | None, filename: str, source: str) -> ExternalTokenizer | None:
    """An uploaded tokenizer.json (first), else the one at a folder or Hub name, else None. It
    runs in a sandboxed worker: every later call on it may raise a typed error (a timeout)."""
    if data is not None:
        return from_json_bytes(data, filename)
    if source.strip():
        return from_pretrained(source)
    return None


def external_split(external: ExternalTokenizer, text: str) -> Split:
    """The text cut by an uploaded tokenizer (in its sandboxed worker)."""
    return split(external, text, f"{external.name} ({external.algorithm})")
