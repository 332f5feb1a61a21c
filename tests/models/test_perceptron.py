"""Perceptron model: Gibbs learning against exact enumeration and the annealed theory.

Every comparison is of a disorder average over example sets of (Monte Carlo − reference), in units of
its standard error from the spread over example sets: the reference is per set where it is exact, so
the difference carries only thermal noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import SpecError
from pipeline.models import get_model
from pipeline.rng.streams import Streams
from pipeline.samplers import make_settings
from pipeline.samplers.base import ChainSet
from pipeline.samplers.parallel_tempering import run_ladder
from pipeline.spec.workflow import parse_workflow
from pipeline.theory.annealed import annealed_finite_N
from pipeline.theory.perceptron_exact import ising_student_exact

PER = get_model("perceptron")
OBS = ("train_error", "R", "gen_error")


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_ising_student_matches_enumeration(alpha):
    """Must-show 3: at N = 11 over 200 example sets (±1 inputs), parallel tempering over T = 0.5, 1, 2
    gives the training error, R and the generalisation error of every example set's exact enumeration over
    all 2^11 students: the mean difference is within 4 standard errors at every T."""
    temps = (0.5, 1.0, 2.0)
    settings = make_settings("parallel_tempering", thermalize=300, sweeps=2000, bins=8, swap_every=1)
    diffs = {T: [] for T in temps}
    for seed in range(200):
        coords = [{"N": 11, "alpha": alpha, "T": T, "seed": seed, "student": "ising", "inputs": "binary"}
                  for T in temps]
        res = run_ladder(PER, coords, settings, 7)
        streams = Streams(7, "perceptron", coords[0], disorder_exclude=PER.disorder_exclude)
        Z, B = PER.draw_disorder(coords[0], streams.disorder())[:2]
        exs = ising_student_exact(B, Z.T, np.ones(Z.shape[1]), list(temps))  # all T at once
        if seed == 0:  # the model's own exact hook is the same enumeration
            assert abs(PER.exact(coords[0], streams)["R"] - exs[0]["R"]) < 1e-12
        for c, s, e in zip(res.coords, res.series, exs, strict=True):
            diffs[c["T"]].append([s[k].mean() - e[k] for k in OBS])
    for T, d in diffs.items():
        d = np.array(d)
        z = d.mean(axis=0) / (d.std(axis=0, ddof=1) / np.sqrt(len(d)))
        assert np.abs(z).max() < 4.0, f"alpha={alpha} T={T}: z = {dict(zip(OBS, np.round(z, 2), strict=True))}"


@pytest.mark.parametrize(("student", "inputs", "alpha_betas"), [
    ("ising", "binary", (0.5, 1.0, 1.5, 2.0, 3.0)),
    ("spherical", "gaussian", (0.5, 1.0, 2.0, 4.0, 8.0)),
])
def test_high_temperature_agrees_with_annealed(student, inputs, alpha_betas):
    """Must-show 4: at high T (T = 10, α = αβ·T up to 80 examples per weight) the Monte Carlo agrees with the
    annealed theory at the same N = 11, the exact finite-N annealed average over ρ(w)(1 − (1 − e^{−β})ε(w))^P
    (its N → ∞ limit is the saddle point the figure draws): within 4 standard errors over 48 example sets,
    at 5 values of αβ. Annealed and quenched averages differ by O(β) here, below these errors (~0.002)."""
    T, N = 10.0, 11
    settings = make_settings("metropolis", thermalize=200, sweeps=1000, bins=8)
    for ab in alpha_betas:
        rows = []
        for seed in range(48):
            c = {"N": N, "alpha": ab * T, "T": T, "seed": seed, "student": student, "inputs": inputs}
            ch = ChainSet(PER, [c], settings, 3, "metropolis", 1)
            s = ch.series(ch.run())[0]
            rows.append([s[k].mean() for k in OBS])
        r = np.array(rows)
        mean, err = r.mean(axis=0), r.std(axis=0, ddof=1) / np.sqrt(len(r))
        an = annealed_finite_N(ab * T, T, N, student, inputs)
        want = np.array([an[k] for k in OBS])
        tol = 4.0 * np.maximum(err, 2e-4)  # a perfectly generalising student has zero spread
        assert np.all(np.abs(mean - want) < tol), f"{student} αβ={ab}: MC {mean} ± {err}, annealed {want}"


def test_spherical_student_stays_on_the_sphere_and_tracks_its_stabilities():
    """The rotation moves keep |w|² = N and the stabilities equal to y(w·x) after many accepted moves."""
    from pipeline.models.perceptron import stabilities

    c = {"N": 31, "alpha": 2.0, "T": 0.5, "seed": 1, "student": "spherical", "inputs": "gaussian"}
    ch = ChainSet(PER, [c], make_settings("metropolis", thermalize=0, sweeps=200, bins=4), 1, "metropolis", 1)
    ch.run()
    w, lam = ch.state[0][0], ch.state[1][0]
    assert ch.acc_rate > 0.05
    assert abs(w @ w - 31) < 1e-9
    assert np.allclose(lam, stabilities(ch.dis[0], w), atol=1e-9)


def test_binary_inputs_need_odd_N():
    text = """
name = "p"
model = "perceptron"
seed = 1
[grid]
N = [11, 20]
T = [1.0]
seeds = 2
alpha = [1.0]
"""
    with pytest.raises(SpecError, match=r"\[grid\] N = \[20\]: .*odd N"):
        parse_workflow(text)
    parse_workflow(text.replace("[11, 20]", "[11, 21]"))
    parse_workflow(text.replace("alpha = [1.0]", 'alpha = [1.0]\ninputs = ["gaussian"]'))
