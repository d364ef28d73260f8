"""Tokenizer training and encoding speed against HF `tokenizers` and sentencepiece.

    python -m bench.tokenizers            # Tiny Shakespeare and 10 MB of the books, vocabulary 8000

Prints a Markdown table with each of ours beside its reference, and the ratio (ours / reference).
"""

from __future__ import annotations

import io
import os
import sys

import sentencepiece as spm
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import models, pre_tokenizers, trainers

from bench.common import table, timed
from core.corpora import get_corpus
from core.tokenizers import BPE, ByteLevelBPE, Unigram, WordPiece

VOCAB = 8000


def corpora() -> dict[str, list[str]]:
    return {"tinyshakespeare (1.1 MB)": get_corpus("tinyshakespeare").text().split("\n"),
            "gutenberg (10 MB)": get_corpus("gutenberg").text(max_chars=10_000_000).split("\n")}


def hf_bpe(lines):
    tokenizer = HFTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=VOCAB, show_progress=False, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tokenizer


def hf_unigram(lines):
    tokenizer = HFTokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.train_from_iterator(lines, trainers.UnigramTrainer(
        vocab_size=VOCAB, show_progress=False, special_tokens=["<unk>"], unk_token="<unk>"))
    return tokenizer


def sentencepiece(lines, model_type):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, vocab_size=VOCAB,
                                   model_type=model_type, character_coverage=1.0, minloglevel=2,
                                   num_threads=os.cpu_count(), bos_id=-1, eos_id=-1)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def main() -> None:
    rows = []
    for name, lines in corpora().items():
        text = "\n".join(lines)
        t_hf_bpe, hf = timed(lambda: hf_bpe(lines))
        t_bpe, ours = timed(lambda: ByteLevelBPE.train(lines, VOCAB))
        t_char_bpe, _ = timed(lambda: BPE.train(lines, VOCAB))
        t_wp, _ = timed(lambda: WordPiece.train(lines, VOCAB))
        t_hf_uni, _ = timed(lambda: hf_unigram(lines))
        t_uni, _ = timed(lambda: Unigram.train(lines, VOCAB))
        t_sp_bpe, _ = timed(lambda: sentencepiece(lines, "bpe"))
        t_sp_uni, _ = timed(lambda: sentencepiece(lines, "unigram"))
        sample = text[:2_000_000]
        t_hf_enc, _ = timed(lambda: hf.encode(sample), repeat=2)  # one sequence: one thread
        ours._cache.clear()
        t_enc, _ = timed(lambda: ours.encode(sample), repeat=2)
        mb = len(sample.encode("utf-8")) / 2**20
        rows += [
            {"corpus": name, "task": "byte-level BPE training", "ours (s)": t_bpe, "reference": "HF BpeTrainer",
             "reference (s)": t_hf_bpe, "ratio": t_bpe / t_hf_bpe},
            {"corpus": name, "task": "char BPE training", "ours (s)": t_char_bpe, "reference": "HF BpeTrainer",
             "reference (s)": t_hf_bpe, "ratio": t_char_bpe / t_hf_bpe},
            {"corpus": name, "task": "WordPiece training", "ours (s)": t_wp, "reference": "HF BpeTrainer",
             "reference (s)": t_hf_bpe, "ratio": t_wp / t_hf_bpe},
            {"corpus": name, "task": "Unigram training", "ours (s)": t_uni, "reference": "HF UnigramTrainer",
             "reference (s)": t_hf_uni, "ratio": t_uni / t_hf_uni},
            {"corpus": name, "task": "sentencepiece BPE / Unigram training", "ours (s)": "",
             "reference": "sentencepiece", "reference (s)": f"{t_sp_bpe:.2f} / {t_sp_uni:.2f}", "ratio": ""},
            {"corpus": name, "task": "byte-level BPE encoding (MB/s)", "ours (s)": mb / t_enc,
             "reference": "HF, 1 thread", "reference (s)": mb / t_hf_enc, "ratio": (mb / t_enc) / (mb / t_hf_enc)},
        ]
        print(f"done {name}", file=sys.stderr)
    print(table(rows, ["corpus", "task", "ours (s)", "reference", "reference (s)", "ratio"]))


if __name__ == "__main__":
    main()
