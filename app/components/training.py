"""The training panel every page uses: Train, live progress and loss, Cancel, cached results.

`trained(spec)` (or `trained_all(specs)`) returns the finished artifacts, or None while there are
none, after drawing whatever stands in for them now: the Train button, the queue position, or the
live progress panel. Finished jobs found in memory or in the disk cache are returned at once, so
a visitor after the first gets the model instantly.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import streamlit as st

from app.cache import manager
from core.jobs import Job, JobSpec, JobState

REFRESH_S = 1.0  # a progress bar needs no more; each refresh costs the server CPU that training wants
ENDED = (JobState.FAILED, JobState.CANCELLED)


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left"
    return f"about {seconds:.0f} s left" if seconds < 90 else f"about {seconds / 60:.0f} min left"


def _metrics_frame(job: Job) -> pd.DataFrame:
    rows = [{"step": e.step, **e.metrics} for e in job.events if e.metrics]
    return pd.DataFrame(rows).drop_duplicates("step", keep="last").set_index("step") if rows else pd.DataFrame()


def _job_status(job: Job, label: str, chart: bool) -> None:
    latest = job.latest
    if job.state is JobState.QUEUED:
        ahead = manager().queue_position(job)
        st.info(f"{label}: queued behind {ahead} other training job(s); it starts by itself.",
                icon=":material/hourglass_top:")
    elif job.state is JobState.DONE:
        st.progress(1.0, text=f"{label}: done")
    elif latest is None:
        st.progress(0.0, text=f"{label}: starting...")
    else:
        st.progress(latest.fraction,
                    text=f"{label}: {latest.message} · {latest.fraction:.0%} · {_eta(latest.eta_s)}")
        frame = _metrics_frame(job)
        if chart and not frame.empty and len(frame) > 1:
            st.line_chart(frame, height=180, x_label="step")


def _live_panel(specs: Sequence[JobSpec], labels: Sequence[str], key: str) -> None:
    @st.fragment(run_every=REFRESH_S)
    def panel() -> None:
        jobs = [manager().lookup(spec) for spec in specs]
        if all(job is None or not job.active for job in jobs):
            st.rerun()  # every job ended: redraw the page with the results
        for job, label in zip(jobs, labels):
            if job is not None:
                _job_status(job, label, chart=len(specs) == 1)
        if st.button("Cancel", key=f"{key}-cancel", icon=":material/cancel:"):
            for job in jobs:
                if job is not None:
                    job.cancel()

    panel()


def trained_all(specs: Sequence[JobSpec], *, key: str, label: str = "Train", help: str | None = None,
                labels: Sequence[str] | None = None) -> list[Any] | None:
    """Every artifact for `specs`, or None after drawing the button or the progress panel."""
    labels = list(labels or [spec.label for spec in specs])
    jobs = [manager().lookup(spec) for spec in specs]
    if all(job is not None and job.state is JobState.DONE for job in jobs):
        for job in jobs:
            if job.warning:
                st.warning(job.warning, icon=":material/warning:")
        return [job.result for job in jobs]
    if not any(job is not None and job.active for job in jobs):
        for job in jobs:
            if job is not None and job.state in ENDED:
                (st.warning if job.state is JobState.CANCELLED else st.error)(job.error, icon=":material/info:")
        retry = any(job is not None and job.state in ENDED for job in jobs)
        if not st.button(f"{label} again" if retry else label, key=f"{key}-train", type="primary",
                         icon=":material/play_arrow:", help=help):
            return None
        for spec, job in zip(specs, jobs):
            if job is None or job.state in ENDED:
                manager().submit(spec)
    _live_panel(specs, labels, key)
    return None


def trained(spec: JobSpec, *, key: str, label: str = "Train", help: str | None = None) -> Any | None:
    """The artifact for one spec, or None (see `trained_all`)."""
    results = trained_all([spec], key=key, label=label, help=help, labels=["Training"])
    return results[0] if results else None
