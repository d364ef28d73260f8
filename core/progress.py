"""Progress events: how a training loop reports, and how it learns it should stop.

A trainer takes `progress: ProgressCallback | None` and wraps it in a `Progress`. Each
`Progress.update` may call the callback (throttled, so a tight loop pays nothing for it); a
callback that returns False cancels training, which `update` turns into `JobCancelled`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from core.errors import JobCancelled


@dataclass(frozen=True)
class ProgressEvent:
    """One report from a running job."""

    step: int  # units done (steps, words, merges: whatever the trainer counts)
    total: int  # units planned; 0 when unknown
    message: str  # what is happening now, for a person: a template filled from `fields`
    elapsed_s: float  # seconds since the job started
    metrics: Mapping[str, float] = field(default_factory=dict)  # e.g. {"loss": 2.1}
    fields: Mapping[str, object] = field(default_factory=dict)  # the message's values; always step, steps

    def render(self, gettext: Callable[[str], str] = str) -> str:
        """The message in the language `gettext` translates into (English by default)."""
        try:
            fields = {name: gettext(value) if isinstance(value, str) else value for name, value in self.fields.items()}
            return gettext(self.message).format(**fields)
        except (KeyError, IndexError, ValueError):  # a message with literal braces
            return self.message

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left, extrapolated from the rate so far; None before the first unit."""
        if not self.total or self.step <= 0:
            return None
        return max(0.0, self.elapsed_s * (self.total - self.step) / self.step)


ProgressCallback = Callable[[ProgressEvent], "bool | None"]


class Progress:
    """The trainer's side of progress reporting: throttling, timing and cancellation."""

    def __init__(self, callback: ProgressCallback | None, total: int, *, min_interval_s: float = 0.1):
        self.callback = callback
        self.total = total
        self.min_interval_s = min_interval_s
        self.start = time.perf_counter()
        self._last = float("-inf")

    def update(self, step: int, message: str = "", *, force: bool = False, fields: Mapping[str, object] | None = None,
               **metrics: float) -> None:
        """Report `step` of `total`; raise `JobCancelled` if the callback asks to stop.

        Unforced updates closer together than `min_interval_s` are dropped. Pass `force=True`
        for events that must be seen, such as the loss at the end of an epoch.
        """
        if self.callback is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval_s:
            return
        self._last = now
        values = {"step": step, "steps": self.total, **(fields or {})}
        event = ProgressEvent(step, self.total, message, now - self.start, dict(metrics), values)
        if self.callback(event) is False:
            raise JobCancelled("Cancelled at step {step} of {steps}.", step=step, steps=self.total)
