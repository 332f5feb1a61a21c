"""The phase-diagram figure draws from a reduction result alone (no sweep needed)."""

from __future__ import annotations

from pipeline.plot.hopfield import plot_hopfield

RESULT = {
    "alpha_c": {"value": 0.135, "err": 0.005},
    "T_g": [{"alpha": 0.05, "value": 1.24, "err": 0.02}, {"alpha": 0.1, "value": 1.32, "err": 0.02}],
    "T_M": [{"T": 0.05, "alpha": 0.135, "err": 0.005}],
    "per_size": {"T_M": [{"N": 500, "T": 0.05, "alpha": 0.153, "err": 0.002}],
                 "T_g": [{"N": 1000, "N1": 500, "N2": 1000, "alpha": 0.05, "value": 1.27, "err": 0.04}]},
    "retrieval_curves": [{"T": 0.05, "N": 500, "alpha": [0.1, 0.15, 0.2], "y": [1.0, 0.5, 0.0],
                          "err": [0.01, 0.08, 0.01]}],
    "q_curves": [{"alpha": 0.05, "N": 500, "T": [1.0, 1.2, 1.4], "y": [2.0, 0.5, 0.2], "err": [0.1, 0.05, 0.02]}],
    "method": {"T_c_line": "AGS replica-symmetric theory; not measured"},
}


def test_phase_diagram_and_panels_are_written(tmp_path):
    paths = plot_hopfield(None, RESULT, tmp_path)
    names = sorted(p.rsplit("/", 1)[-1] for p in paths)
    assert names == ["phase_diagram.png", "retrieval.png", "spin_glass.png"]
    for p in paths:
        with open(p, "rb") as f:
            head = f.read(8)
        assert head == b"\x89PNG\r\n\x1a\n"


def test_run_length_panel_is_written_when_the_check_ran(tmp_path):
    rl = {"end_bin": 4, "last_bins": 2, "t_early": 750.0, "t_end": 1500.0, "window": 100.0,
          "per_size": [{"N": n, "T": 0.05, "alpha": a, "alpha_early": a + 0.002, "diff": -0.002, "err": 0.001,
                        "err_alpha": 0.002, "err_early": 0.002} for n, a in ((500, 0.153), (1000, 0.145))],
          "T_M_early": [{"T": 0.05, "alpha": 0.137, "err": 0.005, "theory": 0.1378}]}
    res = dict(RESULT, run_length=rl, T_M=[{"T": 0.05, "alpha": 0.135, "err": 0.005, "theory": 0.1378}])
    paths = plot_hopfield(None, res, tmp_path)
    assert sorted(p.rsplit("/", 1)[-1] for p in paths) == ["phase_diagram.png", "retrieval.png",
                                                           "run_length.png", "spin_glass.png"]
    err = dict(RESULT, run_length={"end_bin": 4, "error": "check_end_bin = 4: the sweep stores bins 0 ... 3"})
    assert "run_length.png" not in " ".join(plot_hopfield(None, err, tmp_path))
