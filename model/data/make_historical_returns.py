"""Re-derive model/data/historical_returns.csv from the raw slices in model/data/raw/.

Standard library only. Run from anywhere:  python model/data/make_historical_returns.py

All returns are simple, nominal, USD, monthly (0.01 = 1 %). Row ``month`` = the month the
return is earned in (from the previous month's observation to this month's observation).
See model/data/README.md for sources, licences and caveats.
"""
from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
OUT = HERE / "historical_returns.csv"
START = "2005-01"

# 10-year par bond: maturity in years and coupons per year (Treasury notes pay semi-annually).
BOND_MATURITY_Y = 10.0
BOND_FREQ = 2


def _read(name: str, date_col: str, value_cols: list[str]) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {}
    with open(RAW / name, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            month = row[date_col].strip()[:7]
            vals: list[float | None] = []
            for c in value_cols:
                v = (row.get(c) or "").strip()
                vals.append(float(v) if v not in ("", ".") else None)
            out[month] = vals
    return out


def par_bond_return(y_prev: float, y_now: float) -> float:
    """One-month holding return of a 10y par bond bought at yield y_prev (decimal p.a.),
    revalued one month later at yield y_now with maturity 10 - 1/12 years, plus one month
    of coupon accrual. Exact present-value formula with semi-annual coupons (accrued
    interest treated as earned pro rata)."""
    c = y_prev  # par bond: coupon = yield at purchase
    n = (BOND_MATURITY_Y - 1.0 / 12.0) * BOND_FREQ  # remaining coupon periods (fractional)
    r = y_now / BOND_FREQ
    disc = (1.0 + r) ** (-n)
    price = (c / BOND_FREQ) * (1.0 - disc) / r + disc if r != 0 else 1.0 + c * (n / BOND_FREQ)
    return price - 1.0 + c / 12.0


def main() -> None:
    spx = _read("shiller_sp500_from_2004-12.csv", "Date", ["SP500", "Dividend"])
    gold = _read("gold_monthly_from_2004-12.csv", "Date", ["Price"])
    ten = _read("us10y_monthly_from_2004-12.csv", "Date", ["Rate"])
    tb = _read("tb3ms_from_2004-12.csv", "observation_date", ["TB3MS"])
    # French's rows are keyed YYYYMM and already hold that month's return (percent).
    intl = {f"{k[:4]}-{k[4:6]}": v for k, v in
            _read("french_developed_ex_us_from_2004-12.csv", "Date", ["Mkt-RF", "RF"]).items()}

    months = sorted(spx)
    # Last month for which Shiller's dividend series is populated (later rows are FRED price-only, dividend 0).
    last_div_month = max(m for m in months if (spx[m][1] or 0.0) > 0.0)
    last_div = spx[last_div_month][1]

    rows = []
    for prev, cur in zip(months, months[1:], strict=False):
        if cur < START:
            continue
        p0, _ = spx[prev]
        p1, d1 = spx[cur]
        imputed = 0
        if not d1:  # dividend missing after Shiller's last month: hold the last known annual dividend level
            d1, imputed = last_div, 1
        equity = (p1 + d1 / 12.0) / p0 - 1.0

        bonds = None
        if prev in ten and cur in ten and None not in (ten[prev][0], ten[cur][0]):
            bonds = par_bond_return(ten[prev][0] / 100.0, ten[cur][0] / 100.0)

        cash = tb[prev][0] / 100.0 / 12.0 if prev in tb and tb[prev][0] is not None and cur in tb else None

        g = None
        if prev in gold and cur in gold and None not in (gold[prev][0], gold[cur][0]):
            g = gold[cur][0] / gold[prev][0] - 1.0

        # Developed ex-U.S. market total return in USD: French's Mkt-RF plus his RF (the U.S.
        # one-month T-bill) gives back the market's own return, point to point month-end.
        eq_intl = None
        if cur in intl and None not in intl[cur]:
            eq_intl = (intl[cur][0] + intl[cur][1]) / 100.0

        fmt = lambda x: "" if x is None else f"{x:.6f}"  # noqa: E731
        rows.append([cur, fmt(equity), fmt(bonds), fmt(cash), fmt(g), "", imputed, fmt(eq_intl)])

    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["month", "equity", "bonds", "cash", "gold", "crypto", "equity_dividend_imputed",
                    "equity_intl"])
        w.writerows(rows)
    last_intl = max(r[0] for r in rows if r[-1])
    print(f"wrote {OUT.name}: {len(rows)} rows, {rows[0][0]}..{rows[-1][0]}; "
          f"Shiller dividends through {last_div_month}; equity_intl through {last_intl}")


if __name__ == "__main__":
    main()
