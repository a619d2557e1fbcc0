"""Generate docs/coverage.md: which checklist functions exist, and which transforms work.

    python tools/gen_coverage.py           # writes docs/coverage.md
    python tools/gen_coverage.py --check   # exit status 1 if docs/coverage.md is stale

For every name of the checklist (shared/coverage.md, sections funcdiff.numpy,
funcdiff.numpy.linalg, funcdiff.numpy.fft and funcdiff.scipy.*) the generator
looks the name up in funcdiff and, when it exists and has a probe input in
PROBES below, runs it on that small input:

- value: the eager result equals NumPy's (SciPy's) in shapes, dtypes and values;
- jvp: `funcdiff.jvp` agrees with central finite differences (`check_jvp`);
- vjp: `funcdiff.grad` of the sum of the real parts of the outputs, paired with
  a random direction, agrees with the finite difference of that sum;
- vmap: `funcdiff.vmap` over a batch of 3 inputs equals a Python loop;
- jit: `funcdiff.jit` equals the eager result;
- 2nd order: `check_grads(order=2, modes=("fwd", "rev"))`.

Functions with integer or boolean outputs have no derivative: their jvp/vjp
cells only check that the function runs under `jvp`/`vjp` with the same
value. The checklist is read from ../shared/coverage.md (relative to the
repository) when that file exists, otherwise from the copy in CHECKLIST below
(tests/test_coverage_page.py checks that the two agree). The output is
deterministic: inputs come from a seeded generator, and a failure is reported
by the exception's class name only.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff.testing import check_grads, check_jvp, numerical_jvp  # noqa: E402
from funcdiff.tree import tree_leaves  # noqa: E402

SHARED = ROOT.parent / "shared" / "coverage.md"
PAGE = ROOT / "docs" / "coverage.md"
REGENERATE = "python tools/gen_coverage.py"

# The checklist's module sections, as in shared/coverage.md (keep in sync: the test
# tests/test_coverage_page.py compares them when ../shared/coverage.md exists).
CHECKLIST = """\
## funcdiff.numpy
Arithmetic and elementwise: add subtract multiply divide true_divide
floor_divide(no grad) negative positive reciprocal power pow float_power
square sqrt cbrt abs absolute fabs sign exp exp2 expm1 log log2 log10 log1p
logaddexp logaddexp2 sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh
arcsinh arccosh arctanh asin acos atan atan2 asinh acosh atanh hypot sinc
deg2rad rad2deg degrees radians maximum minimum fmax fmin clip mod remainder
fmod heaviside(no grad) real imag conj conjugate angle real_if_close
nan_to_num where select copysign(no grad wrt sign) round/floor/ceil/trunc
(zero grad)

Comparison and logic (no gradient, but traceable and batchable): equal
not_equal less less_equal greater greater_equal logical_and logical_or
logical_not logical_xor isfinite isnan isinf isclose allclose all any
argmax argmin argsort nonzero(eager only) searchsorted

Reductions and statistics: sum prod mean var std max min amax amin ptp
cumsum cumprod nansum nanmean nanvar nanstd nanmax nanmin median percentile
quantile average trace diff gradient logsumexp(in funcdiff.scipy.special)

Shape and indexing: reshape ravel flatten(method) squeeze expand_dims
transpose permute_dims swapaxes moveaxis rollaxis atleast_1d atleast_2d
atleast_3d broadcast_to broadcast_arrays concatenate stack hstack vstack
dstack column_stack split array_split hsplit vsplit dsplit tile repeat pad
roll rot90 flip fliplr flipud diag diagonal diagflat tril triu take
take_along_axis put_along_axis(functional) sort partition(values) meshgrid
array asarray zeros_like ones_like full_like empty_like copy astype
linspace(differentiable in start/stop) eye identity zeros ones full arange

Products: dot vdot inner outer matmul tensordot einsum (opt_einsum paths)
kron cross convolve correlate polyval

## funcdiff.numpy.linalg
cholesky det slogdet inv pinv solve lstsq svd eigh eig (where NumPy's result
is well defined) qr norm (vector and matrix, every `ord` NumPy supports)
matrix_power multi_dot tensorsolve tensorinv trace

## funcdiff.numpy.fft
fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn fftshift
ifftshift fftfreq rfftfreq

## funcdiff.scipy (optional extra)
special: beta betainc betaln digamma psi polygamma erf erfc erfinv erfcinv
expit logit gamma gammaln rgamma gammasgn gammainc gammaincc multigammaln
i0 i1 iv ive j0 j1 jn y0 y1 yn logsumexp softmax log_softmax xlogy xlog1py
entr kl_div rel_entr zeta

stats: norm, t, gamma, beta, chi2, poisson, dirichlet, multivariate_normal,
logistic, laplace, uniform, expon, cauchy, binom (pdf/logpdf/pmf/logpmf,
cdf/logcdf, sf/logsf where scipy has them, differentiable in every float
parameter)

linalg: solve_triangular cho_factor cho_solve lu_factor lu_solve expm sqrtm
solve_sylvester solve_banded block_diag eigh

signal: convolve (all modes, n-d)

integrate: odeint (gradient with respect to the initial state, the time
grid and every parameter, through an adjoint ODE)
"""

# The methods SciPy has, per distribution (multivariate_normal's cdf is a random
# quasi-Monte Carlo estimate in SciPy, so it is not a reference).
_CONTINUOUS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf")
_DISCRETE = ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf")
STATS_METHODS = {"poisson": _DISCRETE, "binom": _DISCRETE, "dirichlet": ("pdf", "logpdf"),
                 "multivariate_normal": ("pdf", "logpdf")}

# the reference implementation of each funcdiff module
REFERENCE = {
    "funcdiff.numpy": "numpy", "funcdiff.numpy.linalg": "numpy.linalg",
    "funcdiff.numpy.fft": "numpy.fft", "funcdiff.scipy.special": "scipy.special",
    "funcdiff.scipy.stats": "scipy.stats", "funcdiff.scipy.linalg": "scipy.linalg",
    "funcdiff.scipy.signal": "scipy.signal", "funcdiff.scipy.integrate": "scipy.integrate",
    "funcdiff.scipy.fft": "scipy.fft", "funcdiff.scipy.ndimage": "scipy.ndimage",
    "funcdiff.scipy.interpolate": "scipy.interpolate", "funcdiff.scipy.optimize": "scipy.optimize",
}


# ------------------------------------------------------------------ the checklist
class Entry:
    """One checklist name: where it lives, its group and its checklist annotation."""

    def __init__(self, module, group, name, note="", home=None):
        self.module, self.group, self.name, self.note = module, group, name, note
        self.home = home or module  # where funcdiff defines it (logsumexp: scipy.special)

    def key(self):
        return (self.module, self.group, self.name, self.note, self.home)


_TOKEN = re.compile(r"([A-Za-z_][\w/]*)(?:\s*\(([^()]*)\))?")


def parse_checklist(text):
    """The entries of the checklist's module sections, in order."""
    entries = []
    sections = re.split(r"^## +(.+)$", text, flags=re.M)
    for title, body in zip(sections[1::2], sections[2::2]):
        module = title.split()[0]
        if not module.startswith("funcdiff."):
            continue
        for para in re.split(r"\n\s*\n", body.strip()):
            para = " ".join(para.split())
            head, sep, rest = para.partition(":")
            group = ""
            if sep and re.fullmatch(r"[\w ()\-,]+", head):
                group, para = head.strip(), rest
            mod = module
            if module == "funcdiff.scipy":
                mod, group = f"funcdiff.scipy.{group}", ""
            if mod == "funcdiff.scipy.stats":
                entries += _stats_entries(para, mod)
                continue
            for names, note in _TOKEN.findall(para):
                note = " ".join(note.split())
                home = re.search(r"in (funcdiff\.[\w.]+)", note)
                for name in names.split("/"):
                    entries.append(Entry(mod, group, name, note, home and home.group(1)))
    return entries


def _stats_entries(para, module):
    dists = [d.strip() for d in re.sub(r"\(.*\)", "", para).split(",") if d.strip()]
    return [Entry(module, d, f"{d}.{m}") for d in dists
            for m in STATS_METHODS.get(d, _CONTINUOUS)]


def checklist_text():
    """The checklist from ../shared/coverage.md when present, else the copy above."""
    if SHARED.exists():
        text = SHARED.read_text()
        return text[text.index("## funcdiff.numpy"):]
    return CHECKLIST


# ------------------------------------------------------------------ probe inputs
_rng = np.random.default_rng(20240601)


def N(*shape):  # noqa: N802
    return _rng.standard_normal(shape)


def U(lo, hi, *shape):  # noqa: N802
    return _rng.uniform(lo, hi, shape)


def C(*shape):  # noqa: N802
    return N(*shape) + 1j * N(*shape)


def SPD(n):  # noqa: N802
    a = N(n, n)
    return a @ a.T + n * np.eye(n)


class P:
    """A probe: `fn(module)` gives the function to run on `args` (a template applied
    to the funcdiff module and to the reference module alike); `ref(module)` when the
    reference is called differently. Glue inside templates uses `fnp`, which on plain
    arrays is NumPy itself. `eps`/`tol` loosen the finite-difference checks. `concrete`:
    the result's shape or dtype depends on the values, so vmap and jit (abstract values)
    do not apply."""

    def __init__(self, *args, fn=None, ref=None, eps=None, tol=None, note="", concrete=False):
        self.args, self.fn, self.ref, self.eps, self.tol, self.note = (
            args, fn, ref, eps, tol, note)
        self.concrete = concrete


def _sym(a):
    """The symmetric part: a symmetric-matrix argument varies along symmetric directions."""
    return (a + fnp.swapaxes(a, -1, -2)) / 2


_SYM = "input symmetrized"


def _gauge(res):
    """Decomposition outputs with the arbitrary signs/phases of the vectors removed."""
    return tuple(abs(r) if fnp.ndim(r) == 2 else r for r in res)


PROBES = {}


def probes(module, table):
    for name, p in table.items():
        PROBES[(module, name)] = p


# -- funcdiff.numpy
_pos = ["sqrt", "log", "log2", "log10", "log1p", "reciprocal", "square", "exp", "exp2",
        "expm1", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "arcsinh", "arctanh", "asin", "acos", "atan", "asinh", "atanh"]
_real = ["negative", "positive", "cbrt", "abs", "absolute", "fabs", "sign", "sinc", "deg2rad",
         "rad2deg", "degrees", "radians", "round", "floor", "ceil", "trunc"]
