"""The anatomy page's computations: the tile grid, the pictures' data, the experiments' budgets,
tables and curves (on variants trained for a few steps through the job manager)."""

from __future__ import annotations

import numpy as np
import pytest

from core.anatomy.experiments import EXPERIMENTS
from core.anatomy.jobs import ANATOMY, experiment_specs
from core.errors import InvalidSetting
from core.jobs import default_manager
from core.views import anatomy as view


def test_the_tile_grid_marks_each_tile_by_its_state_hand_worked():
    """n = 8, blocks of 4, causal: tiles in order (0,0) (0,1 skipped) (1,0) (1,1)."""
    assert view.tile_count(8, 4) == 4 and view.tile_count(16, 8) == 4 and view.tile_count(5, 4) == 4
    first = view.flash(8, 4, True, 0)
    assert first.grid == [[view.NOW, view.NOT_YET], [view.NOT_YET, view.NOT_YET]] and first.error < 1e-5
    third = view.flash(8, 4, True, 2)
    assert third.grid == [[view.EARLIER, view.SKIPPED], [view.NOW, view.NOT_YET]]
    assert third.marks == [["✓", "×"], ["●", ""]] and len(third.step.running_max) == 4
    assert view.flash(8, 4, True, 1).step.skipped
    assert view.flash(8, 4, False, 3).grid == [[view.EARLIER] * 2, [view.EARLIER, view.NOW]]
    with pytest.raises(InvalidSetting, match="between 0 and 3"):
        view.flash(16, 8, True, 15)  # the tile of block size 4, after the block grew to 8
    assert set(view.TILE_STATES) == {view.NOT_YET, view.EARLIER, view.NOW, view.SKIPPED} == set(view.TILE_MARKS)


def test_traffic_has_human_names():
    data = view.traffic()
    names = [*data.extra_memory, *data.moved]
    assert all("_" not in name for name in names) and len(names) == 4
    standard, flash = data.extra_memory.values()
    assert standard[-1] / standard[0] == (data.lengths[-1] / data.lengths[0]) ** 2  # n^2 against n
    assert flash[-1] / flash[0] == data.lengths[-1] / data.lengths[0]


def test_the_pictures_data_come_from_core():
    pictures = view.encodings(32, 16)
    assert pictures.table.shape == (32, 16) and pictures.similarity.shape == (32, 32)
    np.testing.assert_allclose(np.diag(pictures.similarity), 1.0)
    assert len(pictures.rope_scores) == 32 and pictures.alibi.shape == (16, 16)
    curves = view.activations()
    assert len(curves.x) == 161 and set(curves.values) == set(curves.slopes) and len(curves.values) == 5
    assert curves.values["ReLU"][0] == 0.0 and curves.slopes["ReLU"][-1] == 1.0


def test_attention_variants_shrink_the_cache_in_proportion():
    rows = view.attention_variants(8, 512, 2048)
    caches = [row["KV cache per sequence (MB, fp16)"] for row in rows]
    assert [row["key/value heads"] for row in rows] == [8, 2, 1]
    assert caches[0] / caches[1] == 4 and caches[1] / caches[2] == 2


@pytest.mark.parametrize("steps", view.STEP_CHOICES)
def test_the_warm_up_is_always_shorter_than_the_budget(steps):
    changes = EXPERIMENTS["norms"].changes("Post-LayerNorm + warm-up", steps)
    assert 1 <= changes["warmup_steps"] < steps
    assert not [n for n in view.plan("norms", steps, 0).notes if "warms up" in n[0]]


def test_the_default_budget_keeps_the_published_warm_up():
    assert EXPERIMENTS["norms"].changes("Post-LayerNorm + warm-up")["warmup_steps"] == 50  # a third of 150


def test_too_small_budgets_warn():
    notes = view.plan("norms", 25, 0).notes
    assert len(notes) == 1 and notes[0][1] == {"steps": 25, "interval": 50, "least": 100}
    assert not view.plan("norms", 100, 0).notes
    long_warmup = ANATOMY.spec("tinyshakespeare", {"experiment": "norms", "variant": "slow", "steps": 100, "seed": 0,
                                                   "changes": {"warmup_steps": 100}})
    assert [fields["variant"] for _, fields in view.budget_notes([long_warmup])] == ["slow"]


@pytest.fixture(scope="module")
def results():
    manager = default_manager()
    jobs = {name: [manager.submit(spec) for spec in experiment_specs(name, steps=3)]
            for name in ("positions", "attention")}
    for job in (job for group in jobs.values() for job in group):
        assert job.wait(600) and job.error is None, job.error
    return {name: [job.result for job in group] for name, group in jobs.items()}


def test_summaries_and_curves_of_trained_variants(results):
    positions = view.summary("positions", results["positions"])
    assert [row["variant"] for row in positions] == list(EXPERIMENTS["positions"].variants)
    assert set(view.CONTEXT_COLUMNS.values()) <= set(positions[0]) and all("_" not in c for c in positions[0])
    attention = view.summary("attention", results["attention"])
    kv = [row["KV cache per sequence (KB, fp32)"] for row in attention]
    assert kv[0] == 4 * kv[1] == 8 * kv[2]
    curves = view.validation_curves(results["attention"])
    assert all(steps == [3] for steps, _ in curves.values())
    smooth = view.training_curves(results["attention"], smooth=2)
    mha = results["attention"][0]
    first = mha.history
    assert smooth[mha.label][1] == pytest.approx(
        [first[0]["train_loss"], (first[0]["train_loss"] + first[1]["train_loss"]) / 2,
         (first[1]["train_loss"] + first[2]["train_loss"]) / 2])
    data = view.extrapolation(results["positions"])
    assert data.trained_context == 64 and data.factors == [1, 2, 4]
    assert all(len(positions) == 256 for positions, _ in data.by_position.values())
    assert list(view.gradient_norms(results["attention"]).values())[0][0] == [1, 2, 3]


def test_links_and_first_models():
    values, notes = view.PARAMS.from_link({"an_tile": "15", "an_block": "7", "an_norms_steps": "150"})
    assert values == {"an_tile": 15, "an_block": 4, "an_norms_steps": 150} and len(notes) == 1
    assert len(view.first_models()) == sum(len(e.variants) for e in EXPERIMENTS.values())
