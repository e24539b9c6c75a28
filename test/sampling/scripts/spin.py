"""Spends CPU time in two known nested functions: "ready", then on a line on
stdin, outer() calls inner(), which spins for the seconds of the thread's CPU
time given as argv[1] (default 0.6); then "done", and it waits on stdin."""
import sys
import time


def inner(end):
    while time.thread_time() < end:
        pass


def outer(seconds):
    inner(time.thread_time() + seconds)


print("ready", flush=True)
sys.stdin.readline()
outer(float(sys.argv[1]) if len(sys.argv) > 1 else 0.6)
print("done", flush=True)
sys.stdin.readline()
