import math

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from nnlite import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    MeanAbsoluteError,
    MeanSquaredError,
    Softmax,
    SoftmaxCrossEntropy,
    gradcheck,
    losses,
)

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 2, 3, 0])
ONE_HOT = np.eye(4)[LABELS]


def softmax_rows(z):
    """Row softmax with Python's math module, element by element."""
    out = []
    for row in z:
        m = max(row)
        e = [math.exp(v - m) for v in row]
        out.append([v / sum(e) for v in e])
    return np.array(out)


def test_regression_losses_match_closed_forms():
    pred, true = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    pairs = list(zip(pred.ravel(), true.ravel()))
    assert MeanSquaredError().forward(pred, true) == pytest.approx(sum((p - t) ** 2 for p, t in pairs) / 15, rel=1e-13)
    assert MeanAbsoluteError().forward(pred, true) == pytest.approx(sum(abs(p - t) for p, t in pairs) / 15, rel=1e-13)
    mse = MeanSquaredError()
    mse.forward(pred, true)
    np.testing.assert_allclose(mse.backward(), 2 * (pred - true) / 15, rtol=1e-13)
    # (n,) targets for (n, 1) predictions are accepted.
    assert MeanSquaredError().forward(pred[:, :1], true[:, 0]) == pytest.approx(np.mean((pred[:, 0] - true[:, 0]) ** 2))


def test_cross_entropies_match_closed_forms():
    p = softmax_rows(LOGITS)
    expected = -sum(math.log(p[i, c]) for i, c in enumerate(LABELS)) / len(LABELS)
    assert SoftmaxCrossEntropy().forward(LOGITS, LABELS) == pytest.approx(expected, rel=1e-12)
    assert SoftmaxCrossEntropy().forward(LOGITS, ONE_HOT) == pytest.approx(expected, rel=1e-12)
    assert CategoricalCrossEntropy().forward(p, LABELS) == pytest.approx(expected, rel=1e-12)
    assert CategoricalCrossEntropy().forward(p, ONE_HOT) == pytest.approx(expected, rel=1e-12)
    fused = SoftmaxCrossEntropy()
    fused.forward(LOGITS, LABELS)
    np.testing.assert_allclose(fused.backward(), (p - ONE_HOT) / 6, rtol=1e-12, atol=1e-15)

    probs = 1 / (1 + np.exp(-LOGITS))
    targets = (RNG.random((6, 4)) > 0.5).astype(float)
    bce = -sum(
        t * math.log(q) + (1 - t) * math.log(1 - q) for q, t in zip(probs.ravel(), targets.ravel())
    ) / probs.size
    assert BinaryCrossEntropy().forward(probs, targets) == pytest.approx(bce, rel=1e-12)
    assert BinaryCrossEntropy(from_logits=True).forward(LOGITS, targets) == pytest.approx(bce, rel=1e-12)


def test_soft_labels_in_cross_entropy():
    soft = softmax_rows(RNG.standard_normal((6, 4)))
    p = softmax_rows(LOGITS)
    expected = -np.sum(soft * np.log(p)) / 6
    assert SoftmaxCrossEntropy().forward(LOGITS, soft) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "loss, y_pred, y_true",
    [
        (MeanSquaredError(), LOGITS, RNG.standard_normal((6, 4))),
        (MeanAbsoluteError(), LOGITS, LOGITS + 0.5 * np.sign(RNG.standard_normal((6, 4)))),
        (BinaryCrossEntropy(), 1 / (1 + np.exp(-LOGITS)), (RNG.random((6, 4)) > 0.5).astype(float)),
        (BinaryCrossEntropy(from_logits=True), LOGITS, RNG.random((6, 4))),
        (CategoricalCrossEntropy(), softmax_rows(LOGITS), LABELS),
        (CategoricalCrossEntropy(), softmax_rows(LOGITS), ONE_HOT),
        (SoftmaxCrossEntropy(), LOGITS, LABELS),
        (SoftmaxCrossEntropy(), LOGITS, ONE_HOT),
    ],
    ids=["mse", "mae", "bce", "bce_logits", "cce_index", "cce_onehot", "softmax_ce_index", "softmax_ce_onehot"],
)
def test_backward_against_gradcheck(loss, y_pred, y_true):
    result = gradcheck(loss, y_pred, targets=y_true)
    assert result.passed, str(result)


def test_backward_scales_with_dvalues_and_fused_equals_chain():
    loss = SoftmaxCrossEntropy()
    loss.forward(LOGITS, LABELS)
    g1 = loss.backward().copy()
    np.testing.assert_allclose(loss.backward(2.5), 2.5 * g1)
    # Softmax layer + categorical cross-entropy gives the same gradient as the fused loss.
    softmax, cce = Softmax(), CategoricalCrossEntropy()
    cce.forward(softmax.forward(LOGITS), LABELS)
    np.testing.assert_allclose(softmax.backward(cce.backward()), g1, rtol=1e-10, atol=1e-14)


