"""An anatomy experiment on a page: its budget, its Train button, and the charts every one shares."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.components import charts
from app.components.training import trained_all
from core.anatomy.experiments import EXPERIMENTS, VariantResult
from core.anatomy.jobs import experiment_specs

STEP_CHOICES = (25, 50, 100, 150, 200, 400, 800)


def run_experiment(name: str) -> list[VariantResult] | None:
    """The experiment's question, budget widgets and Train button; its results once trained."""
    experiment = EXPERIMENTS[name]
    st.markdown(f"**{experiment.title}: trained.** {experiment.question}")
    a, b = st.columns(2)
    steps = a.select_slider("Training steps per variant", STEP_CHOICES, value=experiment.steps, key=f"an_{name}_steps",
                            help="The same budget for every variant; each step is one batch of 32 x 64 characters.")
    seed = b.number_input("Seed", 0, 9999, 0, key=f"an_{name}_seed",
                          help="Initialisation and batch order: the same seed gives the same curves.")
    specs = experiment_specs(name, steps=steps, seed=int(seed))
    labels = list(experiment.variants)
    return trained_all(specs, key=f"an_{name}", label=f"Train the {len(specs)} variants", labels=labels,
                       help="Each variant trains on Tiny Shakespeare (characters) with the same data, budget and "
                            "seed; results are cached for everyone.")


def validation_curves(results: Sequence[VariantResult], *, height: int = 340) -> go.Figure:
    series = {r.label: ([h["step"] for h in r.history if "val_loss" in h],
                        [h["val_loss"] for h in r.history if "val_loss" in h]) for r in results}
    return charts.lines(series, x_title="step", y_title="validation loss (nats / character)", height=height,
                        title="Validation loss while training")


def training_curves(results: Sequence[VariantResult], *, smooth: int = 10, height: int = 340) -> go.Figure:
    """Training loss per step, averaged over a sliding window so the variants can be told apart."""
    series = {}
    for r in results:
        frame = pd.DataFrame(r.history)
        series[r.label] = (frame["step"], frame["train_loss"].rolling(smooth, min_periods=1).mean())
    return charts.lines(series, x_title="step", y_title=f"training loss ({smooth}-step mean)", height=height,
                        title="Training loss")


def summary(results: Sequence[VariantResult], **extra_columns) -> pd.DataFrame:
    """One row per variant: parameters, final validation loss, time; plus any `extra_columns`
    (name -> function of a result)."""
    rows = []
    for r in results:
        row = {"variant": r.label, "parameters": r.parameters,
               "validation loss": None if r.diverged else r.final_val_loss,
               "diverged": r.diverged, "training time (s)": round(r.elapsed_s, 1)}
        rows.append({**row, **{name: column(r) for name, column in extra_columns.items()}})
    return pd.DataFrame(rows)
