"""Sponsors' adoption of automatic enrollment (ODD §7.8): the rule by hand, and diffusion
through peers in a model run."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
from alt401k.agents.sponsors import auto_enrollment_probability, logistic
from alt401k.model.config import RunConfig, SponsorBehaviour
from alt401k.model.economy import EconomyParams
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def test_the_adoption_probability_by_hand() -> None:
    b = SponsorBehaviour(ae_adoption_intercept=-3.0, weight_peers=2.0, ae_weight_size=0.5)
    plans = SimpleNamespace(size_class=np.array([0, 3, 1], dtype=np.int8))
    ctx = SimpleNamespace(peer_auto_enroll_share=np.array([0.0, 0.5, 1.0]),
                          policy=SimpleNamespace(auto_enrollment_boost=0.0))
    p = auto_enrollment_probability(np.arange(3), ctx, plans, b)
    assert p == pytest.approx([logistic(-3.0), logistic(-3.0 + 1.0 + 1.5), logistic(-3.0 + 2.0 + 0.5)])
    # The regime's push adds to it, at most 1.
    ctx.policy.auto_enrollment_boost = 0.9
    assert np.all(auto_enrollment_probability(np.arange(3), ctx, plans, b) <= 1.0)
    assert auto_enrollment_probability(np.arange(1), ctx, plans, b)[0] == pytest.approx(logistic(-3.0) + 0.9)


def ae_path(weight_peers: float) -> np.ndarray:
    # Without plan terminations (ODD §7.12): a plan re-formed in a terminated plan's row
    # draws auto-enrollment afresh, so only the sponsors' own adoptions are permanent.
    config = RunConfig(n_savers=500, n_sponsors=400, years=8, start=dt.date(2005, 1, 1),
                       sponsor=SponsorBehaviour(weight_peers=weight_peers),
                       economy=EconomyParams(plan_termination_annual_by_class=(0.0, 0.0, 0.0, 0.0)))
    model = Alt401kModel(load_scenario("hist-ppa-2006"), config)
    model.run()
    return model.recorder.series_table().to_pandas()["share_plans_auto_enrolling"].to_numpy()


def test_auto_enrollment_spreads_and_peers_speed_it() -> None:
    alone, with_peers = ae_path(0.0), ae_path(6.0)
    assert alone[0] == pytest.approx(with_peers[0])  # same start (5% of plans, 2005)
    assert np.all(np.diff(alone) >= -1e-12)  # adoption is permanent (to rounding of the plan weights)
    assert alone[-1] > alone[0] + 0.1
    assert with_peers[-1] > alone[-1] + 0.05  # peers' adoption pulls others along