_binary = ["add", "subtract", "multiply", "divide", "true_divide", "logaddexp", "logaddexp2",
           "arctan2", "atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "copysign",
           "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
probes("funcdiff.numpy", {n: P(U(0.2, 0.9, 2, 3)) for n in _pos})
probes("funcdiff.numpy", {n: P(3 * N(2, 3)) for n in _real})
probes("funcdiff.numpy", {n: P(N(2, 3), N(3)) for n in _binary})
probes("funcdiff.numpy", {n: P(U(0.5, 2, 2, 3), U(0.5, 2, 3)) for n in
                          ("power", "pow", "float_power")})
probes("funcdiff.numpy", {n: P(U(1, 5, 2, 3), U(0.7, 1.9, 3)) for n in
                          ("mod", "remainder", "fmod", "floor_divide")})
probes("funcdiff.numpy", {n: P(C(2, 3)) for n in ("real", "imag", "conj", "conjugate", "angle")})
probes("funcdiff.numpy", {n: P(U(1.2, 2, 2, 3)) for n in ("arccosh", "acosh")})
_special_values = np.array([[1.5, np.nan, -0.5], [np.inf, -2.0, -np.inf]])
probes("funcdiff.numpy", {
    "clip": P(N(2, 3), fn=lambda m: lambda x: m.clip(x, -0.5, 0.5)),
    "heaviside": P(N(2, 3), fn=lambda m: lambda x: m.heaviside(x, 0.5)),
    "real_if_close": P(C(3), concrete=True, note="the result's dtype depends on the values"),
    "nan_to_num": P(_special_values, fn=lambda m: lambda x: m.nan_to_num(x, posinf=3.0,
                                                                         neginf=-3.0)),
    "where": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.where(x > 0, x, y)),
    "select": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.select([x > 0.5, x < -0.5], [x, y],
                                                                  0.0)),
    "logical_and": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.logical_and(x > 0, y > 0)),
    "logical_or": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.logical_or(x > 0, y > 0)),
    "logical_xor": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.logical_xor(x > 0, y > 0)),
    "logical_not": P(N(2, 3), fn=lambda m: lambda x: m.logical_not(x > 0)),
    "isfinite": P(_special_values), "isnan": P(_special_values), "isinf": P(_special_values),
    "isclose": P(np.array([1.0, 2.0, 3.0]), np.array([1.0 + 1e-9, 2.1, 3.0 - 1e-7])),
    "allclose": P(np.array([1.0, 2.0, 3.0]), np.array([1.0 + 1e-9, 2.0, 3.0 - 1e-7])),
    "all": P(N(2, 3), fn=lambda m: lambda x: m.all(x > -1, axis=0)),
    "any": P(N(2, 3), fn=lambda m: lambda x: m.any(x > 1, axis=0)),
    "argmax": P(N(2, 3), fn=lambda m: lambda x: m.argmax(x, axis=1)),
    "argmin": P(N(2, 3), fn=lambda m: lambda x: m.argmin(x, axis=1)),
    "argsort": P(N(2, 3), fn=lambda m: lambda x: m.argsort(x, axis=0)),
    "nonzero": P(N(2, 3), fn=lambda m: lambda x: m.nonzero(x > 0), concrete=True,
                 note="the result's shape depends on the values"),
    "searchsorted": P(np.array([-1.0, 0.0, 0.5, 2.0]), N(3)),
})
_axis0 = ["sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "ptp"]
probes("funcdiff.numpy", {n: P(N(3, 4), fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=0))
                          for n in _axis0})
_with_nan = N(3, 4)
_with_nan[0, 1] = np.nan
probes("funcdiff.numpy", {n: P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=0))
                          for n in ("nansum", "nanmean", "nanvar", "nanstd", "nanmax",
                                    "nanmin")})
probes("funcdiff.numpy", {
    "cumsum": P(N(3, 4), fn=lambda m: lambda x: m.cumsum(x, axis=1)),
    "cumprod": P(N(3, 4), fn=lambda m: lambda x: m.cumprod(x, axis=1)),
    "median": P(N(3, 4), fn=lambda m: lambda x: m.median(x, axis=1)),
    "percentile": P(N(3, 4), fn=lambda m: lambda x: m.percentile(x, 30.0, axis=1)),
    "quantile": P(N(3, 4), fn=lambda m: lambda x: m.quantile(x, [0.25, 0.5], axis=0)),
    "average": P(N(3, 4), U(0.5, 2, 3, 4),
                 fn=lambda m: lambda x, w: m.average(x, axis=1, weights=w)),
    "trace": P(N(3, 3)),
    "diff": P(N(3, 4), fn=lambda m: lambda x: m.diff(x, axis=0)),
    "gradient": P(N(3, 4), fn=lambda m: lambda x: m.gradient(x, 0.5)),
    "logsumexp": P(N(3, 4), fn=lambda m: lambda x: m.logsumexp(x, axis=1)),
})
_idx = np.argsort(N(2, 3), axis=1)
probes("funcdiff.numpy", {
    "reshape": P(N(2, 3), fn=lambda m: lambda x: m.reshape(x, (3, 2))),
    "ravel": P(N(2, 3)),
    "flatten": P(N(2, 3), fn=lambda m: lambda x: x.flatten(), note="the method `x.flatten()`"),
    "squeeze": P(N(1, 3)),
    "expand_dims": P(N(2, 3), fn=lambda m: lambda x: m.expand_dims(x, 1)),
    "transpose": P(N(2, 3)),
    "permute_dims": P(N(2, 3), fn=lambda m: lambda x: m.permute_dims(x, (1, 0))),
    "swapaxes": P(N(2, 3), fn=lambda m: lambda x: m.swapaxes(x, 0, 1)),
    "moveaxis": P(N(2, 3, 4), fn=lambda m: lambda x: m.moveaxis(x, 0, -1)),
    "rollaxis": P(N(2, 3, 4), fn=lambda m: lambda x: m.rollaxis(x, 2)),
    "atleast_1d": P(np.float64(0.5) * N()),
    "atleast_2d": P(N(3)),
    "atleast_3d": P(N(2, 3)),
    "broadcast_to": P(N(3), fn=lambda m: lambda x: m.broadcast_to(x, (2, 3))),
    "broadcast_arrays": P(N(3), N(2, 1)),
    "concatenate": P(N(2, 3), N(1, 3), fn=lambda m: lambda x, y: m.concatenate([x, y])),
    "stack": P(N(2, 3), N(2, 3), fn=lambda m: lambda x, y: m.stack([x, y], axis=1)),
    "hstack": P(N(2, 3), N(2, 1), fn=lambda m: lambda x, y: m.hstack([x, y])),
    "vstack": P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.vstack([x, y])),
    "dstack": P(N(2, 3), N(2, 3), fn=lambda m: lambda x, y: m.dstack([x, y])),
    "column_stack": P(N(3), N(3, 2), fn=lambda m: lambda x, y: m.column_stack([x, y])),
    "split": P(N(4, 3), fn=lambda m: lambda x: m.split(x, 2)),
    "array_split": P(N(5, 3), fn=lambda m: lambda x: m.array_split(x, 3)),
    "hsplit": P(N(2, 4), fn=lambda m: lambda x: m.hsplit(x, 2)),
    "vsplit": P(N(4, 2), fn=lambda m: lambda x: m.vsplit(x, 2)),
    "dsplit": P(N(2, 2, 4), fn=lambda m: lambda x: m.dsplit(x, 2)),
    "tile": P(N(2, 3), fn=lambda m: lambda x: m.tile(x, (2, 1))),
    "repeat": P(N(2, 3), fn=lambda m: lambda x: m.repeat(x, 2, axis=0)),
    "pad": P(N(2, 3), fn=lambda m: lambda x: m.pad(x, 1)),
    "roll": P(N(2, 3), fn=lambda m: lambda x: m.roll(x, 1, axis=1)),
    "rot90": P(N(2, 3)), "flip": P(N(2, 3), fn=lambda m: lambda x: m.flip(x, 0)),
    "fliplr": P(N(2, 3)), "flipud": P(N(2, 3)),
    "diag": P(N(3)), "diagonal": P(N(3, 3)), "diagflat": P(N(2, 2)),
    "tril": P(N(3, 3)), "triu": P(N(3, 3)),
    "take": P(N(2, 3), fn=lambda m: lambda x: m.take(x, [0, 2, 2], axis=1)),
    "take_along_axis": P(N(2, 3), fn=lambda m: lambda x: m.take_along_axis(x, _idx, axis=1)),
    "put_along_axis": P(N(2, 3), N(2, 1),
                        fn=lambda m: lambda x, v: m.put_along_axis(x, _idx[:, :1], v, axis=1),
                        ref=lambda m: lambda x, v: _put_along_axis_copy(x, _idx[:, :1], v, 1)),
    "sort": P(N(3, 4), fn=lambda m: lambda x: m.sort(x, axis=0)),
    "partition": P(N(2, 5), fn=lambda m: lambda x: m.partition(x, 1)),
    "meshgrid": P(N(3), N(2)),
    "array": P(N(3), N(3), fn=lambda m: lambda x, y: m.array([x, y])),
    "asarray": P(N(2, 3)),
    "zeros_like": P(N(2, 3)), "ones_like": P(N(2, 3)),
    "empty_like": P(N(2, 3), fn=lambda m: lambda x: m.shape(m.empty_like(x)),
                    note="its shape (the values are undefined)"),
    "full_like": P(N(2, 3), N(), fn=lambda m: lambda x, s: m.full_like(x, s)),
    "copy": P(N(2, 3)),
    "astype": P(N(2, 3).astype(np.float32), fn=lambda m: lambda x: m.astype(x, np.float64)),
    "linspace": P(N(), N(), fn=lambda m: lambda a, b: m.linspace(a, b, 5)),
    "eye": P(N(), fn=lambda m: lambda s: s * m.eye(3)),
    "identity": P(N(), fn=lambda m: lambda s: s * m.identity(3)),
    "zeros": P(N(), fn=lambda m: lambda s: s + m.zeros((2, 3))),
    "ones": P(N(), fn=lambda m: lambda s: s * m.ones((2, 3))),
    "full": P(N(), fn=lambda m: lambda s: m.full((2, 3), s)),
    "arange": P(N(), fn=lambda m: lambda s: s * m.arange(4.0)),
    "dot": P(N(2, 3), N(3, 2)), "vdot": P(C(3), C(3)), "inner": P(N(2, 3), N(4, 3)),
    "outer": P(N(3), N(2)), "matmul": P(N(2, 3), N(3, 4)),
    "tensordot": P(N(2, 3, 4), N(3, 4, 2)),
    "einsum": P(N(2, 3), N(3, 4), N(4),
                fn=lambda m: lambda a, b, c: m.einsum("ij,jk,k->i", a, b, c)),
    "kron": P(N(2, 2), N(2, 3)), "cross": P(N(3), N(3)),
    "convolve": P(N(5), N(3)),
    "correlate": P(N(5), N(3), fn=lambda m: lambda a, v: m.correlate(a, v, "full")),
    "polyval": P(N(4), N(3)),
})


