"""NumPy's floating-point warnings raised inside transforms point at the user's line (#15)."""

from __future__ import annotations

import warnings

import helpers
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

HERE = __file__
NEG = np.array([-1.0, 2.0])


def line_of(marker):
    return helpers.line_of(HERE, marker)


def f(x):
    return fnp.sum(fnp.log(x) * 2.0)  # LOG-LINE


def g(x):
    return fnp.sum(fnp.cosh(x))  # COSH-LINE


TRANSFORMS = {
    "grad": lambda fn, x: fd.grad(fn)(x),
    "vjp": lambda fn, x: fd.vjp(fn, x),
    "jvp": lambda fn, x: fd.jvp(fn, (x,), (np.ones_like(x),)),
    "vmap": lambda fn, x: fd.vmap(fn)(x[None]),
    "hessian": lambda fn, x: fd.hessian(fn)(x),
    "grad(jit)": lambda fn, x: fd.grad(fd.jit(fn))(x),
}


@pytest.mark.parametrize("how", TRANSFORMS)
def test_forward_warnings_point_at_the_user_line_and_name_the_primitive(how):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TRANSFORMS[how](f, NEG)
    invalid = [w for w in caught if "invalid value" in str(w.message)]
    assert invalid, [str(w.message) for w in caught]
    for w in invalid:
        assert w.category is RuntimeWarning
        assert w.filename == HERE, (w.filename, w.lineno)
        if how != "grad(jit)":  # (a jitted function's program runs from its call)
            assert w.lineno == line_of("LOG-LINE"), w.lineno
            assert str(w.message) == "invalid value encountered in log"


def test_backward_warnings_point_at_the_transform_call():
    x = np.array([800.0, 1.0])  # cosh overflows forward; its derivative sinh backward
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fd.grad(g)(x)  # GRAD-CALL
    where = {str(w.message): (w.filename, w.lineno) for w in caught}
    assert where["overflow encountered in cosh"] == (HERE, line_of("COSH-LINE")), where
    assert where["overflow encountered in sinh"] == (HERE, line_of("GRAD-CALL")), where


def test_jit_warnings_point_at_the_jitted_function():
    """Compiled code is placed on the line of the user's function it was traced from."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fd.jit(f)(NEG)
    invalid = [w for w in caught if "invalid value encountered in log" in str(w.message)]
    assert invalid
    assert all((w.filename, w.lineno) == (HERE, f.__code__.co_firstlineno) for w in invalid)
    assert "def " in fd.jit(f).source(NEG)  # the generated text is kept for reading


def test_the_users_numpy_settings_are_kept():
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fd.grad(f)(NEG)  # no warning at all
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        fd.grad(f)(NEG)
    seen = []
    with np.errstate(invalid="call", call=lambda err, flag: seen.append(err)):
        fd.grad(f)(NEG)
    assert seen and seen[0] == "invalid value"
    with warnings.catch_warnings():  # a user's "error" filter raises at their line
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="invalid value encountered in log"):
            fd.grad(f)(NEG)


def test_default_filter_warns_once_per_user_line():
    def h1(x):
        return fnp.sum(fnp.log(x))

    def h2(x):
        return fnp.sum(fnp.log(x))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            fd.grad(h1)(NEG)
            fd.grad(h2)(NEG)
    lines = sorted({w.lineno for w in caught})
    assert len(caught) == 2 and len(lines) == 2, [(w.lineno, str(w.message)) for w in caught]


def test_outside_transforms_numpy_state_is_untouched():
    before = np.geterr()
    fd.grad(f)(np.array([1.0, 2.0]))
    assert np.geterr() == before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fnp.log(NEG)  # eagerly, funcdiff.numpy is NumPy's function: NumPy's own warning
    assert caught and "invalid value encountered in log" in str(caught[0].message)
