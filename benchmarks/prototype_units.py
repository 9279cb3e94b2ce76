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
- **decisions drawn as waiting times**: each saver carries the month of its next event
  (a review, a separation or a hardship withdrawal, geometric waiting times at today's
  monthly rates), and only the savers whose month has come act, with draws of their own
  from a counter-based generator keyed on (row, month); today every saver draws nine
  uniforms every month;
- **age and tenure kept as birth and hire months**, salaries relative to the wage index:
  nothing is written per saver to age the population.

The month here is the per-saver work of that design: contributions and match, each side
holding's return and fee, units bought, the per-plan and per-fund sums that observation,
fees, litigation and coworkers need (summed in row order by the thread that owns the
plan's rows, as the present passes do), the events that come due, and the fund-level
price update at every (plan, vintage). The acting savers' rules are sketched (a new
waiting time, a rate change, a separated saver re-hired in the row), not the model's.
It starts from a real model state (the default scenario after 14 months), converted.

    .venv/bin/python benchmarks/prototype_units.py                     # 1M and 10M savers
    .venv/bin/python benchmarks/prototype_units.py --savers 1000000 --threads 1 --layouts slots

Results: benchmarks/RESULTS.md, "What it would take".
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from alt401k.agents import savers as sv
from alt401k.agents.fund_mix import glide_composition
from alt401k.agents.kernels import row_chunks
from alt401k.model.assets import HOLDING_ASSET
from alt401k.model.config import RunConfig, SaverBehaviour
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.threads import set_kernel_threads
from bench_model import bandwidth_gbs  # this script's folder is on the path when it runs
from numba import njit, prange

N_VINTAGES = 10
"""Five-year retirement vintages (2025, 2030, ..., 2070)."""
N_SIDE = sv.N_OPTIONS - 1
"""Holdings outside the default fund: core, standalone and window (the options after 0)."""
_SAVER = SaverBehaviour()
P_LEAVE = _SAVER.job_change_prob_annual_young / 12.0
P_HARDSHIP = _SAVER.hardship_prob_annual / 12.0
"""Monthly separation (the young's job-change rate, the higher of the two) and hardship
rates, from the model's calibration (`model.config.SaverBehaviour`, docs/calibration.md)."""
SUMS = 8
"""Per-plan sums: heads, participating, employee, match, default-fund units bought (USD),
side dollars, side gains, side fees."""


@njit(inline="always")
def _uniform(row, month, k):  # pragma: no cover - compiled
    """A uniform in [0, 1) for (row, month, draw k): splitmix64 of the three, so a saver's
    draws do not depend on any other saver's, nor on threads."""
    z = np.uint64(row) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(month) * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(k)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def _wait(u, p):  # pragma: no cover - compiled
    """A geometric waiting time in months (>= 1) at monthly probability p."""
    return 1 + int(np.log(1.0 - u) / np.log(1.0 - p))


@njit(inline="always")
def _put(out, s, heads, part, employee, match, bought, side, gains, fees):  # pragma: no cover - compiled
    """A plan's sums into its row of `out`."""
    out[s, 0], out[s, 1], out[s, 2], out[s, 3] = heads, part, employee, match
    out[s, 4], out[s, 5], out[s, 6], out[s, 7] = bought, side, gains, fees


@njit(inline="always")
def _grow(b, r, fee_rate):  # pragma: no cover - compiled
    """A holding after its month's return r and fee: (new balance, gain, fee)."""
    g = b * r
    b += g
    fee = b * fee_rate
    return b - fee, g, fee


