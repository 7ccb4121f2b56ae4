import numpy as np
import pytest

import nnlite
from nnlite import Dense, PReLU, Sequential, Swish


def test_learnable_activations_train_in_float32_end_to_end(tmp_path):
    X, y = nnlite.datasets.spiral(50, 3, seed=0)
    X = X.astype(np.float32)
    model = Sequential([
        Dense(2, 16, seed=0, dtype=np.float32), PReLU(num_parameters=16, dtype="float32"),
        Dense(16, 16, seed=1, dtype=np.float32), Swish(learnable=True, dtype=np.float32),
        Dense(16, 3, seed=2, dtype=np.float32),
    ])
    alpha_before = model.layers[1].params["alpha"].copy()
    model.fit(X, y, epochs=5, batch_size=32, seed=0, optimizer=nnlite.Adam(learning_rate=0.01))
    assert {p.dtype for p in model.params.values()} == {np.dtype(np.float32)}
    assert not np.array_equal(model.layers[1].params["alpha"], alpha_before)  # alpha was trained
    assert model.predict(X).dtype == np.float32
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.layers[1].params["alpha"].dtype == np.float32
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("make", [lambda: PReLU(dtype="int32"), lambda: Swish(learnable=True, dtype=np.float16)])
def test_parameter_dtype_must_be_float32_or_float64(make):
    with pytest.raises(TypeError, match="float32 or float64"):
        make()
