"""Every page of the app, in one list: the navigation and the home page's cards read it.

Pages live in `app/views/`, not `app/pages/`: Streamlit still auto-discovers a `pages/` folder
beside the entry file (its legacy multipage mode), and a deep link such as `/tokenizers` would
then run the page file alone, without the entry file's navigation and sidebar.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to app/ (views/...)
    title: str
    icon: str  # a Material Symbols name, served with Streamlit's own static files (offline)
    url_path: str
    teaches: str  # one sentence for the home page


PAGES: tuple[PageInfo, ...] = (
    PageInfo("views/tokenizers.py", "Tokenizers", ":material/segment:", "tokenizers",
             "BPE, byte-level BPE, WordPiece and Unigram trained on demand: splits, merges, efficiency."),
    PageInfo("views/embeddings.py", "Word embeddings", ":material/scatter_plot:", "embeddings",
             "word2vec, GloVe, fastText and SVD vectors: analogies, neighbours, projections."),
    PageInfo("views/attention.py", "Language model & attention", ":material/hub:", "attention",
             "A tiny transformer trained on demand: every layer and head, head statistics, ablation."),
    PageInfo("views/decoding.py", "Decoding", ":material/account_tree:", "decoding",
             "Greedy, beam search and top-k / top-p / temperature sampling, step by step."),
    PageInfo("views/memory.py", "KV cache & memory", ":material/memory:", "memory",
             "What a KV cache costs, predicted and measured; MHA, GQA and MQA."),
    PageInfo("views/metrics.py", "Metrics", ":material/rule:", "metrics",
             "BLEU and ROUGE down to the matched n-grams; perplexity token by token."),
    PageInfo("views/anatomy.py", "Transformer anatomy", ":material/biotech:", "anatomy",
             "Positional encodings, norms, activations and FlashAttention, trained and measured."),
)


def available_pages() -> list[PageInfo]:
    """The pages present in this checkout (a topic's page lands with its issue)."""
    here = Path(__file__).parent
    return [page for page in PAGES if (here / page.path).is_file()]
