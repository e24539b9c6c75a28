"""Generators, coroutines and class bodies, one scenario per run:
python generators.py SCENARIO. For 3.15's quirks: a call that creates a
generator fires an entry and no return; class bodies report line -1."""
import json
import sys


def gen(n):
    for i in range(n):
        yield i


async def coro():  # mark: coro
    return 7


def leaf():
    return 0


def scenario_unused():
    gen(3)
    return 1


def scenario_stored():
    g = gen(2)
    leaf()
    return list(g)


def scenario_closed():
    g = gen(3)
    first = next(g)
    g.close()
    return first


def scenario_coroutine():
    c = coro()
    try:
        c.send(None)
    except StopIteration as e:
        return e.value


def scenario_genexpr():
    return sum(x for x in range(3))  # mark: genexpr


def scenario_class_body():
    class Body:
        x = 1

        def method(self):
            return self.x

    return Body().method()


def scenario_yield_from():
    def outer():
        yield from gen(2)

    return list(outer())


print("ready", flush=True)
sys.stdin.readline()
result = globals()["scenario_" + sys.argv[1]]()
print("result " + json.dumps(result), flush=True)
