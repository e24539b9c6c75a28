"""Known calls and sleeps, once a line arrives on stdin: f calls g 3 times,
each g sleeps 10 ms (measured here with perf_counter_ns); a thread named
worker runs h (5 ms) twice; a generator is resumed to its end; a call ends in
an exception; a collection; an import. Prints "result <json>": the sleeps
and the worker's native thread id."""
import gc
import json
import sys
import threading
import time

slept = {"g": [], "h": []}
tids = {}


def g():
    t0 = time.perf_counter_ns()
    time.sleep(0.01)
    slept["g"].append(time.perf_counter_ns() - t0)


def f():
    for _ in range(3):
        g()


def h():
    t0 = time.perf_counter_ns()
    time.sleep(0.005)
    slept["h"].append(time.perf_counter_ns() - t0)


def worker():
    tids["worker"] = threading.get_native_id()
    h()
    h()


def counter():
    for i in range(3):
        yield i


def fails():
    raise ValueError("expected")


def catches():
    try:
        fails()
    except ValueError:
        pass


def main():
    f()
    t = threading.Thread(target=worker, name="worker")
    t.start()
    t.join()
    list(counter())
    catches()
    gc.collect()
    import colorsys  # noqa: F401  an import of its own


print("ready", flush=True)
sys.stdin.readline()
main()
print("result " + json.dumps({"slept": slept, "worker": tids["worker"]}), flush=True)
