"""The implementation of `funcdiff.optimizers`: gradient transformations over pytrees.

An optimizer is a `GradientTransformation`, a pair of pure functions: `init(params)`
makes a state and `update(grads, state, params=None)` turns gradients into updates
and a new state. Nothing is mutated: each call returns fresh arrays, and states are
pytrees (NamedTuples of arrays) so that a whole training step can be jitted. The step
count is a 0-d int64 array, so a jitted step is traced once however many times it runs,
and a learning rate may be a schedule, a function of that count.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import funcdiff.numpy as fnp
from funcdiff._src.core import Tracer
from funcdiff._src.tree import structure_difference, tree_flatten, tree_structure

__all__ = [
    "GradientTransformation",
    "apply_updates",
    "chain",
    "scale",
    "clip_by_global_norm",
    "sgd",
    "adam",
    "adamw",
    "rmsprop",
    "constant_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "piecewise_constant_schedule",
]


class GradientTransformation(NamedTuple):
    """An optimizer, or a piece of one: the pure functions `init` and `update`.

    - `init(params) -> state` makes the state (a pytree of arrays) for parameters
      `params`;
    - `update(grads, state, params=None) -> (updates, new_state)` turns gradients (a
      pytree like `params`) into updates (another one), to be added to the parameters
      by `apply_updates`. Transformations that need the parameters (`adamw`'s weight
      decay) read them from `params`.

    Both are pure: they never modify their arguments, so the same state can be used
    twice, and they work eagerly and under `funcdiff.jit`. `chain` composes
    transformations into one.

    Example:
        A transformation of one's own, doubling the gradients:

        ```python
        >>> import funcdiff.optimizers as optim
        >>> from funcdiff.tree import tree_map
        >>> double = optim.GradientTransformation(
        ...     init=lambda params: (),
        ...     update=lambda grads, state, params=None: (
        ...         tree_map(lambda g: 2 * g, grads), state))
        >>> opt = optim.chain(double, optim.sgd(0.5))
        >>> state = opt.init([np.zeros(2)])
        >>> updates, state = opt.update([np.array([1.0, -3.0])], state)
        >>> updates[0].tolist()
        [-1.0, 3.0]

        ```
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


# -- states (pytrees of arrays; the step count is a 0-d int64 array) --------------------------


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none (`scale`, `clip_by_global_norm`)."""


class SgdState(NamedTuple):
    """`sgd`'s state: the step count and the momentum trace (None without momentum)."""

    count: Any
    trace: Any


class AdamState(NamedTuple):
    """`adam`'s and `adamw`'s state: the step count and the first and second moments."""

    count: Any
    mu: Any
    nu: Any


class RmsPropState(NamedTuple):
    """`rmsprop`'s state: the step count, the mean square of the gradients, their mean
    (None unless `centered`) and the momentum trace (None without momentum)."""

    count: Any
    nu: Any
    mu: Any
    trace: Any


# -- argument checks ------------------------------------------------------------------------


def _concrete_real(value):
    """`value` as a Python float when it is a concrete real number, else None (a tracer,
    or something that is not a number)."""
    if isinstance(value, Tracer):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return float(value)
    return None


def _hyper(value, name, fun, *, low=None, high=None, low_open=False, high_open=False):
    """Check a hyperparameter: a real number in the given range, or a tracer (checked
    by nothing: a value computed under jit). Returns a Python float or the tracer."""
    if isinstance(value, Tracer):
        return value
    v = _concrete_real(value)
    if v is None:
        raise TypeError(f"{fun}: {name} must be a real number, got {value!r}")
    too_low = low is not None and (v <= low if low_open else v < low)
    too_high = high is not None and (v >= high if high_open else v > high)
    if math.isnan(v) or too_low or too_high:
        if high is None:
            want = f"{'>' if low_open else '>='} {low:g}"
        else:
            want = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{fun}: {name} must be {want}, got {value!r}")
    return v


