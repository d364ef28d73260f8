"""The order queued jobs start in: by priority, then round-robin between users.

First-in-first-out let one student who queued 25 large jobs in 8 seconds make everyone else wait
behind all of them. Here each user has a lane; the next job comes from the next user in turn, so
a user with one job waits behind at most one job of each other user. A lecturer's (or the host's)
jobs have a higher priority and go first. Plain data and no threads: the in-process manager and
the cluster scheduler (`core.jobs.cluster`) both use it under their own lock.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """A queued job as the queue sees it."""

    key: str  # the job's key
    user: str  # who it belongs to (its lane)
    priority: int  # higher starts first (lecturer and host above students)
    estimate_s: float  # expected seconds of training, for positions and ETAs


class FairQueue:
    """Lanes of entries per user, served by priority and then in turn."""

    def __init__(self) -> None:
        self._lanes: OrderedDict[str, deque[Entry]] = OrderedDict()  # order: whose turn comes first

    def __len__(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    def __contains__(self, key: str) -> bool:
        return any(entry.key == key for lane in self._lanes.values() for entry in lane)

    def push(self, entry: Entry) -> None:
        self._lanes.setdefault(entry.user, deque()).append(entry)

    def remove(self, key: str) -> Entry | None:
        """Take a queued entry out (cancelled, or run elsewhere); None if it is not queued."""
        for user, lane in self._lanes.items():
            for entry in lane:
                if entry.key == key:
                    lane.remove(entry)
                    if not lane:
                        del self._lanes[user]
                    return entry
        return None

    def pop(self) -> Entry | None:
        """The next entry to start: the highest priority at the head of a lane, the earliest turn
        among equals; that user's turn then goes to the back."""
        if not self._lanes:
            return None
        user = max(self._lanes, key=lambda u: (self._lanes[u][0].priority, -list(self._lanes).index(u)))
        lane = self._lanes.pop(user)
        entry = lane.popleft()
        if lane:
            self._lanes[user] = lane  # re-inserted last: the others go first next time
        return entry

    def order(self) -> list[Entry]:
        """Every queued entry in the order it would start."""
        copy = FairQueue()
        copy._lanes = OrderedDict((user, deque(lane)) for user, lane in self._lanes.items())
        out = []
        while (entry := copy.pop()) is not None:
            out.append(entry)
        return out

    def count(self, user: str) -> int:
        return len(self._lanes.get(user, ()))


def start_times(running_left_s: list[float], queued: list[Entry], workers: int) -> dict[str, float]:
    """When each queued entry starts (seconds from now), given the seconds left of the running
    jobs and `workers` jobs running at once: each job goes to the first worker free."""
    workers = max(1, workers)
    slots = sorted(sorted(running_left_s)[:workers] + [0.0] * max(0, workers - len(running_left_s)))
    starts = {}
    for entry in queued:
        start = slots.pop(0)
        starts[entry.key] = start
        bisect.insort(slots, start + entry.estimate_s)
    return starts