@njit(parallel=True, nogil=True)
def saver_month(bounds, month, wage, sponsor, vintage, flags, weight, units, salary, deferral,
                match_rate, match_cap, price, side_row, side_bal, side_alloc, side_return, side_fee,
                slots, slot_n, slot_col, slot_bal, slot_alloc, slot_df, overflow,
                next_event, plan_sums, plan_side, fund_units, acting):  # pragma: no cover - compiled
    """Every saver's month in one pass (chunks of whole plans, as `row_chunks` cuts them);
    each plan's sums added in row order in local accumulators, as the model's passes do.
    Side holdings in the dense table (`side_bal`, `side_alloc`: every column of a side
    row) or, with `slots`, in the slot table (a side row's occupied columns only; rows
    with more than `SLOTS` in the dense table, row `overflow[k]`)."""
    for c in prange(bounds.shape[0] - 1):
        plan = -1
        heads = part = employee = match = bought = side = gains = fees = 0.0
        for i in range(bounds[c], bounds[c + 1]):
            s = sponsor[i]
            if s != plan:
                if plan >= 0:
                    _put(plan_sums, plan, heads, part, employee, match, bought, side, gains, fees)
                plan = s
                heads = part = employee = match = bought = side = gains = fees = 0.0
                for j in range(N_SIDE):
                    plan_side[s, j] = 0.0
                for v in range(N_VINTAGES):
                    fund_units[s, v] = 0.0
            w = weight[i]
            fl = flags[i]
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
            acting[i] = next_event[i] <= month
        if plan >= 0:
            _put(plan_sums, plan, heads, part, employee, match, bought, side, gains, fees)


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


@njit(parallel=True, nogil=True)
def act(rows, month, age_month, deferral, flags, next_event, units, side_row, review_p):  # pragma: no cover - compiled
    """The savers whose event came due: which event (review, separation or hardship, by
    their rates), a sketch of its effect, and the waiting time to the next."""
    for r in prange(rows.shape[0]):
        i = rows[r]
        p_review = review_p[i]
        total = p_review + P_LEAVE + P_HARDSHIP
        u = _uniform(i, month, 0) * total
        if u < P_LEAVE:  # a separation: the row becomes a new hire at the same plan
            units[i] = 0.0
            side_row[i] = -1
            age_month[i] = month - 12 * 22 - int(_uniform(i, month, 1) * 12 * 23)
            deferral[i] = 0.03
            flags[i] = 3
        elif u < P_LEAVE + P_HARDSHIP:
            units[i] *= 0.9
        else:
            deferral[i] = min(0.5, max(0.0, deferral[i] + 0.01 * (_uniform(i, month, 2) - 0.4)))
        next_event[i] = month + _wait(_uniform(i, month, 3), total)


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
    review_p = pop.review_prob_monthly
    total_p = review_p + P_LEAVE + P_HARDSHIP
    rng = np.random.default_rng(14)
    first = 1 + np.floor(np.log1p(-rng.random(n)) / np.log1p(-total_p)).astype(np.int64)
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
        "next_event": (14 + first).astype(np.int16),
        "age_month": (14 - np.round(12 * pop.age_years)).astype(np.int16),
        "review_p": review_p.astype(np.float32),
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


COMMON = ("sponsor", "vintage", "flags", "weight", "units", "salary", "deferral", "side_row", "next_event",
          "age_month", "review_p")
"""The per-saver columns of both layouts."""
SIDE = {"dense": ("dense_bal", "dense_alloc"),
        "slots": ("slot_n", "slot_col", "slot_bal", "slot_alloc", "slot_df", "overflow", "overflow_bal",
                  "overflow_alloc")}
"""Each layout's side tables."""
READ = tuple(k for k in COMMON if k not in ("age_month", "review_p"))
"""The per-saver columns the saver pass reads (besides the side tables); the other two
only the acting savers' pass reads."""


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
    plan = {
        "match_rate": model.plans.match_rate.copy(), "match_cap": model.plans.match_cap.copy(),
        "side_fee": np.ascontiguousarray(fee[:, sv.N_DF:]), "fund_fee": fee[:, : sv.N_DF].mean(axis=1),
        "composition": glide_composition(age, model.plan_views.sleeve(), plan_of).reshape(n_plans, N_VINTAGES, -1),
        "asset_return": asset_return, "side_return": asset_return[HOLDING_ASSET[sv.N_DF:]].copy(),
    }
    return convert(model), plan