def _put_along_axis_copy(x, idx, v, axis):
    out = np.array(x, copy=True)
    np.put_along_axis(out, idx, v, axis)
    return out


# -- funcdiff.numpy.linalg
_Q = N(3, 3) + 3 * np.eye(3)
_EIG = _Q @ np.diag([1.0, 2.0, 3.5]) @ np.linalg.inv(_Q)  # distinct real eigenvalues
_ORDS = (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)
_VORDS = (None, 1, 2, 3, np.inf, -np.inf, 0.5)


def _norms(m):
    def f(a):
        return (tuple(m.norm(a, o) for o in _ORDS), tuple(m.norm(a[0], o) for o in _VORDS))

    return f


probes("funcdiff.numpy.linalg", {
    "cholesky": P(SPD(3), fn=lambda m: lambda a: m.cholesky(_sym(a)), note=_SYM),
    "det": P(N(3, 3)), "slogdet": P(N(3, 3)), "inv": P(N(3, 3)),
    "pinv": P(N(3, 2)), "solve": P(N(3, 3), N(3, 2)),
    "lstsq": P(N(4, 2), N(4), fn=lambda m: lambda a, b: m.lstsq(a, b, rcond=None)),
    "svd": P(N(3, 2), fn=lambda m: lambda a: _gauge(m.svd(a, full_matrices=False)),
             note="|U|, S, |Vh| (signs are arbitrary)"),
    "eigh": P(SPD(3), fn=lambda m: lambda a: _gauge(m.eigh(_sym(a))), note="w, |v|; " + _SYM),
    "eig": P(_EIG, fn=lambda m: lambda a: _gauge(m.eig(a)), note="w, |v|"),
    "qr": P(N(3, 2)),
    "norm": P(N(3, 4), fn=_norms, note="every matrix and vector `ord`"),
    "matrix_power": P(N(3, 3), fn=lambda m: lambda a: m.matrix_power(a, 3)),
    "multi_dot": P(N(2, 3), N(3, 4), N(4, 2),
                   fn=lambda m: lambda a, b, c: m.multi_dot([a, b, c])),
    "tensorsolve": P(N(2, 3, 6), N(2, 3)),
    "tensorinv": P(N(2, 3, 6), fn=lambda m: lambda a: m.tensorinv(a, ind=2)),
    "trace": P(N(3, 3)),
})


