"""Exact resume: 10 epochs, save with the optimizer, load, 10 more == 20 uninterrupted, bit for bit."""

import numpy as np
import pytest

import nnlite
from nnlite import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    BatchNorm,
    Dense,
    Dropout,
    LayerNorm,
    ReLU,
    RMSProp,
    Sequential,
    schedules,
)

X, Y = nnlite.datasets.spiral(40, 3, seed=0)
X_VAL, Y_VAL = nnlite.datasets.spiral(10, 3, seed=1)


def network():
    return Sequential([Dense(2, 16, seed=0), BatchNorm(16), ReLU(), Dropout(0.3, seed=7), Dense(16, 16, seed=1),
                       LayerNorm(16), ReLU(), Dense(16, 3, seed=2)])


def fit(model, optimizer, epochs):
    return model.fit(X, Y, optimizer=optimizer, epochs=epochs, batch_size=16, seed=3, validation_data=(X_VAL, Y_VAL))


@pytest.mark.parametrize("make", [
    lambda: Adam(schedules.WarmupCosine(0.01, warmup_epochs=3, epochs=20)),
    lambda: SGD(schedules.ReduceOnPlateau(0.05, patience=1, factor=0.5), momentum=0.9, decay=1e-3),
    lambda: RMSProp(0.005, momentum=0.5),
    lambda: AdaGrad(0.05),
    lambda: AdamW(schedules.StepDecay(0.01, step_size=4), weight_decay=0.05),
], ids=["adam-warmup-cosine", "sgd-plateau-decay", "rmsprop", "adagrad", "adamw-step"])
def test_save_load_resume_is_bit_identical_to_one_run(make, tmp_path):
    straight, opt = network(), make()
    history = fit(straight, opt, 20)

    first, opt1 = network(), make()
    fit(first, opt1, 10)
    first.save(tmp_path / "ckpt.npz", optimizer=opt1)
    resumed_opt = make()
    resumed = Sequential.load(tmp_path / "ckpt.npz", optimizer=resumed_opt)
    resumed_history = fit(resumed, resumed_opt, 10)

    for key, p in straight.params.items():
        np.testing.assert_array_equal(resumed.params[key], p, err_msg=key)
    for i in (1, 3):
        for key, a in straight.layers[i].state.items():
            np.testing.assert_array_equal(resumed.layers[i].state[key], a)
    assert resumed_history.loss == history.loss[10:]
    assert resumed_history.learning_rate == history.learning_rate[10:]
    assert resumed_opt.epoch == opt.epoch == 20 and resumed_opt.iterations == opt.iterations


def test_fitting_twice_with_one_optimizer_equals_one_fit():
    once, twice, opt = network(), network(), Adam(0.01)
    fit(once, Adam(0.01), 6)
    fit(twice, opt, 3)
    fit(twice, opt, 3)
    for key, p in once.params.items():
        np.testing.assert_array_equal(twice.params[key], p)


def test_state_arrays_are_keyed_by_the_model_s_parameters():
    model, opt = network(), Adam(0.01)
    fit(model, opt, 1)
    arrays = opt.state_arrays(model)
    assert {"epoch", "iterations"} <= set(arrays)
    for key, p in model.params.items():
        assert arrays[f"{key}/m"].shape == p.shape and arrays[f"{key}/v"].dtype == p.dtype
        assert int(arrays[f"{key}/step"]) == opt.iterations  # every parameter took every step
    assert int(arrays["epoch"]) == 1


def test_loading_optimizer_state_is_checked(tmp_path):
    model, opt = network(), Adam(0.01)
    fit(model, opt, 1)
    model.save(tmp_path / "with.npz", optimizer=opt)
    model.save(tmp_path / "without.npz")
    with pytest.raises(ValueError, match="holds Adam state.*RMSProp"):
        Sequential.load(tmp_path / "with.npz", optimizer=RMSProp())
    with pytest.raises(ValueError, match="no optimizer state"):
        Sequential.load(tmp_path / "without.npz", optimizer=Adam())
    with pytest.raises(ValueError, match="does not match"):
        Sequential.load(tmp_path / "with.npz", optimizer=Adam(schedules.ReduceOnPlateau(0.1)))
    with pytest.raises(TypeError, match="Optimizer"):
        model.save(tmp_path / "bad.npz", optimizer="adam")
    assert isinstance(Sequential.load(tmp_path / "with.npz"), Sequential)  # the optimizer part is optional
    with pytest.raises(ValueError, match="parameters .* the model does not have"):
        opt.load_state_arrays(Sequential([Dense(2, 3)]), opt.state_arrays(model))


@pytest.mark.parametrize("counter", ["epoch", "0.weights/step"])
@pytest.mark.parametrize("bad", [np.array([1, 2]), np.array(1.5), np.array(-1)])
def test_a_damaged_optimizer_counter_is_a_value_error(counter, bad):
    model, opt = network(), Adam(0.01)
    fit(model, opt, 1)
    arrays = opt.state_arrays(model)
    arrays[counter] = bad
    with pytest.raises(ValueError, match=f"optimizer state {counter} must be one integer >= 0"):
        Adam(0.01).load_state_arrays(model, arrays)
