"""Waits at the gate, calls tick() TICKS times, prints "done", then waits again until killed."""
import sys

TICKS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def tick(i):
    return i


print("ready", flush=True)
sys.stdin.readline()
for i in range(TICKS):
    tick(i)
print("done", flush=True)
sys.stdin.readline()
