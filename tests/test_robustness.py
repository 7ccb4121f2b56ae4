"""Hostile inputs (issue 11): every input gets a right answer or a named error.

Each test here failed before its fix. References are closed forms (the
identity's derivative is 1, a linear neuron's gradients are sums of x).
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlite

# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("scale", [1e8, 1e10, 1e300, -1e15])
def test_gradcheck_passes_correct_code_at_large_inputs(scale):
    # identity: f' = 1 exactly; a fixed step of 1e-6 is lost in the rounding of x at 1e8 and beyond
    x = scale * np.array([1.0, 1.5, 2.0])
    result = nnlite.gradcheck(nnlite.activations.get("linear"), x)
    assert result.passed, str(result)
    assert result.max_rel_error < 1e-8


def test_gradcheck_passes_a_non_elementwise_object_at_large_inputs():
    x = 1e10 * np.random.default_rng(0).normal(size=(3, 2))
    assert nnlite.gradcheck(nnlite.Dense(2, 3, seed=0), x).passed


def test_gradcheck_passes_large_parameters():
    # y = w x + b (linear): dL/dw = sum(dvalues x), dL/db = sum(dvalues), exactly
    neuron = nnlite.OneNeuron("linear", weight=1e9, bias=-3e10)
    result = nnlite.gradcheck(neuron, np.array([0.5, -1.0, 2.0]))
    assert result.passed, str(result)
    layer = nnlite.Dense(2, 2, seed=0)
    layer.weights *= 1e12
    result = nnlite.gradcheck(layer, np.array([[0.3, -0.7]]))
    # the biases (0) move the outputs (1e12) by less than their rounding: not judged, and said so
    assert result.passed
    assert any("2 entries of biases could not be judged" in note for note in result.notes), result.notes


def test_gradcheck_still_fails_a_wrong_gradient_it_can_judge_next_to_unjudged_entries():
    class WrongWeights(nnlite.Dense):
        def backward(self, dvalues):
            dinputs = super().backward(dvalues)
            self.dweights *= 1.01
            return dinputs

    layer = WrongWeights(2, 2, seed=0)
    layer.weights *= 1e12
    result = nnlite.gradcheck(layer, np.array([[0.3, -0.7]]))
    assert not result.passed
    assert result.worst_tensor == "weights"


def test_gradcheck_at_the_edge_of_the_float_range_judges_without_warnings():
    x = np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, 1e308])
    result = nnlite.gradcheck(nnlite.activations.get("linear"), x)
    assert result.passed, str(result)


def test_gradcheck_still_fails_a_derivative_one_percent_off_at_large_inputs():
    class OffByOnePercent(nnlite.Activation, register=False):
        def function(self, x):
            return 2 * x

        def derivative(self, x, y):
            return np.full_like(x, 2.02)

    result = nnlite.gradcheck(OffByOnePercent(), np.array([1e9, -3e12]))
    assert not result.passed
    assert result.analytic == pytest.approx(1.01 * result.numeric, rel=1e-9)


@pytest.mark.parametrize("obj", [np.tanh, lambda x: x * 2, "tanh", 3.0])
def test_gradcheck_refuses_objects_without_forward_and_backward(obj):
    with pytest.raises(TypeError, match="forward.*backward"):
        nnlite.gradcheck(obj, np.ones(3))


def test_gradcheck_refuses_a_backward_that_returns_nothing():
    class Forgetful(nnlite.Activation, register=False):
        def function(self, x):
            return x

        def derivative(self, x, y):
            return np.ones_like(x)

        def backward(self, dvalues):
            super().backward(dvalues)

    with pytest.raises(TypeError, match="backward returned None"):
        nnlite.gradcheck(Forgetful(), np.ones(3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradcheck_refuses_non_finite_inputs(bad):
    with pytest.raises(ValueError, match="finite"):
        nnlite.gradcheck(nnlite.Tanh(), np.array([0.1, bad]))


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": -1e-6}, {"eps": np.nan}, {"atol": -1.0},
                                    {"rtol": np.inf}])
def test_gradcheck_refuses_bad_steps_and_tolerances(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        nnlite.gradcheck(nnlite.Tanh(), np.ones(3), **kwargs)


# ---------------------------------------------------------------- OneNeuron


@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_one_neuron_fit_names_non_finite_data_before_training(where, bad):
    x, y = np.linspace(-1, 1, 5), np.tanh(np.linspace(-1, 1, 5))
    (x if where == "x" else y)[2] = bad
    neuron = nnlite.OneNeuron("tanh", weight=0.5)
    with pytest.raises(ValueError, match=f"OneNeuron.fit {where} .*NaN or infinite"):
        neuron.fit(x, y, epochs=3)
    assert neuron.weight == 0.5  # refused before any step


def test_one_neuron_fit_stops_when_training_diverges():
    # linear neuron, MSE on x in [-10, 10]: the curvature is 2 mean(x^2) ~ 68, so lr = 1 diverges
    x = np.linspace(-10, 10, 21)
    neuron = nnlite.OneNeuron("linear", weight=0.0)
    with pytest.raises(FloatingPointError, match="diverged.*lower learning rate.*1"):
        neuron.fit(x, 2 * x, learning_rate=1.0, epochs=2000)


def test_one_neuron_fit_at_a_safe_learning_rate_converges_to_the_closed_form():
    x = np.linspace(-10, 10, 21)
    neuron = nnlite.OneNeuron("linear", weight=0.0, bias=0.0)
    neuron.fit(x, 2 * x + 1, learning_rate=0.01, epochs=2000)
    assert neuron.weight == pytest.approx(2.0, rel=1e-9)
    assert neuron.bias == pytest.approx(1.0, rel=1e-6)


def test_one_neuron_fit_refuses_empty_data():
    with pytest.raises(ValueError, match="at least one sample"):
        nnlite.OneNeuron().fit(np.array([]), np.array([]))


@pytest.mark.parametrize("lr", ["0.1", None, True, np.nan, -1.0, [0.1]])
def test_one_neuron_fit_refuses_bad_learning_rates(lr):
    with pytest.raises((ValueError, TypeError), match="learning_rate"):
        nnlite.OneNeuron().fit(np.ones(3), np.ones(3), learning_rate=lr)


def test_one_neuron_fit_checks_targets_against_the_loss_before_training():
    neuron = nnlite.OneNeuron("sigmoid", weight=0.3)
    with pytest.raises(ValueError, match="targets in \\[0, 1\\]"):
        neuron.fit(np.array([0.0, 1.0]), np.array([0.0, 2.0]), loss="bce")
    assert neuron.weight == 0.3


@pytest.mark.parametrize("activation", ["maxout", "softmax", "log_softmax", nnlite.activations.get("maxout", pieces=3)])
def test_one_neuron_refuses_non_elementwise_activations(activation):
    with pytest.raises(ValueError, match="elementwise"):
        nnlite.OneNeuron(activation)


# ---------------------------------------------------------------- losses

LOSSES = ["mse", "mae", "bce", "cce", "softmax_cross_entropy"]


def _predictions(name, n=4, k=3):
    rng = np.random.default_rng(0)
    if name in ("mse", "mae"):
        return rng.normal(size=(n, k)), rng.normal(size=(n, k))
    if name == "bce":
        return rng.uniform(0.1, 0.9, size=(n, k)), rng.integers(0, 2, size=(n, k)).astype(float)
    logits = rng.normal(size=(n, k))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return (probs if name == "cce" else logits), rng.integers(0, k, size=n)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_losses_refuse_non_finite_targets(name, bad):
    y_pred, y_true = _predictions(name)
    y_true = np.array(y_true, dtype=float)
    y_true.flat[1] = bad
    with pytest.raises(ValueError, match="y_true holds 1 NaN or infinite"):
        nnlite.losses.get(name).forward(y_pred, y_true)


def test_one_hot_labels_with_nan_are_named_as_non_finite_not_as_non_integer():
    y_pred, _ = _predictions("cce")
    labels = np.array([0.0, np.nan, 2.0, 1.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        nnlite.losses.get("softmax_cross_entropy").forward(y_pred, labels)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_losses_refuse_non_finite_predictions(name, bad):
    y_pred, y_true = _predictions(name)
    y_pred[0, 0] = bad
    with pytest.raises(ValueError, match="y_pred holds 1 NaN or infinite"):
        nnlite.losses.get(name).forward(y_pred, y_true)


@pytest.mark.parametrize("name", LOSSES)
def test_losses_refuse_empty_inputs(name):
    k = 3
    y_true = np.zeros((0, k)) if name in ("mse", "mae", "bce") else np.zeros(0, dtype=int)
    with pytest.raises(ValueError, match="at least one"):
        nnlite.losses.get(name).forward(np.zeros((0, k)), y_true)


@pytest.mark.parametrize("target", [2.0, -0.5, 1.0 + 1e-9])
def test_bce_refuses_targets_outside_zero_one(target):
    for loss in (nnlite.losses.BinaryCrossEntropy(), nnlite.losses.BinaryCrossEntropy(from_logits=True)):
        with pytest.raises(ValueError, match="targets in \\[0, 1\\]"):
            loss.forward(np.array([0.3, 0.6]), np.array([0.0, target]))


@pytest.mark.parametrize("name", ["bce", "cce"])
@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_probability_losses_refuse_predictions_outside_zero_one(name, bad):
    # clipping 1.5 to 1 - 1e-7 silently would report a loss of a prediction that was never made
    y_pred, y_true = _predictions(name)
    y_pred[0, 0] = bad
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*from_logits|softmax_cross_entropy"):
        nnlite.losses.get(name).forward(y_pred, y_true)


@pytest.mark.parametrize("name", ["cce", "softmax_cross_entropy"])
@pytest.mark.parametrize("rows", [
    [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],       # multi-hot: sums to 2
    [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],       # no class
    [[1.5, -0.5, 0.0], [0.0, 1.0, 0.0]],      # sums to 1 but not probabilities
])
def test_categorical_losses_refuse_rows_that_are_not_one_hot_or_probabilities(name, rows):
    y_pred = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="one-hot"):
        nnlite.losses.get(name).forward(y_pred, np.array(rows))


def test_categorical_losses_accept_probability_rows_in_float32():
    # soft labels from a float32 softmax sum to 1 only to within float32 rounding
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(50, 7)).astype(np.float32)
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    value = nnlite.losses.get("softmax_cross_entropy").forward(logits, soft)
    # reference: the cross-entropy of soft against softmax(logits) = its entropy, computed in float64
    soft64 = soft.astype(np.float64)
    reference = -np.mean(np.sum(soft64 * np.log(soft64), axis=1))
    assert value == pytest.approx(reference, rel=1e-5)


@pytest.mark.parametrize("name", ["mse", "mae"])
def test_regression_losses_at_the_edge_of_the_float_range_overflow_to_inf_without_warnings(name):
    big = np.finfo(np.float64).max
    value = nnlite.losses.get(name).forward(np.array([big, 1.0]), np.array([-big, 1.0]))
    assert value == np.inf


# ---------------------------------------------------------------- explain and the CLI


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_explain_refuses_non_finite_inputs_and_targets(bad):
    neuron = nnlite.OneNeuron("tanh")
    with pytest.raises(ValueError, match="explain x holds 1 NaN or infinite"):
        nnlite.explain(neuron, [0.5, bad], [1.0, 0.0])
    with pytest.raises(ValueError, match="y_true holds 1 NaN or infinite"):
        nnlite.explain(neuron, [0.5, 0.1], [bad, 0.0])


def test_explain_checks_targets_against_the_loss():
    with pytest.raises(ValueError, match="targets in \\[0, 1\\]"):
        nnlite.explain(nnlite.OneNeuron("sigmoid"), [0.5], [2.0], loss="bce")
    with pytest.raises(ValueError, match="class indices must lie in \\[0, 2\\)"):
        nnlite.explain(nnlite.Dense(3, 2, seed=0), np.ones((2, 3)), [0, 5], loss="softmax_cross_entropy")


def test_explain_refuses_predictions_outside_the_loss_domain():
    # tanh(-1) < 0 is no probability: the old table showed a clipped, made-up loss
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        nnlite.explain(nnlite.OneNeuron("tanh"), [-1.0], [0.0], loss="bce")


def test_explain_refuses_a_forward_pass_that_overflows():
    neuron = nnlite.OneNeuron("linear", weight=1e300)
    with pytest.raises(ValueError, match="not finite"):
        nnlite.explain(neuron, [1e300], [0.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"eps": 0.0}, "eps"), ({"eps": np.nan}, "eps"), ({"sample": 0.5}, "sample"), ({"sample": True}, "sample"),
])
def test_explain_refuses_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nnlite.explain(nnlite.OneNeuron("tanh"), [0.5, 0.1], [1.0, 0.0], **kwargs)


def test_explain_refuses_a_model_with_non_finite_weights():
    layer = nnlite.Dense(2, 2, seed=0)
    layer.weights[0, 1] = np.nan
    with pytest.raises(ValueError, match="weights.*NaN or infinite"):
        nnlite.explain(layer, np.ones((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("argv, message", [
    (["explain", "--x", "nan"], "explain x holds 1 NaN or infinite"),
    (["explain", "--x", "0.3", "--target", "inf"], "y_true holds 1 NaN or infinite"),
    (["explain", "--activation", "sigmoid", "--loss", "bce", "--target", "2"], "targets in \\[0, 1\\]"),
    (["explain", "--weight", "nan"], "weight must be one finite real number"),
])
def test_cli_explain_exits_2_with_the_reason(argv, message, capsys):
    from nnlite.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err


@pytest.mark.parametrize("command", [["compare", "--epochs", "1", "--seeds", "1"], ["minimal-model"]])
def test_cli_out_naming_an_existing_file_where_a_folder_is_expected(command, tmp_path, capsys):
    from nnlite.cli import main

    target = tmp_path / "results.txt"
    target.write_text("keep me")
    with pytest.raises(SystemExit) as exc:
        main([*command, "--out", str(target)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert str(target) in err and "is a file" in err and "folder" in err
    assert target.read_text() == "keep me"


def test_cli_gallery_out_naming_an_existing_folder(tmp_path, capsys):
    from nnlite.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["gallery", "--out", str(tmp_path), "--activations", "tanh"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "folder" in err and "image file" in err


def test_cli_gallery_creates_missing_folders(tmp_path, capsys):
    from nnlite.cli import main

    out = tmp_path / "new" / "deeper" / "g.png"
    assert main(["gallery", "--out", str(out), "--activations", "tanh", "--dpi", "20"]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, message", [
    (["gallery", "--dpi", "0"], "--dpi must be"),
    (["bench", "tanh", "--size", "0"], "--size must be"),
    (["bench", "tanh", "--repeats", "-1"], "--repeats must be"),
    (["compare", "--epochs", "-1"], "--epochs must be"),
    (["compare", "--seeds", "0"], "--seeds must be"),
    (["compare", "--batch-size", "0"], "--batch-size must be"),
    (["compare", "--lr", "nan"], "--lr must be"),
    (["compare", "--lr", "-0.1"], "--lr must be"),
    (["minimal-model", "--samples", "0"], "--samples must be"),
    (["minimal-model", "--bins", "0"], "--bins must be"),
    (["explain", "--weight", "inf"], "weight must be one finite"),
])
def test_cli_refuses_bad_numbers_before_any_work(argv, message, tmp_path, capsys):
    from nnlite.cli import main

    with pytest.raises(SystemExit) as exc:
        main([*argv, *(["--out", str(tmp_path / "o")] if argv[0] in ("compare", "minimal-model") else [])])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_explain_finite_differences_scale_with_the_values():
    # sibling of gradcheck's fixed step: a = z = 1e8 moved by 1e-6 is lost in rounding, and the old
    # table starred a correct chain rule. Linear neuron, mse: dl/da = 2 (a - y), dz/dw = x, exactly.
    result = nnlite.explain(nnlite.OneNeuron("linear", weight=2.0), [5e7, -3e7], [1.0, 2.0])
    text = str(result)
    assert not any(line.endswith(" *") for line in text.splitlines()), text
    step = result.steps[0]
    np.testing.assert_allclose(step["dL/da"].numeric, [2 * (1e8 - 1), 2 * (-6e7 - 2)], rtol=1e-9)
    np.testing.assert_allclose(step["dz/dw"].numeric, [5e7, -3e7], rtol=1e-9)
    # the bias (0) moves z = 1e8 by less than z's rounding: no verdict, and the table says why
    assert "1.99e+08 ~" in text and "~ cannot be judged" in text


# ---------------------------------------------------------------- datasets and bench


@pytest.mark.parametrize("make", [nnlite.datasets.spiral, nnlite.datasets.sine])
@pytest.mark.parametrize("noise", [np.nan, np.inf, -0.1, "0.2", None])
def test_dataset_noise_must_be_a_finite_non_negative_number(make, noise):
    with pytest.raises((ValueError, TypeError), match="noise"):
        make(10, noise=noise)


def test_load_mnist_refuses_an_integer_dtype_with_scaling(tmp_path):
    import struct

    images = np.arange(2 * 2 * 2, dtype=np.uint8).reshape(2, 2, 2)
    for stem, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", np.array([1, 2], np.uint8))):
        header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
        (tmp_path / stem).write_bytes(header + array.tobytes())
    with pytest.raises(TypeError, match="dtype.*float.*scale=False"):
        nnlite.datasets.load_mnist(tmp_path, dtype=np.uint8)
    raw, _ = nnlite.datasets.load_mnist(tmp_path, dtype=np.uint8, scale=False)
    assert raw.dtype == np.uint8 and raw.max() == 7


def test_read_idx_header_sizes_that_overflow_int64_are_refused(tmp_path):
    # 2**16 four times is 2**64 elements: np.prod wrapped around to 0 in int64, which matched an empty body
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 0x08, 4]) + b"\x00\x01\x00\x00" * 4)
    with pytest.raises(ValueError, match="IDX header says shape"):
        nnlite.datasets.read_idx(path)


def test_missing_scikit_learn_message_installs_this_checkout(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[datasets\]"'):
        nnlite.datasets.load_digits()


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 1.5}, "size"), ({"size": "10"}, "size"), ({"size": True}, "size"),
    ({"repeats": 2.5}, "repeats"), ({"repeats": 0}, "repeats"), ({"dtype": "complex128"}, "dtype"),
    ({"dtype": "nope"}, "dtype"),
])
def test_bench_refuses_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nnlite.bench("tanh", **{"size": 100, "repeats": 1, **kwargs})


@pytest.mark.parametrize("scale", [1e300, np.finfo(np.float64).max])
@pytest.mark.parametrize("labels", ["indices", "one_hot"])
def test_softmax_cross_entropy_at_extreme_logits_without_warnings(scale, labels):
    # closed form: logits (s, -s); true class 1: l = logsumexp - z_1 = 2s (inf past the float range),
    # true class 0: l = 0; L = the mean of the two
    logits = np.array([[scale, -scale], [scale, -scale]])
    y = np.array([1, 0]) if labels == "indices" else np.array([[0.0, 1.0], [1.0, 0.0]])
    loss = nnlite.losses.get("softmax_cross_entropy")
    value = loss.forward(logits, y)
    assert value == (pytest.approx(1e300, rel=1e-15) if scale == 1e300 else np.inf)
    assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("name", ["bce_logits", "mse", "mae"])
@pytest.mark.parametrize("scale", [1e300, np.finfo(np.float64).max])
def test_losses_at_extreme_finite_predictions_give_a_number_without_warnings(name, scale):
    loss = nnlite.losses.BinaryCrossEntropy(from_logits=True) if name == "bce_logits" else nnlite.losses.get(name)
    y_pred = np.array([[scale, -scale]])
    value = loss.forward(y_pred, np.array([[1.0, 1.0]]))
    assert not np.isnan(value)
    assert not np.any(np.isnan(loss.backward()))


def test_gradcheck_refuses_non_finite_dvalues_and_empty_inputs():
    with pytest.raises(ValueError, match="dvalues must be finite"):
        nnlite.gradcheck(nnlite.Tanh(), np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="at least one"):
        nnlite.gradcheck(nnlite.Tanh(), np.ones(0))


def test_accuracy_refuses_non_finite_predictions():
    # NaN > 0.5 is False: the old count called a NaN prediction "class 0" and scored it
    with pytest.raises(ValueError, match="NaN or infinite"):
        nnlite.losses.BinaryCrossEntropy().accuracy(np.array([[np.nan], [0.9]]), np.array([0, 1]))


def test_one_neuron_backward_past_the_float_range_is_inf_without_warnings():
    # linear neuron: dL/dw = sum(dvalues * x) = 2e400, which is +inf in float64
    neuron = nnlite.OneNeuron("linear", weight=1e200)
    neuron.forward(np.array([1e200, 1e200]))
    dinputs = neuron.backward(np.array([1e200, 1e200]))
    assert neuron.grads["weight"][0] == np.inf
    assert neuron.grads["bias"][0] == pytest.approx(2e200)
    assert np.all(dinputs == np.inf)


def test_one_neuron_float32_parameter_gradients_are_accumulated_in_float64():
    # the parameters are float64: dL/dw = sum(dvalues * x) = 2e40 fits, though each product overflows float32
    neuron = nnlite.OneNeuron("linear", weight=1.0)
    neuron.forward(np.array([1e30, 1e30], dtype=np.float32))
    neuron.backward(np.array([1e10, 1e10], dtype=np.float32))
    assert neuron.grads["weight"][0] == pytest.approx(2 * float(np.float32(1e30)) * float(np.float32(1e10)), rel=1e-12)


def test_gradcheck_at_large_inputs_judges_a_function_that_varies_fast_or_says_why_not():
    # sin at 1e8: a step of eps * |x| = 100 spans many periods. The check must not fail the right
    # derivative (cos): it retries with a fine step (2**20 ulp = 0.016), which judges it
    class Sine(nnlite.Activation, register=False):
        def function(self, x):
            return np.sin(x)

        def derivative(self, x, y):
            return np.cos(x)

    result = nnlite.gradcheck(Sine(), np.array([1e8, 2e8 + 0.5, 0.3]))
    assert result.passed and not result.notes, str(result)
    # at 1e15 even the fine step (1.3e5) spans many periods: no verdict, and the result says why
    result = nnlite.gradcheck(Sine(), np.array([1e15, 0.3]))
    assert result.passed, str(result)
    assert any("1 entry of inputs could not be judged" in note and "kink" in note for note in result.notes)

    class WrongSine(Sine):
        def derivative(self, x, y):
            return 1.01 * np.cos(x)

    assert not nnlite.gradcheck(WrongSine(), np.array([1e8, 0.3])).passed  # judged where it can be


def test_gradcheck_still_fails_at_a_kink_it_can_judge_from_both_sides():
    # relu' taken as 1 at x = -0.5 is wrong on a smooth stretch: both steps agree, so it fails
    class BadReLU(nnlite.Activation, register=False):
        def function(self, x):
            return np.maximum(x, 0)

        def derivative(self, x, y):
            return np.ones_like(x)

    result = nnlite.gradcheck(BadReLU(), np.array([-0.5, 0.5]))
    assert not result.passed and result.worst_index == (0,)


def test_gradcheck_judges_a_kink_just_inside_the_step_with_a_smaller_step():
    # relu at 1e-7: the step 1e-6 crosses the kink (numeric 0.55), a 16x smaller one does not (1, as analytic)
    result = nnlite.gradcheck(nnlite.ReLU(), np.array([1e-7, -3e-7, 0.5]))
    assert result.passed and not result.notes, str(result)


class _Cubic(nnlite.Activation, register=False):
    """f(x) = c x^3 / 3, f'(x) = c x^2 (scale c keeps f finite over the sampled range)."""

    def __init__(self, c: float = 1.0, wrong: float = 1.0):
        self.c, self.wrong = c, wrong

    def function(self, x):
        return self.c * x * x * x / 3

    def derivative(self, x, y):
        return self.wrong * self.c * x * x


@given(
    mantissa=st.floats(1.0, 9.99),
    exponent=st.integers(-20, 100),
    sign=st.sampled_from([-1.0, 1.0]),
)
@settings(max_examples=60, deadline=None)
def test_gradcheck_on_a_cubic_at_any_magnitude(mantissa, exponent, sign):
    # closed form f' = c x^2 = O(1): c = 10^(-2 exponent) makes f vary on the scale of x, from 1e-20
    # (where the first step, 1e-6, is far too coarse and the smaller steps judge) to 1e100
    x = np.array([sign * mantissa * 10.0**exponent, 0.5 * sign * mantissa * 10.0**exponent])
    c = 10.0 ** (-2 * exponent)
    assert nnlite.gradcheck(_Cubic(c), x).passed
    assert not nnlite.gradcheck(_Cubic(c, wrong=1.01), x).passed


def test_one_neuron_fit_refuses_an_activation_whose_outputs_the_loss_cannot_take():
    neuron = nnlite.OneNeuron("tanh", weight=1.0)
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        neuron.fit(np.array([-1.0, 1.0]), np.array([0.0, 1.0]), loss="bce")
    assert neuron.weight == 1.0
