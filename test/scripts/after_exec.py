"""Run by exec.py's exec: calls after() N times at module level, then exits."""
import sys


def after():
    pass


for _ in range(int(sys.argv[1])):
    after()
