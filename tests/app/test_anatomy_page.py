"""The anatomy page: tiled attention stepped through, encodings drawn, variants compared."""

from tests.app.conftest import no_problems


def test_anatomy_page_steps_through_tiles(open_page):
    at = open_page("views/anatomy.py")
    no_problems(at)
    assert float(at.metric[0].value) < 1e-5
    at.slider(key="an_step").set_value(1).run()
    at.toggle(key="an_causal").set_value(False).run()
    at.select_slider(key="an_block").set_value(16).run()
    at.select_slider(key="an_heads").set_value(32).run()
    no_problems(at)