def _learning_rate(value, fun):
    """A learning rate: a schedule (any callable of the step count) or a number >= 0."""
    if callable(value) or isinstance(value, Tracer):
        return value
    if _concrete_real(value) is None:
        raise TypeError(
            f"{fun}: learning_rate must be a non-negative number or a schedule (a function "
            f"of the step count, such as optimizers.exponential_decay(...)), got {value!r}"
        )
    v = _hyper(value, "learning_rate", fun, low=0.0)
    if math.isinf(v):
        raise ValueError(f"{fun}: learning_rate must be finite, got {value!r}")
    return v


def _optional_momentum(value, fun):
    if value is None:
        return None
    return _hyper(value, "momentum", fun, low=0.0)


def _check_state(state, cls, fun):
    if not isinstance(state, cls):
        raise TypeError(
            f"{fun}: state must be the {cls.__name__} that this optimizer's init(params) "
            f"returned (or an earlier update's new state), got {type(state).__name__}"
        )


def _check_tree(treedef, expected, what, fun,
                against="the parameters the optimizer state was made for (init(params))"):
    """Raise ValueError naming `what` if its structure `treedef` is not `expected`."""
    if treedef != expected:
        raise ValueError(
            f"{fun}: {what} does not have the structure of {against} "
            f"{structure_difference(expected, treedef)}. Expected: {expected}; "
            f"{what}: {treedef}"
        )


# -- leaf helpers -----------------------------------------------------------------------------


def _dtype(x):
    d = getattr(x, "dtype", None)
    return np.result_type(x) if d is None else np.dtype(d)


def _out(x):
    """A NumPy scalar (what NumPy returns for 0-d results) or a Python number as a 0-d
    array; arrays and tracers as they are."""
    return np.asarray(x) if isinstance(x, (np.generic, int, float, complex)) else x


def _like(s, x):
    """A scalar `s` (Python number, 0-d array or tracer) ready to multiply the leaf `x`
    without changing `x`'s dtype: Python numbers are weakly typed already, arrays are
    cast to `x`'s dtype."""
    if type(s) in (int, float):  # (not NumPy scalars: they are not weakly typed)
        return s
    dt = _dtype(x)
    if dt.kind not in "fc" or _dtype(s) == dt:
        return s
    return fnp.astype(s, dt)


def _abs2(x):
    """|x|**2, real for complex leaves."""
    if _dtype(x).kind == "c":
        return fnp.real(x * fnp.conj(x))
    return x * x


def _real_zeros_like(x):
    dt = _dtype(x)
    if dt.kind == "c":
        dt = np.finfo(dt).dtype
    return fnp.zeros_like(x, dtype=dt)


def _zero_count():
    return np.zeros((), np.int64)


def _increment(count):
    return _out(count + 1)


def _rate(learning_rate, count):
    """The learning rate at step `count` (a number, or the schedule's value)."""
    if callable(learning_rate):
        return learning_rate(count)
    return learning_rate


def _float_count(count):
    return fnp.astype(count, np.float64)


# -- applying updates -------------------------------------------------------------------------


def apply_updates(params, updates):
    """Add `updates` to `params`, leaf by leaf: the new parameters.

    Each floating-point leaf keeps the dtype of its parameter (a float32 parameter
    stays float32 if the updates are float64). Nothing is modified in place: the
    result is a new pytree of new arrays.

    Args:
        params: the parameters, a pytree of arrays.
        updates: the updates returned by an optimizer's `update`, a pytree with the
            structure of `params`.

    Returns:
        The pytree `params + updates`.

    Raises:
        ValueError: if `updates` does not have the structure of `params`.

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> new = optim.apply_updates({"w": np.ones(2), "b": 0.5},
        ...                           {"w": np.array([0.5, -1.0]), "b": 0.25})
        >>> new["w"].tolist(), float(new["b"])
        ([1.5, 0.0], 0.75)

        ```
    """
    leaves, treedef = tree_flatten(params)
    u_leaves, u_def = tree_flatten(updates)
    if u_def != treedef:
        raise ValueError(
            f"apply_updates: updates do not have the structure of params "
            f"{structure_difference(treedef, u_def)}. params: {treedef}; updates: {u_def}"
        )
    out = []
    for p, u in zip(leaves, u_leaves):
        new = p + u
        dt = _dtype(p)
        if dt.kind in "fc" and _dtype(new) != dt:  # (an integer parameter is not truncated)
            new = fnp.astype(new, dt)
        out.append(_out(new))
    return treedef.unflatten(out)


