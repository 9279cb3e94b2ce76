"""How fast could a unit-account saver model be? A measured prototype.

Not a test, and not the model: a stand-alone sketch of the saver month that
benchmarks/RESULTS.md ("What it would take") names as the way to issue #6's 100M
saver-months/s at 1M savers and its 1:1 national run. It changes the model's rules, so it
is not a performance round of the present model but a proposal for its owners:

- **the default fund as units of vintage target-date funds**, one fund per plan and
  five-year retirement vintage (as recordkeepers account for them): the fund's returns,
  fees, sleeve and gate are applied to its unit price once per (plan, vintage), and a
  saver's default-fund holding is one number, its units (today: eight asset-class columns
  per saver, rebalanced saver by saver to a glide path read at the saver's exact age);
- **holdings outside the default fund kept only for savers who have any** (the ~40% who
  are not defaulted), in a side table: dense (all 14 columns) or slotted (the occupied
  columns only, up to `SLOTS`, the rare rest in a dense overflow table);
- **decisions timed by the rules' own clocks** (`--draws clocks`): each saver carries,
  for each monthly rule (review, deferral drift, hardship, job change, enrolment,
  restarting contributions), the month its clock next ticks, a geometric waiting time at
  the rule's rate, and only the savers with a clock due act, with draws of their own from
  a counter-based generator keyed on (row, month, draw). Where a rule's rate moves from
  month to month (the review's with the equity market, the job change's with age) the
  clock ticks at a bound on it and a tick is accepted with the ratio (thinning); where it
  moves with the saver's state (the deferral drift with the distance to the preferred
  rate, enrolment and hardship with participation) the clock is drawn afresh when the
  state changes. Either way each rule's law month by month is today's exactly. Or
  (`--draws keyed`) every saver evaluates every rule every month, as today, with keyed
  draws computed in the pass instead of drawn into arrays. Today every saver draws nine
  uniforms every month;
- **age and tenure kept as birth and hire months**, salaries relative to the wage index:
  nothing is written per saver to age the population.

The month here is the per-saver work of that design: contributions and match, each side
holding's return and fee, units bought, the per-plan and per-fund sums that observation,
fees, litigation and coworkers need (summed in row order by the thread that owns the
plan's rows, as the present passes do), the events that come due, and the fund-level
price update at every (plan, vintage). The acting savers' rules are sketched (a rate
change, a tenth of the units withdrawn, a separated saver re-hired in the row), not the
model's; the deciding rules themselves (which savers act) are the model's, with its rates.
It starts from a real model state (the default scenario after 14 months), converted.

    .venv/bin/python benchmarks/prototype_units.py                     # 1M and 10M savers
    .venv/bin/python benchmarks/prototype_units.py --savers 1000000 --threads 1 --layouts slots --draws clocks

Results: benchmarks/RESULTS.md, "What it would take".
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import NamedTuple

import numpy as np
from alt401k.agents import savers as sv
from alt401k.agents.fund_mix import glide_composition
from alt401k.agents.kernels import row_chunks
from alt401k.base.assets import ASSET_CLASSES, HOLDING_ASSET
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.threads import set_kernel_threads
from bench_model import bandwidth_gbs  # this script's folder is on the path when it runs
from numba import njit, prange

N_VINTAGES = 10
"""Five-year retirement vintages (2025, 2030, ..., 2070)."""
N_SIDE = sv.N_OPTIONS - 1
"""Holdings outside the default fund: core, standalone and window (the options after 0)."""
SUMS = 8
"""Per-plan sums: heads, participating, employee, match, default-fund units bought (USD),
side dollars, side gains, side fees."""
AGE_YOUNG, AGE_OLD = (float(a) for a in sv.JOB_CHANGE_AGES)
SAME_RATE = sv.SAME_RATE_TOLERANCE
"""Deferral and preferred rates this close are the same rate: no drift (as the model)."""
"""The ages between which the job-change rate falls (`savers.job_change_prob_monthly`)."""


class Rates(NamedTuple):
    """The monthly decision rules' rates, from the model's calibration (`SaverBehaviour`,
    docs/calibration.md; `Rates.of`)."""

    drift_base: float
    drift_per_shortfall: float
    drift_per_excess: float
    hardship: float
    leave_bound: float
    leave_young: float
    leave_old: float
    inattentive_review: float
    enrol_slow: float
    enrol_prompt: float
    stop_in_crash: float
    restart: float

    @classmethod
    def of(cls, b) -> Rates:  # noqa: ANN001 - a SaverBehaviour
        """The rates of the saver behaviour `b`."""
        young, old = b.job_change_prob_annual_young, b.job_change_prob_annual_old
        return cls(b.deferral_change_base_monthly, b.deferral_change_per_distance, b.deferral_change_per_excess,
                   sv.hardship_threshold(b.hardship_prob_annual), sv.job_change_bound(young, old), young, old,
                   b.review_prob_monthly[0], b.procrastinator_enrol_prob_monthly, b.voluntary_enrol_prob_monthly,
                   b.stop_contributing_prob_crash, b.restart_contributing_prob)


@njit(inline="always")
def _drift_hazard(diff, rates):  # pragma: no cover - compiled
    """The monthly hazard of a deferral rate `diff` from the preferred one drifting back to it
    (ODD §7.4; `savers.review_decisions_inplace`)."""
    return min(1.0, rates.drift_base * (1.0 + rates.drift_per_shortfall * max(0.0, -diff)
                                        + rates.drift_per_excess * max(0.0, diff)))


@njit(inline="always")
def _enrol_prob(p_review, rates):  # pragma: no cover - compiled
    """A non-participant's monthly enrolment probability by its attention (ODD §7.4)."""
    return rates.enrol_slow if p_review <= rates.inattentive_review else rates.enrol_prompt


