"""Calls of every shape, one scenario per run: python3.11 calls.py SCENARIO.

Prints "ready", waits for a line on stdin, runs the scenario, prints
"result <json>" (what Python itself counted), and exits.
"""
import json
import sys


def inner(x):
    return x + 1


def middle(x):
    return inner(x) + inner(x) + inner(x)


def outer():
    return middle(1) + middle(2)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def gen(n):
    for i in range(n):
        yield i


def consume(n):
    total = 0
    for x in gen(n):
        total += x
    return total


def raiser():
    raise ValueError("raised on purpose")


def passer():
    raiser()


def catcher():
    try:
        passer()
    except ValueError:
        return "caught"


def double(x):
    return 2 * x


def key(x):
    return -x


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self, by):
        self.n += by
        return self.n


def scenario_nested():
    return outer()


def scenario_recursion():
    return fib(10)


def scenario_generator():
    return consume(5)


def scenario_exception():
    return catcher()


def scenario_from_c():
    return [list(map(double, range(7))), sorted([5, 3, 8, 1, 9, 2, 7, 4, 6], key=key)]


def scenario_method():
    c = Counter()
    for i in range(3):
        c.bump(i)
    return c.n


print("ready", flush=True)
sys.stdin.readline()
result = globals()["scenario_" + sys.argv[1]]()
print("result " + json.dumps(result), flush=True)