# -- composable transformations ---------------------------------------------------------------


def chain(*transforms):
    """Compose gradient transformations: each one's updates are the next one's gradients.

    The state is the tuple of the transformations' states, in order; `params` is passed
    to every one of them.

    Args:
        *transforms: `GradientTransformation`s (the optimizers and transformations of
            this module, or pairs `(init, update)` of one's own).

    Returns:
        A `GradientTransformation` applying `transforms` in turn.

    Raises:
        TypeError: if an argument is not an `(init, update)` pair of functions.

    Example:
        Adam on gradients clipped to a global norm of 1:

        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(1e-3))
        >>> state = opt.init({"w": np.zeros(2)})
        >>> updates, state = opt.update({"w": np.array([30.0, -40.0])}, state)
        >>> updates["w"].round(6).tolist()
        [-0.001, 0.001]

        ```
    """
    for i, t in enumerate(transforms):
        ok = isinstance(t, tuple) and len(t) == 2 and all(callable(f) for f in t)
        if not ok:
            raise TypeError(
                f"chain: argument {i} must be a GradientTransformation (a pair of functions "
                f"init, update), got {type(t).__name__}"
            )
    transforms = tuple(GradientTransformation(*t) for t in transforms)

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise TypeError(
                f"chain: state must be the tuple of {len(transforms)} states that init(params) "
                f"returned, got {type(state).__name__}"
            )
        new_state = []
        for t, s in zip(transforms, state):
            grads, s = t.update(grads, s, params)
            new_state.append(s)
        return grads, tuple(new_state)

    return GradientTransformation(init, update)


def _check_params(params, grads_def, fun):
    if params is not None:
        _check_tree(grads_def, tree_structure(params), "grads", fun, against="params")


def scale(step):
    """Multiply the updates by the number `step` (no state).

    Optimizers in optax's style descend by adding updates, so a plain gradient step of
    size `lr` is `scale(-lr)`.

    Args:
        step: a real number (of any sign).

    Returns:
        A `GradientTransformation`.

    Raises:
        TypeError: if `step` is not a real number.

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.scale(-0.5)
        >>> updates, _ = opt.update(np.array([2.0, 4.0]), opt.init(np.zeros(2)))
        >>> updates.tolist()
        [-1.0, -2.0]

        ```
    """
    step = _hyper(step, "step", "scale")

    def init(params):
        return EmptyState()

    def update(grads, state, params=None):
        leaves, treedef = tree_flatten(grads)
        _check_params(params, treedef, "scale")
        return treedef.unflatten([_out(g * _like(step, g)) for g in leaves]), state

    return GradientTransformation(init, update)


def clip_by_global_norm(max_norm):
    """Scale the updates down so that their global norm is at most `max_norm` (no state).

    The global norm is the 2-norm of all the leaves together,
    `sqrt(sum(sum(|g|**2) for g in leaves))`. When it exceeds `max_norm`, every leaf is
    multiplied by `max_norm / norm`, so the result has norm `max_norm` and the
    direction of the gradients; otherwise the gradients pass unchanged.

    Args:
        max_norm: the largest global norm, a positive number.

    Returns:
        A `GradientTransformation`.

    Raises:
        ValueError: if `max_norm` is not positive and finite.

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> clip = optim.clip_by_global_norm(1.0)
        >>> grads = {"a": np.array([3.0]), "b": np.array([4.0])}  # global norm 5
        >>> clipped, _ = clip.update(grads, clip.init(grads))
        >>> clipped["a"].round(12).tolist(), clipped["b"].round(12).tolist()
        ([0.6], [0.8])

        ```
    """
    max_norm = _hyper(max_norm, "max_norm", "clip_by_global_norm", low=0.0, low_open=True)
    if not isinstance(max_norm, Tracer) and math.isinf(max_norm):
        raise ValueError(f"clip_by_global_norm: max_norm must be finite, got {max_norm!r}")

    def init(params):
        return EmptyState()

    def update(grads, state, params=None):
        leaves, treedef = tree_flatten(grads)
        _check_params(params, treedef, "clip_by_global_norm")
        if not leaves:
            return grads, state
        total = None
        for g in leaves:
            s = fnp.sum(_abs2(g))
            total = s if total is None else total + s
        norm = fnp.sqrt(total)
        # exactly 1 when the norm is within the bound (no division by a zero norm)
        factor = max_norm / fnp.maximum(norm, max_norm)
        return treedef.unflatten([_out(g * _like(factor, g)) for g in leaves]), state

    return GradientTransformation(init, update)


