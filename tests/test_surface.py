"""Surface parity: every name of jax.numpy that NumPy has, and every name of jax.scipy, is
in funcdiff (issue #16). A new gap fails here.

The names of JAX's modules are in tests/data/jax_surface.json (read from jax 0.10.2's
sources; jax is not a dependency). When jax is installed, its live modules are compared
too, so a newer JAX's additions show up. NumPy's side is the installed NumPy: a name counts
for funcdiff.numpy when NumPy has it as well.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads

sst = pytest.importorskip("scipy.stats")
stats = importlib.import_module("funcdiff.scipy.stats")

DATA = json.loads((Path(__file__).parent / "data" / "jax_surface.json").read_text())

# names JAX has that funcdiff spells differently on purpose, with the reason
DIFFERENT = {
    ("scipy.optimize", "OptimizeResults"): "JAX's result type of its BFGS; funcdiff's "
    "minimize returns SciPy's own scipy.optimize.OptimizeResult",
}


def _live(module):
    """The public names of jax's `module`, when jax is installed."""
    try:
        jax_module = importlib.import_module(f"jax.{module}")
    except ImportError:
        return set()
    return {n for n in dir(jax_module) if not n.startswith("_")}


@pytest.mark.parametrize("module", ["numpy", "numpy.linalg", "numpy.fft"])
def test_funcdiff_numpy_has_what_jax_numpy_and_numpy_share(module):
    numpy_module = importlib.import_module(module)
    ours = importlib.import_module(f"funcdiff.{module}")
    jax_names = set(DATA[module]) | _live(module)
    shared = sorted(n for n in jax_names if hasattr(numpy_module, n))
    missing = [n for n in shared if not hasattr(ours, n)]
    assert not missing, f"funcdiff.{module} lacks {missing}, which NumPy and JAX have"
    assert len(shared) > (300 if module == "numpy" else 10)  # (the data was read)


def test_callables_of_numpy_that_jax_has_are_callable_in_funcdiff():
    """dir(funcdiff.numpy) against the callables of numpy that jax.numpy also has."""
    names = set(DATA["numpy"]) | _live("numpy")
    callables = [n for n in names if callable(getattr(np, n, None))]
    assert len(callables) > 300
    broken = [n for n in callables if not callable(getattr(fnp, n, None))]
    assert not broken, broken


@pytest.mark.parametrize("module", sorted(k for k in DATA if k.startswith("scipy.")))
def test_funcdiff_scipy_has_what_jax_scipy_has(module):
    if module.startswith("scipy.stats."):  # a distribution: its methods
        dist = module.rpartition(".")[2]
        ours = getattr(importlib.import_module("funcdiff.scipy.stats"), dist, None)
        assert ours is not None, f"funcdiff.scipy.stats lacks {dist}"
    else:
        ours = importlib.import_module(f"funcdiff.{module}")
    names = set(DATA[module]) | _live(module)
    missing = sorted(n for n in names if not hasattr(ours, n) and (module, n) not in DIFFERENT)
    assert not missing, f"funcdiff.{module} lacks {missing}, which jax.{module} has"


def test_poisson_entropy():
    """Against SciPy (its sum over the counts) on both sides of the switch to the series,
    derivatives against finite differences, vmap and jit."""
    mu = np.array([0.0, 0.5, 3.0, 49.9, 50.1, 100.0, 1000.0])
    np.testing.assert_allclose(fd.jvp(stats.poisson.entropy, (mu,), (mu,))[0],
                               sst.poisson.entropy(mu), rtol=1e-8, atol=1e-14)
    check_grads(stats.poisson.entropy, (np.array([0.5, 3.0, 20.0, 80.0]),), order=2,
                modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.jit(stats.poisson.entropy)(mu), fd.vmap(
        stats.poisson.entropy)(mu))
    assert np.isnan(fd.jvp(stats.poisson.entropy, (-1.0,), (1.0,))[0])