# -- funcdiff.numpy.fft
_Z, _X, _H = C(4, 6), N(4, 6), C(4, 4)
probes("funcdiff.numpy.fft", {
    **{n: P(_Z) for n in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn")},
    **{n: P(_X) for n in ("rfft", "rfft2", "rfftn", "fftshift", "ifftshift")},
    **{n: P(_H) for n in ("irfft", "irfft2", "irfftn")},
    "fftfreq": P(U(0.5, 2), fn=lambda m: lambda d: m.fftfreq(6, d)),
    "rfftfreq": P(U(0.5, 2), fn=lambda m: lambda d: m.rfftfreq(6, d)),
})

# -- funcdiff.scipy.special
_ab = (U(0.5, 3, 3), U(0.5, 3, 3))
probes("funcdiff.scipy.special", {
    "beta": P(*_ab), "betaln": P(*_ab), "betainc": P(*_ab, U(0.2, 0.8, 3)),
    **{n: P(U(0.5, 3, 3)) for n in ("digamma", "psi", "gamma", "gammaln", "rgamma",
                                     "gammasgn", "i0", "i1", "j0", "j1", "y0", "y1")},
    "polygamma": P(U(0.5, 3, 3), fn=lambda m: lambda x: m.polygamma(1, x)),
    **{n: P(N(3)) for n in ("erf", "erfc", "expit")},
    "erfinv": P(U(-0.8, 0.8, 3)), "erfcinv": P(U(0.2, 1.8, 3)), "logit": P(U(0.2, 0.8, 3)),
    "gammainc": P(U(0.5, 3, 3), U(0.5, 3, 3)), "gammaincc": P(U(0.5, 3, 3), U(0.5, 3, 3)),
    "multigammaln": P(U(2, 3, 3), fn=lambda m: lambda a: m.multigammaln(a, 2)),
    "iv": P(U(0.5, 3, 3), fn=lambda m: lambda x: m.iv(1.5, x)),
    "ive": P(U(0.5, 3, 3), fn=lambda m: lambda x: m.ive(1.5, x)),
    "jn": P(U(0.5, 3, 3), fn=lambda m: lambda x: m.jn(2, x)),
    "yn": P(U(0.5, 3, 3), fn=lambda m: lambda x: m.yn(2, x)),
    "logsumexp": P(N(3, 4), fn=lambda m: lambda x: m.logsumexp(x, axis=1)),
    "softmax": P(N(3, 4), fn=lambda m: lambda x: m.softmax(x, axis=1)),
    "log_softmax": P(N(3, 4), fn=lambda m: lambda x: m.log_softmax(x, axis=1)),
    **{n: P(U(0.5, 2, 3), U(0.5, 2, 3)) for n in ("xlogy", "xlog1py", "kl_div", "rel_entr")},
    "entr": P(U(0.2, 2, 3)),
    "zeta": P(U(0.5, 2, 3), fn=lambda m: lambda q: m.zeta(2.5, q)),
})


# -- funcdiff.scipy.stats: every float parameter is a probe argument
def _dist(name, x, *params):
    for method in STATS_METHODS.get(name, _CONTINUOUS):
        PROBES[("funcdiff.scipy.stats", f"{name}.{method}")] = P(
            x, *params,
            fn=lambda m, name=name, method=method: getattr(getattr(m, name), method))


_loc_scale = (np.float64(0.1), np.float64(1.3))
_dist("norm", N(3), *_loc_scale)
_dist("t", N(3), np.float64(4.5), *_loc_scale)
_dist("gamma", U(0.5, 3, 3), np.float64(2.5), *_loc_scale)
_dist("beta", U(0.2, 0.8, 3), np.float64(2.5), np.float64(1.5), np.float64(-0.1),
      np.float64(1.3))
_dist("chi2", U(0.5, 3, 3), np.float64(3.5), *_loc_scale)
_dist("logistic", N(3), *_loc_scale)
_dist("laplace", N(3), *_loc_scale)
_dist("uniform", U(0.3, 0.9, 3), *_loc_scale)
_dist("expon", U(0.5, 3, 3), *_loc_scale)
_dist("cauchy", N(3), *_loc_scale)
_K = np.array([0, 2, 5])
for _m in _DISCRETE:
    PROBES[("funcdiff.scipy.stats", f"poisson.{_m}")] = P(
        np.float64(2.5), fn=lambda m, _m=_m: lambda mu: getattr(m.poisson, _m)(_K, mu))
    PROBES[("funcdiff.scipy.stats", f"binom.{_m}")] = P(
        np.float64(0.35), fn=lambda m, _m=_m: lambda p: getattr(m.binom, _m)(_K, 10, p))
_SIMPLEX = np.array([0.2, 0.3, 0.5])
for _m in ("pdf", "logpdf"):
    PROBES[("funcdiff.scipy.stats", f"dirichlet.{_m}")] = P(
        U(0.5, 3, 3), fn=lambda m, _m=_m: lambda a: getattr(m.dirichlet, _m)(_SIMPLEX, a))
    PROBES[("funcdiff.scipy.stats", f"multivariate_normal.{_m}")] = P(
        N(3), N(3), SPD(3), note=_SYM,
        fn=lambda m, _m=_m: lambda x, mu, c: getattr(m.multivariate_normal, _m)(x, mu, _sym(c)))

# -- funcdiff.scipy.linalg, signal, integrate
_A = SPD(3)
_LU_PIV = None


def _lu_piv():
    global _LU_PIV
    if _LU_PIV is None:
        import scipy.linalg

        _LU_PIV = scipy.linalg.lu_factor(_A + N(3, 3))
    return _LU_PIV


_banded = N(3, 4)
_banded[1] += 4.0
probes("funcdiff.scipy.linalg", {
    "solve_triangular": P(np.tril(N(3, 3)) + 3 * np.eye(3), N(3, 2),
                          fn=lambda m: lambda a, b: m.solve_triangular(a, b, lower=True)),
    "cho_factor": P(_A, fn=lambda m: lambda a: fnp.tril(m.cho_factor(_sym(a), lower=True)[0]),
                    note="lower triangle; " + _SYM),
    "cho_solve": P(np.linalg.cholesky(_A), N(3, 2),
                   fn=lambda m: lambda c, b: m.cho_solve((c, True), b)),
    "lu_factor": P(_A + N(3, 3)),
    "lu_solve": P(_A + N(3, 3), N(3),
                  fn=lambda m: lambda lu, b: m.lu_solve((lu, _lu_piv()[1]), b)),
    "expm": P(0.5 * N(3, 3)), "sqrtm": P(SPD(3)),
    "solve_sylvester": P(N(3, 3), N(2, 2), N(3, 2)),
    "solve_banded": P(_banded, N(4), fn=lambda m: lambda ab, b: m.solve_banded((1, 1), ab, b)),
    "block_diag": P(N(2, 2), N(1, 3)),
    "eigh": P(SPD(3), fn=lambda m: lambda a: _gauge(m.eigh(_sym(a))), note="w, |v|; " + _SYM),
})
probes("funcdiff.scipy.signal", {
    "convolve": P(N(4, 5), N(2, 3), fn=lambda m: lambda a, b: tuple(
        m.convolve(a, b, mode) for mode in ("full", "same", "valid")), note="all modes, 2-d"),
})


def _decay(y, t, k):
    return -k * y


probes("funcdiff.scipy.integrate", {
    "odeint": P(np.array([1.0, 0.5]), np.array([0.0, 0.4, 1.0]), np.float64(0.7),
                fn=lambda m: lambda y0, t, k: m.odeint(_decay, y0, t, k),
                ref=lambda m: lambda y0, t, k: m.odeint(_decay, y0, t, args=(k,), rtol=1e-11,
                                                        atol=1e-11),
                eps=1e-3, tol=1e-4),
})


# ------------------------------------------------------------------ beyond the checklist
# Probe inputs of the public names the checklist does not list (EXTRA), and the public
# names that are not functions of arrays, with the reason (NOT_APPLICABLE). The page's
# last sections show them; tests/test_walk.py walks them with PROBES under grad/jvp.
STATS = "funcdiff.scipy.stats"
_spd = SPD


_with_nan = N(3, 4)
_with_nan[1, 2] = np.nan
_choice = np.array([[0, 1, 0], [1, 1, 0]])
_Q = N(3, 3) + 3 * np.eye(3)
_EIG = _Q @ np.diag([1.0, 2.0, 3.5]) @ np.linalg.inv(_Q)  # distinct real eigenvalues
_loc_scale = (np.float64(0.2), np.float64(1.4))


_PLACE_MASK = np.array([[True, False, True], [False, True, True]])


def _on_copy(fn, a, *args):
    """NumPy's in-place `fn` on a copy of `a`, returning the copy."""
    a = np.array(a)
    fn(a, *args)
    return a


def _at(m):
    def f(x, v):
        a = m.at(x)
        return (a[0, 1].set(v[0]), a[:, [0, 0]].add(v[:, None]),
                a[:, [0, 0]].subtract(v[:, None]), a[1, 1:].multiply(v),
                a[:, 2].min(v), a[:, 2].max(v), a[1].get())

    return f


def _indices_from(name):
    def template(m):
        def f(x):
            idx = getattr(m, name)(x)
            return idx, x[idx]  # the integer indices, and a gather through them

        return f

    return template


EXTRA = {
    # -- funcdiff.numpy
    ("funcdiff.numpy", "shape"): P(N(2, 3), fn=lambda m: lambda x: np.array(m.shape(x))),
    ("funcdiff.numpy", "ndim"): P(N(2, 3)),
    ("funcdiff.numpy", "size"): P(N(2, 3)),
    ("funcdiff.numpy", "result_type"): P(
        N(2, 3).astype(np.float32),
        fn=lambda m: lambda x: m.astype(x, m.result_type(x, np.float64))),
    ("funcdiff.numpy", "isscalar"): P(N(2, 3), fn=lambda m: lambda x: np.array(m.isscalar(x))),
    ("funcdiff.numpy", "iscomplexobj"): P(C(3), fn=lambda m: lambda x: np.array(
        m.iscomplexobj(x))),
    ("funcdiff.numpy", "isrealobj"): P(N(3), fn=lambda m: lambda x: np.array(m.isrealobj(x))),
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64), m.astype(3 * x, np.int64)))
       for n in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    ("funcdiff.numpy", "invert"): P(N(2, 3), fn=lambda m: lambda x: m.invert(x > 0)),
    ("funcdiff.numpy", "rint"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "around"): P(3 * N(2, 3), fn=lambda m: lambda x: m.around(x, 1)),
    ("funcdiff.numpy", "fix"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "cumulative_sum"): P(N(3, 4), fn=lambda m: lambda x: m.cumulative_sum(
        x, axis=1, include_initial=True)),
    ("funcdiff.numpy", "cumulative_prod"): P(N(3, 4), fn=lambda m: lambda x: m.cumulative_prod(
        x, axis=0)),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=1))
       for n in ("nanprod", "nancumsum", "nancumprod")},
    ("funcdiff.numpy", "matrix_transpose"): P(N(2, 3, 4)),
    ("funcdiff.numpy", "concat"): P(N(2, 3), N(2, 1), fn=lambda m: lambda x, y: m.concat(
        [x, y], axis=1)),
    ("funcdiff.numpy", "unstack"): P(N(3, 4), fn=lambda m: lambda x: m.unstack(x, axis=1)),
    ("funcdiff.numpy", "at"): P(N(2, 3), N(2), fn=_at),
    ("funcdiff.numpy", "compress"): P(N(2, 3), fn=lambda m: lambda x: m.compress(
        [True, False, True], x, axis=1)),
    ("funcdiff.numpy", "extract"): P(N(2, 3), fn=lambda m: lambda x: m.extract(x > 0, x)),
    ("funcdiff.numpy", "argwhere"): P(N(2, 3), fn=lambda m: lambda x: m.argwhere(x > 0)),
    ("funcdiff.numpy", "flatnonzero"): P(N(2, 3), fn=lambda m: lambda x: m.flatnonzero(x > 0)),
    ("funcdiff.numpy", "choose"): P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.choose(
        _choice, [x, y])),
    **{("funcdiff.numpy", n): P(N(3, 3), fn=_indices_from(n))
       for n in ("diag_indices_from", "tril_indices_from", "triu_indices_from")},
    ("funcdiff.numpy", "vecdot"): P(C(2, 3), C(3)),
    ("funcdiff.numpy", "matvec"): P(N(2, 3, 4), N(4)),
    ("funcdiff.numpy", "vecmat"): P(N(3), N(2, 3, 4)),
    ("funcdiff.numpy", "argpartition"): P(N(2, 5), fn=lambda m: lambda x: m.argpartition(
        x, 1, axis=1)),
    # -- funcdiff.numpy.linalg
    ("funcdiff.numpy.linalg", "eigvalsh"): P(_spd(3), fn=lambda m: lambda a: m.eigvalsh(
        _sym(a))),
    ("funcdiff.numpy.linalg", "eigvals"): P(_EIG),
    ("funcdiff.numpy.linalg", "svdvals"): P(N(3, 2)),
    ("funcdiff.numpy.linalg", "vector_norm"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.vector_norm(x, axis=1, ord=o) for o in (1, 2, 3, np.inf, -np.inf, 0.5))),
    ("funcdiff.numpy.linalg", "matrix_norm"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.matrix_norm(x, ord=o) for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf))),
    ("funcdiff.numpy.linalg", "cond"): P(N(3, 3), fn=lambda m: lambda x: tuple(
        m.cond(x, p) for p in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf))),
    ("funcdiff.numpy.linalg", "matrix_rank"): P(N(3, 4)),
    ("funcdiff.numpy.linalg", "diagonal"): P(N(2, 3, 3), fn=lambda m: lambda x: m.diagonal(
        x, offset=1)),
    ("funcdiff.numpy.linalg", "matrix_transpose"): P(N(2, 3, 4)),
    ("funcdiff.numpy.linalg", "matmul"): P(N(2, 3), N(3, 4)),
    ("funcdiff.numpy.linalg", "outer"): P(N(3), N(2)),
    ("funcdiff.numpy.linalg", "cross"): P(N(2, 3), N(3)),
    ("funcdiff.numpy.linalg", "vecdot"): P(N(2, 3), N(3)),
    ("funcdiff.numpy.linalg", "tensordot"): P(N(2, 3, 4), N(3, 4, 2)),
    # -- funcdiff.numpy.fft
    ("funcdiff.numpy.fft", "hfft"): P(C(4, 4)),
    ("funcdiff.numpy.fft", "ihfft"): P(N(4, 6)),
    # -- funcdiff.scipy.special
    ("funcdiff.scipy.special", "betaincc"): P(U(0.5, 3, 3), U(0.5, 3, 3), U(0.2, 0.8, 3)),
    ("funcdiff.scipy.special", "log_expit"): P(3 * N(3)),
    ("funcdiff.scipy.special", "loggamma"): P(U(0.5, 3, 3)),
    ("funcdiff.scipy.special", "jv"): P(U(0.5, 3, 3), fn=lambda m: lambda x: m.jv(1.5, x)),
    ("funcdiff.scipy.special", "ndtr"): P(N(3)),
    ("funcdiff.scipy.special", "ndtri"): P(U(0.2, 0.8, 3)),
    ("funcdiff.scipy.special", "log_ndtr"): P(3 * N(3)),
    ("funcdiff.scipy.special", "stdtr"): P(U(2, 5, 3), N(3)),
    # -- funcdiff.numpy, #16's first names
    ("funcdiff.numpy", "append"): P(N(2, 3), N(4)),
    ("funcdiff.numpy", "delete"): P(N(2, 4), fn=lambda m: lambda x: m.delete(x, [0, 2], axis=1)),
    ("funcdiff.numpy", "ediff1d"): P(N(2, 3), fn=lambda m: lambda x: m.ediff1d(x, to_end=[1.0])),
    ("funcdiff.numpy", "trapezoid"): P(N(5), np.cumsum(U(0.5, 1.5, 5))),
    **{("funcdiff.numpy", n): P(np.array([np.inf, -np.inf, 1.0, -2.0]))
       for n in ("isposinf", "isneginf")},
    ("funcdiff.numpy", "isreal"): P(C(3)),
    ("funcdiff.numpy", "iscomplex"): P(C(3)),
    ("funcdiff.numpy", "count_nonzero"): P(N(2, 3), fn=lambda m: lambda x: m.count_nonzero(
        x > 0, axis=1)),
    ("funcdiff.numpy", "array_equal"): P(N(2, 3), fn=lambda m: lambda x: np.array(
        m.array_equal(x, x))),
    ("funcdiff.numpy", "array_equiv"): P(N(2, 3), fn=lambda m: lambda x: np.array(
        m.array_equiv(x, x[0]))),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=1))
       for n in ("nanargmax", "nanargmin")},
    ("funcdiff.numpy", "cov"): P(N(3, 5)),
    ("funcdiff.numpy", "corrcoef"): P(N(3, 5)),
    ("funcdiff.numpy", "vander"): P(N(4), fn=lambda m: lambda x: m.vander(x, 3)),
    ("funcdiff.numpy", "logspace"): P(N(), N(), fn=lambda m: lambda a, b: m.logspace(a, b, 4)),
    ("funcdiff.numpy", "geomspace"): P(U(1, 2), U(3, 5),
                                       fn=lambda m: lambda a, b: m.geomspace(a, b, 4)),
    **{("funcdiff.numpy", n): P(N(4), N(2)) for n in ("polyadd", "polysub", "polymul")},
    ("funcdiff.numpy", "polyder"): P(N(4)),
    ("funcdiff.numpy", "polyint"): P(N(4)),
    ("funcdiff.numpy", "interp"): P(U(0.2, 3.8, 5), N(5), fn=lambda m: lambda x, f: m.interp(
        x, np.array([0.0, 1.0, 2.0, 3.0, 4.0]), f)),
    ("funcdiff.numpy", "signbit"): P(N(2, 3)),
    ("funcdiff.numpy", "divmod"): P(3 * N(2, 3), U(1, 2, 2, 3)),
    ("funcdiff.numpy", "ldexp"): P(N(2, 3), fn=lambda m: lambda x: m.ldexp(x, 3)),
    ("funcdiff.numpy", "modf"): P(U(0.2, 0.8, 3) + np.array([1.0, -3.0, 2.0])),
    ("funcdiff.numpy", "unwrap"): P(np.cumsum(U(0.5, 2.5, 6))),
    ("funcdiff.numpy", "resize"): P(N(3), fn=lambda m: lambda x: m.resize(x, (2, 4))),
    # (data-dependent sizes: the probes keep their zeros and ties under perturbation)
    ("funcdiff.numpy", "trim_zeros"): P(N(5), fn=lambda m: lambda x: m.trim_zeros(
        x * np.array([0.0, 0.0, 1.0, 1.0, 0.0]))),
    ("funcdiff.numpy", "unique"): P(N(3), fn=lambda m: lambda x: m.unique(
        m.concatenate([x, x[:2]]))),
    ("funcdiff.numpy", "union1d"): P(N(3), fn=lambda m: lambda x: m.union1d(x, x[1:] * 1.0)),
    ("funcdiff.numpy", "intersect1d"): P(N(3), fn=lambda m: lambda x: m.intersect1d(x, x[:2])),
    ("funcdiff.numpy", "setdiff1d"): P(N(3), fn=lambda m: lambda x: m.setdiff1d(x, x[:1])),
    ("funcdiff.numpy", "isin"): P(np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])),
    ("funcdiff.numpy", "digitize"): P(U(0, 3, 4), fn=lambda m: lambda x: m.digitize(
        x, np.array([0.5, 1.5, 2.5]))),
    ("funcdiff.numpy", "block"): P(N(2, 2), N(2, 3), N(1, 5), fn=lambda m: lambda a, b, c: m.block(
        [[a, b], [c]])),
    ("funcdiff.numpy", "r_"): P(N(2), N(3), fn=lambda m: lambda a, b: m.r_[a, b]),
    ("funcdiff.numpy", "c_"): P(N(3), N(3), fn=lambda m: lambda a, b: m.c_[a, b]),
    ("funcdiff.numpy", "bincount"): P(N(4), fn=lambda m: lambda w: m.bincount(
        np.array([0, 1, 1, 3]), weights=w)),
    ("funcdiff.numpy", "histogram"): P(N(5), N(5), fn=lambda m: lambda a, w: m.histogram(
        np.array([-0.7, 0.2, 0.3, 1.1, 1.9]), [-1.0, 0.0, 0.5, 2.0], weights=w)[0]),
    ("funcdiff.numpy", "poly"): P(N(3)),
    ("funcdiff.numpy", "polydiv"): P(N(5), np.array([2.0, 1.0, -0.5])),
    ("funcdiff.numpy", "polyfit"): P(np.cumsum(U(0.5, 1.5, 8)), N(8),
                                     fn=lambda m: lambda x, y: m.polyfit(x, y, 2)),
    ("funcdiff.numpy", "roots"): P(np.array([1.0, -3.5, 2.0])),
    ("funcdiff.numpy", "apply_along_axis"): P(N(2, 3), fn=lambda m: lambda a: m.apply_along_axis(
        lambda v: v[::-1] * v, 1, a)),
    ("funcdiff.numpy", "apply_over_axes"): P(N(2, 3), fn=lambda m: lambda a: m.apply_over_axes(
        m.sum, a, [0, 1])),
    ("funcdiff.numpy", "piecewise"): P(np.array([-1.5, -0.3, 0.4, 2.0]), fn=lambda m: lambda x: (
        m.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2]))),
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64), m.astype(abs(x) + 1, np.int64)))
       for n in ("left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift",
                 "gcd", "lcm")},
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64)))
       for n in ("bitwise_count", "bitwise_invert", "bitwise_not")},
    ("funcdiff.numpy", "unique_values"): P(N(3), fn=lambda m: lambda x: m.unique_values(
        m.concatenate([x, x[:2]]))),
    **{("funcdiff.numpy", n): P(N(3), fn=lambda m, n=n: lambda x: tuple(getattr(m, n)(
        m.concatenate([x, x[:2]]))))
       for n in ("unique_counts", "unique_inverse", "unique_all")},
    ("funcdiff.numpy", "setxor1d"): P(N(3), fn=lambda m: lambda x: m.setxor1d(x, x[:1])),
    ("funcdiff.numpy", "histogram_bin_edges"): P(N(5), fn=lambda m: lambda x: m.histogram_bin_edges(
        np.array([0.0, 1.0, 3.0]) + 0 * m.sum(x), 3)),
    ("funcdiff.numpy", "sort_complex"): P(C(4)),
    ("funcdiff.numpy", "lexsort"): P(N(4), N(4), fn=lambda m: lambda a, b: m.lexsort((a, b))),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(
        x, *((0.3,) if n != "nanmedian" else ()), axis=1))
       for n in ("nanmedian", "nanquantile")},
    ("funcdiff.numpy", "nanpercentile"): P(_with_nan, fn=lambda m: lambda x: m.nanpercentile(
        x, 30.0, axis=1)),
    ("funcdiff.numpy", "vectorize"): P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.vectorize(
        lambda a, b: m.sum(m.sin(a) * b), signature="(n),(n)->()")(x, y)),
    ("funcdiff.numpy", "insert"): P(N(3, 4), N(2), fn=lambda m: lambda a, b: m.insert(
        a, [1, 3], b, axis=1)),
    ("funcdiff.numpy", "fill_diagonal"): P(N(3, 4), N(3), fn=lambda m: lambda a, v: (
        m.fill_diagonal(a, v, inplace=False)),
        ref=lambda m: lambda a, v: _on_copy(m.fill_diagonal, a, v)),
    ("funcdiff.numpy", "place"): P(N(2, 3), N(2), fn=lambda m: lambda a, v: m.place(
        a, _PLACE_MASK, v, inplace=False), ref=lambda m: lambda a, v: _on_copy(
            m.place, a, _PLACE_MASK, v)),
    ("funcdiff.numpy", "put"): P(N(2, 3), N(3), fn=lambda m: lambda a, v: m.put(
        a, [0, 4], v[:2], inplace=False), ref=lambda m: lambda a, v: _on_copy(
            m.put, a, [0, 4], v[:2])),
}
# NumPy's scalar types, which convert traced values too (`fnp.float32(x)`, as JAX's)
EXTRA.update({("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: getattr(m, n)) for n in (
    "float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32",
    "int64", "uint8", "uint16", "uint32", "uint64", "bool_", "bool", "longdouble",
    "clongdouble", "int_", "uint", "intp", "uintp", "half", "single", "double", "csingle",
    "cdouble")})
