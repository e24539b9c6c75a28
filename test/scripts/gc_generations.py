"""gc.collect(0), (1), (2) between mark_begin() and mark_end(); automatic gc off."""
import gc
import json
import sys

gc.disable()


def mark_begin():
    pass


def mark_end():
    pass


def make_cycles(n):
    for _ in range(n):
        a = []
        a.append(a)


print("ready", flush=True)
sys.stdin.readline()
mark_begin()
make_cycles(3)
collected = [gc.collect(0)]
make_cycles(2)
collected.append(gc.collect(1))
collected.append(gc.collect(2))
mark_end()
print("result " + json.dumps(collected), flush=True)
