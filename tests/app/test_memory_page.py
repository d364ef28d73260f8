"""The KV cache & memory page in AppTest: every tab, and a change in the session equals a fresh link."""

from __future__ import annotations

import pytest

from core.views import memory as view
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab
from tests.app.session_vs_link import check_every_control

PAGE = "views/memory.py"


def test_every_tab_opens_clean(open_page):
    at = open_page(PAGE)
    every_tab_opens_clean(at, view.TAB.key, [tab for tab in view.TAB.options])
    open_tab(at, view.TAB.key, "why")
    at.button(key="mem_time_run").click().run()
    no_problems(at)
    assert len(at.get("plotly_chart")) == 2


def test_switching_presets_shows_the_new_model(open_page):
    at = open_page(PAGE)
    at.selectbox(key="mem_preset").set_value("Llama 2 70B").run()
    assert "68.98B parameters" in at.markdown[0].value and at.number_input(key="mem_layers").value == 80
    at.selectbox(key="mem_preset").set_value("GPT-2 small").run()
    no_problems(at)
    assert "0.12B parameters" in at.markdown[0].value


def test_a_link_with_values_that_do_not_fit_opens_with_defaults_and_notes(open_page):
    at = open_page(PAGE, query={"mem_context": "abc", "mem_preset": "no such model"})
    no_problems(at)
    assert at.number_input(key="mem_context").value == view.CONTEXT.default
    assert at.selectbox(key="mem_preset").value == view.PRESET.default
    assert len(at.info) >= 2


@pytest.mark.parametrize("tab", ["calculator", "measured", "paged"])
@pytest.mark.parametrize("start", [{}, {"mem_preset": "custom", "mem_attention": "GQA"}], ids=["preset", "custom"])
def test_a_change_in_the_session_equals_a_fresh_link(tab, start):
    if start and tab != "calculator":
        pytest.skip("the custom model only changes the calculator")
    assert check_every_control(PAGE, view.PARAMS, start, (view.TAB.key, tab)) >= 3
