"""The language model & attention page in AppTest, on real models trained for a few steps: every
tab, a change in the session equals a fresh link, and what users type is bounded and shown literally."""

from __future__ import annotations

import pytest

from core.jobs import default_manager
from core.lm.jobs import lm_spec, mlm_spec, toy_spec
from core.views import attention as view
from core.views.params import Params
from tests.app.conftest import no_problems, open_tab
from tests.app.session_vs_link import check_every_control
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)

PAGE = "views/attention.py"
STEPS = 20
BASE = {"lm_steps": str(STEPS), "lm_mlm_steps": str(STEPS)}  # the models the fixture trains
TAB_PARAMS = {  # each tab's own settings (the model's are drawn on every tab: checked with the training tab)
    "training": [view.TAB, *view.MODEL_PARAMS],
    "attention": [view.TEXT, view.LAYER, view.HEAD, view.QUERY, view.VIEW_HEADS, view.ISOLATE],
    "neuron": [view.TEXT, view.LAYER, view.HEAD, view.QUERY],
    "stats": [view.STATS_TEXT, view.ABLATE],
    "forming": [view.SNAPSHOT],
    "bidirectional": [view.MLM_TEXT, view.FILL, view.MASKED_STEPS],  # the texts first: new steps, an untrained model
    "toy": [view.TASK],
    "surprise": [view.SURPRISE],
}


@pytest.fixture(scope="module", autouse=True)
def small_models(module_cache):
    manager = default_manager()
    for spec in (lm_spec(steps=STEPS), mlm_spec(steps=STEPS), toy_spec("copy")):
        job = manager.run(spec, timeout=600)
        assert job.error is None, job.error


def open_attention(open_page, **query):
    return open_page(PAGE, query={**BASE, **query})


def test_every_tab_opens_clean_and_draws(open_page):
    at = open_attention(open_page)
    no_problems(at)
    assert at.metric[0].value == "796,032"
    drawn = {}
    for tab in view.TAB.options:
        open_tab(at, view.TAB.key, tab)
        no_problems(at)
        drawn[tab] = {chart.proto.id for chart in at.get("plotly_chart")}
    assert all(drawn[tab] for tab in ("training", "attention", "neuron", "forming", "bidirectional", "toy"))


def test_training_and_masked_tabs_show_their_loss_curves_and_samples(open_page):
    at = open_attention(open_page)
    assert [c.value for c in at.caption if c.value.startswith("step ")] == ["step 20"] and len(at.text) == 1
    assert any("Loss while training" in c.proto.spec for c in at.get("plotly_chart"))
    open_tab(at, view.TAB.key, "bidirectional")
    no_problems(at)
    curves = [c for c in at.get("plotly_chart") if "masked model while training" in c.proto.spec]
    assert curves and "validation" in curves[0].proto.spec and "training" in curves[0].proto.spec
    assert len(at.dataframe[-1].value) == 1  # one blank, its guesses


def test_the_toy_ablation_is_labelled_and_measured_on_the_answer(open_page):
    at = open_attention(open_page, lm_tab="toy")
    no_problems(at)
    ablation = next(c for c in at.get("plotly_chart") if "switched off" in c.proto.spec)
    assert '"layer 1"' in ablation.proto.spec and '"head 1"' in ablation.proto.spec
    assert any("answer tokens only" in c.value for c in at.caption)


@pytest.mark.parametrize("tab", list(view.TAB.options))
def test_a_change_in_the_session_equals_a_fresh_link(tab):
    params = Params("lm_", TAB_PARAMS[tab])
    # not checked on the training tab: the tab (no widget of its key), the only tokenizer, and the key/value
    # heads once GPT-2 is chosen (disabled)
    unchecked = 3 if tab == "training" else 0
    assert check_every_control(PAGE, params, BASE, (view.TAB.key, tab)) == len(TAB_PARAMS[tab]) - unchecked


