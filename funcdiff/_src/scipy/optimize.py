"""The implementation of `funcdiff.scipy.optimize`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import scipy.optimize as _so

from funcdiff._src.api.forward import jvp
from funcdiff._src.api.jacobians import hessian, jacfwd, jacrev
from funcdiff._src.api.reverse import grad, value_and_grad
from funcdiff._src.core import Tracer, dtype_of, shape_of
from funcdiff._src.jit.dispatch import jit as _jit
from funcdiff._src.ravel import ravel_pytree
from funcdiff._src.sparse import (
    jacobian_sparsity,
    sparse_hessian,
    sparse_jacfwd,
    sparse_jacrev,
)
from funcdiff._src.tree import tree_leaves, tree_map, tree_structure

__all__ = ["minimize", "least_squares"]

# the methods as SciPy names them (lower case) and what each uses
_NO_DERIVATIVES = ("nelder-mead", "powell", "cobyla", "cobyqa")
_USE_HESS = ("newton-cg", "dogleg", "trust-ncg", "trust-krylov", "trust-exact", "trust-constr")
_USE_HESSP = ("newton-cg", "trust-ncg", "trust-krylov", "trust-constr")
_METHODS = _NO_DERIVATIVES + (
    "cg", "bfgs", "l-bfgs-b", "tnc", "slsqp", "newton-cg", "dogleg", "trust-ncg",
    "trust-krylov", "trust-exact", "trust-constr")

_IN_TRANSFORM = (
    "funcdiff.scipy.optimize.minimize: {what} holds a tracer ({why}). minimize is not "
    "differentiable: it runs SciPy's iterations on concrete values, and converting the "
    "tracer would silently drop its derivative. Call minimize outside the transform; to "
    "differentiate a minimizer with respect to parameters use implicit differentiation "
    "(at the optimum x*(p), dx*/dp = -H^-1 d(grad_x f)/dp, e.g. with `funcdiff.custom_vjp` "
    "around the solve).")
_CALLED_INSIDE = "minimize was called inside a transform: grad, jvp, vmap, jit, ..."
_CLOSES_OVER = ("the function closes over a value traced by a transform around minimize: "
                "minimize was called inside a transform")


def _check_not_traced(tree, what):
    if any(isinstance(leaf, Tracer) for leaf in tree_leaves(tree)):
        raise TypeError(_IN_TRANSFORM.format(what=what, why=_CALLED_INSIDE))


def _value(x, what):
    """A value computed for SciPy as a NumPy array; a clear error if it is a tracer (the
    user's function closes over a value traced by a transform around minimize)."""
    if isinstance(x, Tracer):
        raise TypeError(_IN_TRANSFORM.format(what=what, why=_CLOSES_OVER))
    return np.asarray(x)


def _scalar(x, what="`fun`'s value"):
    return float(_value(x, what).reshape(()))


def _fun_name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


def _check_scalar(fun, out):
    """`fun`'s value must be one real number: a clear TypeError otherwise."""
    try:
        shape, dtype = tuple(shape_of(out)), np.dtype(dtype_of(out))
    except Exception:  # noqa: BLE001  (not an array at all)
        raise TypeError(
            f"funcdiff.scipy.optimize.minimize: `fun` ({_fun_name(fun)}) must return a real "
            f"scalar; it returned {type(out).__name__}. Return one float (for example "
            "`fnp.sum(...)` of the terms).") from None
    if math.prod(shape) != 1 or dtype.kind not in "fiub":
        raise TypeError(
            f"funcdiff.scipy.optimize.minimize: `fun` ({_fun_name(fun)}) must return a real "
            f"scalar (shape () or one element); it returned shape {shape} with dtype {dtype}"
            f"{' (complex)' if dtype.kind == 'c' else ''}. Reduce "
            "it to one real number, for example `fnp.sum(r ** 2)` of residuals `r`, or "
            "`fnp.sum(abs(z) ** 2)` of a complex value.")


def _x0_tree(x0):
    """x0 with integer (and boolean) leaves as float64 (SciPy's rule); complex refused."""
    def leaf(x):
        a = np.asarray(x)
        if a.dtype.kind == "c":
            raise TypeError(
                "funcdiff.scipy.optimize.minimize: `x0` has a complex leaf (dtype "
                f"{a.dtype}); SciPy's minimizers work on real vectors. Pass the real and "
                "imaginary parts as separate real leaves.")
        if a.dtype.kind not in "f":
            a = a.astype(np.float64)
        return a

    return tree_map(leaf, x0)


def _flat(tree, n, what):
    """A pytree (or an array of n entries) returned by a user's function, as a float vector."""
    leaves = tree_leaves(tree)
    if len(leaves) == 1:
        v = np.asarray(leaves[0], dtype=np.float64).ravel()
    else:
        v = np.asarray(ravel_pytree(tree)[0], dtype=np.float64)
    if v.shape != (n,):
        raise ValueError(f"funcdiff.scipy.optimize.minimize: `{what}` returned {v.size} "
                         f"values; the parameters have {n}")
    return v


def _pytree_bounds(bounds, x0):
    """(lower, upper) pytrees shaped like x0 as flat `Bounds`, or None when `bounds` is in
    one of SciPy's own forms (a Bounds object or a sequence of (min, max) pairs)."""
    if isinstance(bounds, _so.Bounds) or not isinstance(bounds, (tuple, list)):
        return None
    if len(bounds) != 2 or len(tree_leaves(x0)) == 1 and not isinstance(x0, (tuple, list, dict)):
        return None
    structure = tree_structure(x0)
    for b in bounds:
        if b is not None and not np.isscalar(b) and tree_structure(b) != structure:
            return None
    lbub = []
    for b, fill in zip(bounds, (-np.inf, np.inf)):
        leaves = tree_leaves(x0)
        if b is None or np.isscalar(b):
            parts = [np.full(np.shape(x), fill if b is None else b, np.float64) for x in leaves]
        else:
            parts = [np.broadcast_to(np.asarray(v, np.float64), np.shape(x))
                     for v, x in zip(tree_leaves(b), leaves)]
        lbub.append(np.concatenate([p.ravel() for p in parts]) if parts else np.zeros(0))
    return _so.Bounds(*lbub)


def _wrap_callback(callback, unravel, meth):
    if callback is None:
        return None
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()

    def result(res):
        res = _so.OptimizeResult(res)
        if "x" in res:
            res["x"] = unravel(np.array(res["x"], copy=True))
        return res

    if params == {"intermediate_result"}:
        def cb(intermediate_result):
            return callback(intermediate_result=result(intermediate_result))
    elif meth == "trust-constr":
        def cb(xk, state):
            return callback(unravel(np.array(xk, copy=True)), state)
    else:
        def cb(xk):
            return callback(unravel(np.array(xk, copy=True)))
    return cb


def _constraint_jac(cfun, cargs, unravel, jit):
    def c_flat(xf):
        return cfun(unravel(xf), *cargs)

    jac = jacrev(c_flat)
    jac = _jit(jac) if jit else jac

    def j(xf, *_):
        return np.atleast_2d(_value(jac(np.asarray(xf, np.float64)), "a constraint's Jacobian")
                             .astype(np.float64))

    return j


def _constraints(constraints, unravel, jit, n):
    """The constraints on the pytree x as constraints on SciPy's flat vector; missing
    Jacobians come from `jacrev`."""
    if constraints is None:
        return ()
    single = isinstance(constraints, (dict, _so.NonlinearConstraint, _so.LinearConstraint))
    out = []
    for con in [constraints] if single else list(constraints):
        if isinstance(con, dict):
            con = dict(con)
            cfun, cargs = con["fun"], tuple(con.get("args", ()))
            user_jac = con.get("jac")
            con["fun"] = lambda xf, *a, cfun=cfun: np.asarray(cfun(unravel(xf), *a), np.float64)
            if callable(user_jac):
                con["jac"] = lambda xf, *a, j=user_jac: np.asarray(j(unravel(xf), *a), np.float64)
            else:
                con["jac"] = _constraint_jac(cfun, cargs, unravel, jit)
            out.append(con)
        elif isinstance(con, _so.NonlinearConstraint):
            cfun = con.fun
            if callable(con.jac):
                jac = lambda xf, j=con.jac: np.asarray(j(unravel(xf)), np.float64)  # noqa: E731
            elif isinstance(con.jac, str) and con.jac == "2-point":  # the default: exact
                jac = _constraint_jac(cfun, (), unravel, jit)
            else:
                jac = con.jac
            hess = con.hess
            if callable(hess):
                hess = lambda xf, v, h=con.hess: h(unravel(xf), v)  # noqa: E731
            out.append(_so.NonlinearConstraint(
                lambda xf, cfun=cfun: np.asarray(cfun(unravel(xf)), np.float64),
                con.lb, con.ub, jac=jac, hess=hess, keep_feasible=con.keep_feasible,
                finite_diff_rel_step=con.finite_diff_rel_step,
                finite_diff_jac_sparsity=con.finite_diff_jac_sparsity))
        else:
            out.append(con)  # LinearConstraint: already on the flat vector
    return out


def minimize(fun, x0, args=(), *, method="BFGS", jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None, jit=False):
    """`scipy.optimize.minimize` fed with funcdiff's exact derivatives (not differentiable).

    `x0` is any pytree of float arrays; `fun(x, *args)` returns a real scalar. The gradient
    comes from `value_and_grad` (one pass per evaluation), the Hessian from `hessian`, and
    Hessian-vector products from forward-over-reverse (`jvp` of `grad`), which the methods
    that accept `hessp` get unless `hess` is given. The result is SciPy's `OptimizeResult`
    with `x` (and `jac`) shaped like `x0`.

    ```python
    >>> import numpy as np
    >>> import funcdiff.numpy as fnp
    >>> from funcdiff.scipy.optimize import minimize
    >>> def loss(p):
    ...     return fnp.sum((p["w"] - 3.0) ** 2) + (p["b"] + 1.0) ** 2
    >>> res = minimize(loss, {"w": np.zeros(2), "b": np.float64(0.0)}, method="trust-ncg")
    >>> np.round(res.x["w"], 6).tolist(), round(float(res.x["b"]), 6), bool(res.success)
    ([3.0, 3.0], -1.0, True)

    ```
    """
    _check_not_traced(x0, "`x0`")
    _check_not_traced(args, "`args`")
    if not callable(fun):
        raise TypeError(f"funcdiff.scipy.optimize.minimize: `fun` must be callable, got "
                        f"{type(fun).__name__}")
    args = args if isinstance(args, tuple) else (args,)
    if method is None:  # SciPy's automatic choice
        method = "SLSQP" if constraints else "L-BFGS-B" if bounds is not None else "BFGS"
    meth = method.lower() if isinstance(method, str) else method
    if meth not in _METHODS:
        raise ValueError(f"funcdiff.scipy.optimize.minimize: unknown or unsupported method "
                         f"{method!r}; supported: {', '.join(_METHODS)} (case-insensitive)")
    x0 = _x0_tree(x0)
    flat0, unravel_leaves = ravel_pytree(x0)
    flat0 = np.array(flat0, dtype=np.result_type(flat0.dtype, np.float32))
    n = flat0.size

    def unravel(xf):
        return unravel_leaves(xf)

    def f_flat(xf):
        out = fun(unravel(xf), *args)
        _check_scalar(fun, out)
        return out

    # -- the objective (and its gradient) SciPy sees
    user_jac = jac
    kw = {}
    if meth in _NO_DERIVATIVES:
        def sp_fun(xf):
            return _scalar(f_flat(np.asarray(xf)))
        sp_jac = None
    elif user_jac is None:
        vg = value_and_grad(f_flat)
        vg = _jit(vg) if jit else vg

        def sp_fun(xf):
            v, g = vg(np.asarray(xf))
            return _scalar(v), _value(g, "the gradient").astype(np.float64)
        sp_jac = True
    elif user_jac is True:
        def sp_fun(xf):
            v, g = fun(unravel(np.asarray(xf)), *args)
            _check_scalar(fun, v)
            return _scalar(v), _flat(g, n, "fun (jac=True)")
        sp_jac = True
    elif callable(user_jac):
        def sp_fun(xf):
            return _scalar(f_flat(np.asarray(xf)))

        def sp_jac(xf):
            return _flat(user_jac(unravel(np.asarray(xf)), *args), n, "jac")
    else:  # SciPy's finite differences ('2-point', ..., False)
        def sp_fun(xf):
            return _scalar(f_flat(np.asarray(xf)))
        sp_jac = user_jac
    if sp_jac is not None:
        kw["jac"] = sp_jac

    # -- second derivatives
    if isinstance(hess, str) and hess == "sparse":
        if meth not in ("trust-constr", "newton-cg"):
            raise ValueError(f"funcdiff.scipy.optimize.minimize: hess='sparse' is for the "
                             f"methods that take a sparse Hessian (trust-constr, Newton-CG), "
                             f"not {method!r}")
        sparse_h = sparse_hessian(f_flat)
        sparse_h.prepare(flat0)  # (detection and colouring, once)
        kw["hess"] = lambda xf: sparse_h(np.asarray(xf, flat0.dtype)).astype(np.float64)
        hess = kw["hess"]
    elif callable(hess):
        kw["hess"] = lambda xf: np.asarray(hess(unravel(np.asarray(xf)), *args), np.float64)
    elif hess is not None:
        kw["hess"] = hess  # SciPy's '2-point', ..., or a HessianUpdateStrategy
    if callable(hessp):
        kw["hessp"] = lambda xf, p: _flat(
            hessp(unravel(np.asarray(xf)), unravel(np.asarray(p)), *args), n, "hessp")
    elif hessp is not None:
        kw["hessp"] = hessp
    if hess is None and (hessp is None or meth not in _USE_HESSP) and meth in _USE_HESS:
        if meth in _USE_HESSP:
            gradient = grad(f_flat)

            def hvp(xf, p):
                return jvp(gradient, (xf,), (p,))[1]
            hvp = _jit(hvp) if jit else hvp
            kw["hessp"] = lambda xf, p: _value(hvp(np.asarray(xf), np.asarray(
                p, np.asarray(xf).dtype)), "the Hessian-vector product").astype(np.float64)
        else:
            h = hessian(f_flat)
            h = _jit(h) if jit else h
            kw["hess"] = lambda xf: _value(h(np.asarray(xf)), "the Hessian").astype(
                np.float64).reshape(n, n)

    # -- bounds and constraints on the flat vector
    if bounds is not None:
        pb = _pytree_bounds(bounds, x0)
        bounds = pb if pb is not None else bounds
    if constraints is not None and not (isinstance(constraints, (tuple, list))
                                        and len(constraints) == 0):
        constraints = _constraints(constraints, unravel, jit, n)

    res = _so.minimize(sp_fun, flat0, method=method, bounds=bounds, constraints=constraints,
                       tol=tol, callback=_wrap_callback(callback, unravel, meth),
                       options=options, **kw)
    # -- the result with x (and the gradient) shaped like x0
    res.x = tree_map(lambda a: np.array(a, copy=True), unravel(np.asarray(res.x)))
    if "fun" in res:
        res.fun = float(np.asarray(res.fun).reshape(()))
    for key in ("jac", "grad"):
        value = res.get(key)
        if isinstance(value, np.ndarray) and value.shape == (n,):
            res[key] = tree_map(lambda a: np.array(a, copy=True), unravel(value))
    return res



def least_squares(fun, x0, args=(), *, jac=None, method="trf", jit=False, **kwargs):
    """`scipy.optimize.least_squares` with funcdiff's exact Jacobian of the residuals.

    `fun(x, *args)` returns the residuals (any pytree of real arrays, raveled); `x0` is
    any pytree of real arrays (raveled as in `minimize`; the result's `x` is shaped like
    it). `jac=None`: the dense Jacobian (`jacfwd` when there are fewer parameters than
    residuals, else `jacrev`); `jac="sparse"`: the sparse one (`sparse_jacfwd` or
    `sparse_jacrev`, whichever needs fewer colours, detected and coloured once), given to
    SciPy as a CSR matrix with `jac_sparsity` (so 'trf' solves with LSMR); a callable
    or SciPy's finite-difference strings are passed through. Other keyword arguments go
    to SciPy.

    ```python
    >>> import numpy as np, funcdiff.numpy as fnp
    >>> from funcdiff.scipy.optimize import least_squares
    >>> def residuals(x):  # a chain: each residual couples two neighbours
    ...     return fnp.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])
    >>> res = least_squares(residuals, np.zeros(50), jac="sparse")
    >>> import scipy.sparse
    >>> bool(res.success), np.allclose(res.x, 1.0, atol=1e-6), scipy.sparse.issparse(res.jac)
    (True, True, True)

    ```
    """
    _check_not_traced(x0, "`x0`")
    _check_not_traced(args, "`args`")
    args = args if isinstance(args, tuple) else (args,)
    x0 = _x0_tree(x0)
    flat0, unravel = ravel_pytree(x0)
    flat0 = np.array(flat0, dtype=np.result_type(flat0.dtype, np.float32))

    def f_flat(xf):
        r, _ = ravel_pytree(fun(unravel(xf), *args))
        return r

    f_run = _jit(f_flat) if jit else f_flat

    def sp_fun(xf):
        return np.asarray(f_run(np.asarray(xf, flat0.dtype)), np.float64)

    m = int(np.asarray(f_flat(flat0)).size)
    if jac is None:
        j = (jacfwd if flat0.size <= m else jacrev)(f_flat)
        j = _jit(j) if jit else j
        kwargs["jac"] = lambda xf: np.asarray(j(np.asarray(xf, flat0.dtype)), np.float64)
    elif isinstance(jac, str) and jac == "sparse":
        pattern = jacobian_sparsity(f_flat, flat0)
        fwd, rev = sparse_jacfwd(f_flat, pattern), sparse_jacrev(f_flat, pattern)
        sj = fwd if fwd.prepare(flat0).ncolors <= rev.prepare(flat0).ncolors else rev
        kwargs["jac"] = lambda xf: sj(np.asarray(xf, flat0.dtype)).astype(np.float64)
        kwargs.setdefault("jac_sparsity", pattern)
    else:
        kwargs["jac"] = jac
    res = _so.least_squares(sp_fun, flat0, method=method, **kwargs)
    res.x = tree_map(lambda a: np.array(a, copy=True), unravel(np.asarray(res.x)))
    return res
