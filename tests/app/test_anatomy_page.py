"""The anatomy page in AppTest: tiled attention stepped through (a tile that no longer fits is brought
back), the pictures drawn, every experiment's results drawn from real (briefly) trained variants,
and a change in the session equals a fresh link."""

from __future__ import annotations

import pytest

from core.anatomy.experiments import EXPERIMENTS
from core.anatomy.jobs import experiment_specs
from core.jobs import default_manager
from core.views import anatomy as view
from tests.app.conftest import no_problems, open_tab
from tests.app.session_vs_link import NOTE, check_every_control
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)

PAGE = "views/anatomy.py"
STEPS = 25
TRAINED = {f"an_{name}_steps": str(STEPS) for name in EXPERIMENTS}  # the budgets the fixture trains


@pytest.fixture(scope="module")
def trained_experiments(module_cache):
    manager = default_manager()
    jobs = [manager.submit(spec) for name in EXPERIMENTS for spec in experiment_specs(name, steps=STEPS)]
    for job in jobs:
        assert job.wait(600) and job.error is None, job.error


def test_every_tab_opens_clean_with_its_expected_training_time(open_page):
    at = open_page(PAGE)
    no_problems(at)
    assert float(at.metric[0].value) < 1e-5
    for name, experiment in EXPERIMENTS.items():
        open_tab(at, view.TAB.key, name)
        no_problems(at)
        assert [b.label for b in at.button if b.label.startswith("Train the")] == [
            f"Train the {len(experiment.variants)} variants"]
        assert any(c.value.startswith("Training takes") for c in at.caption)  # before Train, the time it takes


def test_a_tile_beyond_the_new_last_tile_is_brought_back_with_a_note(open_page):
    at = open_page(PAGE)
    at.slider(key="an_tile").set_value(15).run()  # 16 tokens in blocks of 4: tiles 0..15
    at.select_slider(key="an_block").set_value(8).run()  # now 4 tiles: "Something went wrong" before
    no_problems(at)
    assert at.slider(key="an_tile").value == 3 and at.slider(key="an_tile").max == 3
    assert any(c.value.startswith(NOTE) and "15 is outside" in c.value for c in at.caption)


def test_the_tiles_colours_are_named(open_page):
    at = open_page(PAGE)
    at.slider(key="an_tile").set_value(5).run()
    no_problems(at)
    tiles = next(c.proto.spec for c in at.get("plotly_chart") if "what has been computed" in c.proto.spec)
    for state in view.TILE_STATES.values():
        assert state in tiles
    assert any("Dark blue (●): computed now" in c.value for c in at.caption)
    memory = [c.proto.spec for c in at.get("plotly_chart") if "Extra memory" in c.proto.spec][0]
    assert "standard_extra_memory" not in memory and "two numbers per row" in memory


def test_too_small_budgets_warn(open_page):
    at = open_page(PAGE, query={"an_tab": "norms", "an_norms_steps": "25"})
    no_problems(at)
    assert any("validation is measured once" in w.value for w in at.warning)
    at.select_slider(key="an_norms_steps").set_value(150).run()
    assert not at.warning


def test_every_trained_experiment_is_drawn(open_page, trained_experiments):
    at = open_page(PAGE, query=TRAINED)
    for name, experiment in EXPERIMENTS.items():
        open_tab(at, view.TAB.key, name)
        no_problems(at)
        assert not [b for b in at.button if b.label.startswith("Train the")]  # cached: results, not buttons
        tables = [tuple(frame.value["variant"]) for frame in at.dataframe if "variant" in frame.value]
        assert tables == [tuple(experiment.variants)]
        if name == "positions":
            assert at.dataframe[-1].value["loss at 4x the context"].notna().all()
    open_tab(at, view.TAB.key, "norms")
    at.number_input(key="an_norms_seed").set_value(1).run()  # another seed: not trained yet, so a button
    assert [b.label for b in at.button if b.label.startswith("Train the")] == ["Train the 5 variants"]
    no_problems(at)


@pytest.mark.parametrize("tab", list(view.TAB.options))
def test_a_change_in_the_session_equals_a_fresh_link(tab, trained_experiments):
    assert check_every_control(PAGE, view.PARAMS, TRAINED, (view.TAB.key, tab)) >= 2