for _n, _eps, _tol in (("float16", 0.05, 0.1), ("half", 0.05, 0.1), ("float32", 1e-3, 1e-2),
                       ("single", 1e-3, 1e-2), ("complex64", 1e-3, 1e-2),
                       ("csingle", 1e-3, 1e-2)):  # (low precision: a larger step)
    EXTRA[("funcdiff.numpy", _n)] = P(N(2, 3), fn=lambda m, n=_n: getattr(m, n), eps=_eps,
                                      tol=_tol)
# results whose size (or Python type) depends on the values: with their default arguments
# they need known values, so vmap and jit do not apply (JAX's `size=` fixes the size of most:
# tests/test_extras.py checks it under vmap and jit)
for _name in ("extract", "argwhere", "flatnonzero", "array_equal", "array_equiv", "trim_zeros",
              "unique", "union1d", "intersect1d", "setdiff1d", "roots", "unique_values",
              "unique_counts", "unique_inverse", "unique_all", "setxor1d", "lexsort",
              "nanmedian", "nanquantile", "nanpercentile"):
    EXTRA[("funcdiff.numpy", _name)].concrete = True
# -- funcdiff.scipy.stats: the methods outside the checklist (quantile functions)
for _d in ("norm", "cauchy", "expon", "laplace", "logistic", "uniform"):
    for _m in ("ppf", "isf"):
        EXTRA[(STATS, f"{_d}.{_m}")] = P(
            U(0.2, 0.8, 3), *_loc_scale,
            fn=lambda m, _d=_d, _m=_m: getattr(getattr(m, _d), _m))

_TYPE = "a NumPy type re-exported for dtype arguments: a class, not a function of arrays"
_CONST = "a constant"
NOT_APPLICABLE = {
    **{("funcdiff.numpy", n): _TYPE for n in (
        "ndarray", "dtype", "finfo", "iinfo", "floating", "complexfloating", "integer",
        "inexact", "number")},
    **{("funcdiff.numpy", n): _CONST for n in ("pi", "e", "inf", "nan", "euler_gamma")},
    **{("funcdiff.numpy", n): _TYPE for n in (
        "character", "flexible", "generic", "object_", "signedinteger", "unsignedinteger",
        "ufunc")},
    ("funcdiff.numpy", "newaxis"): "None, an indexing constant",
    ("funcdiff.numpy", "tri"): "NumPy's constant of 0s and 1s from integer sizes: no array",
    **{("funcdiff.numpy", n): "NumPy's window of an integer size, re-exported: no array"
       for n in ("bartlett", "blackman", "hamming", "hanning", "kaiser")},
    ("funcdiff.numpy", "indices"): "NumPy's index grid of integer sizes, re-exported: no array",
    **{("funcdiff.numpy", n): "NumPy's indexing helper, re-exported: builds indices, no array"
       for n in ("s_", "index_exp", "mgrid", "ogrid")},
    **{("funcdiff.numpy", n): "NumPy's function of files, strings, settings, dtypes or "
       "integer indices, re-exported: nothing to differentiate"
       for n in ("array_repr", "array_str", "get_printoptions", "set_printoptions",
                 "printoptions", "load", "save", "savez", "frombuffer", "fromfile", "fromiter",
                 "fromstring", "from_dlpack", "can_cast", "isdtype", "iterable", "einsum_path",
                 "mask_indices", "ravel_multi_index", "unravel_index", "frompyfunc",
                 "fromfunction")},
    ("funcdiff.numpy", "issubdtype"): "NumPy's function of dtypes, re-exported: no array",
    ("funcdiff.numpy", "promote_types"): "NumPy's function of dtypes, re-exported: no array",
    ("funcdiff.numpy", "broadcast_shapes"): "NumPy's function of shapes, re-exported: no array",
    ("funcdiff.numpy", "empty"): "NumPy's, re-exported: takes a shape, values are arbitrary",
    ("funcdiff.numpy", "diag_indices"): "NumPy's, re-exported: takes an int, no array",
    ("funcdiff.numpy", "tril_indices"): "NumPy's, re-exported: takes ints, no array",
    ("funcdiff.numpy", "triu_indices"): "NumPy's, re-exported: takes ints, no array",
    ("funcdiff.numpy", "ix_"): "NumPy's, re-exported: takes integer index sequences only",
    ("funcdiff.numpy", "stop_gradient"): "its derivative is zero on purpose: "
                                         "test_stop_gradient_detaches checks it",
    ("funcdiff.numpy", "empty_like"): "its values are arbitrary (NumPy's are uninitialized), "
                                      "so finite differences are meaningless: "
                                      "test_empty_like_has_no_derivative checks it",
    ("funcdiff.numpy.linalg", "LinAlgError"): "an exception class",
}


