"""Calls hot() 2*N and warm() N times (N = argv[1]) once a line arrives on
stdin, prints "done", then waits for stdin to close."""
import sys


def hot():
    pass


def warm():
    pass


print("ready", flush=True)
sys.stdin.buffer.readline()
for _ in range(int(sys.argv[1])):
    hot()
    hot()
    warm()
print("done", flush=True)
sys.stdin.buffer.read()
