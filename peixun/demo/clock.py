"""Dates for the demo's posts: the programme's ten weeks before now, in waking hours."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

WEEKS = 10
CHINA = timedelta(hours=8)  # the teachers write in Beijing time, 07:00–23:00
MEAN_GAP_MINUTES = 480  # between one reply and the next


class Clock:
    """Deterministic moments (given the random generator) in the ten weeks before `now`."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.start = now - timedelta(weeks=WEEKS)

    def waking(self, moment: datetime) -> datetime:
        """The same moment, or the next morning's when it falls in the night (Beijing time)."""
        local = (moment + CHINA).replace(microsecond=0)
        if local.hour < 7:
            local = local.replace(hour=7, minute=self.rng.randrange(60))
        elif local.hour == 23:
            local = (local + timedelta(days=1)).replace(hour=7, minute=self.rng.randrange(60))
        return local - CHINA

    def day(self, first_week: int, last_week: int = WEEKS) -> datetime:
        """A moment somewhere in the given weeks of the programme (1–10), never the last hours."""
        low = self.start + timedelta(weeks=first_week - 1)
        high = min(self.start + timedelta(weeks=last_week), self.now - timedelta(hours=6))
        return self.waking(low + (high - low) * self.rng.random())

    def series(self, first: datetime, count: int) -> list[datetime]:
        """`first`, then `count` later moments hours apart; shifted back if they reach now."""
        times = [first]
        for _ in range(count):
            gap = timedelta(minutes=3 + self.rng.expovariate(1 / MEAN_GAP_MINUTES))
            times.append(self.waking(times[-1] + gap))
        overshoot = times[-1] - (self.now - timedelta(minutes=10))
        if overshoot > timedelta(0):
            times = [moment - overshoot for moment in times]
        return times

    def week(self, moment: datetime) -> int:
        """Which week of the programme (1–10) a moment falls in."""
        return max(1, min(WEEKS, 1 + (moment - self.start) // timedelta(weeks=1)))
