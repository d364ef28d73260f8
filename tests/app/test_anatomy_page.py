"""The anatomy page: tiled attention stepped through, encodings drawn, and every experiment's results
drawn from real (briefly) trained variants."""

from __future__ import annotations

import pytest

from core.anatomy.experiments import EXPERIMENTS
from core.anatomy.jobs import experiment_specs
from core.jobs import default_manager
from tests.app.conftest import no_problems, open_tab

STEPS = 25
TABS = {"positions": "Positional encodings", "norms": "Pre-Norm vs Post-Norm", "activations": "Activations",
        "attention": "MHA, GQA, MQA"}


@pytest.fixture(scope="module")
def trained_experiments():
    manager = default_manager()
    jobs = [manager.submit(spec) for name in EXPERIMENTS for spec in experiment_specs(name, steps=STEPS)]
    for job in jobs:
        assert job.wait(600) and job.error is None, job.error


def test_anatomy_page_steps_through_tiles(open_page):
    at = open_page("views/anatomy.py")
    no_problems(at)
    assert float(at.metric[0].value) < 1e-5
    at.slider(key="an_step").set_value(1).run()
    at.toggle(key="an_causal").set_value(False).run()
    at.select_slider(key="an_block").set_value(16).run()
    open_tab(at, "an_tab", TABS["attention"])
    at.select_slider(key="an_heads").set_value(32).run()
    no_problems(at)
    for name, experiment in EXPERIMENTS.items():
        open_tab(at, "an_tab", TABS[name])
        no_problems(at)
        assert [b.label for b in at.button if b.label.startswith("Train the")] == [
            f"Train the {len(experiment.variants)} variants"]


def test_anatomy_page_draws_every_trained_experiment(open_page, trained_experiments):
    at = open_page("views/anatomy.py")
    for name, experiment in EXPERIMENTS.items():
        open_tab(at, "an_tab", TABS[name])
        at.select_slider(key=f"an_{name}_steps").set_value(STEPS).run()
        no_problems(at)
        assert not [b for b in at.button if b.label.startswith("Train the")]  # cached: results, not buttons
        tables = [tuple(frame.value["variant"]) for frame in at.dataframe if "variant" in frame.value]
        assert tables == [tuple(experiment.variants)]
        if name == "positions":
            assert at.dataframe[-1].value["loss at 4x"].notna().all()
    open_tab(at, "an_tab", TABS["norms"])
    at.number_input(key="an_norms_seed").set_value(1).run()  # another seed: not trained yet, so a button
    assert [b.label for b in at.button if b.label.startswith("Train the")] == ["Train the 5 variants"]
    no_problems(at)
