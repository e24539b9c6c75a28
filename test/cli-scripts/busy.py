"""Calls hot() twice for each call of warm(), for SECONDS (argv[1]) once a
line arrives on stdin."""
import sys
import time


def hot():
    pass


def warm():
    pass


print("ready", flush=True)
sys.stdin.buffer.readline()
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for _ in range(100):
        hot()
        hot()
        warm()
