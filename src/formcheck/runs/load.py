"""Training load from runs: weekly distance and time, the acute:chronic workload ratio, and the
plan after a spike.

Load is running distance per calendar day (the run's local start date); only running sports
count (model.RUNNING_SPORTS).

ACWR, both forms of Williams et al. 2017 (Br J Sports Med 51:209-210), 7-day acute over 28-day
chronic:
- rolling average: acute = the last 7 days' load / 7, chronic = the last 28 days' load / 28
  (the acute days are part of the chronic window, as in Gabbett 2016);
- EWMA: E_d = lambda * load_d + (1 - lambda) * E_(d-1), lambda = 2 / (N + 1) with N = 7 and 28,
  starting from 0 the day before the first run.
Until 28 days have passed since the first run there is no full chronic window: both ratios are
None ("not yet: N of 28 days") and the weekly distances and week-on-week change are shown alone.

Zones (Gabbett 2016, Br J Sports Med 50:273-280): about 0.8-1.3 the "sweet spot"; above 1.5 the
"danger zone" where injury risk rises steeply. Education, not diagnosis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Run

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
SWEET_LOW, SWEET_HIGH, SPIKE = 0.8, 1.3, 1.5
# Build-up after the halved week: +10 % a week, back to the spike week's distance. A weekly
# increase this small keeps the next weeks' ACWR inside the sweet spot; Nielsen et al. 2014
# (J Orthop Sports Phys Ther 44:739-747) saw more injuries in novice runners after > 30 % in a week.
BUILD_UP_RATIO = 1.10
SOURCES = ("Gabbett 2016, Br J Sports Med 50:273-280 (zones)",
           "Williams et al. 2017, Br J Sports Med 51:209-210 (EWMA ACWR)",
           "Nielsen et al. 2014, J Orthop Sports Phys Ther 44:739-747 (weekly increase)")


@dataclass(frozen=True)
class Week:
    week_start: dt.date            # Monday
    distance_m: float
    duration_s: float
    runs: int
    increase_ratio: float | None   # this week / last week - 1; None when last week had none
    acwr: float | None             # at the week's last day (or the as-of day)
    acwr_ewma: float | None
    cadence_spm: float | None      # moving-time weighted mean of the week's runs with cadence


@dataclass(frozen=True)
class Plan:
    weeks_m: tuple[float, ...]     # week 1 = the last 7 days' distance halved, then +10 %/week
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Load:
    as_of: dt.date
    days_of_history: int
    acute_m_per_day: float
    chronic_m_per_day: float
    acwr: float | None
    acwr_ewma: float | None
    zone: str | None
    weeks: tuple[Week, ...]
    plan: Plan | None


def zone(ratio: float | None) -> str | None:
    if ratio is None:
        return None
    if ratio > SPIKE:
        return "spike (above 1.5)"
    if ratio > SWEET_HIGH:
        return "caution (1.3-1.5)"
    if ratio >= SWEET_LOW:
        return "sweet spot (0.8-1.3)"
    return "below 0.8 (less than usual)"


def _local_date(run: Run) -> dt.date:
    return run.start_dt.date()


def daily_load(runs: list[Run] | tuple[Run, ...]) -> dict[dt.date, float]:
    out: dict[dt.date, float] = {}
    for r in runs:
        if r.counts_as_running:
            d = _local_date(r)
            out[d] = out.get(d, 0.0) + r.distance_m
    return out


def _ratios(daily: dict[dt.date, float], first: dt.date, day: dt.date
            ) -> tuple[float, float, float | None, float | None]:
    """(acute per day, chronic per day, rolling ACWR, EWMA ACWR) at the end of `day`."""
    acute = sum(daily.get(day - dt.timedelta(days=i), 0.0) for i in range(ACUTE_DAYS)) / ACUTE_DAYS
    chronic = sum(daily.get(day - dt.timedelta(days=i), 0.0)
                  for i in range(CHRONIC_DAYS)) / CHRONIC_DAYS
    la, lc = 2.0 / (ACUTE_DAYS + 1), 2.0 / (CHRONIC_DAYS + 1)
    ea = ec = 0.0
    d = first
    while d <= day:
        x = daily.get(d, 0.0)
        ea = la * x + (1 - la) * ea
        ec = lc * x + (1 - lc) * ec
        d += dt.timedelta(days=1)
    full = (day - first).days + 1 >= CHRONIC_DAYS
    rolling = acute / chronic if full and chronic > 0 else None
    ewma = ea / ec if full and ec > 0 else None
    return acute, chronic, rolling, ewma


def spike_plan(last7_m: float, ratio: float) -> Plan:
    weeks = [last7_m / 2.0]
    while weeks[-1] * BUILD_UP_RATIO < last7_m:
        weeks.append(weeks[-1] * BUILD_UP_RATIO)
    weeks.append(last7_m)
    reason = (f"The last 7 days' running is {ratio:.2f} times the daily average of the last 28 "
              "days (ACWR above 1.5): a spike in load, which usually comes before runner's knee. "
              "Halve this week's distance, then build it back up by at most 10 % a week to "
              f"{last7_m / 1000:.1f} km. Education, not diagnosis: see a physiotherapist if "
              "pain persists.")
    return Plan(tuple(weeks), reason, SOURCES)


def training_load(runs: list[Run] | tuple[Run, ...], as_of: dt.date | None = None) -> Load | None:
    """The load as of `as_of` (default: the day of the last run); None without running."""
    daily = daily_load(runs)
    if as_of is not None:
        daily = {d: x for d, x in daily.items() if d <= as_of}
    if not daily:
        return None
    first = min(daily)
    as_of = as_of or max(daily)
    acute, chronic, rolling, ewma = _ratios(daily, first, as_of)
    week0 = first - dt.timedelta(days=first.weekday())
    weeks, prev = [], None
    w = week0
    while w <= as_of:
        end = min(w + dt.timedelta(days=6), as_of)
        inside = [r for r in runs if r.counts_as_running and w <= _local_date(r) <= end]
        dist = sum(r.distance_m for r in inside)
        dur = sum(r.duration_s for r in inside)
        cad = [(r.cadence_spm, r.moving_s) for r in inside if r.cadence_spm and r.moving_s > 0]
        cadence = (sum(c * t for c, t in cad) / sum(t for _, t in cad)) if cad else None
        _, _, wr, we = _ratios(daily, first, end)
        inc = dist / prev - 1.0 if prev else None
        weeks.append(Week(w, dist, dur, len(inside), inc, wr, we, cadence))
        prev = dist
        w += dt.timedelta(days=7)
    worst = max((x for x in (rolling, ewma) if x is not None), default=None)
    plan = spike_plan(acute * ACUTE_DAYS, worst) if worst is not None and worst > SPIKE else None
    return Load(as_of, (as_of - first).days + 1, acute, chronic, rolling, ewma,
                zone(rolling), tuple(weeks), plan)


def load_to_dict(load: Load | None) -> dict:
    if load is None:
        return {"acwr": None, "acwr_ewma": None, "weeks": [], "plan": None}
    return {
        "as_of": load.as_of.isoformat(), "days_of_history": load.days_of_history,
        "acute_m_per_day": load.acute_m_per_day, "chronic_m_per_day": load.chronic_m_per_day,
        "acwr": load.acwr, "acwr_ewma": load.acwr_ewma, "zone": load.zone,
        "weeks": [{"week_start": w.week_start.isoformat(), "distance_m": w.distance_m,
                   "duration_s": w.duration_s, "runs": w.runs,
                   "increase_ratio": w.increase_ratio, "acwr": w.acwr,
                   "acwr_ewma": w.acwr_ewma, "cadence_spm": w.cadence_spm}
                  for w in load.weeks],
        "plan": None if load.plan is None else {
            "weeks_m": list(load.plan.weeks_m), "reason": load.plan.reason,
            "sources": list(load.plan.sources)},
    }


def load_text(load: Load | None) -> str:
    if load is None:
        return "No running yet: import runs with `formcheck runs import FILE...`."
    lines = [f"Training load as of {load.as_of} ({load.days_of_history} days of history)", "",
             "week of       km    time  runs  change   ACWR  EWMA  steps/min"]
    for w in load.weeks:
        h, m = divmod(int(round(w.duration_s / 60)), 60)
        inc = "" if w.increase_ratio is None else f"{w.increase_ratio:+.0%}"
        ac = "" if w.acwr is None else f"{w.acwr:.2f}"
        ae = "" if w.acwr_ewma is None else f"{w.acwr_ewma:.2f}"
        cad = "" if w.cadence_spm is None else f"{w.cadence_spm:.0f}"
        lines.append(f"{w.week_start}  {w.distance_m / 1000:5.1f}  {h:2d}:{m:02d}  {w.runs:4d}  "
                     f"{inc:>6}  {ac:>5}  {ae:>4}  {cad:>9}")
    lines.append("")
    if load.acwr is None:
        lines.append(f"ACWR: not yet, it needs {CHRONIC_DAYS} days of history (have "
                     f"{load.days_of_history}); weekly distance and change are shown meanwhile.")
    else:
        lines.append(f"ACWR {load.acwr:.2f} (rolling), {load.acwr_ewma:.2f} (EWMA): {load.zone}. "
                     "Zones: about 0.8-1.3 the sweet spot, above 1.5 a spike (Gabbett 2016).")
    if load.plan:
        lines += ["", "Load spike. " + load.plan.reason, "Plan, km per week: "
                  + ", ".join(f"{x / 1000:.1f}" for x in load.plan.weeks_m),
                  "Sources: " + "; ".join(load.plan.sources)]
    return "\n".join(lines)