# -- optimizers -------------------------------------------------------------------------------


def sgd(learning_rate, momentum=None, nesterov=False):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Without momentum the update is `-lr * g`. With `momentum=m` a trace of the
    gradients is kept, `trace = g + m * trace`, and the update is `-lr * trace`, or
    `-lr * (g + m * trace)` with `nesterov=True`. The learning rate `lr` is
    `learning_rate`, or `learning_rate(count)` for a schedule, at step `count` =
    0, 1, 2, ...

    Args:
        learning_rate: a number >= 0, or a schedule (a function of the step count).
        momentum: the decay of the momentum trace (>= 0), or None for none.
        nesterov: use Nesterov's momentum (needs `momentum`).

    Returns:
        A `GradientTransformation` whose state is an `SgdState(count, trace)`.

    Raises:
        ValueError: for a negative `learning_rate` or `momentum`, or `nesterov` without
            `momentum`.

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.sgd(0.1, momentum=0.9)
        >>> params = {"w": np.array([1.0, 2.0])}
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update({"w": np.array([1.0, -1.0])}, state)
        ...     params = optim.apply_updates(params, updates)
        >>> params["w"].round(6).tolist()  # steps of 0.1, then 0.1 * 1.9
        [0.71, 2.29]

        ```
    """
    fun = "sgd"
    learning_rate = _learning_rate(learning_rate, fun)
    momentum = _optional_momentum(momentum, fun)
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"sgd: nesterov must be True or False, got {nesterov!r}")
    if nesterov and momentum is None:
        raise ValueError("sgd: nesterov=True needs a momentum (sgd(lr, momentum=0.9, ...))")

    def init(params):
        trace = None
        if momentum is not None:
            leaves, treedef = tree_flatten(params)
            trace = treedef.unflatten([fnp.zeros_like(p) for p in leaves])
        return SgdState(count=_zero_count(), trace=trace)

    def update(grads, state, params=None):
        _check_state(state, SgdState, fun)
        leaves, treedef = tree_flatten(grads)
        _check_params(params, treedef, fun)
        lr = _rate(learning_rate, state.count)
        trace = state.trace
        if momentum is None:
            out = [_out(-_like(lr, g) * g) for g in leaves]
        else:
            t_leaves, t_def = tree_flatten(trace)
            _check_tree(treedef, t_def, "grads", fun)
            t_new = [g + momentum * t for g, t in zip(leaves, t_leaves)]
            step = [g + momentum * t for g, t in zip(leaves, t_new)] if nesterov else t_new
            out = [_out(-_like(lr, g) * s) for g, s in zip(leaves, step)]
            trace = treedef.unflatten([_out(t) for t in t_new])
        return treedef.unflatten(out), SgdState(count=_increment(state.count), trace=trace)

    return GradientTransformation(init, update)


def _adam_like(learning_rate, b1, b2, eps, weight_decay, fun):
    learning_rate = _learning_rate(learning_rate, fun)
    b1 = _hyper(b1, "b1", fun, low=0.0, high=1.0, high_open=True)
    b2 = _hyper(b2, "b2", fun, low=0.0, high=1.0, high_open=True)
    eps = _hyper(eps, "eps", fun, low=0.0)
    if weight_decay is not None:
        weight_decay = _hyper(weight_decay, "weight_decay", fun, low=0.0)

    def init(params):
        leaves, treedef = tree_flatten(params)
        mu = treedef.unflatten([fnp.zeros_like(p) for p in leaves])
        nu = treedef.unflatten([_real_zeros_like(p) for p in leaves])
        return AdamState(count=_zero_count(), mu=mu, nu=nu)

    def update(grads, state, params=None):
        _check_state(state, AdamState, fun)
        if weight_decay is not None and params is None:
            raise ValueError(
                f"{fun}: update needs params for the decoupled weight decay: call "
                f"update(grads, state, params)"
            )
        leaves, treedef = tree_flatten(grads)
        mu_leaves, mu_def = tree_flatten(state.mu)
        nu_leaves, _ = tree_flatten(state.nu)
        _check_tree(treedef, mu_def, "grads", fun)
        if params is not None:
            p_leaves, p_def = tree_flatten(params)
            _check_tree(p_def, mu_def, "params", fun)
        lr = _rate(learning_rate, state.count)
        count = _increment(state.count)
        t = _float_count(count)
        bc1 = 1 - b1**t  # bias corrections
        bc2 = 1 - b2**t
        mu_new, nu_new, out = [], [], []
        for i, (g, m, v) in enumerate(zip(leaves, mu_leaves, nu_leaves)):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * _abs2(g)
            step = (m / _like(bc1, m)) / (fnp.sqrt(v / _like(bc2, v)) + eps)
            if weight_decay is not None:
                step = step + weight_decay * p_leaves[i]
            mu_new.append(_out(m))
            nu_new.append(_out(v))
            out.append(_out(-_like(lr, step) * step))
        new_state = AdamState(
            count=count, mu=treedef.unflatten(mu_new), nu=treedef.unflatten(nu_new)
        )
        return treedef.unflatten(out), new_state

    return GradientTransformation(init, update)


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma and Ba, 2015), with bias correction.

    At step `t` = 1, 2, ... (the state's count after the step):

    ```text
    mu = b1 * mu + (1 - b1) * g
    nu = b2 * nu + (1 - b2) * |g|**2
    update = -lr * (mu / (1 - b1**t)) / (sqrt(nu / (1 - b2**t)) + eps)
    ```

    with `lr` the learning rate, or the schedule's value at the count before the step
    (0, 1, 2, ...).

    Args:
        learning_rate: a number >= 0, or a schedule (a function of the step count).
        b1: the decay of the first moment, in [0, 1).
        b2: the decay of the second moment, in [0, 1).
        eps: added to the denominator, >= 0.

    Returns:
        A `GradientTransformation` whose state is an `AdamState(count, mu, nu)`.

    Raises:
        ValueError: for a negative `learning_rate` or `eps`, or `b1`, `b2` outside [0, 1).

    Example:
        The first step moves every parameter by about `learning_rate`:

        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.adam(0.1)
        >>> params = {"w": np.array([1.0, 2.0])}
        >>> updates, state = opt.update({"w": np.array([0.5, -3.0])}, opt.init(params))
        >>> updates["w"].round(6).tolist()
        [-0.1, 0.1]
        >>> int(state.count)
        1

        ```
    """
    return _adam_like(learning_rate, b1, b2, eps, None, "adam")


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    The update is Adam's plus a decay of the parameters, both scaled by the learning
    rate: `-lr * (adam_step + weight_decay * params)` (see `adam` for `adam_step`). It
    needs the parameters: call `update(grads, state, params)`.

    Args:
        learning_rate: a number >= 0, or a schedule (a function of the step count).
        b1: the decay of the first moment, in [0, 1).
        b2: the decay of the second moment, in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: the rate of the weight decay, >= 0.

    Returns:
        A `GradientTransformation` whose state is an `AdamState(count, mu, nu)`.

    Raises:
        ValueError: for negative numbers, `b1` or `b2` outside [0, 1), and (from
            `update`) when `params` is not given.

    Example:
        With zero gradients only the weight decay moves the parameters:

        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.adamw(0.1, weight_decay=0.5)
        >>> params = np.array([1.0, -2.0])
        >>> updates, state = opt.update(np.zeros(2), opt.init(params), params)
        >>> updates.tolist()  # -0.1 * 0.5 * params
        [-0.05, 0.1]

        ```
    """
    return _adam_like(learning_rate, b1, b2, eps, weight_decay, "adamw")


