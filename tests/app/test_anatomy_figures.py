"""The anatomy figures: the tile grid names its colours (and marks each state with a symbol)."""

from __future__ import annotations

from app.figures import anatomy as figures
from core.views import anatomy as view


def test_each_tile_state_has_its_colour_named_and_a_symbol():
    flash = view.flash(8, 4, True, 2)
    fig = figures.tiles(flash, title="tiles")
    heatmap, legend = fig.data[0], fig.data[1:]
    assert [entry.name for entry in legend] == [f"{view.TILE_MARKS[state]} {name}".strip()
                                                for state, name in view.TILE_STATES.items()]
    assert [entry.marker.color for entry in legend] == list(figures.TILE_COLOURS)
    assert [list(row) for row in heatmap.text] == [["✓", "×"], ["●", ""]]
    colours = {round(edge, 3): colour for edge, colour in heatmap.colorscale}
    for state, colour in enumerate(figures.TILE_COLOURS):  # each state's value falls in its own band
        middle = (state + 0.5) / len(figures.TILE_COLOURS)
        below = max(edge for edge in colours if edge <= middle)
        assert colours[below] == colour


def test_extrapolation_marks_the_trained_context():
    data = view.Extrapolation(64, [1, 2, 4], {"RoPE": ([1, 2, 4], [1.5, 1.8, 2.4])},
                              {"RoPE": (list(range(256)), [2.0] * 256)})
    fig = figures.extrapolation_by_position(data, title="by position")
    assert fig.layout.shapes[0].x0 == 63.5 and fig.data[0].name == "RoPE"
