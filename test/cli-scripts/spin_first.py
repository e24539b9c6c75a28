"""Its first statement spins 0.3 s of CPU in first(), then 0.3 s in
second(); exits with status 3."""
import time


def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def first():
    spin(0.3)


def second():
    spin(0.3)


first()
second()
raise SystemExit(3)
