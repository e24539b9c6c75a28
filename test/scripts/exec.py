"""python3.11 exec.py PROGRAM ARG...: prints "ready", waits for a line, calls
before() 3 times inside outer(), then, still inside outer(), execs PROGRAM."""
import os
import sys


def before():
    pass


def outer():
    for _ in range(3):
        before()
    os.execv(sys.argv[1], sys.argv[1:])


print("ready", flush=True)
sys.stdin.readline()
outer()