# -- funcdiff.scipy.special (#16)
EXTRA.update({
    ("funcdiff.scipy.special", "bessel_jn"): P(U(0.3, 4, 3), fn=lambda m: lambda z: m.bessel_jn(
        z, v=3)),
    ("funcdiff.scipy.special", "boxcox"): P(U(0.5, 3, 3), U(-1, 1, 3)),
    ("funcdiff.scipy.special", "boxcox1p"): P(U(-0.5, 2, 3), U(-1, 1, 3)),
    ("funcdiff.scipy.special", "comb"): P(U(4, 6, 3), U(0.5, 3, 3)),
    ("funcdiff.scipy.special", "dawsn"): P(N(3)),
    ("funcdiff.scipy.special", "erfcx"): P(N(3)),
    ("funcdiff.scipy.special", "exp1"): P(U(0.3, 2, 3)),
    ("funcdiff.scipy.special", "expi"): P(U(0.3, 2, 3)),
    ("funcdiff.scipy.special", "expn"): P(U(0.3, 2, 3), fn=lambda m: lambda x: m.expn(2, x)),
    ("funcdiff.scipy.special", "factorial"): P(U(0.5, 4, 3)),
    ("funcdiff.scipy.special", "fresnel"): P(N(3)),
    ("funcdiff.scipy.special", "hyp1f1"): P(U(0.5, 2, 3), U(1, 2, 3), N(3)),
    ("funcdiff.scipy.special", "hyp2f1"): P(U(0.5, 1.5, 3), U(0.5, 1.5, 3), U(2, 3, 3),
                                            U(-0.5, 0.5, 3)),
    ("funcdiff.scipy.special", "i0e"): P(N(3)),
    ("funcdiff.scipy.special", "i1e"): P(N(3)),
    ("funcdiff.scipy.special", "owens_t"): P(N(3), N(3)),
    ("funcdiff.scipy.special", "poch"): P(U(0.5, 2, 3), U(0.5, 2, 3)),
    ("funcdiff.scipy.special", "sici"): P(U(0.3, 3, 3)),
    ("funcdiff.scipy.special", "spence"): P(U(0.2, 2, 3)),
    ("funcdiff.scipy.special", "sph_harm_y"): P(U(0.3, 2.8, 3), U(0, 6, 3), fn=lambda m: (
        lambda t, p: m.sph_harm_y(3, 1, t, p))),
    ("funcdiff.scipy.special", "wofz"): P(0.5 * C(3)),
})
NOT_APPLICABLE.update({
    ("funcdiff.scipy.special", "bernoulli"): "SciPy's table of Bernoulli numbers B_0..B_n of "
                                             "an integer n: no array argument",
})

# -- funcdiff.scipy.linalg (decompositions, solvers) (#16)
_RSF = np.triu(N(3, 3))  # a real Schur form with a 2x2 block (complex eigenvalues) on top
_RSF[0, 0] = _RSF[1, 1] = 0.5
_RSF[0, 1], _RSF[1, 0] = 1.5, -0.8
_RSF_PATTERN = np.triu(np.ones((3, 3))) + np.diag([1.0, 0.0], -1)  # (varies along it only)
_LA = "funcdiff.scipy.linalg"
EXTRA.update({
    (_LA, "cholesky"): P(_spd(3), fn=lambda m: lambda a: (
        m.cholesky(_sym(a)), m.cholesky(_sym(a), lower=True)), note=_SYM),
    (_LA, "det"): P(N(3, 3)),
    (_LA, "inv"): P(N(3, 3) + 3 * np.eye(3), fn=lambda m: lambda a: (
        m.inv(a), m.inv(a, assume_a="upper triangular"))),
    (_LA, "solve"): P(N(3, 3) + 3 * np.eye(3), N(3, 2), fn=lambda m: lambda a, b: (
        m.solve(a, b), m.solve(a, b, assume_a="lower triangular"),
        m.solve(a, b[:, 0], transposed=True), m.solve(a, b, assume_a="tridiagonal"))),
    (_LA, "lu"): P(N(3, 3), fn=lambda m: lambda a: (m.lu(a), m.lu(a, permute_l=True))),
    (_LA, "qr"): P(N(3, 3), N(4, 3), fn=lambda m: lambda a, t: (
        m.qr(a), m.qr(t, mode="economic"), m.qr(t, mode="r"))),
    (_LA, "qr_multiply"): P(N(4, 3), N(2, 4), fn=lambda m: lambda a, c: (
        m.qr_multiply(a, c), m.qr_multiply(a, c[:, :3].T, mode="left"))),
    (_LA, "svd"): P(N(3, 3), fn=lambda m: lambda a: _gauge(m.svd(a)), note="|u|, s, |vh|"),
    (_LA, "schur"): P(_EIG, fn=lambda m: lambda a: _gauge(m.schur(a)) + _gauge(
        m.schur(a, output="complex")), note="|T|, |Z|; real eigenvalues"),
    (_LA, "rsf2csf"): P(_RSF, np.linalg.qr(N(3, 3))[0], fn=lambda m: lambda t, z: m.rsf2csf(
        t * _RSF_PATTERN, z), note="T varies along its block pattern"),
    (_LA, "hessenberg"): P(N(4, 4), fn=lambda m: lambda a: _gauge(
        m.hessenberg(a, calc_q=True)), note="|H|, |Q|"),
    (_LA, "polar"): P(N(3, 3), fn=lambda m: lambda a: m.polar(a) + m.polar(a, side="left")),
    (_LA, "funm"): P(0.5 * N(3, 3), fn=lambda m: lambda a: m.funm(a, np.exp)),
    (_LA, "expm_frechet"): P(0.5 * N(3, 3), N(3, 3)),
    (_LA, "eigh_tridiagonal"): P(N(4), N(3), fn=lambda m: lambda d, e: _gauge(
        m.eigh_tridiagonal(d, e)), note="w, |v|"),
})
NOT_APPLICABLE.update({
})

# -- funcdiff.scipy.linalg (special matrices) and funcdiff.scipy.optimize (#16)
_LINALG = "funcdiff.scipy.linalg"
EXTRA.update({
    (_LINALG, "circulant"): P(N(4)),
    (_LINALG, "companion"): P(np.array([1.5, 0.3, -0.7, 1.1])),
    (_LINALG, "convolution_matrix"): P(N(3), fn=lambda m: lambda a: m.convolution_matrix(
        a, 4, mode="same")),
    (_LINALG, "fiedler"): P(np.array([0.3, 2.1, -1.4, 4.0])),
    (_LINALG, "fiedler_companion"): P(np.array([1.5, 0.3, -0.7, 1.1, 0.4, -2.0])),
    (_LINALG, "hankel"): P(N(3), N(4)),
    (_LINALG, "leslie"): P(U(0.1, 2, 4), U(0.1, 0.9, 3)),
    (_LINALG, "toeplitz"): P(C(3), fn=lambda m: lambda c: (m.toeplitz(c), m.toeplitz(
        c.real, c.imag))),
})
_SIZES = "SciPy's matrix of integer sizes only, re-exported: no array argument"
NOT_APPLICABLE.update({
    **{(_LINALG, n): _SIZES for n in (
        "dft", "hadamard", "helmert", "hilbert", "invhilbert", "invpascal", "pascal")},
    ("funcdiff.scipy.optimize", "minimize"): (
        "SciPy's iterative minimizer fed funcdiff's derivatives: not a function of arrays to "
        "differentiate (it raises a clear TypeError inside transforms, pointing to implicit "
        "differentiation); tests/test_scipy_optimize.py checks it"),
    ("funcdiff.scipy.optimize", "least_squares"): (
        "SciPy's iterative least-squares solver fed funcdiff's dense or sparse Jacobians: "
        "not a function of arrays to differentiate; tests/test_sparse.py checks it"),
})

# -- funcdiff.scipy.stats (#16)
def _stats_probe(dist, methods, x, *params, q=None):
    """{(STATS, "dist.method"): probe} with every float argument traced."""
    return {(STATS, f"{dist}.{me}"): P(
        q if me in ("ppf", "isf") else x, *params,
        fn=lambda m, me=me: getattr(getattr(m, dist), me)) for me in methods}


_F8 = np.float64
_Q3 = U(0.2, 0.8, 3)
_ALL8 = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
_KS = np.array([0, 2, 5])
_K01 = np.array([0, 1, 1])
_KB = np.array([0.0, 0.5, 0.0])
_K1 = np.array([1, 2, 5])
_QD = np.array([0.1, 0.5, 0.9])
_MN_X = np.array([[1, 2, 0], [0, 1, 2]])


_KDE_WEIGHTS = U(0.5, 2.0, 7)


def _kde_probe(m):
    def f(d2, x2, d1, w1, lo):
        k2 = m.gaussian_kde(d2)
        k1 = m.gaussian_kde(d1, bw_method="silverman", weights=w1)
        k3 = m.gaussian_kde(d1, weights=_KDE_WEIGHTS)  # (resample: known weights, see note)
        return (k2.evaluate(x2), k2.logpdf(x2), k2(x2), k2.pdf(x2),
                k2.integrate_gaussian(x2[:, 0], np.eye(2)), m.gaussian_kde(d2, 0.6).pdf(x2),
                k1.logpdf(x2[0]), k1.integrate_box_1d(lo, lo + 1.5), k3.resample(4, seed=3),
                k1.integrate_kde(m.gaussian_kde(d2[0])))

    return f


