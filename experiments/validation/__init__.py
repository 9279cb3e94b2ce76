"""Validation: designed experiments that reproduce published findings (sources in targets.toml).

`targets.toml` lists each target (statistic, tolerance, source); `experiments.py` holds the
designed experiments. `run_targets` runs every experiment the chosen targets need, for R
replications in parallel; replication k is seeded with ``SeedSequence(master, spawn_key=(k,))``
so results do not depend on worker count or order.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...model.config import RunConfig
from .experiments import EXPERIMENTS

TARGETS_FILE = Path(__file__).with_name("targets.toml")
MASTER_SEED = 20250807
REPLICATIONS = {"fast": 4, "full": 16}


@dataclass(frozen=True)
class Target:
    """One published finding and the band the model's statistic must fall in."""

    name: str
    section: str
    experiment: str
    statistic: str
    description: str
    source: str
    published: str
    lo: float
    hi: float
    fitted: bool = False
    known_gap: str = ""


def load_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """All targets, in file order."""
    return [Target(**t) for t in tomllib.loads(path.read_text())["target"]]


@dataclass(frozen=True)
class Result:
    """A target's simulated statistic over replications."""

    target: Target
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def interval(self) -> tuple[float, float]:
        """5th and 95th percentiles over replications."""
        return float(np.quantile(self.values, 0.05)), float(np.quantile(self.values, 0.95))

    @property
    def passed(self) -> bool:
        """Replication mean inside the tolerance band."""
        return self.target.lo <= self.mean <= self.target.hi


def _one(experiment: str, config: RunConfig, master: int, k: int, size: str) -> dict[str, float]:
    return EXPERIMENTS[experiment](config, np.random.SeedSequence(master, spawn_key=(k,)), size)


def run_experiments(experiments: list[str], config: RunConfig, size: str = "fast",
                    replications: int | None = None, n_jobs: int = 1,
                    master: int = MASTER_SEED) -> dict[str, list[dict[str, float]]]:
    """Run each experiment `replications` times; returns experiment -> list of stat dicts."""
    from .. import progress

    reps = replications or REPLICATIONS[size]
    tasks = [(e, k) for e in experiments for k in range(reps)]
    out: list[dict[str, float]] = []
    with progress.bar(len(tasks), "validation runs", "run") as bar:  # a bar on a terminal only
        if n_jobs == 1:
            results = (_one(e, config, master, k, size) for e, k in tasks)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_one)(e, config, master, k, size) for e, k in tasks)
        for stats in results:  # in task order whatever the workers
            out.append(stats)
            bar.update(1)
    res: dict[str, list[dict[str, float]]] = {e: [] for e in experiments}
    for (e, _), stats in zip(tasks, out, strict=True):
        res[e].append({key: float(v) for key, v in stats.items()})
    return res


def run_targets(targets: list[Target], config: RunConfig | None = None, size: str = "fast",
                replications: int | None = None, n_jobs: int = 1,
                master: int = MASTER_SEED) -> list[Result]:
    """Simulate every target's statistic; one Result per target."""
    config = config or RunConfig()
    experiments = list(dict.fromkeys(t.experiment for t in targets))
    runs = run_experiments(experiments, config, size, replications, n_jobs, master)
    return [Result(t, tuple(r[t.statistic] for r in runs[t.experiment])) for t in targets]


def fmt(value: float, t: Target) -> str:
    """A statistic in the unit of its target: %, months or years, USD, count or plain."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    s = t.statistic
    if s.endswith("_usd") or s in ("participants", "plans"):
        return f"{value / 1e12:.2f}T" if abs(value) >= 1e11 else f"{value / 1e6:.1f}M" if abs(value) >= 1e6 else f"{value:,.0f}"
    if s.endswith("_months") or s.endswith("_years") or s.endswith("_to_large") or s.endswith("_t") or s.endswith("over_30_44") or s.endswith("monotone"):
        return f"{value:.2f}"
    return f"{100 * value:.1f}%"


__all__ = ["Target", "Result", "load_targets", "run_targets", "run_experiments", "fmt", "MASTER_SEED"]
