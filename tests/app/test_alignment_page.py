"""The fine-tuning & alignment page in AppTest, on a very small chain trained once for the module
into the default manager's cache: every tab opens clean and draws, a change in the session equals a
fresh link, a step not trained yet says what it needs, and what users type is bounded and shown
literally."""

from __future__ import annotations

import json

import pytest

from core.jobs import default_manager
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec
from core.views import alignment as view
from core.views.params import Params
from tests.app.conftest import no_problems, open_tab
from tests.app.session_vs_link import check_every_control
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)

PAGE = "views/alignment.py"
BASE = lm_spec(steps=20, config=LMConfig(n_layer=2, n_embd=64))
LINK = {view.BASE.key: BASE.key, view.SFT_STEPS.key: "10", view.PROMPTS.key: "96", view.RM_STEPS.key: "10",
        view.ROLLOUTS.key: "2", view.DPO_STEPS.key: "10"}  # a chain trained in seconds
CHAIN = view.chain(view.PARAMS.from_link(LINK)[0], [lm_spec(), BASE])
TAB_PARAMS = {  # each tab's own settings, in the order the check changes them
    "overview": [],
    "base": [view.BASE],
    "rule": [view.LETTER, view.RULE],
    "sft": [view.SFT_STEPS],
    "reward": [view.TRY, view.K, view.PROMPTS, view.RM_STEPS],
    "ppo": [view.ROLLOUTS, view.PTX, view.BETA],
    "dpo": [view.DPO_BETA, view.DPO_STEPS],
    "lora": [view.TARGETS, view.RANK, view.LORA_OF],
}
CHARTS = {"overview": 1, "base": 0, "rule": 0, "sft": 2, "reward": 2, "ppo": 1, "dpo": 2, "lora": 1}


@pytest.fixture(scope="module", autouse=True)
def small_chain(module_cache):
    for step in ("evaluation", "lora"):
        job = default_manager().run(CHAIN.specs[step], timeout=900)
        assert job.error is None, job.error


def open_alignment(open_page, **query):
    return open_page(PAGE, query={**LINK, **query})


def test_every_tab_opens_clean_and_draws(open_page):
    at = open_alignment(open_page)
    for tab in view.TAB.options:
        open_tab(at, view.TAB.key, tab)
        no_problems(at)
        charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        assert len(charts) == CHARTS[tab], tab
        assert all(c["layout"]["title"]["text"] for c in charts), tab
        assert not any(b.label.startswith("Train") for b in at.button), tab  # everything is trained
    open_tab(at, view.TAB.key, "overview")
    assert any("ChatGPT sense" in m.value for m in at.markdown)
    assert any("arxiv.org/abs/2203.02155" in c.value for c in at.caption)


@pytest.mark.parametrize("tab", list(view.TAB.options))
def test_a_change_in_the_session_equals_a_fresh_link(tab):
    params = Params("al_", TAB_PARAMS[tab])
    assert check_every_control(PAGE, params, LINK, (view.TAB.key, tab)) == len(TAB_PARAMS[tab])


@pytest.mark.parametrize("rule,param", [("include_word", view.WORD), ("line_length", view.PREFER),
                                        ("end_with", view.CHAR)])
def test_a_change_in_the_session_equals_a_fresh_link_for_every_rule(rule, param):
    params = Params("al_", [param, view.RULE])
    assert check_every_control(PAGE, params, {**LINK, view.RULE.key: rule}, (view.TAB.key, "rule")) == 2


def test_a_step_not_trained_says_what_it_needs_and_how_long(open_page):
    at = open_alignment(open_page, al_tab="ppo", al_rm_steps="20")
    no_problems(at)
    needs = " ".join(i.value for i in at.info)
    assert "This step builds on reward model, not trained yet" in needs and "about about" not in needs
    assert at.button(key="al_train_ppo-train").label == "Train PPO"
    assert any(c.value.startswith("Training takes") for c in at.caption)
    at = open_alignment(open_page, al_tab="ppo", al_rm_steps="20", al_prompts="192", lang="zh")
    needs = " ".join(i.value for i in at.info)  # the Chinese rule's chain: listed as Chinese lists them
    assert "SFT、已排序的样本、奖励模型：" in needs and "约 约" not in needs, needs


def test_the_base_tab_trains_the_default_model_first(open_page):
    at = open_page(PAGE, query={"al_tab": "base"})
    no_problems(at)
    assert at.button(key="al_train_base-train").label == "Train the base model"
    options = at.selectbox(key=view.BASE.key).options
    assert len(options) == 3 and any("2 layers of width 64" in option for option in options)


def test_in_chinese_the_page_opens_on_the_chinese_model_and_a_chinese_rule(open_page):
    at = open_page(PAGE, query={"lang": "zh", "al_tab": "rule"})
    no_problems(at)
    assert at.selectbox(key=view.RULE.key).value == "include_word" and at.text_input(key=view.WORD.key).value == "我"
    assert any("'我'" in m.value for m in at.markdown)  # the preference, in words
    open_tab(at, view.TAB.key, "base")
    assert at.selectbox(key=view.BASE.key).value == lm_spec("chinese").key
    assert "默认：中文经典（鲁迅、《红楼梦》）" in at.selectbox(key=view.BASE.key).options[1]  # the corpus's title, not its id


def test_reward_hacking_is_one_click_away_and_both_runs_are_drawn(open_page):
    at = open_alignment(open_page, al_tab="ppo")
    assert any("Train the same run with β = 0" in i.value for i in at.info)
    at.button(key="al_hacking").click().run()
    no_problems(at)
    assert at.slider(key=view.BETA.key).value == 0.0 and at.button(key="al_train_ppo-train")
    job = default_manager().run(view.partner(CHAIN), timeout=600)
    assert job.error is None, job.error
    at = open_alignment(open_page, al_tab="ppo")
    no_problems(at)
    runs = {trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    assert runs == {"β = 0.05", "β = 0.0"}


def test_scoring_a_response_of_your_own(open_page):
    at = open_alignment(open_page, al_tab="reward")
    at.text_input(key=view.TRY.key).input("a dog in a box").run()
    no_problems(at)
    assert [m.value for m in at.metric if m.label == "Rule score"] == ["1.00"]
    at.text_input(key=view.TRY.key).input("☃ snow").run()
    assert any("not in this model's vocabulary" in e.value for e in at.error)


def test_a_bad_rule_parameter_is_explained_literally(open_page):
    at = open_alignment(open_page, al_tab="rule", al_rule="include_word", al_word="![x](http://h/t.png)")
    assert not at.exception and at.error
    shown = " ".join(e.value for e in at.error)
    assert "word must be one word" in shown and "![x](" not in shown and "\\!\\[x\\]" in shown
    assert at.text_input(key=view.WORD.key).proto.max_chars == view.WORD.max_chars


def test_every_text_is_bounded():
    texts = [p for p in view.PARAMS if hasattr(p, "max_chars")]
    assert len(texts) == 4 and all(p.max_chars <= 80 for p in texts)