EXTRA.update({
    **_stats_probe("gumbel_r", _ALL8, N(3), *_loc_scale, q=_Q3),
    **_stats_probe("gumbel_l", _ALL8, N(3), *_loc_scale, q=_Q3),
    **_stats_probe("pareto", _ALL8, U(2.0, 4.0, 3), _F8(2.5), *_loc_scale, q=_Q3),
    **_stats_probe("gennorm", _ALL8[:6], N(3), _F8(1.7), *_loc_scale),
    **_stats_probe("truncnorm", _ALL8[:6], U(0.0, 1.0, 3), _F8(-0.5), _F8(2.0), *_loc_scale),
    **_stats_probe("vonmises", ("logpdf", "pdf"), N(3), _F8(2.5), *_loc_scale),
    **_stats_probe("wrapcauchy", ("logpdf", "pdf", "cdf", "sf", "ppf"), U(0.5, 5.5, 3),
                   _F8(0.3), *_loc_scale, q=_Q3),
    **{(STATS, f"bernoulli.{me}"): P(_F8(0.35), fn=lambda m, me=me: lambda p: getattr(
        m.bernoulli, me)(_QD if me in ("ppf", "isf") else _K01 if "pmf" in me else _KB, p))
       for me in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")},
    **{(STATS, f"geom.{me}"): P(_F8(0.35), fn=lambda m, me=me: lambda p: getattr(m.geom, me)(
        _QD if me == "ppf" else _K1, p))
       for me in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf")},
    **{(STATS, f"nbinom.{me}"): P(_F8(2.5), _F8(0.35), fn=lambda m, me=me: lambda n, p: getattr(
        m.nbinom, me)(_KS, n, p)) for me in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")},
    **{(STATS, f"betabinom.{me}"): P(_F8(2.5), _F8(1.5), fn=lambda m, me=me: lambda a, b: getattr(
        m.betabinom, me)(_KS, 10, a, b)) for me in ("logpmf", "pmf")},
    **{(STATS, f"multinomial.{me}"): P(np.array([0.2, 0.3, 0.5]), fn=lambda m, me=me: lambda p: (
        getattr(m.multinomial, me)(_MN_X, 3, p))) for me in ("logpmf", "pmf")},
    (STATS, "multivariate_normal.entropy"): P(_spd(3), note=_SYM, fn=lambda m: lambda c: (
        m.multivariate_normal.entropy(None, _sym(c)))),
    (STATS, "mode"): P(N(3, 5), fn=lambda m: lambda x: m.mode(x, axis=1)),
    (STATS, "rankdata"): P(N(3, 4), fn=lambda m: lambda x: (
        m.rankdata(x, axis=1), m.rankdata(x, "min", axis=0), m.rankdata(x, "dense")),
        note="under vmap and jit the ranks are float64 for every method (SciPy's are "
        "integers unless there are NaNs, which abstract values cannot tell)"),
    (STATS, "sem"): P(N(3, 4), fn=lambda m: lambda x: (
        m.sem(x, axis=1), m.sem(x, axis=None, ddof=0, keepdims=True))),
    (STATS, "gaussian_kde"): P(N(2, 6), N(2, 3), N(7), U(0.5, 2.0, 7), _F8(-0.3),
                               fn=_kde_probe, note="resample with traced weights: under "
                               "grad/jvp (NotImplementedError under vmap and jit)"),
})
NOT_APPLICABLE.update({
})

# every distribution's `rvs`: SciPy's sampler re-exported (random numbers of a seed)
NOT_APPLICABLE.update({
    (STATS, f"{_d}.rvs"): "SciPy's sampler, re-exported: random numbers, nothing to "
    "differentiate (under transforms a traced parameter raises DetachError)"
    for _d in ("bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet",
               "expon", "gamma", "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace",
               "logistic", "multinomial", "multivariate_normal", "nbinom", "norm", "pareto",
               "poisson", "t", "truncnorm", "uniform", "vonmises", "wrapcauchy")})

# -- funcdiff.scipy.signal, fft, integrate, ndimage, interpolate (#16)
_SIG_MODES = ("full", "same", "valid")
_RGI_POINTS = (np.array([0.0, 0.3, 0.6, 1.0]), np.array([1.0, 0.5, -0.5]))  # (one descending)
EXTRA.update({
    ("funcdiff.scipy.signal", "correlate"): P(N(4, 5), N(2, 3), fn=lambda m: lambda a, b: tuple(
        m.correlate(a, b, mode) for mode in _SIG_MODES), note="all modes, 2-d"),
    ("funcdiff.scipy.signal", "convolve2d"): P(N(4, 5), N(2, 3), fn=lambda m: lambda a, b: (
        m.convolve2d(a, b, fillvalue=0.5), m.convolve2d(a, b, "same", "wrap"),
        m.convolve2d(a, b, "full", "symm"), m.convolve2d(a, b, "valid")),
        note="fill/wrap/symm, all modes"),
    ("funcdiff.scipy.signal", "correlate2d"): P(N(4, 5), N(2, 3), fn=lambda m: lambda a, b: (
        m.correlate2d(a, b, fillvalue=0.5), m.correlate2d(a, b, "same", "wrap"),
        m.correlate2d(a, b, "full", "symm"), m.correlate2d(a, b, "valid")),
        note="fill/wrap/symm, all modes"),
    ("funcdiff.scipy.signal", "fftconvolve"): P(N(3, 6), N(3, 4), fn=lambda m: lambda a, b: (
        m.fftconvolve(a, b), m.fftconvolve(a, b, "same", axes=1),
        m.fftconvolve(a, b, "valid", axes=-1)), note="all modes, axes"),
    ("funcdiff.scipy.signal", "detrend"): P(N(3, 10), fn=lambda m: lambda x: (
        m.detrend(x, bp=[3, 6]), m.detrend(x, axis=0, type="constant")),
        note="linear with breakpoints, constant"),
    ("funcdiff.scipy.signal", "stft"): P(N(2, 30), fn=lambda m: lambda x: m.stft(
        x, nperseg=8, detrend="linear")),
    ("funcdiff.scipy.signal", "istft"): P(N(5, 9), fn=lambda m: lambda z: m.istft(
        z, nperseg=8)),
    ("funcdiff.scipy.signal", "welch"): P(N(2, 40), fn=lambda m: lambda x: m.welch(
        x, nperseg=8)),
    ("funcdiff.scipy.signal", "csd"): P(N(40), N(40), fn=lambda m: lambda x, y: m.csd(
        x, y, nperseg=8, average="median"), note="median of 9 segments"),
    ("funcdiff.scipy.fft", "dct"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.dct(x, t, norm="ortho") for t in (1, 2, 3, 4)), note="types 1-4"),
    ("funcdiff.scipy.fft", "idct"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.idct(x, t, n=5, axis=0) for t in (1, 2, 3, 4)), note="types 1-4"),
    ("funcdiff.scipy.fft", "dctn"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.dctn(x, t) for t in (1, 2, 3, 4)), note="types 1-4"),
    ("funcdiff.scipy.fft", "idctn"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.idctn(x, t, s=(2, 5), norm="ortho") for t in (1, 2, 3, 4)), note="types 1-4"),
    ("funcdiff.scipy.integrate", "trapezoid"): P(N(2, 5), np.sort(U(0.0, 3.0, 5)),
                                                 fn=lambda m: lambda y, x: m.trapezoid(y, x)),
    ("funcdiff.scipy.ndimage", "map_coordinates"): P(N(4, 5), U(-1.3, 5.4, 2, 6),
                                                     fn=lambda m: lambda a, c: tuple(
        m.map_coordinates(a, c, order=o, mode=mode) for o in (0, 1)
        for mode in ("constant", "nearest", "wrap", "mirror", "reflect")),
        note="orders 0, 1; five modes"),
    ("funcdiff.scipy.interpolate", "RegularGridInterpolator"): P(
        N(4, 3), U(0.05, 0.95, 5, 2),
        fn=lambda m: lambda values, xi: m.RegularGridInterpolator(_RGI_POINTS, values)(xi)),
})
NOT_APPLICABLE.update({
})

# -- funcdiff.numpy (#16)
EXTRA.update({
    ("funcdiff.numpy", "frexp"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "nextafter"): P(N(2, 3), N(3)),
    ("funcdiff.numpy", "spacing"): P(N(2, 3)),
    ("funcdiff.numpy", "i0"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "histogram2d"): P(N(12), N(12), U(0.5, 2, 12), fn=lambda m: (
        lambda x, y, w: m.histogram2d(x, y, bins=(2, 3), weights=w))),
    ("funcdiff.numpy", "histogramdd"): P(N(12, 3), U(0.5, 2, 12), fn=lambda m: (
        lambda s, w: (lambda h, e: (h, *e))(*m.histogramdd(s, bins=2, weights=w)))),
    ("funcdiff.numpy", "packbits"): P(N(3, 11), fn=lambda m: lambda x: m.packbits(x > 0, 1)),
    ("funcdiff.numpy", "unpackbits"): P(N(3, 11), fn=lambda m: lambda x: m.unpackbits(
        m.packbits(x > 0, 1), 1, count=9)),
    (STATS, "poisson.entropy"): P(U(0.5, 60, 4)),
})
NOT_APPLICABLE.update({
})


# the public modules the page covers beyond the checklist (and tests/test_walk.py walks)
MODULES = ("funcdiff.numpy", "funcdiff.numpy.linalg", "funcdiff.numpy.fft",
           "funcdiff.scipy.special", "funcdiff.scipy.linalg", "funcdiff.scipy.signal",
           "funcdiff.scipy.integrate", "funcdiff.scipy.fft", "funcdiff.scipy.ndimage",
           "funcdiff.scipy.interpolate", "funcdiff.scipy.optimize")


def public_names(module):
    """(module, name) of every public name of a covered module; for funcdiff.scipy.stats
    "dist.method" of each distribution, and its functions and classes."""
    mod = importlib.import_module(module)
    if module == STATS:
        return [key for d in mod.__all__
                for key in ([(STATS, f"{d}.{m}") for m in getattr(mod, d).__all__]
                            if hasattr(getattr(mod, d), "__all__") else [(STATS, d)])]
    return [(module, n) for n in mod.__all__]


# ------------------------------------------------------------------ probing
COLUMNS = ("value", "jvp", "vjp", "vmap", "jit", "2nd order")
OK, FAIL, NA = "✓", "✗", "—"


def _import(modname):
    try:
        return importlib.import_module(modname)
    except ImportError:
        return None


def _resolve(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _inexact(x):
    return np.result_type(x).kind in "fc"


def _same(got, want, rtol=1e-6, check_dtype=True):
    g_leaves, w_leaves = tree_leaves(got), tree_leaves(want)
    if len(g_leaves) != len(w_leaves):
        return False
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape or (check_dtype and g.dtype != w.dtype):
            return False
        if w.dtype.kind in "fc":
            if not np.allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True):
                return False
        elif not np.array_equal(g, w):
            return False
    return True


def _why(exc):
    return type(exc).__name__


