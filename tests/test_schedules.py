"""Learning-rate schedules against PyTorch's schedulers and closed forms; their use in fit."""

import math

import numpy as np
import pytest

import nnlite
from nnlite import SGD, Adam, Dense, ReLU, Sequential, schedules


def torch_rates(make_scheduler, epochs, lr=0.1, metrics=None):
    """The rate PyTorch's scheduler gives each epoch (scheduler.step() once per epoch)."""
    torch = pytest.importorskip("torch")
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    scheduler = make_scheduler(opt, torch.optim.lr_scheduler)
    rates = []
    for epoch in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step(*([] if metrics is None else [metrics[epoch]]))
    return rates


@pytest.mark.parametrize("ours, theirs", [
    (schedules.StepDecay(0.1, step_size=3, gamma=0.5), lambda o, s: s.StepLR(o, step_size=3, gamma=0.5)),
    (schedules.ExponentialDecay(0.1, gamma=0.9), lambda o, s: s.ExponentialLR(o, gamma=0.9)),
    (schedules.CosineDecay(0.1, epochs=7, min_lr=0.01), lambda o, s: s.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
], ids=["step", "exponential", "cosine"])
def test_matches_pytorch_schedulers(ours, theirs):
    expected = torch_rates(theirs, 8)
    np.testing.assert_allclose([ours(e) for e in range(8)], expected, rtol=1e-12)


def test_closed_forms():
    cosine = schedules.CosineDecay(2.0, epochs=4)
    assert [cosine(e) for e in (0, 2, 4, 9)] == pytest.approx([2.0, 1.0, 0.0, 0.0], abs=1e-15)
    warm = schedules.WarmupCosine(1.0, warmup_epochs=4, epochs=8, min_lr=0.2)
    assert [warm(e) for e in range(4)] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert warm(6) == pytest.approx(0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi / 2)))
    assert warm(8) == pytest.approx(0.2)
    assert schedules.Constant(0.3)(100) == 0.3


def test_reduce_on_plateau_matches_pytorch():
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    expected = torch_rates(
        lambda o, s: s.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.05, threshold_mode="abs",
                                         min_lr=0.03), len(metrics), metrics=metrics)
    ours = schedules.ReduceOnPlateau(0.1, monitor="val_loss", factor=0.5, patience=2, min_delta=0.05, min_lr=0.03)
    rates = []
    for epoch, value in enumerate(metrics):
        rates.append(ours(epoch))
        ours.on_epoch_end(epoch, {"val_loss": value})
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_fit_follows_the_schedule_and_records_it():
    X, y = nnlite.datasets.spiral(20, 3, seed=0)
    model = Sequential([Dense(2, 8, seed=0), ReLU(), Dense(8, 3, seed=1)])
    schedule = schedules.StepDecay(0.05, step_size=2, gamma=0.1)
    opt = SGD(schedule)
    history = model.fit(X, y, optimizer=opt, epochs=3, batch_size=60, seed=0)
    assert history.learning_rate == pytest.approx([0.05, 0.05, 0.005])
    history = model.fit(X, y, optimizer=opt, epochs=2, batch_size=60, seed=0)  # the schedule continues
    assert history.learning_rate == pytest.approx([0.005, 0.0005])
    assert opt.epoch == 5
    # With a constant rate the same run records the float.
    assert model.fit(X, y, optimizer=Adam(0.01), epochs=2).learning_rate == [0.01, 0.01]


def test_the_rate_really_is_used():
    """One SGD step with rate r moves the weights by r * gradient: compare two epochs' moves."""
    X, y = nnlite.datasets.spiral(10, 3, seed=0)
    moves = []
    for rate in (0.1, schedules.StepDecay(0.1, step_size=1, gamma=0.5)):
        model = Sequential([Dense(2, 3, seed=0, weight_init="zeros")])
        opt = SGD(rate)
        model.fit(X, y, optimizer=opt, epochs=1, batch_size=30, shuffle=False)
        w1 = model.layers[0].weights.copy()
        model.fit(X, y, optimizer=opt, epochs=1, batch_size=30, shuffle=False)
        moves.append(model.layers[0].weights - w1)
    np.testing.assert_allclose(moves[1], 0.5 * moves[0], rtol=1e-12)


def test_reduce_on_plateau_in_fit_needs_what_it_monitors():
    X, y = nnlite.datasets.spiral(10, 3, seed=0)
    model = Sequential([Dense(2, 3, seed=0)])
    with pytest.raises(ValueError, match="val_loss.*validation_data"):
        model.fit(X, y, optimizer=Adam(schedules.ReduceOnPlateau(0.01)), epochs=1)
    history = model.fit(X, y, optimizer=Adam(schedules.ReduceOnPlateau(1e-9, monitor="loss", patience=0,
                                                                        factor=0.5, min_delta=1.0)), epochs=3)
    assert history.learning_rate == pytest.approx([1e-9, 1e-9, 5e-10])


def test_bad_arguments():
    for make, match in [
        (lambda: schedules.StepDecay(0.1, step_size=0), "step_size"),
        (lambda: schedules.ExponentialDecay(-1, gamma=0.5), "initial"),
        (lambda: schedules.CosineDecay(0.1, epochs=5, min_lr=0.2), "min_lr"),
        (lambda: schedules.WarmupCosine(0.1, warmup_epochs=5, epochs=5), "epochs"),
        (lambda: schedules.ReduceOnPlateau(0.1, factor=1.0), "factor"),
        (lambda: schedules.ReduceOnPlateau(0.1, mode="up"), "mode"),
        (lambda: schedules.Constant(math.inf), "initial"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()

    class Negative(schedules.Schedule):
        def __call__(self, epoch):
            return -1.0

    with pytest.raises(ValueError, match="gave learning rate -1"):
        SGD(Negative())