def test_a_change_in_the_session_equals_a_fresh_link_for_gpt2_and_grouped_heads():
    """GPT-2 has no separate key/value heads (the field is filled in and disabled); Llama with 2."""
    params = Params("lm_", TAB_PARAMS["training"])
    assert check_every_control(PAGE, params, {**BASE, "lm_arch": "gpt2"}, (view.TAB.key, "training")) >= 7
    assert check_every_control(PAGE, params, {**BASE, "lm_kv": "2"}, (view.TAB.key, "training")) >= 8


def test_settings_kept_while_their_tab_is_closed_and_unknown_characters_explained(open_page):
    at = open_attention(open_page, lm_tab="attention")
    at.slider(key="lm_layer").set_value(3).run()
    open_tab(at, view.TAB.key, "surprise")
    at.text_area(key="lm_surprise").set_value("To be, or not to be").run()
    no_problems(at)
    open_tab(at, view.TAB.key, "attention")
    assert at.slider(key="lm_layer").value == 3
    at.text_area(key="lm_text").set_value("☃ unknown").run()
    assert any("not in this model's vocabulary" in e.value for e in at.error)


def test_head_statistics_have_human_names_and_an_ablation_with_labelled_axes(open_page):
    at = open_attention(open_page, lm_tab="stats", lm_ablate="true")
    no_problems(at)
    columns = list(at.dataframe[0].value.columns)
    assert "mean distance back (tokens)" in columns and not [c for c in columns if "_" in c]
    chart = at.get("plotly_chart")[0].proto.spec
    assert '"text":"head"' in chart.replace(" ", "") and '"layer 3"' in chart


def test_the_attention_text_is_clipped_to_the_context_and_the_page_says_so(open_page):
    at = open_attention(open_page, lm_tab="attention", lm_text="To be, or not to be. " * 10)
    no_problems(at)
    assert any("first 64 tokens" in i.value for i in at.info)
    assert at.slider(key="lm_query").max == 63


def test_surprisal_scores_at_most_the_cap_with_a_note(open_page):
    at = open_attention(open_page, lm_tab="surprise")
    at.text_area(key="lm_surprise").set_value("To be, or not to be. " * 950).run()  # 19,950 characters
    no_problems(at)
    assert any("Only the first 4,000" in i.value for i in at.info)


def test_every_text_is_bounded():
    assert all(p.max_chars <= 20_000 for p in view.PARAMS if hasattr(p, "max_chars"))


def test_a_saved_model_name_is_shown_literally(open_page):
    at = open_attention(open_page, lm_saved="![x](http://host/t.png)")
    assert not at.exception and at.error
    shown = " ".join(e.value for e in [*at.error, *at.info, *at.warning])
    assert "![x](" not in shown and "\\!\\[x\\]" in shown
    assert at.text_input(key="lm_saved").proto.max_chars == view.SAVED.max_chars


def test_a_saved_model_has_its_own_head_table(open_page, tmp_path, monkeypatch):
    """The table was cached under the form's settings: opening a saved model showed the trained one's."""
    from core import settings
    from core.lm import LMConfig, train_lm
    from core.tokenizers import ByteLevelBPE

    tokenizer = ByteLevelBPE.train(["to be or not to be"] * 20, 270)
    lm = train_lm(LMConfig(n_layer=1, n_embd=32, block_size=16, eval_interval=5),
                  text="to be or not to be, that is it. " * 30, tokenizer=tokenizer, steps=5)
    folder = settings.cache_dir() / "models" / "tiny"
    lm.model.save_pretrained(folder)
    tokenizer.to_hf_json(folder / "tokenizer.json")
    at = open_attention(open_page, lm_tab="stats")
    trained_rows = len(at.dataframe[0].value)
    at.text_input(key="lm_saved").set_value(str(folder)).run()
    no_problems(at)
    assert len(at.dataframe[0].value) == 4 != trained_rows  # its 1 layer x 4 heads, not the trained 4 x 4
    open_tab(at, view.TAB.key, "training")
    assert any("no training record" in i.value for i in at.info)
    at.text_input(key="lm_saved").set_value("/etc").run()
    assert any("outside the folders" in e.value for e in at.error)
