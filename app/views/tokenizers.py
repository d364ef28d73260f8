"""Tokenizers: BPE, byte-level BPE, WordPiece and Unigram, trained on demand and compared."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from app.cache import language_costs
from app.components import charts
from app.components.guard import end_page, user_errors
from app.components.tokens import show_chips, visible
from app.components.training import trained, trained_all
from app.components.tabs import show_tabs
from core.corpora import shipped_corpora
from core.tokenizers import ByteLevelBPE, Unigram
from core.tokenizers.analysis import at_step, merge_count, text_stats
from core.tokenizers.external import from_json_bytes, from_pretrained
from core.tokenizers.jobs import ALGORITHMS, default_spec, sweep_spec
from core.tokenizers.pretokenize import to_byte_chars

chart_config = charts.export_config()  # the download button's format (sidebar)

NAMES = {"bpe": "BPE (characters, </w>)", "byte_bpe": "Byte-level BPE (GPT-2)", "wordpiece": "WordPiece (BERT)",
         "unigram": "Unigram (sentencepiece)"}
SAMPLE = "The quick brown fox can't jump over lazy dogs: unhappiness, 1984 ... 你好，世界！ 🙂 naïve café"
SIZES = [300, 500, 1000, 2000, 4000, 8000]


def chip_pairs(tokenizer, text: str):
    """(shown, hover) per token; byte-level tokens are shown as the text their bytes decode to."""
    out = []
    for piece in tokenizer.pieces(text):
        if isinstance(tokenizer, ByteLevelBPE) and piece.token not in tokenizer.special_tokens:
            raw = ByteLevelBPE.token_bytes(piece.token)
            shown = raw.decode("utf-8", errors="replace")
            hover = f"id {piece.id} · token {piece.token!r} · bytes {raw.hex(' ')}"
        else:
            shown, hover = piece.token, f"id {piece.id} · text {text[piece.start:piece.end]!r}"
        out.append((shown, hover))
    return out


def stats_line(tokenizer, text: str) -> str:
    stats = text_stats(text, tokenizer.pieces(text))
    return (f"**{stats.tokens}** tokens · {stats.characters} characters · {stats.bytes} bytes · "
            f"{stats.chars_per_token:.2f} chars/token · {stats.tokens_per_word:.2f} tokens/word")


st.title("Tokenizers")
st.caption("Four ways to cut text into subword pieces, each trained here on the corpus you pick. "
           "Hover a chip for its id and bytes; `·` is a space, `↵` a line break.")

names = {c.name: c.title for c in shipped_corpora()}
left, middle, right = st.columns([2, 2, 1])
corpus = left.selectbox("Train on", list(names), format_func=names.get, key="tok_corpus",
                        help="The text the four tokenizers learn their vocabularies from.")
vocab_size = middle.select_slider("Vocabulary size", SIZES, value=1000, key="tok_vocab",
                                  help="Bigger vocabularies hold longer pieces: fewer tokens per text.")
nfkc = right.toggle("NFKC", key="tok_nfkc", help="Unicode normalisation first (ﬁ → fi, full-width → ASCII).")
specs = [default_spec(a, corpus, vocab_size, normalization="nfkc" if nfkc else None) for a in ALGORITHMS]

tokenizers = trained_all(specs, key="tok_train", label="Train the four tokenizers",
                         labels=[NAMES[a] for a in ALGORITHMS])
if tokenizers is None:
    end_page()
by_name = dict(zip(ALGORITHMS, tokenizers))


def split_text_tab() -> None:
    text = st.text_area("Text", SAMPLE, key="tok_text", height=90, max_chars=20_000)
    if not text.strip():
        st.info("Type some text to see how each tokenizer splits it.")
    else:
        columns = st.columns(2)
        for i, algorithm in enumerate(ALGORITHMS):
            with columns[i % 2].container(border=True):
                tokenizer = by_name[algorithm]
                st.markdown(f"**{NAMES[algorithm]}** · vocabulary {tokenizer.vocab_size:,}")
                with user_errors():
                    show_chips(chip_pairs(tokenizer, text))
                    st.caption(stats_line(tokenizer, text))


def training_replay_tab() -> None:
    algorithm = st.radio("Algorithm", ["bpe", "byte_bpe", "wordpiece"], format_func=NAMES.get, horizontal=True,
                         key="tok_replay_algo")
    tokenizer = by_name[algorithm]
    steps = merge_count(tokenizer)
    step = st.slider("Merges learned so far", 0, max(1, steps), min(steps, 20), key="tok_replay_step")
    sentence = st.text_input("Sentence", "unhappiness is the lowest of the low", key="tok_replay_text")
    with user_errors():
        partial = at_step(tokenizer, min(step, steps))
        st.markdown(f"Vocabulary after {step} merges: **{partial.vocab_size:,}** tokens")
        show_chips(chip_pairs(partial, sentence))
        rows = [{"step": i + 1, "left": visible(s.left), "right": visible(s.right), "new token": visible(s.new),
                 "count": s.count, **({"score": s.score} if s.score is not None else {})}
                for i, s in enumerate(tokenizer.trace[max(0, step - 10): step + 10], start=max(0, step - 10))]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption("BPE merges the most frequent pair; WordPiece the pair with the highest "
                   "count(ab) / (count(a)·count(b)), which favours pieces that belong together.")


def efficiency_tab() -> None:
    st.subheader("Characters per token against vocabulary size")
    sweep = trained(sweep_spec(corpus), key="tok_sweep", label="Measure (trains 24 tokenizers)")
    if sweep:
        frame = pd.DataFrame(sweep["rows"])
        series = {NAMES[a]: (g["vocab_size"], g["chars_per_token"]) for a, g in frame.groupby("algorithm")}
        st.plotly_chart(charts.lines(series, x_title="vocabulary size", y_title="characters per token (held-out)",
                                     log_x=True), key="tok_sweep_chart", config=chart_config)
    st.subheader("The same declaration in 78 languages")
    st.caption("Byte-level BPE trained on English books alone vs on the UDHR in every language. "
               "Chinese characters are 3 bytes each: an English-only tokenizer pays up to 3 tokens per character.")
    pair = trained_all([default_spec("byte_bpe", "gutenberg", 4000), default_spec("byte_bpe", "udhr", 4000)],
                       key="tok_lang", label="Train both (English; multilingual)",
                       labels=["English books", "UDHR, all languages"])
    if pair:
        frames = []
        for label, tok, spec in zip(("English only", "Multilingual"), pair,
                                    (default_spec("byte_bpe", "gutenberg", 4000), default_spec("byte_bpe", "udhr", 4000))):
            frame = pd.DataFrame(language_costs(tok, spec.key))
            frame["trained on"] = label
            frames.append(frame)
        data = pd.concat(frames).sort_values("tokens_per_char")
        fig = px.bar(data, x="language", y="tokens_per_char", color="trained on", barmode="group",
                     hover_data=["script", "bytes_per_char", "tokens"], height=460)
        st.plotly_chart(charts.style(fig, height=460), key="tok_lang_chart", config=chart_config)


def unigram_lattice_tab() -> None:
    unigram: Unigram = by_name["unigram"]
    word = st.text_input("Text (short)", "unhappiness", key="tok_lattice_text", max_chars=40)
    if word.strip():
        with user_errors():
            marked = unigram.marked(word)
            edges = [(i, j, marked[i:j], s) for i, j, _, s in unigram.lattice(marked)]
            best = unigram.nbest(word, 8)
            path, spans, pos = best[0][0], set(), 0
            for piece in path:
                spans.add((pos, pos + len(piece)))
                pos += len(piece)
            st.plotly_chart(charts.lattice(marked, edges, spans), key="tok_lattice_chart", config=chart_config)
            st.markdown("**n-best segmentations** (probability among all segmentations)")
            st.dataframe(pd.DataFrame([{"segmentation": " | ".join(p), "probability": prob} for p, prob in best]),
                         hide_index=True, width="stretch")
            alpha = st.slider("Sampling temperature α (smaller: more varied)", 0.05, 1.0, 0.2, key="tok_alpha")
            samples = [" | ".join(unigram.sample(word, alpha=alpha, seed=s)) for s in range(8)]
            st.markdown("**Sampled segmentations** (subword regularisation)")
            st.code("\n".join(samples), language=None)


def bytes_tab() -> None:
    st.markdown("Byte-level BPE works on UTF-8 **bytes**. To keep tokens printable each byte is shown as "
                "a character: bytes that are printable stay themselves, the others (space, control bytes) move "
                "to unused code points. The space byte 0x20 becomes **Ġ**, so `Ġthe` is ' the'. "
                "A token can hold part of a character; decoded alone it shows as **�**.")
    sample = st.text_input("Text", "naïve 你好 🙂", key="tok_bytes_text", max_chars=200)
    rows = [{"character": visible(ch), "code point": f"U+{ord(ch):04X}", "UTF-8 bytes": ch.encode("utf-8").hex(" "),
             "as byte characters": to_byte_chars(ch)} for ch in sample[:100]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if sample:
        show_chips(chip_pairs(by_name["byte_bpe"], sample))


def import_export_tab() -> None:
    st.markdown("**Export** a trained tokenizer as a HuggingFace `tokenizer.json` (it loads with "
                "`tokenizers.Tokenizer.from_file` and encodes identically).")
    columns = st.columns(4)
    for column, algorithm in zip(columns, ALGORITHMS):
        column.download_button(NAMES[algorithm], by_name[algorithm].hf_json, file_name=f"{algorithm}-tokenizer.json",
                               mime="application/json", key=f"tok_export_{algorithm}", icon=":material/download:")
    st.markdown("**Load** a tokenizer trained elsewhere: upload its `tokenizer.json`, or name a local folder "
                "(inside the server's model folders) or a Hub model (needs internet).")
    upload = st.file_uploader("tokenizer.json", type=["json"], key="tok_upload")
    name = st.text_input("Folder or Hub name", "", key="tok_hub_name", placeholder="gpt2")
    external = None
    with user_errors():
        if upload is not None:
            external = from_json_bytes(upload.getvalue(), upload.name)
        elif name.strip():
            external = from_pretrained(name)
    if external is not None:
        probe = st.text_input("Text to split", SAMPLE, key="tok_external_text")
        st.markdown(f"**{external.name}** ({external.algorithm}, vocabulary {external.vocab_size:,})")
        show_chips([(p.token, f"id {p.id}") for p in external.pieces(probe)])


show_tabs({
    "Split text": split_text_tab,
    "Training replay": training_replay_tab,
    "Efficiency": efficiency_tab,
    "Unigram lattice": unigram_lattice_tab,
    "Bytes": bytes_tab,
    "Import / export": import_export_tab,
}, key="tok_tab")
