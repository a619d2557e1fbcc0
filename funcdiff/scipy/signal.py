"""`scipy.signal.convolve`, differentiable in both inputs, any number of dimensions.

One primitive, `convolve_full`, computes the full convolution over the
trailing axes of its operands (leading `nbatch` axes are batch axes that
broadcast, which is how `vmap` maps it). `'valid'` and `'same'` are static
slices of the full result. Convolution is bilinear; the transpose in each
operand is a correlation with the other one, which is again `convolve_full`
with the other operand flipped, sliced to the operand's shape:

    ct_in1 = convolve_full(ct, flip(in2))[n2-1 : n2-1+n1]     (per axis)

so derivatives of every order stay inside this one primitive and the shape
primitives.
"""

from funcdiff._src.scipy.signal import convolve

__all__ = ["convolve"]