def rmsprop(learning_rate, decay=0.9, eps=1e-8, momentum=None, centered=False):
    """RMSProp (Tieleman and Hinton, 2012): gradients divided by a running RMS.

    ```text
    nu = decay * nu + (1 - decay) * |g|**2
    step = g / sqrt(nu + eps)                          # centered=False
    mu = decay * mu + (1 - decay) * g                  # centered=True:
    step = g / sqrt(nu - |mu|**2 + eps)                #   divide by the std instead
    update = -lr * step                                # momentum=None
    trace = -lr * step + momentum * trace              # else: update = trace
    ```

    As in optax, `eps` is added inside the square root and the momentum trace is kept
    of the updates scaled by the learning rate.

    Args:
        learning_rate: a number >= 0, or a schedule (a function of the step count).
        decay: the decay of the running averages, in [0, 1).
        eps: added under the square root, >= 0.
        momentum: the decay of a momentum trace (>= 0), or None for none.
        centered: divide by the running standard deviation of the gradients instead
            of their root mean square.

    Returns:
        A `GradientTransformation` whose state is an `RmsPropState(count, nu, mu,
        trace)` (`mu` None unless `centered`, `trace` None without momentum).

    Raises:
        ValueError: for negative numbers or `decay` outside [0, 1).

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> opt = optim.rmsprop(0.01, eps=0.0)
        >>> updates, state = opt.update(np.array([2.0, -4.0]), opt.init(np.zeros(2)))
        >>> updates.round(6).tolist()  # -0.01 * g / sqrt(0.1 * g**2)
        [-0.031623, 0.031623]

        ```
    """
    fun = "rmsprop"
    learning_rate = _learning_rate(learning_rate, fun)
    decay = _hyper(decay, "decay", fun, low=0.0, high=1.0, high_open=True)
    eps = _hyper(eps, "eps", fun, low=0.0)
    momentum = _optional_momentum(momentum, fun)
    if not isinstance(centered, (bool, np.bool_)):
        raise TypeError(f"rmsprop: centered must be True or False, got {centered!r}")

    def init(params):
        leaves, treedef = tree_flatten(params)
        nu = treedef.unflatten([_real_zeros_like(p) for p in leaves])
        mu = treedef.unflatten([fnp.zeros_like(p) for p in leaves]) if centered else None
        trace = None
        if momentum is not None:
            trace = treedef.unflatten([fnp.zeros_like(p) for p in leaves])
        return RmsPropState(count=_zero_count(), nu=nu, mu=mu, trace=trace)

    def update(grads, state, params=None):
        _check_state(state, RmsPropState, fun)
        leaves, treedef = tree_flatten(grads)
        nu_leaves, nu_def = tree_flatten(state.nu)
        _check_tree(treedef, nu_def, "grads", fun)
        _check_params(params, treedef, fun)
        mu_leaves = tree_flatten(state.mu)[0] if centered else [None] * len(leaves)
        tr_leaves = tree_flatten(state.trace)[0] if momentum is not None else [None] * len(
            leaves)
        lr = _rate(learning_rate, state.count)
        nu_new, mu_new, tr_new, out = [], [], [], []
        for g, v, m, tr in zip(leaves, nu_leaves, mu_leaves, tr_leaves):
            v = b = decay * v + (1 - decay) * _abs2(g)
            if centered:
                m = decay * m + (1 - decay) * g
                b = v - _abs2(m)
                mu_new.append(_out(m))
            u = -_like(lr, g) * (g / fnp.sqrt(b + eps))
            if momentum is not None:
                u = u + momentum * tr
                tr_new.append(_out(u))
            nu_new.append(_out(v))
            out.append(_out(u))
        new_state = RmsPropState(
            count=_increment(state.count),
            nu=treedef.unflatten(nu_new),
            mu=treedef.unflatten(mu_new) if centered else None,
            trace=treedef.unflatten(tr_new) if momentum is not None else None,
        )
        return treedef.unflatten(out), new_state

    return GradientTransformation(init, update)


