"""The exercises' checker: run a learner's answer against the package and say what is wrong.

    check("exp", Exp)     prints "exp: correct. ..." or what is wrong, with a hint (a notebook's check cell)
    run("exp", Exp)       the same as a Result, for tests
    parent_nodes(node)    the nodes that made a node's inputs: the graph access of the toposort exercise

harness.py runs a checker and the learner's code; opcheck.py checks an op (a Function subclass); graphs.py
holds the graphs of exercises 04 and 04b; each exercise has its checker in a module named like its notebook
(ex03a_unbroadcast.py checks exercises/03a-unbroadcast.ipynb).
"""

from . import (  # noqa: F401  (each registers its checkers, in the order of the notebooks)
    ex01_central_differences,
    ex02_exp_log,
    ex02b_dual_numbers,
    ex02c_transpose,
    ex03a_unbroadcast,
    ex03b_div,
    ex03c_linear,
    ex03d_cross_entropy,
    ex03e_max,
    ex03f_embedding,
    ex03g_jvp,
    ex04_toposort,
    ex04b_backward,
    ex05_dot_product_test,
    ex06_sgd,
    ex07_logcosh,
    ex07b_newton,
    ex08_capstone,
)
from .harness import EXERCISES, Result, Wrong, check, parent_nodes, run

__all__ = ["EXERCISES", "Result", "Wrong", "check", "parent_nodes", "run"]
