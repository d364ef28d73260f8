"""Tokenizers: BPE, byte-level BPE, WordPiece and Unigram, trained on demand and compared.

Each tab reads its widgets (drawn from the settings `core.views.tokenizers` declares), makes one
call into that module, and draws what comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import end_page, user_errors
from app.components.tokens import show_chips
from app.components.training import trained, trained_all
from app.figures import tokenizers as figures
from app.i18n import language, t
from app.memo import tokenizers as memo
from core.tokenizers.display import LEGEND
from core.tokenizers.jobs import sweep_spec
from core.views import tokenizers as view

st.title(t("Tokenizers"))
st.caption(t("Four ways to cut text into subword pieces, each trained here on the corpus you pick. Hover a chip for "
             "its id, the text it covers and its bytes."))
st.caption(messages.literal(t(LEGEND)))

left, middle, right = st.columns([2, 2, 1])
corpus = controls.select(view.CORPUS, where=left)
vocab_size = controls.steps(view.VOCAB, options=view.vocab_sizes(corpus), where=middle)
nfkc = controls.toggle(view.NFKC, where=right)
specs = view.specs(corpus, int(vocab_size), nfkc)
tokenizers = trained_all(specs, key="tok_train", label=t("Train the four tokenizers"),
                         labels=[t(view.NAMES[a]) for a in view.ALGORITHMS])
if tokenizers is None:
    end_page()
by_name = dict(zip(view.ALGORITHMS, tokenizers))


def _hover(chip: view.Chip) -> str:
    if chip.bytes:
        return t("id {id} · text {covers} · bytes {bytes}", id=chip.id, covers=chip.text, bytes=chip.bytes)
    return t("id {id} · text {covers}", id=chip.id, covers=chip.text)


def _draw(split: view.Split) -> None:
    """A tokenizer's name, its chips and its counts (the chips capped, with a note)."""
    st.markdown(t("**{name}** · vocabulary {size:,}", name=messages.literal(t(split.name)), size=split.vocab_size))
    show_chips((chip.shown, _hover(chip)) for chip in split.chips)
    stats = split.stats
    st.caption(t("**{tokens:,}** tokens · {characters:,} characters · {bytes:,} bytes · {per_token:.2f} characters "
                 "per token · {per_word:.2f} tokens per word", tokens=stats.tokens, characters=stats.characters,
                 bytes=stats.bytes, per_token=stats.chars_per_token, per_word=stats.tokens_per_word))
    if split.cut:
        st.caption(t("Only the first {shown:,} of {tokens:,} tokens are drawn.", shown=len(split.chips),
                     tokens=stats.tokens))


def _why_chinese() -> None:
    with st.expander(t("Why a Chinese character can cost three tokens"), expanded=language() == "zh"):
        st.markdown(t(view.CJK_WHY))


def split_tab() -> None:
    text = controls.area(view.TEXT, height=90)
    if not text.strip():
        messages.info(t("Type some text to see how each tokenizer splits it."))
        return
    with user_errors():
        columns = st.columns(2)
        for i, split in enumerate(view.split_all(by_name, text)):
            with columns[i % 2].container(border=True):
                _draw(split)
    _why_chinese()


def compare_tab() -> None:
    st.markdown(t("The same text cut by your tokenizer and by OpenAI's own: GPT-4's `cl100k_base` and GPT-4o's "
                  "`o200k_base` (as Tiktokenizer shows them), read offline on this server."))
    a, b = st.columns([1, 3])
    algorithm = controls.select(view.YOURS, where=a)
    text = controls.area(view.TEXT, height=90, where=b)
    if view.references_missing():
        messages.info(t("GPT-4's tokenizers need the bpe-openai package, which this server lacks: only yours is "
                        "shown."))
    if not text.strip():
        messages.info(t("Type some text to see how each tokenizer splits it."))
        return
    with user_errors():
        splits = view.compare(by_name[algorithm], algorithm, text)
        for column, split in zip(st.columns(len(splits)), splits):
            column.metric(messages.literal(t(split.name)), t("{tokens:,} tokens", tokens=split.stats.tokens),
                          t("{per_token:.2f} characters per token", per_token=split.stats.chars_per_token),
                          delta_color="off", delta_arrow="off")
        names = [t(split.name) for split in splits]
        charts.show(charts.bars(names, [s.stats.tokens for s in splits], x_title=t("tokenizer"), y_title=t("tokens"),
                                title=t("Tokens for this text"), height=300), key="tok_compare_chart",
                    name="tokens-yours-vs-gpt4", settings=(algorithm, corpus, vocab_size))
        for split in splits:
            with st.container(border=True):
                _draw(split)
    _why_chinese()


def replay_tab() -> None:
    a, b = st.columns([1, 2])
    algorithm = controls.radio(view.REPLAY_ALGORITHM, where=a)
    tokenizer = by_name[algorithm]
    step = controls.slider(view.REPLAY_STEP, high=view.replay_steps(tokenizer), where=b)
    sentence = controls.text(view.REPLAY_TEXT)
    with user_errors():
        result = view.replay(tokenizer, algorithm, corpus, int(step), sentence)
        st.markdown(t("Vocabulary after {step:,} merges: **{size:,}** tokens", step=int(step), size=result.vocab_size))
        _draw(result.split)
        columns = {"step": t("step"), "left": t("left"), "right": t("right"), "new": t("new token"),
                   "count": t("count"), "score": t("score")}
        table = pd.DataFrame(result.rows, columns=list(columns)).rename(columns=columns)
        if algorithm != "wordpiece":
            table = table.drop(columns=[t("score")])
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(t(view.MERGE_RULES))
        for template, fields in result.notes:
            messages.info(t(template, **{key: t(value) for key, value in fields.items()}))


