"""The attention figures draw every weight they are given, in few traces, a colour per head, and a
click on the model view maps back to its head."""

from __future__ import annotations

import numpy as np

from app.figures import attention as figures
from core.lm.attention import NeuronView
from core.views import attention as view


def random_attention(layers: int, heads: int, n: int, seed: int = 0) -> np.ndarray:
    scores = np.random.default_rng(seed).normal(size=(layers, heads, n, n)) * 3
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return weights / weights.sum(-1, keepdims=True)


def maps(attention: np.ndarray) -> view.Maps:
    return view.Maps([f"t{i}" for i in range(attention.shape[-1])], attention, False, attention.shape[-1])


def segments(fig) -> list[tuple]:
    """(colour, query, key, width) of every line drawn."""
    return sorted((t.line.color, t.y[i], t.y[i + 1], t.line.width) for t in fig.data
                  if t.mode == "lines" and t.x[0] is not None for i in range(0, len(t.y), 3))


def test_head_view_draws_each_weight_once_a_colour_per_head_in_few_traces():
    attention = random_attention(1, 3, 12)
    lines = view.head_lines(maps(attention), 0, [0, 2], query=3, isolate=False)
    fig = figures.head_view(lines, title="head view")
    drawn = [t for t in fig.data if t.mode == "lines" and t.x[0] is not None]
    assert len(drawn) <= 2 * 2 * figures.LEVELS  # per head, weight level and focus
    colours = {0: figures.COLORS[0], 2: figures.COLORS[1]}
    expected = sorted((colours[h], q, k, 1 + 4 * max(1, round(w * 20)) / 20)
                      for h in (0, 2) for (q, k), w in np.ndenumerate(attention[0, h]) if w > view.LINE_THRESHOLD)
    assert [s[:3] for s in segments(fig)] == [e[:3] for e in expected]
    assert all(abs(a[3] - b[3]) < 1e-9 for a, b in zip(segments(fig), expected))
    legend = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert legend == ["head 0", "head 2"]  # each colour named
    focused = [t for t in drawn if set(t.y[::3]) == {3}]  # the query token's lines: strong; the others faint
    assert focused and max(t.opacity for t in drawn if t not in focused) <= 0.3
    assert max(t.opacity for t in focused) > 0.3
    isolated = figures.head_view(view.head_lines(maps(attention), 0, [0], 3, isolate=True), title="head view")
    assert {q for _, q, _, _ in segments(isolated)} == {3}
    assert fig.layout.height >= figures.TOKEN_ROOM * 12  # room between the tokens


def test_model_view_tiles_every_head_and_a_click_maps_back_to_it():
    attention = random_attention(3, 5, 7)
    fig = figures.model_view(attention, title="model view")
    heatmap, targets = fig.data
    z = np.array(heatmap.z, dtype=float)
    assert [figures.model_view_cell({"x": x, "y": y}, 7) for x, y in zip(targets.x, targets.y)] == [
        (layer, head) for layer in range(3) for head in range(5)]  # a click target on each thumbnail
    size = 7 + 1
    for (layer, head, q, k), w in np.ndenumerate(attention):
        y, x = layer * size + q, head * size + k
        assert z[y, x] == w
        assert figures.model_view_cell({"x": x, "y": y}, 7) == (layer, head)
    assert np.isnan(z[7, 0]) and figures.model_view_cell({"x": 0, "y": 7}, 7) is None  # a gap row
    assert figures.model_view_cell({"x": 7, "y": 0}, 7) is None  # a gap column
    assert figures.model_view_cell({}, 7) is None


def test_neuron_view_shows_query_keys_products_scores_and_weights():
    keys = np.arange(12, dtype=float).reshape(3, 4)
    query = np.ones(4)
    scores = np.array([keys[0].sum() / 2, keys[1].sum() / 2, -np.inf])
    weights = np.exp(scores - scores[1]) / np.exp(scores - scores[1]).sum()
    neuron = view.Neuron(["a", "b", "c"], 1, NeuronView(query, keys, query * keys, scores, weights, 0.5))
    fig = figures.neuron_view(neuron, title="neuron view")
    assert [trace.type for trace in fig.data] == ["heatmap", "heatmap", "heatmap", "bar", "bar"]
    assert list(fig.data[4].x) == list(weights) and fig.data[3].text[2] == "masked"
    assert [a.text for a in fig.layout.annotations][1:] == ["keys k", "q × k", "q · k / √d", "softmax"]


def test_ablation_heatmap_names_its_layers_and_heads():
    fig = figures.ablation_heatmap(np.array([[0.5, -0.1], [0.0, 0.2]]), title="ablation")
    assert list(fig.data[0].x) == ["head 0", "head 1"] and list(fig.data[0].y) == ["layer 0", "layer 1"]
    assert fig.layout.xaxis.title.text == "head" and fig.layout.yaxis.title.text == "layer"
