"""Spends known shares of its CPU time in known functions: parent() calls
leaf_a() for 3 d and leaf_b() for d seconds of the thread's CPU time (d
varies, so no sampling period can align with the calls), so the leaves take
3:1. The comments naming call sites and places are read by the script itself. Protocol: "result <json>" (the file name, the thread's id, each
function's lines and call sites), "ready", a line on stdin ("go", or "go S"
for S seconds instead of 2), then 2 CPU
seconds of work, "done", and it waits on stdin."""
import dis
import json
import random
import sys
import threading
import time


def leaf_a(d):
    end = time.thread_time() + 3 * d
    while time.thread_time() < end:
        pass


def leaf_b(d):
    end = time.thread_time() + d
    while time.thread_time() < end:
        pass


def parent(d):
    leaf_a(d)  # call:leaf_a
    leaf_b(d)  # call:leaf_b


def main(cpu_seconds, ds):
    end = time.thread_time() + cpu_seconds
    for d in ds:
        if time.thread_time() >= end:
            break
        parent(d)  # call:parent
    print("done", flush=True)
    sys.stdin.readline()


def lines_of(f):
    code = f.__code__
    return [code.co_firstlineno, max(l for _, l in dis.findlinestarts(code) if l is not None)]


rng = random.Random(1)
ds = [rng.uniform(0.0002, 0.0018) for _ in range(200000)]
places = {}
for number, text in enumerate(open(__file__, encoding="utf-8"), 1):
    for tag in ("call:", "at:"):
        if "# " + tag in text:
            places[text.split("# " + tag)[1].strip()] = number
print("result " + json.dumps({
    "file": main.__code__.co_filename,
    "tid": threading.get_native_id(),
    "functions": {f.__name__: lines_of(f) for f in (leaf_a, leaf_b, parent, main)},
    "places": places,
}), flush=True)
print("ready", flush=True)
go = sys.stdin.readline().split()  # at:go
main(float(go[1]) if len(go) > 1 else 2.0, ds)  # call:main