def efficiency_tab() -> None:
    title = t("Characters per token against vocabulary size on {corpus}", corpus=t(view.CORPORA[corpus]))
    st.subheader(title)
    sweep = trained(sweep_spec(corpus), key="tok_sweep", label=t("Measure (trains 24 tokenizers)"))
    if sweep:
        series = {t(s.name): (s.x, s.y) for s in view.sweep_series(sweep)}
        fig = charts.lines(series, x_title=t("vocabulary size"), y_title=t("characters per token (held-out text)"),
                           log_x=True, title=title)
        charts.show(fig, key="tok_sweep_chart", name="chars-per-token-vs-vocabulary", settings=(corpus,))
    st.subheader(t("The same declaration in 78 languages"))
    st.caption(t("Byte-level BPE with {size:,} tokens, trained on English books alone and on the Universal "
                 "Declaration of Human Rights in every language.", size=view.LANGUAGE_VOCAB))
    language_specs = view.language_specs()
    pair = trained_all(language_specs, key="tok_lang", label=t("Train both (English; every language)"),
                       labels=[t(label) for _, label in view.LANGUAGE_MODELS])
    if pair:
        costs = view.language_costs(*(memo.language_costs(tok, spec.key) for tok, spec in zip(pair, language_specs)))
        fig = figures.language_costs(costs, names=[t(s.name) for s in costs.series],
                                     title=t("Tokens per character, language by language"), x_title=t("language"),
                                     y_title=t("tokens per character"), legend_title=t("trained on"),
                                     hover=t("script: {script} · {bytes:.2f} UTF-8 bytes per character"))
        charts.show(fig, key="tok_lang_chart", name="tokens-per-character-by-language",
                    settings=(view.LANGUAGE_VOCAB,))
        st.markdown(t(view.CJK_MEASURED, **costs.chinese))
    _why_chinese()


def lattice_tab() -> None:
    a, b = st.columns([2, 1])
    word = controls.text(view.LATTICE_TEXT, where=a)
    alpha = controls.slider(view.ALPHA, where=b)
    if not word.strip():
        messages.info(t("Type a word or two to see every way Unigram can cut it."))
        return
    with user_errors():
        result = view.lattice(by_name["unigram"], word, float(alpha))
        fig = figures.lattice(result, title=t("Every piece that fits, and the best path"),
                              hover=t("{piece} (log p = {score:.2f})"))
        charts.show(fig, key="tok_lattice_chart", name="unigram-lattice", settings=(corpus, vocab_size))
        st.caption(t("Grey arcs are the vocabulary's pieces that fit; dashed arcs are `<unk>` edges for characters "
                     "the vocabulary lacks (scored as its least likely piece minus 10); the thick path is the best "
                     "segmentation (Viterbi), the one encoding gives. A run of unknown characters is one `<unk>` "
                     "token."))
        st.markdown(t("**n-best segmentations** (probability among all segmentations)"))
        st.dataframe(pd.DataFrame(result.nbest, columns=[t("segmentation"), t("probability")]), hide_index=True,
                     width="stretch")
        st.markdown(t("**Sampled segmentations** (subword regularisation)"))
        st.code("\n".join(result.samples), language=None)


def bytes_tab() -> None:
    st.markdown(t("Byte-level BPE works on UTF-8 **bytes**, so no text is ever unknown. GPT-2's files write each "
                  "byte as a printable character (the space byte 0x20 as Ġ, so `Ġthe` is ' the'); this page shows "
                  "every token by its text instead (`·the`), and bytes that are not a whole character as "
                  "⟨e4 bd⟩: a token can hold part of a character."))
    sample = controls.text(view.BYTES_TEXT)
    with user_errors():
        result = view.bytes_view(by_name["byte_bpe"], sample)
        columns = {"character": t("character"), "code_point": t("code point"), "utf8": t("UTF-8 bytes"),
                   "byte_chars": t("as GPT-2's files write them")}
        st.dataframe(pd.DataFrame(result.rows, columns=list(columns)).rename(columns=columns), hide_index=True,
                     width="stretch")
        if result.cut:
            st.caption(t("The table shows the first {limit:,} characters.", limit=view.MAX_BYTE_ROWS))
        _draw(result.split)


def io_tab() -> None:
    st.markdown(t("**Export** a trained tokenizer as a HuggingFace `tokenizer.json` (it loads with "
                  "`tokenizers.Tokenizer.from_file` and encodes identically)."))
    for column, algorithm, spec in zip(st.columns(4), view.ALGORITHMS, specs):
        column.download_button(messages.literal(t(view.NAMES[algorithm])), by_name[algorithm].hf_json,
                               file_name=view.export_name(spec), mime="application/json", key=f"tok_export_{algorithm}",
                               icon=":material/download:")
    st.markdown(t("**Load** a tokenizer trained elsewhere: upload its `tokenizer.json`, or name a folder. It runs "
                  "in a separate worker with time and memory limits."))
    upload = st.file_uploader(t("tokenizer.json"), type=["json"], key="tok_upload")
    source = controls.text(view.SOURCE, placeholder="./my-model")
    st.caption(t(view.source_note()))
    with user_errors():
        external = view.load_external(upload.getvalue() if upload else None, upload.name if upload else "", source)
        if external is None:
            return
        text = controls.area(view.TEXT, height=90)
        _draw(view.external_split(external, text))


controls.tabs(view.TAB, {"split": split_tab, "compare": compare_tab, "replay": replay_tab,
                         "efficiency": efficiency_tab, "lattice": lattice_tab, "bytes": bytes_tab, "io": io_tab})
