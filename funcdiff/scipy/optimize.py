"""`funcdiff.scipy.optimize`: SciPy's `minimize` and `least_squares` with exact derivatives.

`minimize(fun, x0, args=(), *, method='BFGS', jac=None, hess=None, hessp=None,
bounds=None, constraints=(), tol=None, callback=None, options=None, jit=False)`
runs `scipy.optimize.minimize` with the derivatives of `fun` computed by funcdiff
instead of finite differences:

- the gradient by `funcdiff.value_and_grad`: SciPy gets `jac=True`, so each
  evaluation is one forward and one backward pass giving the value and the gradient;
- Hessian-vector products by forward-over-reverse (`jvp` of `grad`) for the methods
  that accept `hessp` (Newton-CG, trust-ncg, trust-krylov, trust-constr), unless
  `hess` is given;
- the Hessian by `funcdiff.hessian` for the methods that need the matrix (dogleg,
  trust-exact);
- the Jacobians of constraints by `funcdiff.jacrev`: dict constraints
  (`{'type', 'fun'}`, SLSQP, COBYLA, trust-constr) without `'jac'`, and
  `NonlinearConstraint` objects whose `jac` is left at its default `'2-point'`
  (their `hess` is kept: the default quasi-Newton `BFGS()` strategy).

Methods: BFGS, L-BFGS-B, CG, TNC, SLSQP, Newton-CG, dogleg, trust-ncg, trust-krylov,
trust-exact, trust-constr; Nelder-Mead, Powell, COBYLA and COBYQA (no derivatives)
are passed through.

Parameters are pytrees: `x0` may be any pytree of real arrays (a dict of weights, a
tuple, one array of any shape). It is flattened with `funcdiff.tree.ravel_pytree` for
SciPy (integer leaves become float64, as in SciPy; complex leaves are refused), and
`fun`, `callback` and the user-supplied `jac`, `hess`, `hessp` and constraint functions
are called with the pytree. The result is SciPy's `OptimizeResult` whose `x` is a new
pytree like `x0` (same structure and dtypes, never aliasing `x0`), `fun` a float, and
`jac` (the gradient; `grad` for trust-constr) a pytree like `x0`; `nit`, `nfev`,
`njev`, `success`, `status`, `message` are SciPy's (`hess_inv` of BFGS and L-BFGS-B
stays over the flattened parameters). `method=None` chooses as SciPy does (SLSQP with
constraints, L-BFGS-B with bounds, else BFGS).

- `hess="sparse"` (trust-constr, Newton-CG): the Hessian as a `scipy.sparse` matrix from
  `funcdiff.sparse_hessian` (its pattern detected and coloured once, then one batched
  pass of Hessian-vector products per colour).
- `jac`, `hess`, `hessp` given by the user replace the automatic ones: `jac(x, *args)`
  returns the gradient as a pytree like `x`, `jac=True` means `fun` returns
  `(value, gradient)`, `hessp(x, p, *args)` gets and returns pytrees, and
  `hess(x, *args)` returns the `(n, n)` matrix over the flattened parameters. SciPy's
  finite-difference strings (`'2-point'`, ...) and `HessianUpdateStrategy` objects are
  passed through.
- `bounds`: SciPy's forms (a `Bounds` object or `n` `(min, max)` pairs over the
  flattened parameters), or, for a pytree `x0` that is not one array, a pair
  `(lower, upper)` of pytrees like `x0` whose leaves broadcast to the parameters'
  (or scalars; `None` for no bound on that side). A dict constraint's `'jac'` and a
  `LinearConstraint`'s matrix are over the flattened parameters.
- `args` are passed to `fun` (and to `jac`, `hess`, `hessp`) and not differentiated.
- `jit=True` compiles the gradient, Hessian-vector product, Hessian and constraint
  Jacobians with `funcdiff.jit` (same results). It pays off for every method that takes
  many steps: on the 100-dimensional Rosenbrock function (benchmarks/minimize.py) BFGS
  takes 1.1x the time of SciPy given the hand-written `rosen_der` with `jit=True` (1.9x
  eagerly), trust-krylov 1.7x with its Hessian-vector products jitted (11x eagerly).

Errors: `fun` must return one real number: a non-scalar or complex value raises a
TypeError naming `fun`, the shape and dtype it returned and the fix (reduce it, e.g.
`fnp.sum(r ** 2)`). `minimize` is not differentiable: called inside a transform (`x0`
or `args` traced, or `fun` closing over a traced value) it raises a TypeError saying so
instead of silently detaching; differentiate a minimizer by implicit differentiation
(at the optimum `x*(p)`, `dx*/dp = -H^-1 d(grad_x f)/dp`).

`least_squares(fun, x0, args=(), *, jac=None, method='trf', jit=False, **kwargs)` runs
`scipy.optimize.least_squares` on the residuals `fun(x, *args)` (pytrees, raveled) with
their exact Jacobian: dense (`jacfwd` or `jacrev`, whichever is cheaper), or with
`jac="sparse"` a `scipy.sparse` matrix from `sparse_jacfwd`/`sparse_jacrev` (the one with
fewer colours) and SciPy's `jac_sparsity` set to the detected pattern.

Example:
    ```python
    >>> import numpy as np, funcdiff.numpy as fnp
    >>> from funcdiff.scipy.optimize import minimize
    >>> def rosen(x):
    ...     return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> res = minimize(rosen, np.zeros(5), method="trust-krylov")
    >>> bool(res.success), np.allclose(res.x, 1.0, atol=1e-6)
    (True, True)

    ```
"""

from funcdiff._src.scipy.optimize import *  # noqa: F403
from funcdiff._src.scipy.optimize import __all__  # noqa: F401
