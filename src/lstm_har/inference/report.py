"""A labelled recording as people read it: bouts, and time per activity per hour and day.

Each window stands for the 1.28 s hop it advances, so bouts and totals tile the recording.
With absolute timestamps (``Recording.epoch``) times are clock times in a time zone: the
one given (``--tz Europe/Zurich``), else the one or the UTC offset the export records, else
UTC. Hours and days are local: a day ends at local midnight, a day with a daylight-saving
change has 23 or 25 hours, and the hour that repeats in autumn is told apart by its offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from ..errors import LstmHarError
from ..signal.filters import SAMPLE_RATE_HZ, STEP
from ..signal.smoothing import runs
from ..signal.wear import NOT_WORN
from .predictions import UNKNOWN, Predictions

HOP_S = STEP / SAMPLE_RATE_HZ  # the time one window stands for


@dataclass(frozen=True)
class Clock:
    """Where a recording's seconds sit in the world: its first sample's UTC time and zone."""

    t0: float  # seconds since the epoch of the recording's first sample
    zone: dt.tzinfo

    @classmethod
    def of(cls, t0: float, epoch: bool, tz: str | None = None, offset_s: float | None = None,
           zone_name: str | None = None) -> Clock | None:  # fmt: skip
        """A clock for a recording, or None when its times are not absolute."""
        if not epoch:
            return None
        if tz:
            return cls(t0, time_zone(tz))
        if zone_name:
            return cls(t0, time_zone(zone_name, "the export's time zone"))
        return cls(t0, dt.timezone(dt.timedelta(seconds=offset_s or 0.0)))

    def at(self, seconds: np.ndarray) -> list[dt.datetime]:
        utc = dt.timezone.utc
        return [dt.datetime.fromtimestamp(self.t0 + s, utc).astimezone(self.zone)
                for s in np.asarray(seconds, dtype=np.float64)]  # fmt: skip


def time_zone(name: str, what: str = "--tz") -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Zurich``); one unknown here is an
    ``LstmHarError`` naming ``what`` gave it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        advice = "e.g. Europe/Zurich" if what == "--tz" else "give one with --tz"
        raise LstmHarError(f"{what} {name}: not a time zone known here ({advice})") from None


def bouts(preds: Predictions, clock: Clock | None = None) -> pd.DataFrame:
    """One row per run of one label: start and end (seconds from the first sample, and
    clock times when known), activity, duration, mean probability of that activity (empty
    for ``NOT_WORN`` and ``UNKNOWN``)."""
    labels = preds.label
    chosen = preds.proba[np.arange(len(labels)), preds.chosen]
    no_answer = (labels == NOT_WORN) | (labels == UNKNOWN)  # no activity the model stands by
    chosen = np.where(no_answer, np.nan, chosen)
    rows = []
    for a, b, label in runs(labels):
        rows.append({"start_s": float(preds.start[a]), "end_s": float(preds.start[b - 1] + HOP_S),
                     "activity": str(label), "duration_s": round((b - a) * HOP_S, 2),
                     "mean_probability": float(chosen[a:b].mean())})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["start_s", "end_s", "activity", "duration_s",
                                        "mean_probability"])  # fmt: skip
    if clock is not None and len(frame):
        frame.insert(2, "start", [t.isoformat(timespec="seconds") for t in clock.at(frame.start_s)])
        frame.insert(3, "end", [t.isoformat(timespec="seconds") for t in clock.at(frame.end_s)])
    return frame


def summary(preds: Predictions, clock: Clock | None = None) -> pd.DataFrame:
    """Seconds per activity (columns) per hour and per day (rows, ``period`` and ``kind``):
    local clock hours and days when the clock is known, else hours and days from the start."""
    labels = preds.label
    names = list(preds.time_per_class())
    if clock is not None:
        local = clock.at(preds.start)
        hours = [t.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
                 for t in local]  # fmt: skip  # the offset in it tells a repeated hour apart
        days = [t.date().isoformat() for t in local]
    else:
        hours = [f"hour {int(s // 3600)}" for s in preds.start]
        days = [f"day {int(s // 86400)}" for s in preds.start]
    parts = []
    for kind, periods in (("hour", hours), ("day", days)):
        table = pd.crosstab(pd.Series(periods, name="period"), pd.Series(labels, name="label"))
        table = table.reindex(columns=names, fill_value=0) * HOP_S
        table = table.loc[list(dict.fromkeys(periods))]  # in time order
        parts.append(table.reset_index().assign(kind=kind))
    out = pd.concat(parts, ignore_index=True)
    return out[["kind", "period", *names]]


def write_table(frame: pd.DataFrame, path: str) -> bytes:
    """``frame`` as the bytes of a CSV, or of JSON records when ``path`` ends in .json."""
    if path.lower().endswith(".json"):
        text = str(frame.to_json(orient="records", indent=1)) + "\n"
    else:
        text = str(frame.to_csv(index=False, float_format="%.4f"))
    return text.encode()