class Probe:
    """Runs the checks of one probe; `cells` maps column -> mark, `why` the failures."""

    def __init__(self, fn, ref, p):
        self.fn, self.ref, self.p = fn, ref, p
        self.args = p.args
        self.idx = [i for i, a in enumerate(self.args) if _inexact(a)]
        self.cells, self.why = {}, []

    def h(self, *xs):  # the function of the inexact arguments only
        full = list(self.args)
        for i, x in zip(self.idx, xs):
            full[i] = x
        return self.fn(*full)

    def run(self):
        try:
            self.out = self.fn(*self.args)
        except Exception as e:  # noqa: BLE001
            self.cells = dict.fromkeys(COLUMNS, FAIL)
            self.why.append(f"fails eagerly: {_why(e)}")
            return self
        self.check("value", self.value)
        xs = tuple(self.args[i] for i in self.idx)
        differentiable = bool(self.idx) and any(
            _inexact(o) for o in tree_leaves(self.out))
        if not self.idx:
            self.cells.update(jvp=NA, vjp=NA)
        elif differentiable:
            self.check("jvp", lambda: check_jvp(self.h, xs, **self.tols()))
            self.check("vjp", lambda: self.vjp(xs))
        else:
            self.check("jvp", lambda: self.runs_under(fd.jvp, xs))
            self.check("vjp", lambda: self.runs_under(fd.vjp, xs))
        if self.p.concrete:
            self.cells.update(vmap=NA, jit=NA)
        else:
            self.check("vmap", lambda: self.vmap(xs))
            self.check("jit", lambda: self.jit(xs))
        if differentiable:
            self.check("2nd order", lambda: check_grads(self.h, xs, order=2,
                                                        modes=("fwd", "rev"), **self.tols()))
        else:
            self.cells["2nd order"] = NA
        return self

    def check(self, column, thunk):
        try:
            ok = thunk()
            self.cells[column] = OK if ok is not False else FAIL
            if ok is False:
                self.why.append(f"{column}: differs")
        except Exception as e:  # noqa: BLE001 (any failure is a cross in the table)
            self.cells[column] = FAIL
            self.why.append(f"{column}: {_why(e)}")

    def tols(self):
        t = {}
        if self.p.eps is not None:
            t["eps"] = self.p.eps
        if self.p.tol is not None:
            t["atol"] = t["rtol"] = self.p.tol
        return t

    def value(self):
        return _same(self.out, self.ref(*self.args),
                     rtol=1e-6 if self.p.tol is None else self.p.tol)

    def runs_under(self, transform, xs):
        if transform is fd.jvp:
            out = fd.jvp(self.h, xs, tuple(np.zeros_like(x) for x in xs))[0]
        else:
            out = fd.vjp(self.h, *xs)[0]
        return _same(out, self.out)

    def vjp(self, xs):
        def total(*xs):
            return sum(fnp.sum(fnp.real(o)) for o in tree_leaves(self.h(*xs)) if _inexact(o))

        seed = zlib.crc32(repr([np.shape(x) for x in xs]).encode())
        rng = np.random.default_rng(seed)
        ts = tuple(_like(x, rng) for x in xs)
        g = fd.grad(total, argnums=tuple(range(len(xs))))(*xs)
        got = sum(float(np.real(np.sum(np.asarray(gi) * ti))) for gi, ti in zip(g, ts))
        want = float(np.real(numerical_jvp(total, xs, ts, eps=self.p.eps)))
        tol = self.p.tol or 1e-5
        scale = 1.0 + abs(want) + sum(float(np.sum(np.abs(gi) * np.abs(ti)))
                                      for gi, ti in zip(g, ts))
        return abs(got - want) <= tol * scale

    def vmap(self, xs):
        batch = tuple(np.stack([x, x * 1.03, x * 0.97]) for x in xs)
        got = fd.vmap(self.h)(*batch)
        loop = [self.h(*[b[i] for b in batch]) for i in range(3)]
        want = [np.stack([tree_leaves(o)[k] for o in loop]) for k in range(len(tree_leaves(
            loop[0])))]
        return _same(tree_leaves(got), want)

    def jit(self, xs):
        return _same(fd.jit(self.h)(*xs), self.out)


def _like(x, rng):
    t = rng.standard_normal(np.shape(x))
    if np.result_type(x).kind == "c":
        t = t + 1j * rng.standard_normal(np.shape(x))
    return np.asarray(t, np.result_type(x))


def probe_entry(entry):
    """(status, cells, notes) of one checklist entry."""
    mod = _import(entry.home)
    if mod is None:
        return "missing", {}, f"`{entry.home}` does not exist"
    try:
        _resolve(mod, entry.name)
    except AttributeError:
        return "missing", {}, ""
    p = PROBES.get((entry.home, entry.name)) or EXTRA.get((entry.home, entry.name))
    if p is None:
        return "not probed", {}, "no probe input"
    ref_mod = _import(REFERENCE[entry.home])
    template = p.fn or (lambda m: _resolve(m, entry.name))
    own = ""
    try:
        _resolve(ref_mod, entry.name.split(".")[0])
    except AttributeError:  # JAX's names that SciPy lacks: the value is funcdiff's own
        ref_mod, own = mod, f"`{REFERENCE[entry.home]}` has no `{entry.name}`"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ref = (p.ref or template)(ref_mod)
        result = Probe(template(mod), ref, p).run()
    status = "ok" if all(c != FAIL for c in result.cells.values()) else "fails"
    return status, result.cells, "; ".join(w for w in (own, *result.why) if w)


# ------------------------------------------------------------------ the page
def _cell_row(entry, status, cells, why):
    probe = PROBES.get((entry.home, entry.name)) or EXTRA.get((entry.home, entry.name), P())
    notes = [n for n in (entry.note, probe.note, why) if n]
    if entry.home != entry.module:
        notes.insert(0, f"in `{entry.home}`")
    if status in ("missing", "not probed"):
        marks = [status] + [""] * (len(COLUMNS) - 1)
    else:
        marks = [cells.get(c, "") for c in COLUMNS]
    return f"| `{entry.name}` | " + " | ".join(marks) + " | " + "; ".join(notes) + " |"


def generate():
    """The text of docs/coverage.md."""
    entries = parse_checklist(checklist_text())
    results = [(e, *probe_entry(e)) for e in entries]
    modules = list(dict.fromkeys(e.module for e in entries))
    lines = [
        f"<!-- Generated by tools/gen_coverage.py: do not edit. Regenerate: {REGENERATE} -->",
        "# Coverage of NumPy and SciPy",
        "",
        f"Regenerate this page with `{REGENERATE}` (tests/test_coverage_page.py fails when "
        "it is stale). Every name of the coverage checklist is looked up in funcdiff and, when "
        "it exists, run on a small input (the probe table in the generator):",
        "",
        "- **value**: the eager result equals NumPy's (SciPy's): shapes, dtypes, values;",
        "- **jvp**: `funcdiff.jvp` agrees with central finite differences;",
        "- **vjp**: `funcdiff.grad` of the sum of the real parts of the outputs agrees with "
        "finite differences;",
        "- **vmap**: `funcdiff.vmap` over a batch of 3 equals a Python loop;",
        "- **jit**: `funcdiff.jit` equals the eager result;",
        "- **2nd order**: `funcdiff.testing.check_grads(order=2, modes=(\"fwd\", \"rev\"))`.",
        "",
        f"{OK} works, {FAIL} fails (the notes say how), {NA} not applicable: integer or "
        "boolean results have no derivative (their jvp/vjp cells check that the function "
        "runs under the transform), and a result whose shape or dtype depends on the values "
        "cannot be computed from the abstract values of vmap and jit.",
        "",
        "## Summary",
        "",
        "| module | names | present | all checks pass | some checks fail | not probed "
        "| missing |",
        "|---|---|---|---|---|---|---|",
    ]
    totals = [0] * 6
    for module in modules:
        rs = [r for r in results if r[0].module == module]
        counts = [len(rs), sum(r[1] != "missing" for r in rs), sum(r[1] == "ok" for r in rs),
                  sum(r[1] == "fails" for r in rs), sum(r[1] == "not probed" for r in rs),
                  sum(r[1] == "missing" for r in rs)]
        totals = [a + b for a, b in zip(totals, counts)]
        lines.append(f"| `{module}` | " + " | ".join(map(str, counts)) + " |")
    lines.append("| **total** | " + " | ".join(f"**{n}**" for n in totals) + " |")
    for module in modules:
        lines += ["", f"## {module}"]
        groups = list(dict.fromkeys(r[0].group for r in results if r[0].module == module))
        for group in groups:
            if group:
                lines += ["", f"### {group}"]
            lines += ["", "| name | " + " | ".join(COLUMNS) + " | notes |",
                      "|---" * (len(COLUMNS) + 2) + "|"]
            lines += [_cell_row(*r) for r in results
                      if r[0].module == module and r[0].group == group]
    return "\n".join(lines + _beyond(entries)) + "\n"


BEYOND = "(beyond the checklist)"


def _beyond(entries):
    """The page's sections for the public names the checklist does not list."""
    listed = {(e.home, e.name) for e in entries} | {(e.module, e.name) for e in entries}
    rows = {}
    for module in (*MODULES, STATS):
        for key in public_names(module):
            if key in listed:
                continue
            entry = Entry(module, "", key[1])
            if key in NOT_APPLICABLE:
                rows.setdefault(module, []).append(
                    (entry, "n/a", dict.fromkeys(COLUMNS, NA), NOT_APPLICABLE[key]))
            else:
                rows.setdefault(module, []).append((entry, *probe_entry(entry)))
    lines = [
        "", "## Beyond the checklist", "",
        "The public names the checklist does not list (the rest of `jax.numpy` and "
        "`jax.scipy`, and more), probed the same way. Names that are not functions of "
        "arrays (types, constants, functions of integer sizes, `minimize`) are marked "
        f"{NA} with the reason.", "",
        "| module | names | all checks pass | some checks fail | not applicable "
        "| not probed |",
        "|---|---|---|---|---|---|",
    ]
    for module, rs in rows.items():
        counts = [len(rs), sum(r[1] == "ok" for r in rs), sum(r[1] == "fails" for r in rs),
                  sum(r[1] == "n/a" for r in rs), sum(r[1] == "not probed" for r in rs)]
        lines.append(f"| `{module}` | " + " | ".join(map(str, counts)) + " |")
    for module, rs in rows.items():
        lines += ["", f"## {module} {BEYOND}"]
        # distributions one table each (by their name), everything else one table
        groups = {}
        for r in rs:
            group = r[0].name.partition(".")[0] if "." in r[0].name else ""
            groups.setdefault(group, []).append(r)
        for group, grs in groups.items():
            if group:
                lines += ["", f"### {group}"]
            lines += ["", "| name | " + " | ".join(COLUMNS) + " | notes |",
                      "|---" * (len(COLUMNS) + 2) + "|"]
            lines += [_cell_row(*r) for r in grs]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    if SHARED.exists() and [e.key() for e in parse_checklist(checklist_text())] != [
            e.key() for e in parse_checklist(CHECKLIST)]:
        print("warning: ../shared/coverage.md differs from CHECKLIST in tools/gen_coverage.py; "
              "update the copy", file=sys.stderr)
    text = generate()
    if args.check:
        stale = not PAGE.exists() or PAGE.read_text() != text
        print(f"{PAGE} is {'stale: run ' + REGENERATE if stale else 'up to date'}")
        return 1 if stale else 0
    PAGE.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
