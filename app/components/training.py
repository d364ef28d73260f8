"""The training panel every page uses: Train, live progress and loss, Cancel, cached results.

`trained(spec)` returns the finished artifact, or None while there is none (after drawing the Train
button, the queue position, or the live progress panel). A finished job found in memory or in the
disk cache is returned at once, so a visitor after the first gets the model instantly.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.cache import manager
from core.jobs import Job, JobSpec, JobState

REFRESH_S = 0.5


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left"
    return f"about {seconds:.0f} s left" if seconds < 90 else f"about {seconds / 60:.0f} min left"


def _metrics_frame(job: Job) -> pd.DataFrame:
    rows = [{"step": e.step, **e.metrics} for e in job.events if e.metrics]
    return pd.DataFrame(rows).set_index("step") if rows else pd.DataFrame()


def _live_panel(spec: JobSpec, key: str) -> None:
    @st.fragment(run_every=REFRESH_S)
    def panel() -> None:
        job = manager().lookup(spec)
        if job is None or not job.active:
            st.rerun()  # the job ended: redraw the page with its result
        latest = job.latest
        if job.state is JobState.QUEUED:
            ahead = manager().queue_position(job)
            st.info(f"Queued behind {ahead} other training job(s); it starts by itself.", icon=":material/hourglass:")
        elif latest is None:
            st.progress(0.0, text="Starting...")
        else:
            st.progress(latest.fraction, text=f"{latest.message} · {latest.fraction:.0%} · {_eta(latest.eta_s)}")
            frame = _metrics_frame(job)
            if not frame.empty:
                st.line_chart(frame, height=180, x_label="step")
        if st.button("Cancel", key=f"{key}-cancel", icon=":material/cancel:"):
            job.cancel()

    panel()


def trained(spec: JobSpec, *, key: str, label: str = "Train", help: str | None = None) -> Any | None:
    """The artifact for `spec`, or None after drawing whatever stands in for it now."""
    job = manager().lookup(spec)
    if job is None or job.state in (JobState.FAILED, JobState.CANCELLED):
        if job is not None:
            (st.warning if job.state is JobState.CANCELLED else st.error)(job.error, icon=":material/info:")
        if not st.button(label if job is None else f"{label} again", key=f"{key}-train", type="primary",
                         icon=":material/play_arrow:", help=help):
            return None
        job = manager().submit(spec)
    if job.state is JobState.DONE:
        if job.warning:
            st.warning(job.warning, icon=":material/warning:")
        return job.result
    _live_panel(spec, key)
    return None
