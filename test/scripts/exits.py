"""Calls tick() 10 times after the gate, then exits by itself."""
import sys


def tick(i):
    return i


print("ready", flush=True)
sys.stdin.readline()
for i in range(10):
    tick(i)