# -- schedules --------------------------------------------------------------------------------


def _steps(value, name, fun, *, positive=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fun}: {name} must be an int, got {value!r}")
    value = int(value)
    if value < (1 if positive else 0):
        raise ValueError(f"{fun}: {name} must be {'> 0' if positive else '>= 0'}, got {value}")
    return value


def _value(value, name, fun):
    """A schedule's value argument: a finite real number."""
    v = _hyper(value, name, fun)
    if not isinstance(v, Tracer) and math.isinf(v):
        raise ValueError(f"{fun}: {name} must be finite, got {value!r}")
    return v


def constant_schedule(value):
    """The schedule that is `value` at every step.

    Args:
        value: a real number.

    Returns:
        A function `step -> value`.

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> optim.constant_schedule(0.1)(1000)
        0.1

        ```
    """
    value = _value(value, "value", "constant_schedule")

    def schedule(step):
        return value

    return schedule


def exponential_decay(init_value, transition_steps, decay_rate, staircase=False):
    """The schedule `init_value * decay_rate ** (step / transition_steps)`.

    With `staircase=True` the exponent is rounded down, `floor(step / transition_steps)`,
    so the value drops by a factor `decay_rate` every `transition_steps` steps.

    Args:
        init_value: the value at step 0.
        transition_steps: the number of steps over which the value is multiplied by
            `decay_rate`, a positive int.
        decay_rate: the factor, > 0 (below 1 to decay).
        staircase: decay in discrete jumps.

    Returns:
        A function of the step count (an int, a 0-d integer array or a tracer).

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> smooth = optim.exponential_decay(1.0, transition_steps=10, decay_rate=0.5)
        >>> stairs = optim.exponential_decay(1.0, 10, 0.5, staircase=True)
        >>> float(smooth(15)), float(stairs(15))
        (0.3535533905932738, 0.5)

        ```
    """
    fun = "exponential_decay"
    init_value = _value(init_value, "init_value", fun)
    transition_steps = _steps(transition_steps, "transition_steps", fun)
    decay_rate = _hyper(decay_rate, "decay_rate", fun, low=0.0, low_open=True)
    if not isinstance(staircase, (bool, np.bool_)):
        raise TypeError(f"{fun}: staircase must be True or False, got {staircase!r}")

    def schedule(step):
        p = _float_count(step) / transition_steps
        if staircase:
            p = fnp.floor(p)
        return init_value * decay_rate**p

    return schedule


