"""Attention, decoding, memory and metrics pages on a real (briefly) trained model."""

from __future__ import annotations

import pytest

from core.jobs import default_manager
from core.lm.jobs import lm_spec
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab

STEPS = 20


@pytest.fixture(scope="module", autouse=True)
def small_model():
    job = default_manager().run(lm_spec(steps=STEPS), timeout=600)
    assert job.error is None, job.error


def pick_small_model(at, key: str):
    box = at.selectbox(key=key)
    box.set_value(next(o for o in box.options if f"{STEPS} steps" in o)).run()


def test_attention_page(open_page):
    at = open_page("views/attention.py")
    at.number_input(key="lm_steps").set_value(STEPS).run()
    no_problems(at)
    assert at.metric[0].value == "796,032"
    every_tab_opens_clean(at, "lm_tab")
    open_tab(at, "lm_tab", "Attention")
    at.text_area(key="lm_text").set_value("ROMEO:\nBut soft").run()
    at.select_slider(key="lm_layer").set_value(3).run()
    open_tab(at, "lm_tab", "Head statistics")
    at.toggle(key="lm_ablate").set_value(True).run()
    open_tab(at, "lm_tab", "Surprise")
    at.text_area(key="lm_surprise").set_value("To be, or not to be").run()
    no_problems(at)
    open_tab(at, "lm_tab", "Attention")
    assert at.select_slider(key="lm_layer").value == 3  # kept while its tab was closed
    at.text_area(key="lm_text").set_value("☃ unknown").run()
    assert any("not in this model's vocabulary" in e.value for e in at.error)


@pytest.mark.parametrize("method", ["greedy", "beam search", "sampling"])
def test_decoding_page(open_page, method):
    at = open_page("views/decoding.py")
    pick_small_model(at, "dec_model")
    at.radio(key="dec_method").set_value(method).run()
    no_problems(at)
    at.slider(key="dec_new").set_value(1).run()  # a single step: nothing to step through, no error
    no_problems(at)
    if method == "sampling":
        at.slider(key="dec_temp").set_value(0.0).run()
        assert any("greedy" in i.value for i in at.info)
    at.text_input(key="dec_prompt").set_value("").run()
    assert any("empty" in e.value for e in at.error)


def test_decoding_compare_methods(open_page):
    at = open_page("views/decoding.py")
    pick_small_model(at, "dec_model")
    at.slider(key="dec_new").set_value(12).run()
    at.toggle(key="dec_compare").set_value(True).run()
    no_problems(at)
    assert len(at.dataframe[-1].value) == 6


def test_memory_page(open_page):
    at = open_page("views/memory.py")
    every_tab_opens_clean(at, "mem_tab")
    open_tab(at, "mem_tab", "Calculator")
    at.selectbox(key="mem_attention").set_value("MQA").run()
    at.selectbox(key="mem_preset").set_value("custom").run()
    at.number_input(key="mem_heads").set_value(7).run()
    assert any("do not divide the width" in e.value for e in at.error)
    at.number_input(key="mem_heads").set_value(8).run()
    open_tab(at, "mem_tab", "Paged vs contiguous")
    at.slider(key="mem_p_requests").set_value(16).run()
    no_problems(at)
    open_tab(at, "mem_tab", "Measured")
    assert all(at.dataframe[0].value["agree"])


def test_metrics_page(open_page):
    at = open_page("views/metrics.py")
    every_tab_opens_clean(at, "met_tab")
    open_tab(at, "met_tab", "BLEU")
    for example in ("Short output", "Chinese"):
        at.selectbox(key="met_example").set_value(example).run()
        no_problems(at)
    at.text_area(key="met_hyp").set_value("<script>alert(1)</script>").run()
    open_tab(at, "met_tab", "Corpus BLEU")
    at.text_area(key="met_corpus").set_value("only one side").run()
    assert any("hypothesis ||| reference" in e.value for e in at.error)
    open_tab(at, "met_tab", "Perplexity")
    pick_small_model(at, "met_model")
    at.text_area(key="met_ppl_text").set_value("x").run()
    assert any("at least two tokens" in e.value for e in at.error)


def test_attention_page_opens_a_saved_model(open_page):
    from core import settings
    from core.lm import LMConfig, train_lm
    from core.tokenizers import ByteLevelBPE

    tokenizer = ByteLevelBPE.train(["to be or not to be"] * 20, 270)
    lm = train_lm(LMConfig(n_layer=1, n_embd=32, block_size=16, eval_interval=5),
                  text="to be or not to be, that is it. " * 30, tokenizer=tokenizer, steps=5)
    folder = settings.cache_dir() / "models" / "tiny"
    lm.model.save_pretrained(folder)
    tokenizer.to_hf_json(folder / "tokenizer.json")
    at = open_page("views/attention.py")
    at.text_input(key="lm_saved").set_value(str(folder)).run()
    assert not at.exception and any("no training record" in i.value for i in at.info)
    at.text_input(key="lm_saved").set_value("/etc").run()
    assert any("outside the folders" in e.value for e in at.error)