def test_extreme_inputs_stay_finite_without_warnings():
    z = np.array([[1e300, -1e300, 0.0], [-1e300, 1e300, 5.0]])
    loss = SoftmaxCrossEntropy()
    assert loss.forward(z, [0, 1]) == 0.0
    assert loss.forward(z, [1, 0]) == pytest.approx(2e300)
    assert np.isfinite(loss.backward()).all()
    bce = BinaryCrossEntropy(from_logits=True)
    assert bce.forward(np.array([[1e300], [-1e300]]), [1.0, 0.0]) == 0.0
    assert bce.forward(np.array([[-1e300]]), [1.0]) == pytest.approx(1e300)
    np.testing.assert_array_equal(bce.backward(), [[-1.0]])
    # Probabilities of exactly 0 and 1: clipped, finite, no log(0) warning.
    assert np.isfinite(BinaryCrossEntropy().forward(np.array([[0.0], [1.0]]), [1.0, 0.0]))
    assert np.isfinite(CategoricalCrossEntropy().forward(np.array([[1.0, 0.0]]), [1]))


def test_float32_stays_float32():
    z = LOGITS.astype(np.float32)
    for loss, target in (
        (SoftmaxCrossEntropy(), LABELS), (CategoricalCrossEntropy(), LABELS),
        (MeanSquaredError(), np.zeros((6, 4))), (BinaryCrossEntropy(from_logits=True), np.ones((6, 4))),
    ):
        # CategoricalCrossEntropy takes probabilities, not logits
        loss.forward(softmax_rows(z).astype(np.float32) if isinstance(loss, CategoricalCrossEntropy) else z, target)
        assert loss.backward().dtype == np.float32, type(loss).__name__


def test_accuracy():
    p = softmax_rows(LOGITS)
    expected = np.mean(p.argmax(axis=1) == LABELS)
    assert SoftmaxCrossEntropy().accuracy(LOGITS, LABELS) == expected
    assert SoftmaxCrossEntropy().accuracy(LOGITS, ONE_HOT) == expected
    assert BinaryCrossEntropy().accuracy(np.array([[0.9], [0.2], [0.6]]), [1, 1, 0]) == pytest.approx(1 / 3)
    assert BinaryCrossEntropy(from_logits=True).accuracy(np.array([[3.0, -1.0]]), [[1, 0]]) == 1.0
    assert MeanSquaredError().accuracy(LOGITS, LOGITS) is None


def test_registry():
    assert isinstance(losses.get("mse"), MeanSquaredError)
    assert isinstance(losses.get("Softmax-Cross-Entropy"), SoftmaxCrossEntropy)
    assert losses.get("bce", from_logits=True).from_logits
    instance = MeanAbsoluteError()
    assert losses.get(instance) is instance
    assert losses.names() == [
        "binary_cross_entropy", "categorical_cross_entropy", "mean_absolute_error", "mean_squared_error",
        "softmax_cross_entropy",
    ]
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        losses.get("hinge")
    with pytest.raises(TypeError):
        losses.get(3)


def test_bad_inputs():
    with pytest.raises(RuntimeError, match="before forward"):
        SoftmaxCrossEntropy().backward()
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        SoftmaxCrossEntropy().forward(LOGITS, LABELS + 1)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        SoftmaxCrossEntropy().forward(LOGITS, -LABELS)
    with pytest.raises(TypeError, match="integers"):
        SoftmaxCrossEntropy().forward(LOGITS, LABELS + 0.5)
    with pytest.raises(ValueError, match="5 labels for 6"):
        SoftmaxCrossEntropy().forward(LOGITS, LABELS[:5])
    with pytest.raises(ValueError, match=r"\(6, 4\)"):
        SoftmaxCrossEntropy().forward(LOGITS, np.ones((6, 3)))
    with pytest.raises(ValueError, match="n_samples, n_classes"):
        CategoricalCrossEntropy().forward(LOGITS[0], LABELS[:1])
    with pytest.raises(ValueError, match="expected the shape of y_pred"):
        MeanSquaredError().forward(LOGITS, np.ones((6, 3)))
    loss = MeanSquaredError()
    loss.forward(LOGITS, LOGITS)
    with pytest.raises(ValueError, match="scalar"):
        loss.backward(np.ones((6, 4)))
    # Integral floats are fine as class indices.
    assert SoftmaxCrossEntropy().forward(LOGITS, LABELS.astype(float)) == SoftmaxCrossEntropy().forward(LOGITS, LABELS)


logit_rows = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
    elements=st.floats(-50, 50),
)


@settings(max_examples=60, deadline=None)
@given(z=logit_rows, shift=st.floats(-100, 100), seed=st.integers(0, 2**16))
def test_softmax_cross_entropy_properties(z, shift, seed):
    labels = np.random.default_rng(seed).integers(0, z.shape[1], len(z))
    loss = SoftmaxCrossEntropy()
    value = loss.forward(z, labels)
    grad = loss.backward().copy()
    assert value >= 0
    # Adding a constant to every logit of a row changes neither the loss nor the gradient.
    assert SoftmaxCrossEntropy().forward(z + shift, labels) == pytest.approx(value, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(loss.backward(), grad, atol=1e-12)
    # Each row of (softmax - one_hot) / n sums to zero, and the true class gets the only negative entry.
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)
    assert np.all(grad[np.arange(len(z)), labels] <= 0)


@settings(max_examples=60, deadline=None)
@given(pred=logit_rows)
def test_regression_losses_vanish_only_at_the_target(pred):
    for loss in (MeanSquaredError(), MeanAbsoluteError()):
        assert loss.forward(pred, pred) == 0.0
        assert not loss.backward().any()
        assert loss.forward(pred, pred + 1.0) > 0
