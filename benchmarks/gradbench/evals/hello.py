"""GradBench `hello`: `square(x) = x * x` and `double`, its derivative by `fd.grad`."""

import funcdiff as fd


def square(x):
    return x * x


FUNCTIONS = {"square": square, "double": fd.grad(square)}


def prepare(input):
    return float(input)


def to_json(function, result):
    return float(result)
