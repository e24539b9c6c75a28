"""A multi-line function whose executed lines are known; leaf() has no line events."""
import sys


def lines_fn(n):
    total = 0  # mark: init
    for i in range(n):  # mark: for
        total += i  # mark: body
    if total > 100:  # mark: if
        total = -1  # mark: never
    return total  # mark: return


def leaf(x): return x


print("ready", flush=True)
sys.stdin.readline()
lines_fn(3)
for j in range(100):
    leaf(j)
