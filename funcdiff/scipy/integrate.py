"""`funcdiff.scipy.integrate`: `odeint`, an ODE solver differentiable by the adjoint method,
and `trapezoid`.

`trapezoid(y, x=None, dx=1.0, axis=-1)` is SciPy's trapezoidal rule, a
composition of differences, products and a sum (`funcdiff.numpy.trapezoid`), so
it is differentiable in `y`, `x` and `dx` to any order, batchable and jittable.

`odeint(func, y0, t, *args)` solves dy/dt = func(y, t, *args) with an
adaptive Dormand-Prince 5(4) Runge-Kutta method written with NumPy, on
concrete values, and returns y at every time of the grid `t`. It is one
primitive, `odeint`, on flat arrays (the state `y0` of shape (..., n), the
grid `ts` of shape (..., m), the parameters) whose static parameter `dyn` is
the flattened dynamics. Its rules use the primitive itself on augmented
systems, with funcdiff's own `jvp`/`vjp` of `dyn` inside the dynamics:

- reverse mode (VJP) is the adjoint method: from the last grid point back to
  the first, integrate [y, a, a_params] backward with
  dy/dt = f, da/dt = -a^T df/dy, da_params/dt = -a^T df/dparams,
  restarting y from the stored solution and adding the output cotangent to
  `a` at each grid point. The grid gets dL/dt_i = <g_i, f(y_i, t_i)> for
  i > 0 and dL/dt_0 = -<a(t_0), f(y_0, t_0)> (a(t_0) without g_0).
- forward mode (JVP) integrates the sensitivity system [y, δ],
  dδ/dt = df/dy δ + df/dparams dparams, from δ(t_0) = dy0 - f(y_0, t_0) dt_0,
  and adds f(y_i, t_i) dt_i at each grid point.
- vmap integrates the whole batch at once (one shared step size, error norm:
  the largest over the batch), with `dyn` vmapped.

Because the rules are made of the same primitive, they compose: jvp, grad,
vmap, and derivatives of any order (hessians through the adjoint of the
adjoint). Each grid interval [t_i, t_i+1] is integrated in the rescaled
variable s in [0, 1] (t = t_i + s (t_i+1 - t_i)), so grids may decrease, repeat
a time, or differ between the members of a batch.

Closures: `func` may close over traced values (say, a parameter being
differentiated); `odeint` stages `func` (as `jit` would) and turns those values
into explicit parameters, so their derivatives are right. A `func` that cannot
be staged (Python control flow on its arguments) must receive traced values
through `*args`.
"""

from funcdiff._src.scipy.integrate import odeint, trapezoid

__all__ = ["odeint", "trapezoid"]