def measure(st: dict[str, np.ndarray], plan: dict[str, np.ndarray], layout: str, threads: int, months: int,
            read_gbs: float) -> str:
    """One line of results: the prototype month on a copy of `st` with `layout`'s side table
    (`read_gbs`: this machine's read bandwidth, for the floor of a pass that reads the state)."""
    set_kernel_threads(threads)
    st = {k: v.copy() for k, v in st.items()}
    n, n_plans = st["sponsor"].size, plan["match_rate"].size
    slots = layout == "slots"
    dense_bal, dense_alloc = (st["overflow_bal"], st["overflow_alloc"]) if slots else (st["dense_bal"], st["dense_alloc"])
    bounds = row_chunks(st["sponsor"])
    price = np.ones((n_plans, N_VINTAGES))
    plan_sums, plan_side = np.zeros((n_plans, SUMS)), np.zeros((n_plans, N_SIDE))
    fund_units = np.zeros((n_plans, N_VINTAGES))
    acting = np.zeros(n, dtype=np.bool_)

    def one_month(month: int) -> tuple[float, float, float, int]:
        t0 = time.perf_counter()
        fund_month(price, plan["fund_fee"], plan["composition"], plan["asset_return"])
        t1 = time.perf_counter()
        saver_month(bounds, month, 1.0, st["sponsor"], st["vintage"], st["flags"], st["weight"], st["units"],
                    st["salary"], st["deferral"], plan["match_rate"], plan["match_cap"], price, st["side_row"],
                    dense_bal, dense_alloc, plan["side_return"], plan["side_fee"], slots, st["slot_n"],
                    st["slot_col"], st["slot_bal"], st["slot_alloc"], st["slot_df"], st["overflow"],
                    st["next_event"], plan_sums, plan_side, fund_units, acting)
        t2 = time.perf_counter()
        rows = np.flatnonzero(acting)
        act(rows, month, st["age_month"], st["deferral"], st["flags"], st["next_event"], st["units"],
            st["side_row"], st["review_p"])
        return t1 - t0, t2 - t1, time.perf_counter() - t2, rows.size

    one_month(14)  # compile
    times = np.array([one_month(month) for month in range(15, 15 + months)])
    fund_ms, pass_ms, act_ms = (statistics.median(col) * 1e3 for col in times[:, :3].T)
    month_ms = statistics.median(times[:, :3].sum(axis=1)) * 1e3
    floor_ms = sum(st[k].nbytes for k in READ + SIDE[layout]) / read_gbs / 1e6
    state_bytes = sum(st[k].nbytes for k in COMMON + SIDE[layout])
    plan_bytes = sum(a.nbytes for a in (price, plan_sums, plan_side, fund_units, plan["composition"],
                                        plan["side_fee"]))
    return (f"| {n:,} | {threads} | {n_plans:,} | {layout} | {np.mean(st['side_row'] >= 0):.0%} | "
            f"{times[:, 3].mean() / n:.1%} | {pass_ms:.2f} | {floor_ms:.2f} | {act_ms:.2f} | {fund_ms:.2f} | "
            f"{n / month_ms / 1e3:.0f}M | {state_bytes / n:.0f} | {plan_bytes / n_plans:.0f} |")


def main() -> None:
    """Measure the prototype month at the requested sizes, layouts and thread counts; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--layouts", nargs="+", choices=tuple(SIDE), default=list(SIDE))
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    read_gbs = bandwidth_gbs()[0]
    print(f"Memory bandwidth {read_gbs:.1f} GB/s read (bench_model.bandwidth_gbs).")
    print("| savers | threads | plans | side table | savers with a side row at the end | acting a month | saver pass ms | "
          "its reads at full bandwidth ms | events ms | fund pass ms | saver-months/s | state B/saver | "
          "B/plan (prototype's arrays) |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.savers:
        st, plan = model_state(n)
        for threads in args.threads:
            for layout in args.layouts:
                print(measure(st, plan, layout, threads, args.months, read_gbs), flush=True)
        del st, plan


if __name__ == "__main__":
    main()