def cosine_decay_schedule(init_value, decay_steps, alpha=0.0):
    """A cosine decay from `init_value` to `alpha * init_value` over `decay_steps` steps.

    `init_value * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
    decay_steps)) + alpha)`: constant at `alpha * init_value` after `decay_steps`.

    Args:
        init_value: the value at step 0.
        decay_steps: the length of the decay, a positive int.
        alpha: the final value as a fraction of `init_value`, in [0, 1].

    Returns:
        A function of the step count (an int, a 0-d integer array or a tracer).

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> schedule = optim.cosine_decay_schedule(1.0, decay_steps=100, alpha=0.1)
        >>> [round(float(schedule(s)), 6) for s in (0, 50, 100, 200)]
        [1.0, 0.55, 0.1, 0.1]

        ```
    """
    fun = "cosine_decay_schedule"
    init_value = _value(init_value, "init_value", fun)
    decay_steps = _steps(decay_steps, "decay_steps", fun)
    alpha = _hyper(alpha, "alpha", fun, low=0.0, high=1.0)

    def schedule(step):
        t = fnp.minimum(_float_count(step), float(decay_steps)) / decay_steps
        cosine = 0.5 * (1 + fnp.cos(np.pi * t))
        return init_value * ((1 - alpha) * cosine + alpha)

    return schedule


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
                                 end_value=0.0):
    """A linear warmup from `init_value` to `peak_value`, then a cosine decay to
    `end_value`.

    For `step < warmup_steps` the value is `init_value + (peak_value - init_value) *
    step / warmup_steps`; from there to `decay_steps` (which counts the warmup, as in
    optax) it is `end_value + (peak_value - end_value) * 0.5 * (1 + cos(pi * s / n))`
    with `s = step - warmup_steps`, `n = decay_steps - warmup_steps`; then `end_value`.

    Args:
        init_value: the value at step 0.
        peak_value: the value at the end of the warmup.
        warmup_steps: the length of the warmup, an int >= 0.
        decay_steps: the step at which the decay ends, an int > `warmup_steps`.
        end_value: the final value.

    Returns:
        A function of the step count (an int, a 0-d integer array or a tracer).

    Example:
        ```python
        >>> import funcdiff.optimizers as optim
        >>> schedule = optim.warmup_cosine_decay_schedule(
        ...     0.0, peak_value=1.0, warmup_steps=10, decay_steps=110, end_value=0.1)
        >>> [round(float(schedule(s)), 6) for s in (0, 5, 10, 60, 110, 500)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]

        ```
    """
    fun = "warmup_cosine_decay_schedule"
    init_value = _value(init_value, "init_value", fun)
    peak_value = _value(peak_value, "peak_value", fun)
    end_value = _value(end_value, "end_value", fun)
    warmup_steps = _steps(warmup_steps, "warmup_steps", fun, positive=False)
    decay_steps = _steps(decay_steps, "decay_steps", fun)
    if decay_steps <= warmup_steps:
        raise ValueError(
            f"{fun}: decay_steps ({decay_steps}) must be greater than warmup_steps "
            f"({warmup_steps}): it counts the warmup steps too"
        )
    n = decay_steps - warmup_steps

    def schedule(step):
        s = _float_count(step)
        frac = fnp.clip(s / max(warmup_steps, 1), 0.0, 1.0)
        warm = init_value + (peak_value - init_value) * frac
        t = fnp.clip(s - warmup_steps, 0.0, float(n)) / n
        cool = end_value + (peak_value - end_value) * (0.5 * (1 + fnp.cos(np.pi * t)))
        return fnp.where(s < warmup_steps, warm, cool)

    return schedule


