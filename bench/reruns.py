"""What one rerun of each page costs the server (docs/benchmarks.md#what-a-rerun-costs).

    python -m bench.reruns [--cache DIR]

Small models are trained first (seconds: the links below open the pages on them), then each tab of
each page is opened in AppTest and rerun three times; the median server time of a rerun is
printed per tab. AppTest also recompiles the page script on every run, which a server does once, so
these are upper bounds of what a student's click costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import table
from core import settings

STEPS = 20


def links() -> dict[str, dict[str, str]]:
    from core.lm.jobs import lm_spec

    return {"tokenizers": {"tok_corpus": "tinyshakespeare", "tok_vocab": "1000"},
            "embeddings": {"emb_model": "cbow", "emb_corpus": "tinyshakespeare", "emb_dim": "50", "emb_epochs": "1"},
            "attention": {"lm_corpus": "tinyshakespeare", "lm_steps": str(STEPS), "lm_mlm_steps": str(STEPS)},
            "decoding": {"dec_model": lm_spec(steps=STEPS).key},
            "metrics": {"met_model": lm_spec(steps=STEPS).key}}


def train_small_models() -> None:
    from core.embeddings.jobs import embedding_spec
    from core.jobs import default_manager
    from core.lm.jobs import lm_spec, mlm_spec, toy_spec
    from core.tokenizers.jobs import ALGORITHMS, default_spec

    specs = [default_spec(algorithm, "tinyshakespeare", 1000) for algorithm in ALGORITHMS]
    specs += [lm_spec(steps=STEPS), mlm_spec(steps=STEPS), toy_spec("copy"),
              embedding_spec("cbow", "tinyshakespeare", dim=50, epochs=1)]
    for spec in specs:
        default_manager().run(spec)


def rerun_seconds(path: str, query: dict[str, str], repeats: int = 3) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"), default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path).run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    os.environ[settings.ENV_CACHE_DIR] = str(args.cache or tempfile.mkdtemp(prefix="bench-reruns-"))
    train_small_models()
    from app.catalog import available_pages

    rows = []
    for info in available_pages():
        tab = next((p for p in info.params if p.key.endswith("_tab")), None)
        for option in tab.options if tab is not None else [""]:
            query = {**links().get(info.url_path, {}), **({tab.key: option} if tab is not None else {})}
            rows.append({"page": info.url_path, "tab": option, "rerun (s)": rerun_seconds(info.path, query)})
    print(table(rows, ["page", "tab", "rerun (s)"]))


if __name__ == "__main__":
    main()
