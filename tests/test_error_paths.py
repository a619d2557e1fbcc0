"""Errors about an argument name it by its pytree path (#15)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

P = {"layers": [{"w": np.ones(2)}, {"w": np.ones(3)}], "b": np.ones(2)}


def f(p):
    return fnp.sum(p["layers"][1]["w"]) + fnp.sum(p["b"])


def test_jvp_names_the_tangent_that_is_missing_or_wrong():
    short = {"layers": [{"w": np.ones(2)}], "b": np.ones(2)}
    with pytest.raises(TypeError, match=re.escape("primals[0]['layers'][1]['w'] has no "
                                                  "counterpart in tangents")):
        fd.jvp(f, (P,), (short,))
    wrong = {"layers": [{"w": np.ones(2)}, {"w": np.ones(4)}], "b": np.ones(2)}
    with pytest.raises(ValueError, match=re.escape("primals[0]['layers'][1]['w'] has shape")):
        fd.jvp(f, (P,), (wrong,))


def test_vjp_pullback_names_the_cotangent_path():
    def g(p):
        return {"a": p["b"] * 2, "c": fnp.sum(p["b"])}

    pullback = fd.vjp(g, P)[1]
    with pytest.raises(ValueError, match=re.escape("the cotangent['c'] has shape (2,), but the "
                                                   "output['c'] has shape ()")):
        pullback({"a": np.ones(2), "c": np.ones(2)})
    with pytest.raises(TypeError, match=re.escape("output['c'] has no counterpart in "
                                                  "cotangent")):
        pullback({"a": np.ones(2)})


def test_jit_names_the_unhashable_static_argument():
    jf = fd.jit(lambda x, s, t=(): x, static_argnums=(1,), static_argnames=("t",))
    with pytest.raises(TypeError, match=re.escape("static argument 1[1] is a list")):
        jf(np.ones(2), ("a", [1]))
    with pytest.raises(TypeError, match=re.escape("static keyword argument 't' is a dict")):
        jf(np.ones(2), "a", t={"k": 1})


def test_vmap_grad_and_jit_name_argument_paths():
    with pytest.raises(ValueError, match=re.escape("argument 0['layers'][1]['w']: size 3")):
        fd.vmap(f)({"layers": [{"w": np.ones((2, 2))}, {"w": np.ones((3, 3))}],
                    "b": np.ones((2, 2))})
    ints = {"layers": [{"w": np.ones(2)}, {"w": np.ones(3, dtype=int)}], "b": np.ones(2)}
    with pytest.raises(TypeError, match=re.escape("argument 0['layers'][1]['w'] has dtype")):
        fd.grad(f)(ints)
    with pytest.raises(TypeError, match=re.escape("argument 0['a'][0] is a object")):
        fd.jit(lambda p: p)({"a": [object()]})