def piecewise_constant_schedule(init_value, boundaries_and_scales=None):
    """A value multiplied by a factor at given steps.

    The value is `init_value` times the product of the scales of all the boundaries
    `<= step`.

    Args:
        init_value: the value before the first boundary.
        boundaries_and_scales: a dict `{step: scale}` of ints >= 0 and scales >= 0
            (or None: a constant schedule).

    Returns:
        A function of the step count (an int, a 0-d integer array or a tracer).

    Example:
        Divide by 10 at step 100 and again at step 200:

        ```python
        >>> import funcdiff.optimizers as optim
        >>> schedule = optim.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.1})
        >>> [round(float(schedule(s)), 6) for s in (0, 99, 100, 199, 200, 1000)]
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]

        ```
    """
    fun = "piecewise_constant_schedule"
    init_value = _value(init_value, "init_value", fun)
    if boundaries_and_scales is None:
        boundaries_and_scales = {}
    if not isinstance(boundaries_and_scales, dict):
        raise TypeError(
            f"{fun}: boundaries_and_scales must be a dict {{step: scale}}, got "
            f"{type(boundaries_and_scales).__name__}"
        )
    pairs = []
    for boundary, factor in boundaries_and_scales.items():
        what = f"boundaries_and_scales[{boundary!r}]"
        if isinstance(boundary, bool) or not isinstance(boundary, numbers.Integral) or (
                boundary < 0):
            raise ValueError(f"{fun}: the boundaries of boundaries_and_scales must be ints "
                             f">= 0 (step counts), got {boundary!r}")
        pairs.append((int(boundary), _hyper(factor, what, fun, low=0.0)))
    pairs.sort()

    def schedule(step):
        value = init_value
        for boundary, factor in pairs:
            value = value * fnp.where(step >= boundary, factor, 1.0)
        return value

    return schedule
