"""Optimizers over pytrees: pure `(init, update)` pairs in the style of optax.

Every optimizer is a `GradientTransformation`, a NamedTuple of two pure functions:
`init(params)` returns a state and `update(grads, state, params=None)` returns
`(updates, new_state)`; `apply_updates(params, updates)` adds the updates to the
parameters. Parameters, gradients, updates and states are pytrees (dicts, lists,
tuples, namedtuples of arrays), nothing is modified in place, and the step count is a
0-d integer array in the state, so a training step runs eagerly and under
`funcdiff.jit` (traced once, however many steps it runs):

```python
>>> import funcdiff as fd
>>> import funcdiff.numpy as fnp
>>> import funcdiff.optimizers as optim
>>> opt = optim.adam(0.1)
>>> params = {"w": np.array([1.0, -2.0])}
>>> state = opt.init(params)
>>> @fd.jit
... def step(params, state):
...     grads = fd.grad(lambda p: fnp.sum(p["w"] ** 2))(params)
...     updates, state = opt.update(grads, state, params)
...     return optim.apply_updates(params, updates), state
>>> for _ in range(200):
...     params, state = step(params, state)
>>> bool(fnp.max(fnp.abs(params["w"])) < 1e-2)
True

```

- optimizers: `sgd` (with optional momentum and Nesterov momentum), `adam`, `adamw`
  (decoupled weight decay), `rmsprop` (optionally centered, with momentum);
- transformations to compose with `chain`: `clip_by_global_norm`, `scale`;
- schedules, functions of the step count that can be passed as a learning rate:
  `constant_schedule`, `exponential_decay`, `cosine_decay_schedule`,
  `warmup_cosine_decay_schedule`, `piecewise_constant_schedule`.

Updates are to be *added* (they point downhill), and the formulas, defaults and
names are optax's. See docs/optimizers.md for a worked example.
"""

from funcdiff._src.optimizers import (
    GradientTransformation,
    adam,
    adamw,
    apply_updates,
    chain,
    clip_by_global_norm,
    constant_schedule,
    cosine_decay_schedule,
    exponential_decay,
    piecewise_constant_schedule,
    rmsprop,
    scale,
    sgd,
    warmup_cosine_decay_schedule,
)

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
