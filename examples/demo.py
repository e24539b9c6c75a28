"""A small program to trace: nested calls, a generator, a garbage
collection and an import, each visible in `npm run demo`:

    pytrace run --within demo --format dtrace -- /usr/bin/python3.11 examples/demo.py
"""
import gc


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def squares(limit):
    for i in range(limit):
        yield i * i


class Node:
    def __init__(self):
        self.other = self  # a reference cycle: only the collector frees it


def make_garbage(count):
    for _ in range(count):
        Node()
    return gc.collect()


def load_colors():
    import colorsys  # not imported at start-up: the import shows

    return colorsys.rgb_to_hsv(0.2, 0.4, 0.6)


def demo():
    total = sum(squares(3))
    print("fib(4) =", fib(4), "sum of squares =", total)
    print("collected", make_garbage(3), "objects")
    print("hsv", load_colors())


demo()
