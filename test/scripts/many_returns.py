"""Calls work() N times (argv[1]) once a line arrives, prints "done", then
waits for stdin to close: after the gate, work() is the only Python function
that returns until then."""
import sys


def work(x):
    return x


print("ready", flush=True)
sys.stdin.buffer.readline()  # binary: no Python-level decoder returns after the gate
for _ in map(work, range(int(sys.argv[1]))):
    pass
print("done", flush=True)
sys.stdin.buffer.read()
