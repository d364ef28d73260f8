"""Every Streamlit cache wrapper of the app, in one module.

Models are trained and kept by `core.jobs` (shared across sessions, bounded, on disk); this module
adds `st.cache_data` for derived data that is cheap to keep and costly to recompute.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.corpora import shipped_corpora
from core.device import describe_device
from core.jobs import JobManager, default_manager


def manager() -> JobManager:
    """The process-wide job manager (one queue and one cache for every session)."""
    return default_manager()


@st.cache_data(show_spinner=False)
def device_description() -> str:
    return describe_device(manager().device)


@st.cache_data(show_spinner=False)
def corpora_table() -> list[dict]:
    return [
        {"corpus": c.name, "title": c.title, "language": c.language, "MB": round(c.size_bytes / 2**20, 1),
         "licence": c.licence, "what for": c.description}
        for c in shipped_corpora()
    ]


@st.cache_data(show_spinner=False, max_entries=16)
def language_costs(_tokenizer, key: str) -> list[dict]:
    """Tokens per character of every UDHR language for one trained tokenizer (keyed by its job)."""
    from core.tokenizers.analysis import cost_by_language

    return cost_by_language(_tokenizer)


@st.cache_data(show_spinner="Reading the heads...", max_entries=64)
def head_table(_lm, key: str, text: str) -> list[dict]:
    from core.lm.heads import describe_heads

    return describe_heads(_lm, text)


@st.cache_data(show_spinner="Switching each head off in turn...", max_entries=32)
def ablation(_lm, key: str, text: str):
    from core.lm.heads import ablation_losses

    return ablation_losses(_lm, text)


def trained_tokenizer_choices() -> dict[str, object]:
    """'char' plus every tokenizer trained on this server (label -> setting for an LM job)."""
    choices: dict[str, object] = {"characters": "char"}
    for entry in manager().store.entries():
        if entry["kind"] == "tokenizer":
            s = entry["settings"]
            label = f"{s['algorithm']} {s['vocab_size']} on {entry['corpus']}"
            choices[label] = {"corpus": entry["corpus"], "settings": s}
    return choices


def trained_lm_choices() -> dict[str, object]:
    """Label -> JobSpec of every causal LM trained on this server, the page default first."""
    from core.jobs import JobSpec
    from core.lm.jobs import lm_spec

    default = lm_spec()
    choices = {"default (Llama, characters, Tiny Shakespeare)": default}
    for entry in manager().store.entries():
        if entry["kind"] == "lm":
            spec = JobSpec.of("lm", entry["corpus"], entry["settings"])
            if spec != default:
                s = entry["settings"]
                shape = ", ".join(f"{k}={v}" for k, v in s.get("config", {}).items())
                choices[f"{entry['corpus']}, {s['steps']} steps{', ' + shape if shape else ''}"] = spec
    return choices


@st.cache_data(show_spinner=False, max_entries=256)
def decoded(_lm, key: str, prompt: str, method: str, max_new_tokens: int, settings: tuple[tuple[str, Any], ...]):
    """One decoding run of a served model (keyed by its job). Greedy and beam search are
    deterministic and sampling is seeded, so every session asking for the same continuation gets
    the one computed first: generating was the decoding page's largest cost under load."""
    from core.decoding import beam_search, greedy, sample

    ids = _lm.encode(prompt)
    if method == "greedy":
        return greedy(_lm.model, ids, max_new_tokens)
    return (beam_search if method == "beam search" else sample)(_lm.model, ids, max_new_tokens=max_new_tokens,
                                                                **dict(settings))


@st.cache_data(show_spinner=False, max_entries=256)
def next_token_logits(_lm, key: str, prompt: str):
    """The model's logits for the token after `prompt` (float32, on the CPU)."""
    import torch

    with torch.no_grad():
        return _lm.model(input_ids=_lm.encode(prompt).view(1, -1)).logits[0, -1].float().cpu()


@st.cache_data(show_spinner="Decoding with every method...", max_entries=32)
def method_comparison(_lm, key: str, prompt: str, max_new_tokens: int) -> list[dict]:
    from core.decoding.compare import compare_methods

    return compare_methods(_lm.model, _lm.encode(prompt), max_new_tokens=max_new_tokens)


@st.cache_data(show_spinner="Generating with each tiny model...", max_entries=64)
def kv_cache_measurement(kv_heads: int, batch: int, prompt_len: int, new_tokens: int):
    """The bytes a tiny Llama's `DynamicCache` holds while it generates. Deterministic for a setting,
    so one measurement serves every session (building and running the model took 0.2 s a rerun)."""
    from core.device import pick_device
    from core.lm.config import LMConfig
    from core.lm.model import build_model
    from core.memory import measure_kv_cache

    model = build_model(LMConfig(n_kv_head=kv_heads), 65).to(pick_device()).eval()
    return measure_kv_cache(model, batch=batch, prompt_len=prompt_len, new_tokens=new_tokens)


@st.cache_resource
def warm_umap() -> None:
    """Import umap once in the background: its first import compiles for about 14 s. A failed warm-up
    costs nothing but time: the projection imports umap itself when asked for it."""
    import logging
    import threading

    def warm() -> None:
        try:
            import umap  # noqa: F401
        except Exception:  # e.g. a test harness swapping modules meanwhile
            logging.getLogger(__name__).info("umap warm-up skipped", exc_info=True)

    threading.Thread(target=warm, name="warm-umap", daemon=True).start()


@st.cache_data(show_spinner="Evaluating on the analogy and similarity sets...", max_entries=16)
def embedding_evaluation(_vectors, key: str) -> dict:
    from core.embeddings.analysis import ANALOGIES, SIMLEX, WORDSIM

    return {"analogies": _vectors.evaluate_analogies(ANALOGIES), "wordsim": _vectors.evaluate_similarity(WORDSIM),
            "simlex": _vectors.evaluate_similarity(SIMLEX)}


@st.cache_data(show_spinner="Projecting...", max_entries=32)
def projection(_vectors, key: str, words: tuple[str, ...], method: str, dims: int):
    from core.embeddings.analysis import project

    return project(_vectors.unit[[_vectors.index[w] for w in words]], method, dims)


@st.cache_data(show_spinner="Counting co-occurrences in the corpus...", max_entries=16)
def cooccurrence_heatmap(corpus: str, min_count: int, words: tuple[str, ...], window: int):
    from core.embeddings.counts import cooccurrence_among
    from core.embeddings.text import encode_corpus

    return cooccurrence_among(encode_corpus(corpus, min_count, 10_200_000), list(words), window)


@st.cache_data(show_spinner="Reading every book (TF-IDF and mean vectors)...", max_entries=4)
def book_neighbours(_vectors, key: str, corpus: str) -> dict:
    from core.corpora import get_corpus
    from core.embeddings.counts import book_similarities

    return book_similarities(get_corpus(corpus).documents, _vectors, max_words=20_000)
