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
    state_prefix: str  # the page's widget keys start with it; they are mirrored in the URL


PAGES: tuple[PageInfo, ...] = (
    PageInfo("views/tokenizers.py", "Tokenizers", ":material/segment:", "tokenizers",
             "BPE, byte-level BPE, WordPiece and Unigram trained on demand: splits, merges, efficiency.", "tok_"),
    PageInfo("views/embeddings.py", "Word embeddings", ":material/scatter_plot:", "embeddings",
             "word2vec, GloVe, fastText and SVD vectors: analogies, neighbours, projections.", "emb_"),
    PageInfo("views/attention.py", "Language model & attention", ":material/hub:", "attention",
             "A tiny transformer trained on demand: every layer and head, head statistics, ablation.", "lm_"),
    PageInfo("views/decoding.py", "Decoding", ":material/account_tree:", "decoding",
             "Greedy, beam search and top-k / top-p / temperature sampling, step by step.", "dec_"),
    PageInfo("views/memory.py", "KV cache & memory", ":material/memory:", "memory",
             "What a KV cache costs, predicted and measured; MHA, GQA and MQA.", "mem_"),
    PageInfo("views/metrics.py", "Metrics", ":material/rule:", "metrics",
             "BLEU and ROUGE down to the matched n-grams; perplexity token by token.", "met_"),
    PageInfo("views/anatomy.py", "Transformer anatomy", ":material/biotech:", "anatomy",
             "Positional encodings, norms, activations and FlashAttention, trained and measured.", "an_"),
)


def available_pages() -> list[PageInfo]:
    """The pages present in this checkout (a topic's page lands with its issue)."""
    here = Path(__file__).parent
    return [page for page in PAGES if (here / page.path).is_file()]
