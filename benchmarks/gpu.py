"""funcdiff on a GPU with CuPy, against NumPy on the CPU.

1. Correctness: the backend tests (tests/test_backends.py: the programs under every
   transform and the table of elementwise primitives, values and derivatives) on CuPy
   arrays, compared with NumPy's results; any CuPy array turned into a NumPy one on the
   way fails them.
2. Speed: the gradient of workload 4's MLP (784-512-512-10, tanh, softmax cross-entropy)
   at B = 128 and 4096, funcdiff eager and jitted, on CuPy (synchronized) and on NumPy,
   with the hand-written backprop on each for reference.

    python benchmarks/gpu.py            # needs CuPy and a GPU

Without CuPy or a GPU it says so and exits with status 0.
"""

from __future__ import annotations

import functools
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:
        return None


def best_time(fn, sync, repeats=7, number=None):
    fn()
    sync()
    if number is None:
        t0 = time.perf_counter()
        fn()
        sync()
        number = max(1, int(0.2 / max(time.perf_counter() - t0, 1e-6)))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main():
    cp = _cupy()
    if cp is None:
        print("gpu.py: CuPy with a GPU is not available here; nothing measured.")
        return 0
    import pytest
    from workloads import w04_mlp as w4

    import funcdiff as fd

    print(f"CuPy {cp.__version__} on {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    rc = pytest.main([str(HERE.parent / "tests" / "test_backends.py"), "-q", "-k", "cupy",
                      "-p", "no:randomly", "-p", "no:cacheprovider"])
    print(f"backend tests on CuPy: {'passed' if rc == 0 else 'FAILED'} (pytest status {rc})")

    g, jg = fd.grad(w4.loss), fd.jit(fd.grad(w4.loss))
    print(f"\n{'B':>5s} {'':18s} {'NumPy (CPU)':>12s} {'CuPy (GPU)':>12s} {'CPU/GPU':>8s}")
    for b in (128, 4096):
        params, X, Y = w4.data(b)
        cparams = {k: cp.asarray(v) for k, v in params.items()}
        cX, cY = cp.asarray(X), cp.asarray(Y)
        got = jg(cparams, cX, cY)
        assert all(isinstance(v, cp.ndarray) for v in got.values())
        want = w4.hand_grad(params, X, Y)
        err = max(float(np.max(np.abs(got[k].get() - want[k]))) for k in want)
        for name, fn in (("funcdiff eager", g), ("funcdiff jit", jg),
                         ("hand backprop", w4.hand_grad)):
            t_cpu = best_time(functools.partial(fn, params, X, Y), lambda: None)
            t_gpu = best_time(functools.partial(fn, cparams, cX, cY),
                              cp.cuda.Device().synchronize)
            print(f"{b:5d} {name:18s} {t_cpu * 1e3:10.2f}ms {t_gpu * 1e3:10.2f}ms "
                  f"{t_cpu / t_gpu:7.1f}x")
        print(f"      largest difference from the hand backprop on NumPy: {err:.1e}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
