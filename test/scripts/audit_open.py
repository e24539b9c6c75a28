"""open() this script three times between mark_begin() and mark_end()."""
import sys


def mark_begin():
    pass


def mark_end():
    pass


print("ready", flush=True)
sys.stdin.readline()
mark_begin()
for _ in range(3):
    with open(__file__, "rb") as f:
        f.read(1)
mark_end()
