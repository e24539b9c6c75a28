"""Collects garbage, imports modules and raises audit events, each step
after a line on stdin, so a test can attach first and stop at leisure."""
import gc
import sys


class Cycle:
    def __init__(self):
        self.me = self


def collect():
    for _ in range(10):
        Cycle()
    gc.collect(0)
    gc.collect(1)
    gc.collect(2)


def imports():
    import json  # json.decoder, json.scanner, json.encoder come with it
    try:
        import no_such_module_here  # noqa: F401
    except ImportError:
        pass
    return json


def audit():
    sys.audit("pytrace.test", 1)
    with open(__file__) as f:
        f.read(1)
    exec("x = 1")


steps = {"gc": collect, "imports": imports, "audit": audit}
print("ready", flush=True)
for line in sys.stdin.buffer:
    word = line.strip().decode()
    if word == "exit":
        break
    steps[word]()
    print("done", word, flush=True)
