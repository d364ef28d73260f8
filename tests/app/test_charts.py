"""The attention figures draw every weight they are given, in few traces, and a click maps back to its head."""

from __future__ import annotations

import numpy as np

from app.components import charts


def random_attention(layers: int, heads: int, n: int, seed: int = 0) -> np.ndarray:
    scores = np.random.default_rng(seed).normal(size=(layers, heads, n, n)) * 3
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return weights / weights.sum(-1, keepdims=True)


def test_head_view_draws_each_weight_above_the_threshold_once_in_at_most_20_line_traces():
    weights = random_attention(1, 1, 12)[0, 0]
    fig = charts.head_view(weights, [f"t{i}" for i in range(12)])
    line_traces = [t for t in fig.data if t.mode == "lines"]
    assert len(line_traces) <= 20
    segments = sorted((t.y[i], t.y[i + 1], t.line.width) for t in line_traces for i in range(0, len(t.y), 3))
    expected = sorted((q, k, 1 + 4 * max(1, round(w * 20)) / 20)
                      for (q, k), w in np.ndenumerate(weights) if w > 0.02)
    assert [(q, k) for q, k, _ in segments] == [(q, k) for q, k, _ in expected]
    assert all(abs(a[2] - b[2]) < 1e-9 for a, b in zip(segments, expected))
    focused = charts.head_view(weights, [f"t{i}" for i in range(12)], focus=3)
    assert {t.y[i] for t in focused.data if t.mode == "lines" for i in range(0, len(t.y), 3)} == {3}


def test_model_view_tiles_every_head_and_a_click_maps_back_to_it():
    attention = random_attention(3, 5, 7)
    fig = charts.model_view(attention)
    heatmap, targets = fig.data
    z = np.array(heatmap.z, dtype=float)
    assert [charts.model_view_cell({"x": x, "y": y}, 7) for x, y in zip(targets.x, targets.y)] == [
        (layer, head) for layer in range(3) for head in range(5)]  # a click target on each thumbnail
    size = 7 + 1
    for (layer, head, q, k), w in np.ndenumerate(attention):
        y, x = layer * size + q, head * size + k
        assert z[y, x] == w
        assert charts.model_view_cell({"x": x, "y": y}, 7) == (layer, head)
    assert np.isnan(z[7, 0]) and charts.model_view_cell({"x": 0, "y": 7}, 7) is None  # a gap row
    assert charts.model_view_cell({"x": 7, "y": 0}, 7) is None  # a gap column
    assert charts.model_view_cell({}, 7) is None