@njit(inline="always")
def _job_change(age, rates):  # pragma: no cover - compiled
    """The monthly job-change probability at `age` (`savers.job_change_prob_monthly`)."""
    t = min(1.0, max(0.0, (age - AGE_YOUNG) / (AGE_OLD - AGE_YOUNG)))
    annual = rates.leave_young + (rates.leave_old - rates.leave_young) * t
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


@njit(inline="always")
def _mix(row, month, k):  # pragma: no cover - compiled
    """splitmix64 of (row, month, draw k): 64 random bits that depend on no other saver's
    draws, nor on threads, nor on which draws other rules took this month."""
    z = np.uint64(row) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(month) * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(k)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _uniform(row, month, k):  # pragma: no cover - compiled
    """A uniform in [0, 1) for (row, month, draw k), 53 bits of `_mix`."""
    return (_mix(row, month, k) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def _uniform_pair(row, month, k):  # pragma: no cover - compiled
    """Two uniforms in [0, 1) of 24 bits each (float32 resolution, as the model's draws)
    from the two halves of one `_mix`."""
    z = _mix(row, month, k)
    scale = 1.0 / 16777216.0
    return ((z & np.uint64(0xFFFFFFFF)) >> np.uint64(8)) * scale, (z >> np.uint64(40)) * scale


@njit(inline="always")
def _put(out, s, acc):  # pragma: no cover - compiled
    """A plan's sums `acc` (heads, participating, employee, match, default-fund units bought
    (USD), side dollars, side gains, side fees) into its row of `out`."""
    for j in range(SUMS):
        out[s, j] = acc[j]


@njit(inline="always")
def _grow(b, r, fee_rate):  # pragma: no cover - compiled
    """A holding after its month's return r and fee: (new balance, gain, fee)."""
    g = b * r
    b += g
    fee = b * fee_rate
    return b - fee, g, fee


@njit(inline="always")
def _money(i, s, w, fl, acc, wage, vintage, units, salary, deferral, match_rate, match_cap, price, side_row,
           side_bal, side_alloc, side_return, side_fee, slots, slot_n, slot_col, slot_bal, slot_alloc, slot_df,
           overflow, plan_side, fund_units):  # pragma: no cover - compiled
    """One saver's money in its month: contributions and match, each side holding's return
    and fee, the default-fund units bought; its plan's sums `acc` (heads, participating,
    employee, match, bought, side, gains, fees) returned with the saver's added."""
    heads, part, employee, match, bought, side, gains, fees = acc
    a = 0.0
    if fl & 3 == 3:  # participating and contributing
        pay = salary[i] * wage / 12.0
        e = pay * deferral[i]
        m = pay * match_rate[s] * min(deferral[i], match_cap[s])
        a = e + m
        employee += w * e
        match += w * m
    heads += w
    part += w * (fl & 1)
    k = side_row[i]
    to_fund = a
    if k >= 0 and slots and slot_n[k] >= 0:
        to_fund = a * slot_df[k]
        for q in range(slot_n[k]):
            j = slot_col[k, q]
            b, g, fee = _grow(slot_bal[k, q] + a * slot_alloc[k, q], side_return[j], side_fee[s, j])
            slot_bal[k, q] = b
            plan_side[s, j] += w * b
            side += w * b
            gains += w * g
            fees += w * fee
    elif k >= 0:
        d = overflow[k] if slots else k
        to_fund = a * side_alloc[d, 0]
        for j in range(N_SIDE):
            b = side_bal[d, j] + a * side_alloc[d, j + 1]
            if b != 0.0:
                b, g, fee = _grow(b, side_return[j], side_fee[s, j])
                side_bal[d, j] = b
                plan_side[s, j] += w * b
                side += w * b
                gains += w * g
                fees += w * fee
    v = vintage[i]
    u = units[i] + to_fund / price[s, v]
    units[i] = u
    bought += w * to_fund
    fund_units[s, v] += w * u
    return heads, part, employee, match, bought, side, gains, fees


@njit(inline="always")
def _begin_plan(s, plan_side, fund_units):  # pragma: no cover - compiled
    """A plan's per-holding and per-fund sums zeroed before its first row adds to them."""
    for j in range(N_SIDE):
        plan_side[s, j] = 0.0
    for v in range(N_VINTAGES):
        fund_units[s, v] = 0.0


REVIEW, SEPARATION, HARDSHIP, DRIFT, ENROL, RESTART = 1, 2, 4, 8, 16, 32
"""Event flags of a saver's month; the last three are applied where they are decided,
`_effect` applies the first three."""
EVENTS = ("review", "separation", "hardship", "deferral drift", "enrolment", "restart")
"""The flags' names, bit by bit."""


@njit(inline="always")
def _decide(i, s, month, fl, flags, deferral, preferred, age_month, retire_month, review_p, review_factor,
            plan_auto, crash, rates):  # pragma: no cover - compiled
    """Today's monthly decision rules for one saver, each a Bernoulli trial at its rate this
    month, with draws keyed on (row, month, k): ODD §7.3's review (its rate raised by the
    month's equity move), the deferral drift back to the preferred rate (a hazard rising
    with the distance), enrolment, stopping and restarting contributions, §7.6's hardship
    withdrawal and job change (its rate by age, the exact power only below the rate's bound).
    Returns the month's event flags; the deferral and participation changes are made here."""
    code = 0
    u0, u1 = _uniform_pair(i, month, 0)
    if fl & 1:
        if u0 < min(1.0, review_p[i] * review_factor):
            code |= REVIEW
        diff = deferral[i] - preferred[i]
        if u1 < _drift_hazard(diff, rates) and abs(diff) > SAME_RATE:
            deferral[i] = preferred[i]
            code |= DRIFT
    elif not plan_auto[s] and u0 < _enrol_prob(review_p[i], rates):
        flags[i] = fl | 1
        deferral[i] = preferred[i]
        code |= ENROL
    u2, u3 = _uniform_pair(i, month, 1)
    if fl & 1 and u2 < rates.hardship:
        code |= HARDSHIP
    retiring = month >= retire_month[i]
    if retiring or (u3 < rates.leave_bound and u3 < _job_change((month - age_month[i]) / 12.0, rates)):
        code |= SEPARATION
    contributing = fl & 2
    if (crash and contributing) or not contributing:
        u4 = _uniform(i, month, 2)
        if crash and contributing and u4 < rates.stop_in_crash:
            flags[i] = flags[i] & ~np.uint8(2)
        elif not contributing and u4 < rates.restart:
            flags[i] = flags[i] | np.uint8(2)
            code |= RESTART
    return code


@njit(parallel=True, nogil=True)
def saver_month(bounds, month, wage, sponsor, vintage, flags, weight, units, salary, deferral,
                match_rate, match_cap, price, side_row, side_bal, side_alloc, side_return, side_fee,
                slots, slot_n, slot_col, slot_bal, slot_alloc, slot_df, overflow,
                keyed, clocks, next_event, preferred, age_month, retire_month, review_p, review_factor, plan_auto,
                crash, rates, logs, plan_sums, plan_side, fund_units, acting):  # pragma: no cover - compiled
    """Every saver's month in one pass (chunks of whole plans, as `row_chunks` cuts them);
    each plan's sums added in row order in local accumulators, as the model's passes do.
    Side holdings in the dense table (`side_bal`, `side_alloc`: every column of a side
    row) or, with `slots`, in the slot table (a side row's occupied columns only; rows
    with more than `SLOTS` in the dense table, row `overflow[k]`).

    Then each saver's events, their flags into `acting`: with `keyed`, today's rules
    evaluated every month for every saver (`_decide`); else the rules whose clock is due,
    for the savers with one (`_act_clocks`), while the saver's row is in cache (a separate
    pass over the acting rows afterwards was slower: its scattered reads miss the cache)."""
    for c in prange(bounds.shape[0] - 1):
        drawn = np.empty(CLOCKS)
        plan = -1
        acc = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        for i in range(bounds[c], bounds[c + 1]):
            s = sponsor[i]
            if s != plan:
                if plan >= 0:
                    _put(plan_sums, plan, acc)
                plan = s
                acc = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                _begin_plan(s, plan_side, fund_units)
            fl = flags[i]
            acc = _money(i, s, weight[i], fl, acc, wage, vintage, units, salary, deferral, match_rate,
                         match_cap, price, side_row, side_bal, side_alloc, side_return, side_fee, slots, slot_n,
                         slot_col, slot_bal, slot_alloc, slot_df, overflow, plan_side, fund_units)
            if keyed:
                code = _decide(i, s, month, fl, flags, deferral, preferred, age_month, retire_month, review_p,
                               review_factor, plan_auto, crash, rates)
                if code:
                    _effect(i, month, code, age_month, retire_month, deferral, flags, units, side_row)
                acting[i] = code
            elif next_event[i] <= month:
                acting[i] = _act_clocks(i, s, month, drawn, clocks, next_event, age_month, retire_month, deferral,
                                        preferred, flags, units, side_row, review_p, review_factor, plan_auto, rates,
                                        logs)
            else:
                acting[i] = 0
        if plan >= 0:
            _put(plan_sums, plan, acc)


@njit(parallel=True, nogil=True)
def fund_month(price, fee_monthly, composition, asset_return):  # pragma: no cover - compiled
    """Each (plan, vintage) fund's unit price after its return and fee (its sleeve and gate
    would be applied here too, once per fund instead of once per saver)."""
    n_plans, n_vint = price.shape
    for s in prange(n_plans):
        for v in range(n_vint):
            r = 0.0
            for a in range(asset_return.shape[0]):
                r += composition[s, v, a] * asset_return[a]
            price[s, v] *= (1.0 + r) * (1.0 - fee_monthly[s])


@njit(inline="always")
def _effect(i, month, code, age_month, retire_month, deferral, flags, units, side_row):  # pragma: no cover - compiled
    """A sketch of what an acting saver's event does: a separated saver's row becomes a new
    hire at the same plan, a hardship withdrawal takes a tenth of the fund units, a review
    moves the deferral rate."""
    if code & SEPARATION:
        units[i] = 0.0
        side_row[i] = -1
        age_month[i] = month - 12 * 22 - int(_uniform(i, month, 5) * 12 * 23)
        retire_month[i] = age_month[i] + 12 * 65
        deferral[i] = 0.03
        flags[i] = 3
        return
    if code & HARDSHIP:
        units[i] *= 0.9
    if code & REVIEW:
        deferral[i] = min(0.5, max(0.0, deferral[i] + 0.01 * (_uniform(i, month, 6) - 0.4)))


CLOCKS = 6
"""The rules' own clocks (`_act_clocks`): review, deferral drift, hardship, job change,
enrolment, restarting contributions."""
C_REVIEW, C_DRIFT, C_HARDSHIP, C_LEAVE, C_ENROL, C_RESTART = range(CLOCKS)
NEVER = np.iinfo(np.int16).max
"""The month of a clock whose rate is zero."""
REVIEW_BOUND = 2.0
"""The review clock ticks at `REVIEW_BOUND` times a saver's review rate and a tick is a
review with probability (this month's attention factor) / REVIEW_BOUND (thinning: exact
while monthly equity moves stay under 25%; a month beyond that would be evaluated for
every saver with keyed draws, as `saver_month` does with `keyed`)."""


@njit(inline="always")
def _clock_rate(c, i, s, fl, deferral, preferred, review_p, plan_auto, rates):  # pragma: no cover - compiled
    """The monthly rate at which clock `c` of saver i ticks, given its state now: a rule's
    rate, or for the review and job-change clocks a bound on it (thinned in `_act_clocks`)."""
    if c == C_REVIEW:
        return min(1.0, review_p[i] * REVIEW_BOUND) if fl & 1 else 0.0
    if c == C_DRIFT:
        diff = deferral[i] - preferred[i]
        return _drift_hazard(diff, rates) if fl & 1 and abs(diff) > SAME_RATE else 0.0
    if c == C_HARDSHIP:
        return rates.hardship if fl & 1 else 0.0
    if c == C_LEAVE:
        return rates.leave_bound
    if c == C_ENROL:
        return 0.0 if fl & 1 or plan_auto[s] else _enrol_prob(review_p[i], rates)
    return rates.restart if not fl & 2 else 0.0


@njit(inline="always")
def _next_tick(i, month, c, p, rates, logs):  # pragma: no cover - compiled
    """The month clock `c` next ticks, at monthly rate p, after `month` (keyed draw).
    log(1 - p) of the rules whose rate is a constant comes from `logs` (`clock_logs`)."""
    if p <= 0.0:
        return NEVER
    if c == C_LEAVE:
        lq = logs.leave_bound
    elif c == C_HARDSHIP:
        lq = logs.hardship
    elif c == C_ENROL:
        lq = logs.enrol_slow if p == rates.enrol_slow else logs.enrol_prompt
    elif c == C_RESTART:
        lq = logs.restart
    else:
        lq = np.log1p(-p)
    return min(NEVER, month + 1 + int(np.log1p(-_uniform(i, month, 16 + c)) / lq))


def clock_logs(rates: Rates) -> Rates:
    """log(1 - p) of each rate, computed once for the clocks whose rate is a constant (job
    change's bound, hardship, enrolment, restart); 0 for the fields that are not
    probabilities (the drift's slopes)."""
    return Rates(*(float(np.log1p(-q)) if q < 1.0 else 0.0 for q in rates))


@njit(inline="always")
def _act_clocks(i, s, month, drawn, clocks, next_event, age_month, retire_month, deferral, preferred, flags, units,
                side_row, review_p, review_factor, plan_auto, rates, logs):  # pragma: no cover - compiled
    """Saver i, one of whose clocks has come due: each due clock's rule (a tick of the
    review or job-change clock accepted with the ratio of the rule's rate this month to the
    clock's bound), the effect (`_effect`), then each clock drawn afresh that ticked or
    whose rate the saver's new state changed (geometric waiting times are memoryless, so
    redrawing at a change of rate is exact; the others keep their month), and the month of
    the next tick. Returns the month's event flags. `drawn` (CLOCKS,) is scratch: the rates
    the clocks were drawn at."""
    for c in range(CLOCKS):  # each clock was drawn at the rate the saver's state gives now
        drawn[c] = _clock_rate(c, i, s, flags[i], deferral, preferred, review_p, plan_auto, rates)
    code = 0
    due = 0
    for c in range(CLOCKS):
        if clocks[i, c] > month:
            continue
        due |= 1 << c
        u = _uniform(i, month, 8 + c)
        if c == C_REVIEW:
            if u * REVIEW_BOUND < review_factor:
                code |= REVIEW
        elif c == C_DRIFT:
            deferral[i] = preferred[i]
            code |= DRIFT
        elif c == C_HARDSHIP:
            code |= HARDSHIP
        elif c == C_LEAVE:
            if u * rates.leave_bound < _job_change((month - age_month[i]) / 12.0, rates):
                code |= SEPARATION
        elif c == C_ENROL:
            flags[i] = flags[i] | np.uint8(1)
            deferral[i] = preferred[i]
            code |= ENROL
        else:
            flags[i] = flags[i] | np.uint8(2)
            code |= RESTART
    if month >= retire_month[i]:
        code |= SEPARATION
    _effect(i, month, code, age_month, retire_month, deferral, flags, units, side_row)
    first = NEVER
    for c in range(CLOCKS):
        p = _clock_rate(c, i, s, flags[i], deferral, preferred, review_p, plan_auto, rates)
        if due & (1 << c) or p != drawn[c]:
            clocks[i, c] = _next_tick(i, month, c, p, rates, logs)
        first = min(first, clocks[i, c])
    next_event[i] = min(first, retire_month[i])
    return code


@njit(parallel=True, nogil=True)
def start_clocks(month, clocks, next_event, sponsor, flags, deferral, preferred, review_p, retire_month, plan_auto,
                 rates, logs):  # pragma: no cover - compiled
    """Every saver's clocks at their rates in `month`, and the month of its first tick."""
    for i in prange(clocks.shape[0]):
        first = retire_month[i]
        for c in range(CLOCKS):
            clocks[i, c] = _next_tick(i, month, c, _clock_rate(c, i, sponsor[i], flags[i], deferral, preferred,
                                                              review_p, plan_auto, rates), rates, logs)
            first = min(first, clocks[i, c])
        next_event[i] = first


SLOTS = 4
"""Side holdings kept in the slot table per side row; 96% of side rows hold or direct money
to 3 columns (the core funds) and 99% to at most 4 (the default scenario, months 23-71)."""


def convert(model: Alt401kModel) -> dict[str, np.ndarray]:
    """The unit-account state of a model's savers (their dollars and rates as they are),
    with the side holdings both as a dense table and as a slot table."""
    pop = model.savers
    n = pop.n
    years_left = np.maximum(pop.retirement_age_years - pop.age_years, 0.0)
    vintage = np.minimum(years_left // 5, N_VINTAGES - 1).astype(np.int8)
    has_side = (pop.style != sv.DEFAULTED) | (pop.balance_usd[:, sv.N_DF:] != 0).any(axis=1)
    side_row = np.full(n, -1, dtype=np.int32)
    side_row[has_side] = np.arange(int(has_side.sum()), dtype=np.int32)
    side_bal = np.ascontiguousarray(pop.balance_usd[has_side, sv.N_DF:])
    side_alloc = pop.allocation[has_side].astype(np.float32)
    # The slot table: each side row's occupied columns (held or directed to) first, in order.
    occupied = (side_bal != 0) | (side_alloc[:, 1:] != 0)
    count = occupied.sum(axis=1)
    order = np.argsort(~occupied, axis=1, kind="stable")[:, :SLOTS]
    used = np.arange(SLOTS) < np.minimum(count, SLOTS)[:, None]
    over = count > SLOTS
    overflow = np.full(count.size, -1, dtype=np.int32)
    overflow[over] = np.arange(int(over.sum()), dtype=np.int32)
    return {
        "sponsor": pop.sponsor.copy(),
        "vintage": vintage,
        "flags": (pop.is_participating.astype(np.uint8) | (pop.is_contributing.astype(np.uint8) << 1)
                  | (pop.is_auto_enrolled.astype(np.uint8) << 2)),
        "weight": pop.weight.copy(),
        "units": pop.balance_usd[:, : sv.N_DF].sum(axis=1),  # at a unit price of 1.0
        "salary": pop.salary_usd_annual / model.wage_index,
        "deferral": pop.deferral_rate.copy(),
        "side_row": side_row,
        "age_month": (14 - np.round(12 * pop.age_years)).astype(np.int16),
        "retire_month": (14 + np.round(12 * (pop.retirement_age_years - pop.age_years))).astype(np.int16),
        "preferred": pop.preferred_deferral_rate.astype(np.float32),
        "review_p": pop.review_prob_monthly.astype(np.float32),
        "dense_bal": side_bal,
        "dense_alloc": side_alloc,
        "slot_n": np.where(over, -1, count).astype(np.int8),
        "slot_col": np.where(used, order, 0).astype(np.int8),
        "slot_bal": np.where(used, np.take_along_axis(side_bal, order, axis=1), 0.0),
        "slot_alloc": np.where(used, np.take_along_axis(side_alloc[:, 1:], order, axis=1), 0.0).astype(np.float32),
        "slot_df": side_alloc[:, 0].copy(),
        "overflow": overflow,
        "overflow_bal": side_bal[over],
        "overflow_alloc": side_alloc[over],
    }


MONEY = ("sponsor", "vintage", "flags", "weight", "units", "salary", "deferral", "side_row")
"""The per-saver columns the money part of the saver pass reads (`_money`)."""
COMMON = MONEY + ("age_month", "retire_month", "review_p")
"""The per-saver columns of every variant."""
DRAWS = {"clocks": ("next_event", "clocks", "preferred"), "keyed": ("preferred",)}
"""Each way of drawing the events' own columns: the rules' clocks and the month of the
first (`_act_clocks`), or none but the preferred deferral rate that the deferral drift
reads (both read it)."""
READ = {"clocks": MONEY + ("next_event",), "keyed": COMMON + ("preferred",)}
"""The per-saver columns each variant's saver pass reads (besides the side tables)."""
SIDE = {"dense": ("dense_bal", "dense_alloc"),
        "slots": ("slot_n", "slot_col", "slot_bal", "slot_alloc", "slot_df", "overflow", "overflow_bal",
                  "overflow_alloc")}
"""Each layout's side tables."""


def model_state(n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A real model state at `n` savers after 14 months, converted (`convert`), and the
    plan-level arrays the prototype month needs."""
    n_plans = max(1_200, n // 100)
    model = Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=n, n_sponsors=n_plans, years=2))
    for _ in range(14):
        model.step()
    fee = model.plan_fee_matrix() / 12.0
    # Each fund's mix: the glide path at the middle of its vintage, with the plan's sleeve.
    age = np.tile(65.0 - 5.0 * np.arange(N_VINTAGES) - 2.5, n_plans)
    plan_of = np.repeat(np.arange(n_plans, dtype=np.int32), N_VINTAGES)
    asset_return = np.asarray(model.last_returns.reported, dtype=np.float64)
    b = model.config.saver
    equity_move = abs(float(model.last_returns.true[ASSET_CLASSES.index("equity")]))
    plan = {
        "plan_auto": model.plans.auto_enroll.copy(),
        "review_factor": 1.0 + b.attention_boost_per_equity_move * equity_move,
        "rates": Rates.of(b),
        "match_rate": model.plans.match_rate.copy(), "match_cap": model.plans.match_cap.copy(),
        "side_fee": np.ascontiguousarray(fee[:, sv.N_DF:]), "fund_fee": fee[:, : sv.N_DF].mean(axis=1),
        "composition": glide_composition(age, model.plan_views.sleeve(), plan_of).reshape(n_plans, N_VINTAGES, -1),
        "asset_return": asset_return, "side_return": asset_return[HOLDING_ASSET[sv.N_DF:]].copy(),
    }
    plan["logs"] = clock_logs(plan["rates"])
    st = convert(model)
    st["clocks"] = np.empty((n, CLOCKS), dtype=np.int16)
    st["next_event"] = np.empty(n, dtype=np.int16)
    start_clocks(14, st["clocks"], st["next_event"], st["sponsor"], st["flags"], st["deferral"], st["preferred"],
                 st["review_p"], st["retire_month"], plan["plan_auto"], plan["rates"], plan["logs"])
    return st, plan


def measure(st: dict[str, np.ndarray], plan: dict[str, np.ndarray], layout: str, draws: str, threads: int,
            months: int, read_gbs: float) -> tuple[str, np.ndarray]:
    """One line of results: the prototype month on a copy of `st` with `layout`'s side table
    and `draws`' events (`read_gbs`: this machine's read bandwidth, for the floor of a pass
    that reads the state); and the savers each event (`EVENTS`) came to in each month,
    shape (months, len(EVENTS)), counted outside the timed passes."""
    set_kernel_threads(threads)
    st = {k: v.copy() for k, v in st.items()}
    n, n_plans = st["sponsor"].size, plan["match_rate"].size
    slots = layout == "slots"
    dense_bal, dense_alloc = (st["overflow_bal"], st["overflow_alloc"]) if slots else (st["dense_bal"], st["dense_alloc"])
    bounds = row_chunks(st["sponsor"])
    price = np.ones((n_plans, N_VINTAGES))
    plan_sums, plan_side = np.zeros((n_plans, SUMS)), np.zeros((n_plans, N_SIDE))
    fund_units = np.zeros((n_plans, N_VINTAGES))
    acting = np.zeros(n, dtype=np.uint8)
    money = (st["sponsor"], st["vintage"], st["flags"], st["weight"], st["units"], st["salary"], st["deferral"],
             plan["match_rate"], plan["match_cap"], price, st["side_row"], dense_bal, dense_alloc, plan["side_return"],
             plan["side_fee"], slots, st["slot_n"], st["slot_col"], st["slot_bal"], st["slot_alloc"], st["slot_df"],
             st["overflow"])
    sums = (plan_sums, plan_side, fund_units, acting)

    def one_month(month: int) -> tuple[float, ...]:
        t0 = time.perf_counter()
        fund_month(price, plan["fund_fee"], plan["composition"], plan["asset_return"])
        t1 = time.perf_counter()
        saver_month(bounds, month, 1.0, *money, draws == "keyed", st["clocks"], st["next_event"], st["preferred"],
                    st["age_month"], st["retire_month"], st["review_p"], plan["review_factor"], plan["plan_auto"],
                    False, plan["rates"], plan["logs"], *sums)
        t2 = time.perf_counter()
        events = [np.count_nonzero(acting & (1 << b)) for b in range(len(EVENTS))]
        return t1 - t0, t2 - t1, np.count_nonzero(acting), *events

    one_month(14)  # compile
    times = np.array([one_month(month) for month in range(15, 15 + months)])
    fund_ms, pass_ms = (statistics.median(col) * 1e3 for col in times[:, :2].T)
    month_ms = statistics.median(times[:, :2].sum(axis=1)) * 1e3
    floor_ms = sum(st[k].nbytes for k in READ[draws] + SIDE[layout]) / read_gbs / 1e6
    state_bytes = sum(st[k].nbytes for k in COMMON + DRAWS[draws] + SIDE[layout])
    plan_bytes = sum(a.nbytes for a in (price, plan_sums, plan_side, fund_units, plan["composition"],
                                        plan["side_fee"]))
    return (f"| {n:,} | {threads} | {n_plans:,} | {layout} | {draws} | {np.mean(st['side_row'] >= 0):.0%} | "
            f"{times[:, 2].mean() / n:.1%} | {pass_ms:.2f} | {floor_ms:.2f} | {fund_ms:.2f} | "
            f"{n / month_ms / 1e3:.0f}M | {state_bytes / n:.0f} | {plan_bytes / n_plans:.0f} |"), times[:, 3:]


def law_table(counts: dict[str, np.ndarray], n: int) -> str:
    """Each event's monthly rate per 1,000 savers under each way of drawing it, mean and
    standard error over the months (the clocks are exact in law iff they agree with the
    keyed monthly draws up to sampling error; the states drift apart, each variant's
    sketched effects acting on its own draws)."""
    lines = ["| event | " + " | ".join(f"{d} per 1,000 a month" for d in counts) + " |",
             "|---|" + "---:|" * len(counts)]
    for b, name in enumerate(EVENTS):
        cells = []
        for c in counts.values():
            rate = 1e3 * c[:, b] / n
            cells.append(f"{rate.mean():.3f} ± {rate.std(ddof=1) / np.sqrt(rate.size):.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Measure the prototype month at the requested sizes, layouts and thread counts; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--layouts", nargs="+", choices=tuple(SIDE), default=list(SIDE))
    parser.add_argument("--draws", nargs="+", choices=tuple(DRAWS), default=list(DRAWS))
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    read_gbs = bandwidth_gbs()[0]
    print(f"Memory bandwidth {read_gbs:.1f} GB/s read (bench_model.bandwidth_gbs).")
    print("| savers | threads | plans | side table | events | savers with a side row at the end | acting a month | "
          "saver pass ms (events included) | its reads at full bandwidth ms | fund pass ms | saver-months/s | "
          "state B/saver | B/plan (prototype's arrays) |")
    print("|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.savers:
        st, plan = model_state(n)
        for threads in args.threads:
            for layout in args.layouts:
                counts = {}
                for draws in args.draws:
                    line, counts[draws] = measure(st, plan, layout, draws, threads, args.months, read_gbs)
                    print(line, flush=True)
        print(f"\nEvents at {n:,} savers, the last layout and thread count:\n" + law_table(counts, n), flush=True)
        del st, plan


if __name__ == "__main__":
    main()
