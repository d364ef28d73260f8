"""Every page of the app, in one list: the navigation and the home page's cards read it.

Pages live in `app/views/`, not `app/pages/`: Streamlit still auto-discovers a `pages/` folder
beside the entry file (its legacy multipage mode), and a deep link such as `/tokenizers` would
then run the page file alone, without the entry file's navigation and sidebar. Each page's
settings are declared in its view module in `core.views` (`PARAMS`), which the entry file reads to
mirror them in the link.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from core.i18n import N_
from core.views.params import Params


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to app/ (views/...)
    title: str  # English, translated where shown
    icon: str  # a Material Symbols name, served with Streamlit's own static files (offline)
    url_path: str
    teaches: str  # one sentence for the home page
    view: str  # the core module holding the page's computations and its declared settings

    @property
    def params(self) -> Params:
        return importlib.import_module(self.view).PARAMS


PAGES: tuple[PageInfo, ...] = (
    PageInfo("views/tokenizers.py", N_("Tokenizers"), ":material/segment:", "tokenizers",
             N_("BPE, byte-level BPE, WordPiece and Unigram trained on demand: splits, merges, efficiency."),
             "core.views.tokenizers"),
    PageInfo("views/embeddings.py", N_("Word embeddings"), ":material/scatter_plot:", "embeddings",
             N_("word2vec, GloVe, fastText and SVD vectors: analogies, neighbours, projections."),
             "core.views.embeddings"),
    PageInfo("views/attention.py", N_("Language model & attention"), ":material/hub:", "attention",
             N_("A tiny transformer trained on demand: head, model and neuron views, head statistics, ablation."),
             "core.views.attention"),
    PageInfo("views/decoding.py", N_("Decoding"), ":material/account_tree:", "decoding",
             N_("Greedy, beam search and top-k / top-p / temperature sampling, step by step."),
             "core.views.decoding"),
    PageInfo("views/memory.py", N_("KV cache & memory"), ":material/memory:", "memory",
             N_("What a KV cache costs, predicted and measured; MHA, GQA and MQA."), "core.views.memory"),
    PageInfo("views/metrics.py", N_("Metrics"), ":material/rule:", "metrics",
             N_("BLEU, chrF and ROUGE down to the matched n-grams; perplexity token by token."),
             "core.views.metrics"),
    PageInfo("views/anatomy.py", N_("Transformer anatomy"), ":material/biotech:", "anatomy",
             N_("Positional encodings, norms, activations and FlashAttention, trained and measured."),
             "core.views.anatomy"),
    PageInfo("views/alignment.py", N_("Fine-tuning & alignment"), ":material/thumbs_up_down:", "alignment",
             N_("SFT, a reward model, RLHF with PPO, DPO and LoRA, trained live on a tiny model."),
             "core.views.alignment"),
)


def available_pages() -> list[PageInfo]:
    """The pages whose view module exists in this checkout (the alignment page arrives with its own)."""
    return [page for page in PAGES if importlib.util.find_spec(page.view) is not None]
