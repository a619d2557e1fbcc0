"""xarray interop: DataArrays that hold traced values work inside grad, jvp, jit and vmap.

xarray keeps any duck array (an object with `__array_function__`) as a DataArray's data,
so a DataArray built on a funcdiff tracer, or combined with one, carries the tracer
through its arithmetic, NumPy's ufuncs, its reductions and alignment by dimension names;
`.data` gives the traced value back. A tracer's operators leave a DataArray operand to
the DataArray (as NumPy's arrays do), so `x * da` is a DataArray like `da * x`.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import DetachError
from funcdiff.testing import check_grads

xr = pytest.importorskip("xarray")

RNG = np.random.default_rng(7)
BASE = np.array([1.0, 2.0, 3.0])
X = np.array([0.5, -1.0, 2.0])
W = RNG.normal(size=(3, 4))


def model(x):
    """Broadcasting by dimension names, a ufunc, reductions over named dimensions, xr.dot."""
    a = xr.DataArray(x, dims=("i",), coords={"i": [10, 20, 30]})
    w = xr.DataArray(W, dims=("i", "j"))
    y = np.tanh(a * w).mean(dim="j")
    return (xr.dot(y, a, dim="i") + (a ** 2).sum()).data


def model_numpy(x):
    y = np.tanh(x[:, None] * W).mean(axis=1)
    return y @ x + (x ** 2).sum()


@pytest.mark.parametrize("f", [
    lambda x: fnp.sum((xr.DataArray(BASE) * x).data),  # autograd's test: DataArray * box
    lambda x: fnp.sum((x * xr.DataArray(BASE)).data),  # and the other order
    lambda x: fnp.sum((x / xr.DataArray(BASE) - xr.DataArray(BASE) ** x).data),
    lambda x: fnp.sum(np.sin(xr.DataArray(x, dims="i")).data),  # NumPy's ufunc on a DataArray
    lambda x: fnp.sum(fnp.exp(xr.DataArray(x, dims="i")).data),  # funcdiff's
    lambda x: xr.DataArray(x).where(xr.DataArray(x) > 0, 0.0).sum().data,
    model,
], ids=["da*x", "x*da", "mixed", "np.sin", "fnp.exp", "where", "model"])
def test_derivatives_through_dataarrays(f):
    check_grads(f, (X,), order=2, modes=("fwd", "rev"))


def test_values_and_types():
    def f(x):
        out = xr.DataArray(BASE, dims="i") * x
        assert isinstance(out, xr.DataArray) and out.dims == ("i",)
        assert isinstance(out.data, fd.Tracer)
        return out.data

    np.testing.assert_allclose(fd.jvp(f, (X,), (np.ones(3),))[1], BASE)
    np.testing.assert_allclose(model(X), model_numpy(X))
    np.testing.assert_allclose(fd.grad(model)(X), fd.grad(model_numpy)(X), rtol=1e-12)
    np.testing.assert_allclose(fd.hessian(model)(X), fd.hessian(model_numpy)(X), rtol=1e-12)


def test_jit_and_vmap():
    np.testing.assert_allclose(fd.jit(model)(X), model_numpy(X))
    xs = np.stack([X, 2 * X, -X])
    np.testing.assert_allclose(fd.vmap(model)(xs), [model_numpy(x) for x in xs])
    np.testing.assert_allclose(fd.vmap(fd.grad(model))(xs), [fd.grad(model_numpy)(x) for x in xs])


def test_values_that_leave_the_trace_raise():
    """`.values` converts to a NumPy array: a clear DetachError, never a silent zero."""
    with pytest.raises(DetachError, match="would drop the derivative"):
        fd.grad(lambda x: float(xr.DataArray(x).values.sum()))(X)


def test_selection_by_coordinate():
    def f(x):
        a = xr.DataArray(x, dims="i", coords={"i": [1, 2, 3]})
        b = xr.DataArray(BASE, dims="i", coords={"i": [1, 2, 3]})
        return (a * b).sel(i=2).data

    np.testing.assert_allclose(fd.grad(f)(X), [0.0, 2.0, 0.0])


def test_pandas_series_never_detach_silently():
    """pandas keeps its values as NumPy arrays: a Series cannot hold a traced value, so
    mixing one in raises DetachError, in either order (it used to give a zero gradient)."""
    pd = pytest.importorskip("pandas")
    s = pd.Series([1.0, 2.0, 3.0])
    for f in (lambda x: fnp.sum(x * s), lambda x: fnp.sum(s * x)):
        with pytest.raises(DetachError):
            fd.grad(f)(X)
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(x * s.to_numpy()))(X), s)
