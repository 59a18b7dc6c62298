"""Exercise 02c, a solution: each linear primitive's transpose, and the program's transpose walked newest line first."""

import numpy as np

from autodiff.core import sum_to
from autodiff.linear import Var


def transpose_mul(ct, line):
    """out = x · c (or c · x), c a constant: x̄ = c · ct, summed back where c broadcast x up."""
    a, b = line.operands
    if isinstance(a, Var):  # mul x c
        return sum_to(ct * b.data, a.shape), None
    return None, sum_to(a.data * ct, b.shape)  # mul c x


def transpose_sum(ct, line):
    """out = x summed over axis: x̄ = ct copied back along the summed axes."""
    (x,) = line.operands
    axis, keepdims = line.params["axis"], line.params["keepdims"]
    if not keepdims:  # put the summed axes back, with size 1
        ct = np.expand_dims(ct, tuple(range(len(x.shape))) if axis is None else axis)
    return (np.broadcast_to(ct, x.shape),)


def transpose_getitem(ct, line):
    """out = x[index]: x̄ = zeros of x's shape with ct added at index, a repeated index getting every share."""
    (x,) = line.operands
    gx = np.zeros(x.shape, ct.dtype)
    np.add.at(gx, line.params["index"], ct)  # unbuffered: gx[index] += ct would count a repeat once
    return (gx,)


def transpose_program(program, ct, rules):
    """Jᵀ ct: the cotangent of each of the program's inputs, its lines transposed newest first."""
    cts = {program.outputs[0]: ct}  # Var -> its cotangent so far (a Var hashes by identity)
    for line in reversed(program.lines):
        if line.out not in cts:  # the output does not use this line's value
            continue
        for operand, g in zip(line.operands, rules[line.op](cts.pop(line.out), line)):
            if isinstance(operand, Var) and g is not None:  # a constant gets None
                cts[operand] = cts[operand] + g if operand in cts else g  # fan-out: add, out of place
    return tuple(cts.get(v, np.zeros(v.shape, v.dtype)) for v in program.inputs)
