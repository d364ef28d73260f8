"""Every page of the app, in one list: the navigation and the home page's cards read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to app/
    title: str
    icon: str  # a Material Symbols name, served with Streamlit's own static files (offline)
    url_path: str
    teaches: str  # one sentence for the home page


PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/tokenizers.py", "Tokenizers", ":material/segment:", "tokenizers",
             "BPE, byte-level BPE, WordPiece and Unigram trained on demand: splits, merges, efficiency."),
    PageInfo("pages/embeddings.py", "Word embeddings", ":material/scatter_plot:", "embeddings",
             "word2vec, GloVe, fastText and SVD vectors: analogies, neighbours, projections."),
    PageInfo("pages/attention.py", "Language model & attention", ":material/hub:", "attention",
             "A tiny transformer trained on demand: every layer and head, head statistics, ablation."),
    PageInfo("pages/decoding.py", "Decoding", ":material/account_tree:", "decoding",
             "Greedy, beam search and top-k / top-p / temperature sampling, step by step."),
    PageInfo("pages/memory.py", "KV cache & memory", ":material/memory:", "memory",
             "What a KV cache costs, predicted and measured; MHA, GQA and MQA."),
    PageInfo("pages/metrics.py", "Metrics", ":material/rule:", "metrics",
             "BLEU and ROUGE down to the matched n-grams; perplexity token by token."),
    PageInfo("pages/anatomy.py", "Transformer anatomy", ":material/biotech:", "anatomy",
             "Positional encodings, norms, activations and FlashAttention, trained and measured."),
)


def available_pages() -> list[PageInfo]:
    """The pages present in this checkout (a topic's page lands with its issue)."""
    here = Path(__file__).parent
    return [page for page in PAGES if (here / page.path).is_file()]
