"""Exercise 04, a solution: a depth-first post-order with its own stack, reversed."""

from autodiff.testing import parent_nodes


def toposort(root):
    """The nodes behind root, root.grad_fn first, each once and after all of its consumers."""
    order, seen = [], set()
    stack = [(root.grad_fn, False)]  # (node, are its inputs done?)
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)  # after every node that made one of its inputs
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in parent_nodes(node))
    return order[::-1]
