"""The training panel every page uses: the estimate, Train, the queue, live progress, Cancel.

`trained(spec)` (or `trained_all(specs)`) returns the finished artifacts, or None while there are
none, after drawing whatever stands in for them now: the Train button with the time the job is
expected to take on this server's device, the place in the queue, or the live progress panel.
Finished jobs found in memory or in the disk cache are returned at once, so a visitor after the
first gets the model instantly.

Cancel withdraws only this user's wait: when others wait for the same job it goes on (the panel
says so); a lecturer may stop it for everyone.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import streamlit as st

from app.models import manager
from app.components import messages
from app.i18n import progress_text, t
from app.identity import current_user
from core.errors import PlaygroundError
from core.jobs import Job, JobSpec, JobState
from core.jobs.estimate import Estimate

REFRESH_S = 1.0  # a progress bar needs no more; each refresh costs the server CPU that training wants
ENDED = (JobState.FAILED, JobState.CANCELLED)
WITHDRAWN = "_withdrawn_jobs"  # keys of the jobs this session stopped waiting for
CURVES = {"loss": "training loss", "val_loss": "validation loss"}  # the metrics the live chart draws


def duration(seconds: float | None) -> str:
    """'about 40 s', 'about 3 min', 'about 1.5 h' in the session's language."""
    if seconds is None:
        return t("estimating")
    if seconds < 90:
        return t("about {seconds:.0f} s", seconds=max(1.0, seconds))
    if seconds < 90 * 60:
        return t("about {minutes:.0f} min", minutes=seconds / 60)
    return t("about {hours:.1f} h", hours=seconds / 3600)


def estimate_text(estimate: Estimate) -> str:
    where = t("measured on this server") if estimate.measured else t("first estimate for this server")
    return t("{duration} ({where})", duration=duration(estimate.seconds), where=where)


def _withdrawn() -> set[str]:
    return st.session_state.setdefault(WITHDRAWN, set())


def _metrics_frame(job: Job) -> pd.DataFrame:
    rows = [{"step": e.step, **{t(CURVES[k]): v for k, v in e.metrics.items() if k in CURVES}}
            for e in job.events if e.metrics]
    frame = pd.DataFrame(rows)
    return frame.drop_duplicates("step", keep="last").set_index("step") if len(frame.columns) > 1 else pd.DataFrame()


def _job_status(job: Job, label: str, chart: bool) -> None:
    latest = job.latest
    if job.state is JobState.QUEUED:
        position = manager().position(job)
        st.info(t("{label}: queued, {ahead} job(s) ahead (the running one counted). Starts in {start}, done in "
                  "{done}.", label=label, ahead=position.ahead, start=duration(position.starts_in_s),
                  done=duration(position.done_in_s)), icon=":material/hourglass_top:")
    elif job.state is JobState.DONE:
        st.progress(1.0, text=t("{label}: done", label=label))
    elif latest is None:
        st.progress(0.0, text=t("{label}: starting...", label=label))
    else:
        st.progress(latest.fraction, text=t("{label}: {message} · {fraction:.0%} · {left} left", label=label,
                                            message=progress_text(latest), fraction=latest.fraction,
                                            left=duration(latest.eta_s)))
        frame = _metrics_frame(job)
        if chart and not frame.empty and len(frame) > 1:
            st.line_chart(frame, height=180, x_label=t("step"), y_label=t("loss (nats)"))
    if job.dependency is not None:
        _job_status(job.dependency, t("first, what it needs: {label}", label=job.dependency.spec.kind), chart=False)


def _live_panel(specs: Sequence[JobSpec], labels: Sequence[str], key: str) -> None:
    @st.fragment(run_every=REFRESH_S)
    def panel() -> None:
        user = current_user()
        jobs = [manager().lookup(spec) for spec in specs]
        if all(job is None or not job.active or job.spec.key in _withdrawn() for job in jobs):
            st.rerun()  # every job ended (or this user stopped waiting): redraw the page
        for job, label in zip(jobs, labels):
            if job is not None:
                _job_status(job, label, chart=len(specs) == 1)
        left, right = st.columns(2)
        if left.button(t("Cancel"), key=f"{key}-cancel", icon=":material/cancel:",
                       help=t("Stop waiting. The job stops if nobody else waits for it.")):
            for job in jobs:
                if job is not None and job.active:
                    manager().withdraw(job, user)
                    _withdrawn().add(job.spec.key)
            st.rerun()
        if user.privileged and right.button(t("Stop for everyone"), key=f"{key}-stop", icon=":material/block:"):
            for job in jobs:
                if job is not None and job.active:
                    manager().cancel(job, user)
            st.rerun()

    panel()


def _show_ended(jobs: Sequence[Job | None]) -> None:
    for job in jobs:
        if job is not None and job.state in ENDED and job.error is not None:
            (messages.warning if job.state is JobState.CANCELLED else messages.error)(job.error)


def _withdrawn_jobs(jobs: Sequence[Job | None]) -> list[Job]:
    return [job for job in jobs if job is not None and job.active and job.spec.key in _withdrawn()]


def trained_all(specs: Sequence[JobSpec], *, key: str, label: str | None = None, help: str | None = None,
                labels: Sequence[str] | None = None) -> list[Any] | None:
    """Every artifact for `specs`, or None after drawing the button or the progress panel."""
    labels = list(labels or [spec.kind for spec in specs])
    jobs = [manager().lookup(spec) for spec in specs]
    if all(job is not None and job.state is JobState.DONE for job in jobs):
        for job in jobs:
            if job.warning:
                messages.warning(job.warning)
        return [job.result for job in jobs]
    user = current_user()
    away = _withdrawn_jobs(jobs)
    if away:
        st.info(t("Training goes on for {count} other user(s); you stopped waiting.",
                  count=max(len(j.waiters) for j in away)), icon=":material/group:")
        if not st.button(t("Wait for it again"), key=f"{key}-rejoin"):
            return None
        for job in away:
            _withdrawn().discard(job.spec.key)
            manager().submit(job.spec, user)
    elif not any(job is not None and job.active for job in jobs):
        _show_ended(jobs)
        missing = [spec for spec, job in zip(specs, jobs) if job is None or job.state in ENDED]
        expected = sum(manager().estimate(spec).seconds for spec in missing)
        measured = all(manager().estimate(spec).measured for spec in missing)
        retry = any(job is not None and job.state in ENDED for job in jobs)
        st.caption(t("Training takes {time} on {device}.", time=estimate_text(Estimate(expected, measured)),
                     device=t(manager().device.type.upper())))
        text = label or t("Train")
        if not st.button(t("{label} again", label=text) if retry else text, key=f"{key}-train", type="primary",
                         icon=":material/play_arrow:", help=help):
            return None
        try:
            for spec in missing:
                manager().submit(spec, user)
        except PlaygroundError as refused:
            messages.error(refused)
            return None
    else:
        for job in jobs:  # viewing a running job: this user waits for it too
            if job is not None and job.active:
                manager().submit(job.spec, user)
    _live_panel(specs, labels, key)
    return None


def trained(spec: JobSpec, *, key: str, label: str | None = None, help: str | None = None) -> Any | None:
    """The artifact for one spec, or None (see `trained_all`)."""
    results = trained_all([spec], key=key, label=label, help=help, labels=[t("Training")])
    return results[0] if results else None
