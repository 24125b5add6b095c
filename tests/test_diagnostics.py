"""Training dynamics: per-timestep gradient norms, gradient statistics
during training, the adding problem, and their errors."""

import json

import keras
import numpy as np
import pytest

import seqlab
from seqlab.cli import main
from seqlab.diagnostics import (GradientStatistics, adding_problem, diagnose_gradients,
                                sequence_regressor, timestep_gradient_norms)


@pytest.mark.backend
def test_timestep_gradients_match_the_jacobian_product_of_a_linear_rnn():
    # A linear "relu" RNN whose inputs keep it positive is h_t = W h_{t-1} + ...,
    # so dE_T/dh_t = r^T W^(T-t): with W = 0.9 * identity the norm decays as 0.9^(T-t).
    result = timestep_gradient_norms(
        {"name": "irnn", "gain": 0.9}, steps=12, units=4, batch=3, input_dim=2)
    norms = np.asarray(result["gradient_norm"])
    assert norms[-1] == pytest.approx(1.0, rel=1e-4)
    # Not every unit is active, so the decay is at least 0.9 per step.
    assert np.all(norms[:-1] <= norms[1:] * 0.9 + 1e-6)
    assert result["t"] == list(range(1, 13)) and len(result["jacobian_norm"]) == 12


@pytest.mark.backend
def test_the_lecture_ordering_sigmoid_vanishes_irnn_keeps():
    results = diagnose_gradients(["sigmoid", "tanh", "irnn"], steps=40, units=32,
                                 batch=8)
    first = {name: r["gradient_norm"][0] for name, r in results.items()}
    assert first["sigmoid"] < 1e-10 < first["tanh"] < first["irnn"]
    assert first["irnn"] > 0.05
    for result in results.values():
        assert result["gradient_norm"][-1] == pytest.approx(1.0, rel=1e-4)


@pytest.mark.backend
def test_a_plugin_cell_can_be_diagnosed():
    result = timestep_gradient_norms("mgu", steps=6, units=5, batch=2)
    assert result["cell"] == "mgu"
    assert all(np.isfinite(result["gradient_norm"]))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"cell": "nope"}, seqlab.UnknownComponentError, "Unknown cell 'nope'"),
    ({"cell": "tanh_typo"}, seqlab.UnknownComponentError, "Available cells"),
    ({"cell": "lstm", "steps": 1}, seqlab.ConfigError, "at least 2"),
    ({"cell": "lstm", "steps": 0}, seqlab.ConfigError, "positive integer"),
    ({"cell": "lstm", "units": 2.5}, seqlab.ConfigError, "units"),
])
def test_diagnostic_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        timestep_gradient_norms(**{"steps": 5, "units": 4, **kwargs})


def test_command_writes_json_and_a_png_headless(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "TkAgg")  # must not matter: Agg is forced
    assert main(["diagnose", "gradients", "--cells", "sigmoid,relu", "--steps", "8",
                 "--units", "6", "--batch", "2", "--output", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "gradients.json").read_text())
    assert set(data) == {"sigmoid", "relu"}
    assert (tmp_path / "gradients.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "sigmoid" in out and "t=1" in out
    assert main(["diagnose", "gradients", "--cells", "nope", "--output",
                 str(tmp_path)]) == 2
    assert "Unknown cell 'nope'" in capsys.readouterr().err


# -- gradient statistics during training -------------------------------------

@pytest.mark.backend
def test_gradient_statistics_record_every_step_and_clipping(tmp_path, rng):
    model = sequence_regressor("lstm", units=4)
    model.compile(optimizer=seqlab.GradientClippingOptimizer(
        keras.optimizers.SGD(0.01), {"name": "global_norm", "threshold": 1e-6}), loss="mse")
    x, y = adding_problem(64, 6, seed=0)
    stats = GradientStatistics(tmp_path / "g.json", tmp_path / "g.png")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[stats])
    assert len(stats.steps) == 8
    assert all(s["clipped"] and s["gradient_norm"] > 1e-6 for s in stats.steps)
    assert stats.steps[-1]["clipped_norm"] == pytest.approx(1e-6, rel=1e-3)
    assert history.history["clipped_fraction"] == [1.0, 1.0]
    saved = json.loads((tmp_path / "g.json").read_text())
    assert saved["summary"]["clipped_steps"] == 8
    assert (tmp_path / "g.png").exists()


@pytest.mark.backend
def test_gradient_statistics_record_the_adaptive_threshold():
    model = sequence_regressor("elman", units=4)
    model.compile(optimizer=seqlab.GradientClippingOptimizer(
        keras.optimizers.SGD(0.01), {"name": "adaptive_norm", "factor": 2.0,
                                     "max_threshold": 0.5}), loss="mse")
    x, y = adding_problem(32, 5, seed=1)
    stats = GradientStatistics()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[stats])
    thresholds = [s["threshold"] for s in stats.steps]
    assert all(0 < t <= 0.5 for t in thresholds)
    # the threshold follows the running statistics of the recorded norms
    first = min(stats.steps[0]["gradient_norm"], 0.5)
    assert thresholds[0] == pytest.approx(min(2.0 * first, 0.5), rel=1e-4)


def test_gradient_statistics_need_a_seqlab_optimizer():
    model = sequence_regressor("elman", units=2)
    model.compile(optimizer="sgd", loss="mse")
    x, y = adding_problem(8, 4, seed=0)
    with pytest.raises(seqlab.ConfigError, match="GradientClippingOptimizer"):
        model.fit(x, y, verbose=0, callbacks=[GradientStatistics()])


# -- the adding problem -------------------------------------------------------

def test_adding_problem_data():
    x, y = adding_problem(2000, 30, seed=0)
    assert x.shape == (2000, 30, 2) and y.shape == (2000,)
    markers = x[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    # predicting the mean scores about 1/6
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.015)
    np.testing.assert_array_equal(adding_problem(5, 8, seed=3)[0],
                                  adding_problem(5, 8, seed=3)[0])
    with pytest.raises(seqlab.ConfigError, match="steps >= 2"):
        adding_problem(5, 1)


@pytest.mark.backend
@pytest.mark.slow
def test_lstm_learns_a_short_adding_problem():
    keras.utils.set_random_seed(0)
    model = sequence_regressor("lstm", units=16)
    model.compile(optimizer=seqlab.GradientClippingOptimizer(
        keras.optimizers.Adam(0.01), "global_norm"), loss="mse")
    x, y = adding_problem(4000, 10, seed=0)
    model.fit(x, y, batch_size=64, epochs=6, verbose=0)
    test_x, test_y = adding_problem(500, 10, seed=1)
    assert float(model.evaluate(test_x, test_y, verbose=0)) < 0.02


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from seqlab.io import atomic_write

    mask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "report.json", "{}")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "report.json").st_mode) == 0o644
