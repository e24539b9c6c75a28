"""f calls g 3 times, each g sleeps 10 ms; g's sleeps measured here, printed as JSON.
A worker thread runs h (sleeps 5 ms) twice; a generator is resumed 3 times; a call ends in an exception."""
import gc
import json
import sys
import threading
import time

slept = []


def g():
    t0 = time.perf_counter_ns()
    time.sleep(0.01)
    slept.append(time.perf_counter_ns() - t0)


def f():
    for _ in range(3):
        g()


def h():
    time.sleep(0.005)


def worker():
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
    import json.tool  # noqa: F401  an import of its own


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "wait":
        print("ready", flush=True)
        sys.stdin.readline()
    main()
    print(json.dumps({"slept": slept}), flush=True)
