"""Benchmark workload for CPython 3.11 (run it with a build that has markers).

Arguments: calls N | seconds S | rate R S | deep D S (the seconds loop under D
more frames: a stack D + 2 deep, for the sampler's cost by depth)
Prints "ready", waits for one byte on stdin (a tracer attaches meanwhile),
runs, prints one JSON line, waits for another byte (the tracer reads its
figures meanwhile) and exits with os._exit. The timed code is at
module level and only C code runs besides work() (os.read, os.write, %
formatting, os._exit), so after the release function__return fires exactly
once per call of work(): no frame returns, no decoder, no shutdown code.
"""
import collections
import os
import sys
import time


def work(x):
    # Two lines, so the `line` marker fires inside the function too.
    y = x + 1
    return y


mode = sys.argv[1]
drain = collections.deque(maxlen=0)
os.write(1, b"ready\n")
os.read(0, 1)
t0 = time.perf_counter()
if mode == "calls":
    calls = int(sys.argv[2])
    drain.extend(map(work, range(calls)))
elif mode == "seconds":
    # Chunks of calls until the time is up: full speed for a set duration.
    limit = float(sys.argv[2])
    chunk = range(20000)
    calls = 0
    while time.perf_counter() - t0 < limit:
        drain.extend(map(work, chunk))
        calls += 20000
elif mode == "deep":

    def down(n, limit):
        if n:
            return down(n - 1, limit)
        chunk = range(20000)
        done = 0
        while time.perf_counter() - t0 < limit:
            drain.extend(map(work, chunk))
            done += 20000
        return done

    sys.setrecursionlimit(int(sys.argv[2]) + 100)
    calls = down(int(sys.argv[2]), float(sys.argv[3]))
else:
    # A steady low rate; absolute deadlines so sleep overshoot does not drift.
    period = 1.0 / float(sys.argv[2])
    calls = int(float(sys.argv[2]) * float(sys.argv[3]))
    for i in range(calls):
        delay = t0 + i * period - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work(i)
elapsed = time.perf_counter() - t0
os.write(1, b'{"calls": %d, "seconds": %.9f}\n' % (calls, elapsed))
os.read(0, 1)
os._exit(0)
