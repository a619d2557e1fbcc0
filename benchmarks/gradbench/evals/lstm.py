"""GradBench `lstm`: ADBench's LSTM loss (diagonal weights) and its gradient.

Parameters: `main_params` (2l x 4b: per layer a weight row and a bias row, each
`[forget, ingate, outgate, change]`), `extra_params` (3 x b: input weight, output weight,
output bias), `state` (2l x b: per layer hidden and cell), `sequence` (c x b). At each time
`t < c - 1` the input `sequence[t] * in_weight` goes through the layers, the last hidden state
gives `ypred = h * out_weight + out_bias`, and the loss accumulates
`sequence[t + 1] . (ypred - log(2 + sum(exp(ypred))))`; the result is `-total / ((c - 1) b)`.

Layer `i` at time `t` needs layer `i - 1` at time `t` and layer `i` at time `t - 1`, so all
layers advance together along anti-diagonals: step `s` of one `fd.scan` updates layer `i` at
time `s - i` (layers with `s < i` keep their initial state). That is `c + l - 2` steps on
`(l, b)` arrays instead of `(c - 1) l` steps on `(b,)` arrays. The gradient is `fd.grad` of
this through the scan; both are staged by `fd.jit`.
"""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def sigmoid(x):
    return 1.0 / (1.0 + fnp.exp(-x))


def objective(main_params, extra_params, state, sequence):
    n_layers = state.shape[0] // 2
    c, b = sequence.shape
    n_steps = c - 1 + n_layers - 1
    params = fnp.reshape(main_params, (n_layers, 2, 4, b))
    w, bias = params[:, 0], params[:, 1]  # (l, 4, b)
    h0 = state[0::2]
    c0 = state[1::2]
    inputs = sequence[: c - 1] * extra_params[0]
    inputs = fnp.concatenate([inputs, fnp.zeros((n_layers - 1, b))])  # (n_steps, b)
    started = (np.arange(n_steps)[:, None] >= np.arange(n_layers)[None, :])[:, :, None]

    def step(carry, xs):
        hidden, cell = carry
        x0, active = xs
        layer_in = fnp.concatenate([x0[None], hidden[:-1]])  # (l, b)
        forget = sigmoid(layer_in * w[:, 0] + bias[:, 0])
        ingate = sigmoid(hidden * w[:, 1] + bias[:, 1])
        outgate = sigmoid(layer_in * w[:, 2] + bias[:, 2])
        change = fnp.tanh(hidden * w[:, 3] + bias[:, 3])
        new_cell = cell * forget + ingate * change
        new_hidden = outgate * fnp.tanh(new_cell)
        new_hidden = fnp.where(active, new_hidden, hidden)
        new_cell = fnp.where(active, new_cell, cell)
        return (new_hidden, new_cell), new_hidden[-1]

    _, last = fd.scan(step, (h0, c0), (inputs, started))
    out = last[n_layers - 1 :]  # (c - 1, b): the last layer at t = 0 .. c - 2
    ypred = out * extra_params[1] + extra_params[2]
    lse = fnp.log(fnp.sum(fnp.exp(ypred), axis=1, keepdims=True) + 2.0)
    total = fnp.sum(sequence[1:] * (ypred - lse))
    return -total / ((c - 1) * b)


_objective = fd.jit(objective)
_gradient = fd.jit(fd.grad(objective, argnums=(0, 1)))


def jacobian(args):
    g_main, g_extra = _gradient(*args)
    return np.concatenate([np.ravel(g_main), np.ravel(g_extra)])


FUNCTIONS = {"objective": lambda a: _objective(*a), "jacobian": jacobian}


def prepare(input):
    return tuple(
        np.asarray(input[k], dtype=np.float64)
        for k in ("main_params", "extra_params", "state", "sequence")
    )


def to_json(function, result):
    return float(result) if function == "objective" else np.asarray(result).tolist()
